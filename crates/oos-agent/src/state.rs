//! The state directory (`0700`): the agent's identity (`identity.json`, `0600`, written
//! atomically) and its ledger (`ledger/`).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::AgentError;

const IDENTITY_FILE: &str = "identity.json";

/// Where the agent keeps its state unless told otherwise: `/var/lib/oos-agent` for root, else
/// `$HOME/.local/state/oos-agent`.
pub fn default_state_dir() -> PathBuf {
    if rustix::process::geteuid().is_root() {
        return PathBuf::from("/var/lib/oos-agent");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".local/state/oos-agent")
}

/// Who this agent is for the server: written once at registration.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// The servers it registered with (tried in turn).
    pub servers: Vec<String>,
    /// `mi-…`
    pub instance_id: String,
    /// The credential; never logged.
    pub secret: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("servers", &self.servers)
            .field("instance_id", &self.instance_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// An opened state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// Creates the directory if missing and makes it readable by its owner only.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, AgentError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|error| AgentError::state(&root, error))?;
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700)).map_err(|error| AgentError::state(&root, error))?;
        Ok(Self { root })
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the ledger lives.
    pub fn ledger_dir(&self) -> PathBuf {
        self.root.join("ledger")
    }

    /// Where the identity is kept.
    pub fn identity_path(&self) -> PathBuf {
        self.root.join(IDENTITY_FILE)
    }

    /// The stored identity, if the agent registered already.
    pub fn identity(&self) -> Result<Option<Identity>, AgentError> {
        let path = self.identity_path();
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|error| AgentError::StateCorrupt { path, message: error.to_string() }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(AgentError::state(path, error)),
        }
    }

    /// Stores the identity (`0600`, atomically).
    pub fn save_identity(&self, identity: &Identity) -> Result<(), AgentError> {
        let bytes = serde_json::to_vec_pretty(identity).expect("an identity serializes");
        write_private_atomically(&self.identity_path(), &bytes)
    }
}

/// Writes `bytes` to a temporary file (`0600`) beside `path`, syncs it, renames it over `path` and
/// syncs the directory: a reader sees the old or the new content, never a part.
pub(crate) fn write_private_atomically(path: &Path, bytes: &[u8]) -> Result<(), AgentError> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let write = || -> std::io::Result<()> {
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        sync_parent(path)
    };
    write().map_err(|error| AgentError::state(path, error))
}

/// Makes a rename or removal in `path`'s directory durable.
pub(crate) fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(parent) => fs::File::open(parent)?.sync_all(),
        None => Ok(()),
    }
}
