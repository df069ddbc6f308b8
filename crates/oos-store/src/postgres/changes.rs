//! The change feed across processes: after a commit that changed executions, a writer announces
//! their ids to its own process at once and hands them to the store's change notifier, which sends
//! them with `NOTIFY` on [`CHANGES_CHANNEL`] — once for each burst of commits, outside them (see
//! [`super::wakeups`]), in payloads of at most [`PAYLOAD_BYTES`]. Each payload starts with its
//! store's origin, so that a process skips its own notifications (announced locally already). The
//! listener connection of [`super::wakeups`] turns the others' payloads into local announcements.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::PgPool;

use super::PgStore;
use super::background::Job;
use crate::changes::Change;

/// The channel changed executions are announced on.
pub const CHANGES_CHANNEL: &str = "oos_changes";
/// Most bytes of one payload (PostgreSQL takes up to 8000).
const PAYLOAD_BYTES: usize = 7900;

/// Ids waiting for the next `NOTIFY`, and the job sending them.
#[derive(Debug, Clone)]
pub(crate) struct Notifier {
    origin: Arc<str>,
    pending: Arc<Mutex<BTreeSet<String>>>,
    job: Job,
}

impl Notifier {
    pub(crate) fn start(pool: PgPool, origin: Arc<str>) -> Self {
        let pending: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        let (sending, from) = (Arc::clone(&pending), Arc::clone(&origin));
        let job = Job::start(None, move || {
            let ids = std::mem::take(&mut *sending.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
            let (pool, payloads) = (pool.clone(), payloads(&from, ids));
            async move {
                if payloads.is_empty() {
                    return;
                }
                let sent = sqlx::query("SELECT pg_notify($1, payload) FROM UNNEST($2::TEXT[]) AS payload").bind(CHANGES_CHANNEL).bind(payloads).execute(&pool).await;
                if let Err(error) = sent {
                    tracing::warn!(%error, "announcing changed executions failed; other processes' streams see them at their next read");
                }
            }
        });
        Self { origin, pending, job }
    }

    pub(crate) fn origin(&self) -> &Arc<str> {
        &self.origin
    }

    pub(crate) fn stop(&self) {
        self.job.stop();
    }
}

/// An origin no other store shares: this process's id, the time and a count.
pub(crate) fn new_origin() -> Arc<str> {
    static OPENED: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|since| since.as_nanos()).unwrap_or_default();
    format!("{:x}.{nanos:x}.{:x}", std::process::id(), OPENED.fetch_add(1, Ordering::Relaxed)).into()
}

/// `ids` as payloads `<origin> <id> <id>…` of at most [`PAYLOAD_BYTES`] each.
fn payloads(origin: &str, ids: BTreeSet<String>) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut payload = String::new();
    for id in ids {
        if !payload.is_empty() && payload.len() + 1 + id.len() > PAYLOAD_BYTES {
            payloads.push(std::mem::take(&mut payload));
        }
        if payload.is_empty() {
            payload.push_str(origin);
        }
        payload.push(' ');
        payload.push_str(&id);
    }
    if !payload.is_empty() {
        payloads.push(payload);
    }
    payloads
}

/// The change a payload announces; `None` when it came from `origin` (this store) or names nothing.
pub(crate) fn received(payload: &str, origin: &str) -> Option<Change> {
    let mut words = payload.split(' ');
    if words.next() == Some(origin) {
        return None;
    }
    let ids: Vec<String> = words.filter(|id| !id.is_empty()).map(str::to_owned).collect();
    (!ids.is_empty()).then(|| Change::Executions(ids.into()))
}

impl PgStore {
    /// Called after a commit that changed `ids`: this process's subscribers learn at once, the
    /// others' when the notification arrives.
    pub(crate) fn changed(&self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        self.changes.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(ids.iter().cloned());
        self.changes.job.request();
        self.listening.changes.announce_executions(|| ids);
    }
}

impl crate::ChangeFeed for PgStore {
    fn changes(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.listening.changes.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{PAYLOAD_BYTES, payloads, received};
    use crate::changes::Change;

    #[test]
    fn many_ids_are_chunked_into_payloads_that_name_each_once() {
        let ids: BTreeSet<String> = (0..2000).map(|i| format!("exec-{i:08}")).collect();
        let sent = payloads("me", ids.clone());
        assert!(sent.len() > 1 && sent.iter().all(|payload| payload.len() <= PAYLOAD_BYTES), "{}", sent.len());
        let mut named = BTreeSet::new();
        for payload in &sent {
            assert!(received(payload, "me").is_none(), "its own payload is skipped");
            let Some(Change::Executions(ids)) = received(payload, "other") else { panic!("{payload}") };
            named.extend(ids.iter().cloned());
        }
        assert_eq!(named, ids);
        assert!(payloads("me", BTreeSet::new()).is_empty());
    }
}
