//! Wakeups: a counter bumped whenever something is written that an idle worker should look at now
//! (a new execution, an inbox event, a handed-back execution). Workers wait on it instead of polling
//! fast; their slow poll remains the safety net for a missed wakeup.

use std::sync::Arc;

use tokio::sync::watch;

/// The sending side, shared by a store and its clones.
#[derive(Debug, Clone)]
pub struct Wakeups(Arc<watch::Sender<u64>>);

impl Default for Wakeups {
    fn default() -> Self {
        Self(Arc::new(watch::Sender::new(0)))
    }
}

impl Wakeups {
    /// Wakes every subscriber (a wakeup before a subscriber waits is kept for it).
    pub fn announce(&self) {
        self.0.send_modify(|count| *count = count.wrapping_add(1));
    }

    /// A receiver whose `changed()` resolves at the next announcement.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}
