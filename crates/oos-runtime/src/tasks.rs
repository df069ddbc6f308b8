//! The registry of spawned tasks: every tokio task a worker or a server starts goes through a
//! [`TaskRegistry`] under a kind name, so that the live ones can be counted by kind and a shutdown
//! can wait for them (bounded) and abort what is left. A finished task leaves the registry on its
//! own, also when it panicked or was aborted.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// Spawns tasks and keeps track of the live ones. Clones share one registry.
#[derive(Debug, Clone, Default)]
pub struct TaskRegistry {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Told whenever a task leaves the registry.
    left: Notify,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    /// Live tasks by id; the abort handle is set just after the spawn.
    live: HashMap<u64, (&'static str, Option<AbortHandle>)>,
    /// Set by [`TaskRegistry::shutdown`]: nothing new starts.
    closed: bool,
}

/// Removes its task from the registry when the task's future is dropped (finished, panicked, aborted).
struct Leave {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        lock(&self.shared.state).live.remove(&self.id);
        self.shared.left.notify_waiters();
    }
}

impl TaskRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `task` on the tokio runtime as a task of `kind`. Once the registry is shut down, nothing
    /// new starts: `task` is dropped instead.
    pub fn spawn<F>(&self, kind: &'static str, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let id = {
            let mut state = lock(&self.shared.state);
            if state.closed {
                return;
            }
            state.next_id += 1;
            let id = state.next_id;
            state.live.insert(id, (kind, None));
            id
        };
        let leave = Leave { shared: Arc::clone(&self.shared), id };
        let handle = tokio::spawn(async move {
            let _leave = leave;
            task.await;
        });
        let mut state = lock(&self.shared.state);
        let closed = state.closed;
        match state.live.get_mut(&id) {
            // Shut down while it was being spawned.
            Some(_) if closed => handle.abort(),
            Some((_, slot)) => *slot = Some(handle.abort_handle()),
            // Already finished.
            None => {}
        }
    }

    /// How many tasks of each kind are live.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for (kind, _) in lock(&self.shared.state).live.values() {
            *counts.entry(*kind).or_insert(0) += 1;
        }
        counts
    }

    /// How many tasks of `kind` (or of every kind) are live.
    pub fn count(&self, kind: Option<&str>) -> usize {
        lock(&self.shared.state).live.values().filter(|(of, _)| kind.is_none_or(|kind| kind == *of)).count()
    }

    /// Waits until no task of `kind` (or of any kind) is live, at most `bound`. Returns whether none is.
    pub async fn wait(&self, kind: Option<&str>, bound: Duration) -> bool {
        let deadline = Instant::now() + bound;
        loop {
            let left = self.shared.left.notified();
            tokio::pin!(left);
            // Registered before the count is read, so a task leaving in between is not missed.
            left.as_mut().enable();
            if self.count(kind) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, left).await.is_err() {
                return self.count(kind) == 0;
            }
        }
    }

    /// Aborts every live task of `kind`; they leave the registry as the runtime drops them.
    pub fn abort(&self, kind: &str) {
        for (of, handle) in lock(&self.shared.state).live.values() {
            if *of == kind
                && let Some(handle) = handle
            {
                handle.abort();
            }
        }
    }

    /// Stops everything: nothing new starts, the live tasks get `grace` to finish, then the rest are
    /// aborted (and waited for, at most `grace` again, as a task is only dropped at its next await).
    /// Returns how many tasks were aborted.
    pub async fn shutdown(&self, grace: Duration) -> usize {
        lock(&self.shared.state).closed = true;
        if self.wait(None, grace).await {
            return 0;
        }
        let aborted = {
            let state = lock(&self.shared.state);
            for handle in state.live.values().filter_map(|(_, handle)| handle.as_ref()) {
                handle.abort();
            }
            state.live.len()
        };
        if !self.wait(None, grace).await {
            tracing::warn!(left = ?self.counts(), "tasks still running after they were aborted");
        }
        aborted
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    const BOUND: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn spawned_tasks_are_counted_by_kind_and_leave_when_they_finish() {
        let tasks = TaskRegistry::new();
        let (release, released) = oneshot::channel::<()>();
        let (done, finished) = oneshot::channel::<()>();
        tasks.spawn("call", async move {
            let _ = released.await;
            let _ = done.send(());
        });
        tasks.spawn("timer", std::future::pending());
        tasks.spawn("timer", std::future::pending());
        assert_eq!(tasks.counts(), BTreeMap::from([("call", 1), ("timer", 2)]));
        assert_eq!(tasks.count(None), 3);
        release.send(()).unwrap();
        finished.await.unwrap();
        assert!(tasks.wait(Some("call"), BOUND).await, "the finished call leaves the registry");
        assert_eq!(tasks.counts(), BTreeMap::from([("timer", 2)]));
    }

    #[tokio::test]
    async fn a_panicked_or_aborted_task_leaves_too() {
        let tasks = TaskRegistry::new();
        tasks.spawn("call", async { panic!("the task fails") });
        tasks.spawn("timer", std::future::pending());
        tasks.spawn("connection", std::future::pending());
        assert!(tasks.wait(Some("call"), BOUND).await);
        tasks.abort("timer");
        assert!(tasks.wait(Some("timer"), BOUND).await);
        assert_eq!(tasks.counts(), BTreeMap::from([("connection", 1)]));
    }

    #[tokio::test]
    async fn shutdown_waits_for_tasks_that_finish_within_the_grace() {
        let tasks = TaskRegistry::new();
        let (finish, finishing) = oneshot::channel::<()>();
        let (finished, done) = oneshot::channel::<()>();
        tasks.spawn("connection", async move {
            let _ = finishing.await;
            let _ = finished.send(());
        });
        let shutdown = {
            let tasks = tasks.clone();
            tokio::spawn(async move { tasks.shutdown(BOUND).await })
        };
        // Let the shutdown begin waiting before the task may finish.
        tokio::task::yield_now().await;
        finish.send(()).unwrap();
        assert_eq!(shutdown.await.unwrap(), 0, "nothing is aborted");
        done.await.expect("the task ran to its end");
    }

    #[tokio::test]
    async fn shutdown_aborts_the_tasks_that_outlive_the_grace() {
        let tasks = TaskRegistry::new();
        let (dropped, was_dropped) = oneshot::channel::<()>();
        tasks.spawn("timer", async move {
            let _dropped = dropped;
            std::future::pending::<()>().await;
        });
        assert_eq!(tasks.shutdown(Duration::from_millis(20)).await, 1);
        assert_eq!(tasks.count(None), 0);
        assert!(was_dropped.await.is_err(), "the endless task was dropped, not finished");
        tasks.spawn("timer", std::future::pending());
        assert_eq!(tasks.count(None), 0, "nothing starts after the shutdown");
    }

    #[tokio::test]
    async fn waiting_is_bounded() {
        let tasks = TaskRegistry::new();
        tasks.spawn("engine", std::future::pending());
        assert!(!tasks.wait(Some("engine"), Duration::from_millis(20)).await);
        assert!(tasks.wait(Some("call"), Duration::from_millis(20)).await, "no task of that kind");
    }
}
