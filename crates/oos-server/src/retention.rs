//! The retention loop of `oos server`: a pass of the retention policy (`oos_store::retention`) at
//! start and then every interval, on the injected clock, in the server's task registry (a pass cut
//! by a shutdown loses only its open batch: each batch is a transaction of its own). On PostgreSQL
//! the store runs one pass at a time across every server; the others skip their turn.

use std::sync::Arc;
use std::time::Duration;

use oos_clock::Clock;
use oos_store::{RetentionPolicy, ServerStore};

/// The task kind of the retention loop.
pub const RETENTION_TASK: &str = "retention";

/// Runs `policy` on `store` now and every `every`.
pub(crate) async fn run(store: Arc<dyn ServerStore>, clock: Arc<dyn Clock>, policy: RetentionPolicy, every: Duration) {
    loop {
        let started = std::time::Instant::now();
        match store.retain(&policy, clock.now_ms()).await {
            Ok(Some(report)) => tracing::info!(
                executions = report.executions,
                details = report.details,
                audit_records = report.audit_records,
                segments = report.segments.len(),
                elapsed = ?started.elapsed(),
                "retention pass done"
            ),
            Ok(None) => tracing::debug!("retention: another process is running a pass"),
            Err(error) => tracing::warn!(%error, "retention pass failed; retried at the next interval"),
        }
        clock.sleep(every).await;
    }
}
