//! The change feed: after every commit that writes an execution's rows (the execution, its tasks,
//! its logs) or deletes them, the store announces the ids of the executions changed, so that
//! readers that show executions (`/stream`) read again only when something of theirs changed.
//!
//! A subscriber holds a [`tokio::sync::broadcast::Receiver`]; a receiver that lags behind (its
//! buffer overflowed) has missed announcements and must treat that as [`Change::Everything`], as
//! it treats the announcement itself (sent when a PostgreSQL listener lost its connection).

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::broadcast;

use crate::StepWrite;

/// Announcements a slow subscriber may fall behind by before it lags.
const BUFFER: usize = 256;

/// One announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// These executions changed (one commit's, or one notification's).
    Executions(Arc<[String]>),
    /// Announcements may have been missed: anything may have changed.
    Everything,
}

impl Change {
    /// Whether this announcement may concern `execution_id`.
    pub fn concerns(&self, execution_id: &str) -> bool {
        match self {
            Self::Executions(ids) => ids.iter().any(|id| id == execution_id),
            Self::Everything => true,
        }
    }
}

/// The sending side, shared by a store and its clones.
#[derive(Debug, Clone)]
pub struct Changes(broadcast::Sender<Change>);

impl Default for Changes {
    fn default() -> Self {
        Self(broadcast::Sender::new(BUFFER))
    }
}

impl Changes {
    /// Tells every subscriber (costs nothing when there is none).
    pub fn announce(&self, change: Change) {
        if self.0.receiver_count() > 0 {
            let _ = self.0.send(change);
        }
    }

    /// Announces the executions `ids` lists (nothing when none), listed only when someone listens.
    pub fn announce_executions(&self, ids: impl FnOnce() -> Vec<String>) {
        if self.0.receiver_count() > 0 {
            let ids = ids();
            if !ids.is_empty() {
                let _ = self.0.send(Change::Executions(ids.into()));
            }
        }
    }

    /// A receiver of the announcements made from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.0.subscribe()
    }
}

/// The executions whose rows `write` changes, each once.
pub(crate) fn changed_by(write: &StepWrite) -> Vec<String> {
    let executions = write.executions.iter().map(|e| &e.id);
    let tasks = write.tasks.iter().map(|t| &t.execution_id);
    let logs = write.logs.iter().map(|l| &l.execution_id);
    let ids: BTreeSet<&String> = executions.chain(tasks).chain(logs).collect();
    ids.into_iter().cloned().collect()
}
