//! When and how long to retry: exponential back-off with full jitter, `x-acs-retry-after`
//! honoured, and the classification of retryable failures (`Throttling*`, 429, 5xx, transport).

use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

/// Retry knobs (configuration: `cloud.retry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "snake_case")]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The back-off ceiling before the first retry; doubles per retry.
    #[serde(with = "millis")]
    pub base: Duration,
    /// No single wait is longer than this (a server's `x-acs-retry-after` included).
    #[serde(with = "millis")]
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 16, base: Duration::from_millis(100), cap: Duration::from_secs(20) }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(deserializer)?))
    }
}

/// Why an attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryReason {
    Throttled,
    ServerError,
    Transport,
}

/// Classifies a service error; `None` means "return it to the caller at once".
pub fn classify(status: u16, code: &str) -> Option<RetryReason> {
    let throttled = code.starts_with("Throttling") || code == "ServiceUnavailable.Throttling" || status == 429;
    if throttled {
        return Some(RetryReason::Throttled);
    }
    let transient_code = matches!(code, "ServiceUnavailable" | "InternalError" | "UnknownError" | "Busy");
    (status >= 500 || transient_code).then_some(RetryReason::ServerError)
}

/// Back-off state for one policy: a seedable RNG so schedules are reproducible in tests.
#[derive(Debug)]
pub struct Backoff {
    policy: RetryPolicy,
    rng: Mutex<StdRng>,
}

impl Backoff {
    /// Back-off with an RNG seeded from the OS.
    pub fn new(policy: RetryPolicy) -> Self {
        Self { policy, rng: Mutex::new(StdRng::from_os_rng()) }
    }

    /// Back-off with a fixed seed (deterministic schedules).
    pub fn seeded(policy: RetryPolicy, seed: u64) -> Self {
        Self { policy, rng: Mutex::new(StdRng::seed_from_u64(seed)) }
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The wait before retry number `retry` (0 = the first retry): uniform in
    /// `[0, min(cap, base * 2^retry)]`, or the server's `retry_after` (capped) when it sent one.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.policy.cap);
        }
        let ceiling =
            self.policy.base.saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX)).min(self.policy.cap);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        let picked = self.rng.lock().unwrap_or_else(std::sync::PoisonError::into_inner).random_range(0..=nanos);
        Duration::from_nanos(picked)
    }
}

/// Reads `x-acs-retry-after` (whole seconds, positive) from a response.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers.get("x-acs-retry-after")?.to_str().ok()?.trim().parse().ok()?;
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy { max_attempts: 6, base: Duration::from_millis(100), cap: Duration::from_secs(1) }
    }

    #[test]
    fn schedule_is_deterministic_per_seed_and_bounded() {
        let first: Vec<Duration> = (0..6).map(|retry| Backoff::seeded(policy(), 7).delay(retry, None)).collect();
        let again: Vec<Duration> = (0..6).map(|retry| Backoff::seeded(policy(), 7).delay(retry, None)).collect();
        assert_eq!(first, again);
        let backoff = Backoff::seeded(policy(), 42);
        for retry in 0..12 {
            let ceiling = Duration::from_millis(100 * 2u64.pow(retry)).min(Duration::from_secs(1));
            for _ in 0..50 {
                assert!(backoff.delay(retry, None) <= ceiling, "retry {retry} exceeded {ceiling:?}");
            }
        }
    }

    #[test]
    fn full_jitter_spreads_over_the_whole_window() {
        let backoff = Backoff::seeded(policy(), 1);
        let samples: Vec<Duration> = (0..400).map(|_| backoff.delay(3, None)).collect();
        let low = samples.iter().filter(|delay| **delay < Duration::from_millis(200)).count();
        let high = samples.iter().filter(|delay| **delay > Duration::from_millis(600)).count();
        assert!(low > 0 && high > 0, "low {low}, high {high}");
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let backoff = Backoff::seeded(policy(), 3);
        assert_eq!(backoff.delay(0, Some(Duration::from_millis(700))), Duration::from_millis(700));
        assert_eq!(backoff.delay(0, Some(Duration::from_secs(30))), Duration::from_secs(1));
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-acs-retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("x-acs-retry-after", "0".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn classification() {
        assert_eq!(classify(400, "Throttling.User"), Some(RetryReason::Throttled));
        assert_eq!(classify(503, "Throttling"), Some(RetryReason::Throttled));
        assert_eq!(classify(429, "TooMany"), Some(RetryReason::Throttled));
        assert_eq!(classify(500, "InternalError"), Some(RetryReason::ServerError));
        assert_eq!(classify(502, "ServiceUnavailable"), Some(RetryReason::ServerError));
        assert_eq!(classify(403, "IncorrectInstanceStatus"), None);
        assert_eq!(classify(404, "InvalidInstanceId.NotFound"), None);
        assert_eq!(classify(400, "SignatureDoesNotMatch"), None);
    }
}
