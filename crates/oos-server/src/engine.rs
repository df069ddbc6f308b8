//! The in-process engine: one `oos-engine` worker on its own task, moving executions forward, and
//! a channel through which API handlers start new executions between the worker's turns. A start
//! wakes the worker, so the execution is committed and begins at once, not after a poll interval;
//! so does a Cancel/Notify event put in an execution's inbox. [`EngineStop`] ends the loop between
//! two turns and hands the worker back for its own shutdown.

use oos_runtime::{RuntimeError, StartRequest, TaskRegistry, Waker, Worker};
use tokio::sync::{mpsc, oneshot};

/// Kind of the worker loop's task in the server's [`TaskRegistry`].
pub const ENGINE_TASK: &str = "engine";

type StartReply = oneshot::Sender<Result<String, RuntimeError>>;

/// Starts executions on the server's worker.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    starts: mpsc::UnboundedSender<(StartRequest, StartReply)>,
    waker: Waker,
}

/// Stops the worker loop of [`EngineHandle::spawn`] between two turns.
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

impl EngineHandle {
    /// Runs `worker` on a new task of `tasks` until the [`EngineStop`] is used (or dropped).
    pub fn spawn(mut worker: Worker, tasks: &TaskRegistry) -> (Self, EngineStop) {
        let (starts, mut queue) = mpsc::unbounded_channel::<(StartRequest, StartReply)>();
        let (stop, mut stopping) = oneshot::channel::<()>();
        let (stopped, worker_back) = oneshot::channel::<Worker>();
        let waker = worker.waker();
        tasks.spawn(ENGINE_TASK, async move {
            loop {
                // Empty, or disconnected (no handle is left to start anything): the worker goes on.
                while let Ok((request, reply)) = queue.try_recv() {
                    let _ = reply.send(worker.start(request).await);
                }
                if !matches!(stopping.try_recv(), Err(oneshot::error::TryRecvError::Empty)) {
                    let _ = stopped.send(worker);
                    return;
                }
                if let Err(error) = worker.turn().await {
                    tracing::error!(%error, "engine turn failed");
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
            }
        });
        (Self { starts, waker: waker.clone() }, EngineStop { stop, worker: worker_back, waker })
    }

    /// Validates and durably records a new execution; returns its id.
    pub async fn start(&self, request: StartRequest) -> Result<String, StartError> {
        let (reply, answer) = oneshot::channel();
        self.starts.send((request, reply)).map_err(|_| StartError::Stopped)?;
        self.waker.wake();
        answer.await.map_err(|_| StartError::Stopped)?.map_err(StartError::Runtime)
    }

    /// Makes the worker look at the store now (e.g. after an inbox event for one of its executions).
    pub fn wake(&self) {
        self.waker.wake();
    }
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

/// Why an execution could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Runtime(RuntimeError),
    #[error("the engine worker has stopped")]
    Stopped,
}
