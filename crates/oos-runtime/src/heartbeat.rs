//! The worker's liveness, for a readiness check: when (on the worker's clock) it last polled the
//! store successfully — claimed work and read its inbox — and whether that is recent enough to say
//! it is claiming.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use oos_clock::Clock;

/// Poll intervals without a successful poll after which a worker is no longer claiming. A poll is
/// due every interval however busy the worker is; a few intervals leave room for a slow turn.
pub const STALE_POLLS: u32 = 5;

/// No poll has succeeded yet.
const NEVER: i64 = i64::MIN;

/// The time of the last successful poll, written by the worker.
#[derive(Debug)]
pub(crate) struct Beat(AtomicI64);

impl Default for Beat {
    fn default() -> Self {
        Self(AtomicI64::new(NEVER))
    }
}

impl Beat {
    pub(crate) fn beat(&self, now_ms: i64) {
        self.0.store(now_ms, Ordering::Relaxed);
    }
}

/// A worker's liveness as others read it (see [`crate::Worker::heartbeat`]); cheap to clone and read.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    pub(crate) beat: Arc<Beat>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) poll_interval: Duration,
}

impl Heartbeat {
    /// How long ago the worker last polled successfully; None before its first successful poll.
    pub fn age(&self) -> Option<Duration> {
        let last = self.beat.0.load(Ordering::Relaxed);
        (last != NEVER).then(|| Duration::from_millis(self.clock.now_ms().saturating_sub(last).max(0).unsigned_abs()))
    }

    /// The age beyond which the worker is not claiming: [`STALE_POLLS`] poll intervals.
    pub fn stale_after(&self) -> Duration {
        self.poll_interval * STALE_POLLS
    }

    /// Whether the worker polled successfully within [`Heartbeat::stale_after`].
    pub fn claiming(&self) -> bool {
        self.age().is_some_and(|age| age <= self.stale_after())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oos_clock::VirtualClock;

    #[test]
    fn a_worker_is_claiming_until_its_last_poll_is_five_intervals_old() {
        let clock = Arc::new(VirtualClock::new(1_000_000));
        let heartbeat = Heartbeat { beat: Arc::default(), clock: clock.clone(), poll_interval: Duration::from_secs(1) };
        assert_eq!((heartbeat.age(), heartbeat.claiming()), (None, false), "not before its first poll");
        heartbeat.beat.beat(clock.now_ms());
        clock.advance(Duration::from_secs(5));
        assert_eq!((heartbeat.age(), heartbeat.claiming()), (Some(Duration::from_secs(5)), true));
        clock.advance(Duration::from_millis(1));
        assert!(!heartbeat.claiming(), "stale after {:?}", heartbeat.stale_after());
        heartbeat.beat.beat(clock.now_ms());
        assert!(heartbeat.claiming());
    }
}
