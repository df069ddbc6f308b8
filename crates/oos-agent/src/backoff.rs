//! Reconnection delays: exponential from 0.5 s, doubling to 30 s, with jitter.

use std::time::Duration;

use rand::Rng;

const FIRST: Duration = Duration::from_millis(500);
const CAP: Duration = Duration::from_secs(30);
/// A connection that lasted this long starts the delays over.
pub(crate) const HEALTHY: Duration = Duration::from_secs(60);

/// The delays between connection attempts.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Self { next: FIRST }
    }

    /// The next delay: between half and all of the current step, which then doubles.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let step = self.next;
        self.next = (self.next * 2).min(CAP);
        step.mul_f64(rand::rng().random_range(0.5..=1.0))
    }

    pub(crate) fn reset(&mut self) {
        self.next = FIRST;
    }
}
