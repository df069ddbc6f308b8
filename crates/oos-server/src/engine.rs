//! The in-process engine: one `oos-engine` worker on its own task, moving executions forward, and
//! a channel through which API handlers start new executions between the worker's turns. A start
//! wakes the worker, so the execution is committed and begins at once, not after a poll interval;
//! so does a Cancel/Notify event put in an execution's inbox.

use oos_runtime::{RuntimeError, StartRequest, Waker, Worker};
use tokio::sync::{mpsc, oneshot};

type StartReply = oneshot::Sender<Result<String, RuntimeError>>;

/// Starts executions on the server's worker.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    starts: mpsc::UnboundedSender<(StartRequest, StartReply)>,
    waker: Waker,
}

impl EngineHandle {
    /// Runs `worker` on a new task until the handle and its clones are dropped.
    pub fn spawn(mut worker: Worker) -> Self {
        let (starts, mut queue) = mpsc::unbounded_channel::<(StartRequest, StartReply)>();
        let waker = worker.waker();
        tokio::spawn(async move {
            loop {
                loop {
                    match queue.try_recv() {
                        Ok((request, reply)) => {
                            let _ = reply.send(worker.start(request).await);
                        }
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        Err(mpsc::error::TryRecvError::Disconnected) => return,
                    }
                }
                if let Err(error) = worker.turn().await {
                    tracing::error!(%error, "engine turn failed");
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
            }
        });
        Self { starts, waker }
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

/// Why an execution could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Runtime(RuntimeError),
    #[error("the engine worker has stopped")]
    Stopped,
}
