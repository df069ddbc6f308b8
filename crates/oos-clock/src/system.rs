//! [`SystemClock`]: the system's wall time, and waits on tokio's (monotonic) timers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{Clock, Sleep};

/// The system clock: what every process runs on unless a test injects another.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_the_system_time_and_sleeps_on_real_timers() {
        let before = SystemClock.now_ms();
        let started = std::time::Instant::now();
        SystemClock.sleep(Duration::from_millis(20)).await;
        assert!(started.elapsed() >= Duration::from_millis(20));
        assert!(SystemClock.now_ms() >= before + 19, "the wall time moved on");
        assert!((SystemClock.timestamp().as_millisecond() - SystemClock.now_ms()).abs() < 1000);
    }
}
