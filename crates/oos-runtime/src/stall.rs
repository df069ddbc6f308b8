//! A tree of executions held up by one decision: the top execution is Running only because a
//! descendant (a child, a grandchild…) waits for an approval or a high-risk call's confirmation, and
//! nothing else of the tree can move. `settle` ends there as it does when the top itself waits.

use oos_engine::{Execution, ExecutionStatus, Wake};

use crate::Worker;

/// Parent links followed at most (the engine refuses nesting far below this).
const MAX_DEPTH: usize = 64;

/// The descendant that waits for a decision, and the task that waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stall {
    pub execution_id: String,
    pub task_name: String,
}

impl Worker {
    /// What holds up execution `id` when it is Running but its whole tree is idle: no event queued,
    /// no child to start, no call in flight, every open execution of the tree waiting only for an
    /// event, and a descendant waiting at a decision. `None` while anything can still move.
    pub fn stalled_on(&self, id: &str) -> Option<Stall> {
        let top = self.live.get(id)?;
        if top.status != ExecutionStatus::Running || !self.queue.is_empty() || !self.children.is_empty() {
            return None;
        }
        let tree: Vec<&Execution> = self.live.values().filter(|exec| exec.id == id || self.descends_from(exec, id)).collect();
        let idle = tree
            .iter()
            .filter(|exec| !exec.status.is_final())
            .all(|exec| !self.guard.busy(&exec.id) && oos_engine::wake(exec) == Wake::Event);
        if !idle {
            return None;
        }
        tree.iter().filter(|exec| exec.id != id && exec.status == ExecutionStatus::Waiting).find_map(|exec| {
            exec.tasks
                .iter()
                .find(|run| run.state.awaiting_decision)
                .map(|run| Stall { execution_id: exec.id.clone(), task_name: run.name.clone() })
        })
    }

    /// Whether `exec` is a child, grandchild… of `ancestor` among the executions held here.
    fn descends_from(&self, exec: &Execution, ancestor: &str) -> bool {
        let mut parent = exec.parent_execution_id.as_deref();
        for _ in 0..MAX_DEPTH {
            match parent {
                Some(id) if id == ancestor => return true,
                Some(id) => parent = self.live.get(id).and_then(|exec| exec.parent_execution_id.as_deref()),
                None => return false,
            }
        }
        false
    }
}
