//! The ledger: one file per accepted invocation (`ledger/<invoke id>.json`), synced to disk before
//! the invocation starts, holding its outcome once it ended, removed when the server acknowledges
//! the outcome. It is what makes every invocation run at most once on this host.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use oos_agent_proto::{FinishStatus, Outcome};
use serde::{Deserialize, Serialize};

use crate::state::{sync_parent, write_private_atomically};
use crate::{AgentError, codes, now_ms};

/// One accepted invocation.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    invoke_id: String,
    start_ms: i64,
    #[serde(default)]
    outcome: Option<Outcome>,
}

/// What the ledger says of an invocation the server asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Admission {
    /// Never seen: it is now recorded and may start.
    New { start_ms: i64 },
    /// Accepted already and running in this process.
    Running { start_ms: i64 },
    /// Ended already (or was interrupted by the agent's death): this is its outcome.
    Ended(Outcome),
}

/// The ledger of one state directory.
#[derive(Debug)]
pub struct Ledger {
    dir: PathBuf,
    entries: Mutex<BTreeMap<String, Entry>>,
}

impl Ledger {
    /// Loads the ledger at process start. Entries without an outcome belonged to a previous agent
    /// process that died while they ran: they are given an `ExecutionInterrupted` outcome (and are
    /// never run again).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, AgentError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|error| AgentError::state(&dir, error))?;
        let ledger = Self { dir: dir.clone(), entries: Mutex::new(BTreeMap::new()) };
        let listing = fs::read_dir(&dir).map_err(|error| AgentError::state(&dir, error))?;
        for item in listing {
            let path = item.map_err(|error| AgentError::state(&dir, error))?.path();
            if path.extension().is_some_and(|extension| extension == "json") {
                let mut entry = read_entry(&path)?;
                if entry.outcome.is_none() {
                    entry.outcome = Some(interrupted(&entry));
                    ledger.write(&entry)?;
                }
                ledger.lock().insert(entry.invoke_id.clone(), entry);
            }
        }
        Ok(ledger)
    }

    /// Looks the invocation up and, when it is new, records it durably before answering `New`.
    pub fn admit(&self, invoke_id: &str) -> Result<Admission, AgentError> {
        let mut entries = self.lock();
        if let Some(entry) = entries.get(invoke_id) {
            return Ok(match &entry.outcome {
                Some(outcome) => Admission::Ended(outcome.clone()),
                None => Admission::Running { start_ms: entry.start_ms },
            });
        }
        let entry = Entry { invoke_id: invoke_id.to_owned(), start_ms: now_ms(), outcome: None };
        self.write(&entry)?;
        let start_ms = entry.start_ms;
        entries.insert(invoke_id.to_owned(), entry);
        Ok(Admission::New { start_ms })
    }

    /// Records how an admitted invocation ended.
    pub fn finish(&self, outcome: &Outcome) -> Result<(), AgentError> {
        let mut entries = self.lock();
        let entry = Entry { invoke_id: outcome.invoke_id.clone(), start_ms: outcome.start_ms, outcome: Some(outcome.clone()) };
        self.write(&entry)?;
        entries.insert(entry.invoke_id.clone(), entry);
        Ok(())
    }

    /// Forgets an invocation whose outcome the server recorded (a running one is kept).
    pub fn forget(&self, invoke_id: &str) -> Result<bool, AgentError> {
        let mut entries = self.lock();
        if entries.get(invoke_id).is_none_or(|entry| entry.outcome.is_none()) {
            return Ok(false);
        }
        let path = self.path_of(invoke_id);
        fs::remove_file(&path).and_then(|()| sync_parent(&path)).map_err(|error| AgentError::state(&path, error))?;
        entries.remove(invoke_id);
        Ok(true)
    }

    /// The outcomes the server has not acknowledged yet.
    pub fn unrecorded(&self) -> Vec<Outcome> {
        self.lock().values().filter_map(|entry| entry.outcome.clone()).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self, entry: &Entry) -> Result<(), AgentError> {
        let bytes = serde_json::to_vec(entry).expect("a ledger entry serializes");
        write_private_atomically(&self.path_of(&entry.invoke_id), &bytes)
    }

    /// The file of an id: the id itself when it is a plain name, else its hex spelling.
    fn path_of(&self, invoke_id: &str) -> PathBuf {
        let plain = !invoke_id.is_empty()
            && invoke_id.len() <= 128
            && !invoke_id.starts_with('.')
            && invoke_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        let name = if plain {
            invoke_id.to_owned()
        } else {
            let hex: String = invoke_id.bytes().map(|byte| format!("{byte:02x}")).collect();
            format!("x-{hex}")
        };
        self.dir.join(format!("{name}.json"))
    }
}

fn read_entry(path: &Path) -> Result<Entry, AgentError> {
    let bytes = fs::read(path).map_err(|error| AgentError::state(path, error))?;
    serde_json::from_slice(&bytes).map_err(|error| AgentError::StateCorrupt { path: path.to_owned(), message: error.to_string() })
}

fn interrupted(entry: &Entry) -> Outcome {
    Outcome {
        invoke_id: entry.invoke_id.clone(),
        status: FinishStatus::Failed,
        exit_code: None,
        start_ms: entry.start_ms,
        finish_ms: now_ms(),
        output: String::new(),
        dropped: 0,
        error_code: Some(codes::EXECUTION_INTERRUPTED.to_owned()),
        error_info: Some("the agent stopped while the invocation ran; it is not run again".to_owned()),
    }
}
