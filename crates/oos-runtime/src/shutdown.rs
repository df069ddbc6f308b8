//! How a worker stops between turns: timers are dropped (a restart re-derives them from the
//! committed state), calls in flight get a grace period to answer, the answers that came are
//! committed without starting anything new, and the leases of the executions it holds are released,
//! so that another worker (or the next start) takes them over at once instead of after the lease TTL.

use std::time::Duration;

use crate::effects::CALL_TASK;
use crate::{RuntimeError, Worker};

impl Worker {
    /// Stops the worker; call it between turns. Calls still running after `grace` are abandoned: the
    /// executions they belong to stay marked at risk, as after a crash, and the calls are made again
    /// by the next worker. Returns the first failure, after releasing the leases in any case.
    pub async fn shutdown(mut self, grace: Duration) -> Result<(), RuntimeError> {
        self.timers.clear();
        if !self.tasks.wait(Some(CALL_TASK), grace).await {
            tracing::warn!(calls = self.tasks.count(Some(CALL_TASK)), ?grace, "abandoning the calls that did not answer in time; they are made again after a restart");
            self.tasks.abort(CALL_TASK);
        }
        while let Ok(delivery) = self.rx.try_recv() {
            self.receive(delivery);
        }
        let committed = if self.queue.is_empty() && self.audit.is_empty() { Ok(Vec::new()) } else { self.step_and_commit(false).await };
        let held: Vec<String> = self.live.keys().chain(self.guard.held()).cloned().collect();
        let released = self.store.release(&self.config.worker_id, &held).await;
        committed?;
        released?;
        tracing::info!(worker = %self.config.worker_id, executions = held.len(), "worker stopped; leases released");
        Ok(())
    }
}
