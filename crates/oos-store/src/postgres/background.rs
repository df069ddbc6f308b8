//! A store's background job: work that writers ask for after their commit (announce new work,
//! seal audit records) and that runs once for every burst of requests, not once per request. The
//! job ends with the store's last clone or its `close`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// A job that runs when requested (requests made while it runs start one more run) and, with
/// `every`, also after that long without a request.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    requests: Arc<Notify>,
    task: Arc<AbortOnDrop>,
}

/// Aborts the task when the last [`Job`] clone goes.
#[derive(Debug)]
pub(crate) struct AbortOnDrop(pub JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Job {
    pub(crate) fn start<F, Fut>(every: Option<Duration>, mut run: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let requests = Arc::new(Notify::new());
        let waiting = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            loop {
                match every {
                    Some(every) => {
                        let _ = tokio::time::timeout(every, waiting.notified()).await;
                    }
                    None => waiting.notified().await,
                }
                run().await;
            }
        });
        Self { requests, task: Arc::new(AbortOnDrop(task)) }
    }

    /// Asks for a run; never waits.
    pub(crate) fn request(&self) {
        self.requests.notify_one();
    }

    pub(crate) fn stop(&self) {
        self.task.0.abort();
    }
}
