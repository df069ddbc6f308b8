//! The server's worker loop: one `oos-runtime` worker on its own task, taking executions from the
//! store (created by any server's API, announced by the store's wakeups) and moving them forward.
//! [`EngineStop`] ends the loop between two turns and hands the worker back for its own shutdown.

use std::time::Duration;

use oos_runtime::{TaskRegistry, Waker, Worker};
use tokio::sync::oneshot;

/// Kind of the worker loop's task in the server's [`TaskRegistry`].
pub const ENGINE_TASK: &str = "engine";

/// How long the loop waits after a failed turn (the store is unreachable, a commit failed).
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// Stops the worker loop of [`spawn`] between two turns.
pub struct EngineStop {
    stop: oneshot::Sender<()>,
    worker: oneshot::Receiver<Worker>,
    waker: Waker,
}

impl std::fmt::Debug for EngineStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineStop").finish_non_exhaustive()
    }
}

/// Runs `worker` on a new task of `tasks` until the [`EngineStop`] is used (or dropped). A failed
/// turn is logged and the loop goes on: the worker loads the turn's executions again.
pub fn spawn(mut worker: Worker, tasks: &TaskRegistry) -> EngineStop {
    let (stop, mut stopping) = oneshot::channel::<()>();
    let (stopped, worker_back) = oneshot::channel::<Worker>();
    let waker = worker.waker();
    crate::metrics::worker_started(worker.id());
    tasks.spawn(ENGINE_TASK, async move {
        loop {
            if !matches!(stopping.try_recv(), Err(oneshot::error::TryRecvError::Empty)) {
                let _ = stopped.send(worker);
                return;
            }
            if let Err(error) = worker.turn().await {
                tracing::error!(%error, "engine turn failed");
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    });
    EngineStop { stop, worker: worker_back, waker }
}

impl EngineStop {
    /// Ends the worker loop after its current turn and returns the worker (None: the loop had
    /// already ended, its worker dropped).
    pub async fn stop(self) -> Option<Worker> {
        let _ = self.stop.send(());
        self.waker.wake();
        self.worker.await.ok()
    }
}
