//! oos-clock: the one clock every OpenOOS process reads and waits on — the worker's timers, polls
//! and lease renewals, the cloud client's back-off and signing dates, the server's recorded times.
//!
//! [`Clock`] is injected as `Arc<dyn Clock>`; [`SystemClock`] reads the system time and waits on
//! tokio's timers, [`VirtualClock`] is time a test moves: by hand ([`VirtualClock::advance`]) or by
//! itself to the next due sleeper when everything waits ([`VirtualClock::auto_advance`]), so a
//! whole product runs hours of template time in seconds. The engine core takes `now_ms` as an
//! argument and does not depend on this crate.

mod system;
mod virtual_clock;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use system::SystemClock;
pub use virtual_clock::VirtualClock;

/// A wait on a [`Clock`]; it ends when the clock reaches its due time.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Wall time and waits. Object safe: shared as `Arc<dyn Clock>`.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Wall-clock time in unix milliseconds.
    fn now_ms(&self) -> i64;

    /// Ends once `duration` has passed on this clock (at once for zero). The due time is fixed when
    /// this is called, not when the future is first polled.
    fn sleep(&self, duration: Duration) -> Sleep;

    /// Ends once this clock reads `at_ms` or later.
    fn sleep_until(&self, at_ms: i64) -> Sleep {
        let left = u64::try_from(at_ms.saturating_sub(self.now_ms())).unwrap_or(0);
        self.sleep(Duration::from_millis(left))
    }

    /// [`now_ms`](Clock::now_ms) as a timestamp (for dates shown and signed).
    fn timestamp(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.now_ms()).unwrap_or(jiff::Timestamp::MAX)
    }
}

/// Milliseconds in `duration`, rounded up (a wait never ends early) and saturated.
fn ceil_ms(duration: Duration) -> i64 {
    let ms = duration.as_nanos().div_ceil(1_000_000);
    i64::try_from(ms).unwrap_or(i64::MAX)
}
