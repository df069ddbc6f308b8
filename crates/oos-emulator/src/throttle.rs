//! Per-AccessKey token buckets: past the configured rate a caller gets `Throttling.User`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use oos_acs::{AcsError, ErrorCode};

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

/// A token bucket per caller: `rate` tokens per second, holding at most `burst`.
#[derive(Debug)]
pub struct Throttle {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Throttle {
    /// `rate` requests per second per caller, with a burst of one second's worth (at least 1).
    pub fn per_second(rate: f64) -> Self {
        Self {
            rate,
            burst: rate.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `caller` at `now`, or fails with `Throttling.User`.
    pub fn acquire(&self, caller: &str, now: Instant) -> Result<(), AcsError> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(caller.to_string()).or_insert(Bucket {
            tokens: self.burst,
            refilled_at: now,
        });
        let elapsed = now
            .saturating_duration_since(bucket.refilled_at)
            .as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.refilled_at = bucket.refilled_at.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(AcsError::new(
                ErrorCode::THROTTLING_USER,
                format!(
                    "Request was denied due to user flow control: more than {} requests per second.",
                    self.rate
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_caller_at_the_rate_is_never_throttled() {
        let throttle = Throttle::per_second(20.0);
        let start = Instant::now();
        for request in 0..1000 {
            let at = start + Duration::from_millis(50 * request);
            assert!(
                throttle.acquire("ak", at).is_ok(),
                "request {request} at exactly 20/s was throttled"
            );
        }
    }

    #[test]
    fn a_caller_beyond_the_rate_is_throttled_with_the_real_code() {
        let throttle = Throttle::per_second(20.0);
        let start = Instant::now();
        let outcomes: Vec<_> = (0..100)
            .map(|request| throttle.acquire("ak", start + Duration::from_millis(10 * request)))
            .collect();
        let denied: Vec<_> = outcomes
            .iter()
            .filter_map(|outcome| outcome.as_ref().err())
            .collect();
        assert!(!denied.is_empty());
        assert!(
            denied
                .iter()
                .all(|error| error.code == "Throttling.User" && error.status == 400)
        );
        // 100 requests over 1 s at 20/s with a burst of 20: about 40 pass.
        let passed = outcomes.len() - denied.len();
        assert!((35..=45).contains(&passed), "{passed} passed");
    }

    #[test]
    fn callers_have_separate_buckets() {
        let throttle = Throttle::per_second(1.0);
        let now = Instant::now();
        assert!(throttle.acquire("a", now).is_ok());
        assert!(throttle.acquire("a", now).is_err());
        assert!(throttle.acquire("b", now).is_ok());
    }
}
