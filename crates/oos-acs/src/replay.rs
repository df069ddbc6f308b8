//! Replay protection: a request's timestamp must fall inside a window around the server clock, and
//! its signature nonce must not have been seen while that timestamp could still be accepted.
//!
//! Memory is bounded: nonces are at most [`MAX_NONCE_BYTES`] long, each AccessKey may hold at most
//! [`ReplayGuard::per_key_capacity`] live nonces and the whole cache [`ReplayGuard::capacity`]. A
//! nonce is forgotten when its *timestamp* leaves the window, never earlier, so no accepted request
//! can be accepted twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

use crate::error::{AcsError, ErrorCode};

/// Longest `SignatureNonce` accepted (the SDKs send a 36-character UUID).
pub const MAX_NONCE_BYTES: usize = 64;

/// The nonce cache is full of nonces that are still live; the request may be retried later.
pub const NONCE_CACHE_FULL: ErrorCode = ErrorCode::new("ServiceUnavailable.NonceCacheFull", 503);

/// Rejects stale, early and replayed requests.
#[derive(Debug)]
pub struct ReplayGuard {
    /// How old a timestamp may be.
    past: SignedDuration,
    /// How far ahead of the server clock a timestamp may be.
    future: SignedDuration,
    capacity: usize,
    per_key_capacity: usize,
    seen: Mutex<SeenNonces>,
}

#[derive(Debug, Default)]
struct SeenNonces {
    /// `(expiry, arrival number)` → `(access key, nonce)`: the order in which nonces are forgotten.
    by_expiry: BTreeMap<(Timestamp, u64), (String, String)>,
    live: HashSet<(String, String)>,
    per_key: HashMap<String, usize>,
    arrivals: u64,
}

impl SeenNonces {
    fn forget_expired(&mut self, now: Timestamp) {
        while let Some(entry) = self.by_expiry.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (key, nonce) = entry.remove();
            if let Some(count) = self.per_key.get_mut(&key) {
                *count -= 1;
                if *count == 0 {
                    self.per_key.remove(&key);
                }
            }
            self.live.remove(&(key, nonce));
        }
    }
}

impl ReplayGuard {
    /// Alibaba's 15-minute window into the past, 5 minutes of clock skew into the future, room for
    /// 500,000 live nonces, at most 100,000 of them for one AccessKey.
    pub fn new() -> Self {
        Self::with_window(SignedDuration::from_mins(15), SignedDuration::from_mins(5))
    }

    /// A guard with its own window (`past` before the server clock, `future` after it).
    pub fn with_window(past: SignedDuration, future: SignedDuration) -> Self {
        Self { past, future, capacity: 500_000, per_key_capacity: 100_000, seen: Mutex::new(SeenNonces::default()) }
    }

    /// Changes the cache bounds: `capacity` live nonces in all, `per_key` for one AccessKey.
    pub fn with_capacity(mut self, capacity: usize, per_key: usize) -> Self {
        self.capacity = capacity;
        self.per_key_capacity = per_key;
        self
    }

    /// The most live nonces kept for all AccessKeys together.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The most live nonces kept for one AccessKey.
    pub fn per_key_capacity(&self) -> usize {
        self.per_key_capacity
    }

    /// Live nonces held now.
    pub fn len(&self) -> usize {
        self.lock().live.len()
    }

    /// Whether no nonce is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SeenNonces> {
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Checks `timestamp` (`YYYY-MM-DDThh:mm:ssZ`) against `now` and records `nonce` for `access_key_id`
    /// until the timestamp leaves the window.
    pub fn check(&self, access_key_id: &str, timestamp: &str, nonce: &str, now: Timestamp) -> Result<(), AcsError> {
        if nonce.is_empty() || nonce.len() > MAX_NONCE_BYTES {
            return Err(AcsError::invalid_parameter("SignatureNonce", format!("a nonce must have 1 to {MAX_NONCE_BYTES} bytes, got {}", nonce.len())));
        }
        let sent: Timestamp = timestamp.trim().parse().map_err(|_| {
            AcsError::new(ErrorCode::INVALID_TIMESTAMP_FORMAT, format!("Specified time stamp or date value is not well formatted: {:?}.", shorten(timestamp)))
        })?;
        let age = now.duration_since(sent);
        if age > self.past || -age > self.future {
            return Err(AcsError::new(ErrorCode::INVALID_TIMESTAMP_EXPIRED, format!("Specified time stamp or date value is expired: {}.", shorten(timestamp))));
        }
        let expires = sent.checked_add(self.past).unwrap_or(Timestamp::MAX);
        let mut seen = self.lock();
        seen.forget_expired(now);
        let entry = (access_key_id.to_string(), nonce.to_string());
        if seen.live.contains(&entry) {
            return Err(AcsError::new(ErrorCode::SIGNATURE_NONCE_USED, format!("Specified signature nonce was used already: {nonce}.")));
        }
        if seen.per_key.get(access_key_id).copied().unwrap_or(0) >= self.per_key_capacity {
            return Err(AcsError::new(ErrorCode::THROTTLING_USER, "Request was denied due to user flow control: too many requests signed with this AccessKey within the replay window."));
        }
        if seen.live.len() >= self.capacity {
            return Err(AcsError::new(NONCE_CACHE_FULL, "The server holds too many recent requests to check this one for replay; retry later."));
        }
        seen.arrivals += 1;
        let arrival = seen.arrivals;
        seen.by_expiry.insert((expires, arrival), entry.clone());
        *seen.per_key.entry(entry.0.clone()).or_insert(0) += 1;
        seen.live.insert(entry);
        Ok(())
    }
}

/// At most the first 40 characters of client text echoed back in an error.
fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

impl Default for ReplayGuard {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn rejects_reused_nonces_and_stale_or_early_clocks() {
        let guard = ReplayGuard::new();
        let now = at("2025-01-01T00:05:00Z");
        guard.check("k", "2025-01-01T00:00:00Z", "n1", now).unwrap();
        assert_eq!(guard.check("k", "2025-01-01T00:00:00Z", "n1", now).unwrap_err().code, "SignatureNonceUsed");
        assert_eq!(guard.check("k", "2024-12-31T23:00:00Z", "n2", now).unwrap_err().code, "InvalidTimeStamp.Expired");
        // Fourteen minutes ahead is beyond the five minutes of tolerated skew.
        assert_eq!(guard.check("k", "2025-01-01T00:19:00Z", "n3", now).unwrap_err().code, "InvalidTimeStamp.Expired");
        guard.check("k", "2025-01-01T00:09:00Z", "n3", now).unwrap();
        assert_eq!(guard.check("k", "yesterday", "n4", now).unwrap_err().code, "InvalidTimeStamp.Format");
    }

    #[test]
    fn a_nonce_is_kept_until_its_timestamp_leaves_the_window() {
        let guard = ReplayGuard::new();
        let arrival = at("2025-01-01T00:00:00Z");
        guard.check("k", "2025-01-01T00:04:00Z", "early", arrival).unwrap();
        // Fifteen minutes after arrival the timestamp is still 11 minutes old: a replay is refused.
        let replay = at("2025-01-01T00:15:00Z");
        assert_eq!(guard.check("k", "2025-01-01T00:04:00Z", "early", replay).unwrap_err().code, "SignatureNonceUsed");
        // Once the timestamp itself is too old, the nonce is forgotten and the request refused as stale.
        let later = at("2025-01-01T00:20:00Z");
        assert_eq!(guard.check("k", "2025-01-01T00:04:00Z", "early", later).unwrap_err().code, "InvalidTimeStamp.Expired");
        guard.check("k", "2025-01-01T00:20:00Z", "fresh", later).unwrap();
        assert_eq!(guard.len(), 1);
    }

    #[test]
    fn nonces_are_scoped_to_their_access_key() {
        let guard = ReplayGuard::new();
        let now = at("2025-01-01T00:00:00Z");
        guard.check("alice", "2025-01-01T00:00:00Z", "same", now).unwrap();
        guard.check("bob", "2025-01-01T00:00:00Z", "same", now).unwrap();
    }

    #[test]
    fn oversized_nonces_and_full_caches_are_refused() {
        let guard = ReplayGuard::new().with_capacity(3, 2);
        let now = at("2025-01-01T00:00:00Z");
        let stamp = "2025-01-01T00:00:00Z";
        assert_eq!(guard.check("k", stamp, &"x".repeat(65), now).unwrap_err().code, "InvalidParameter.SignatureNonce");
        assert_eq!(guard.check("k", stamp, "", now).unwrap_err().code, "InvalidParameter.SignatureNonce");
        guard.check("k", stamp, "1", now).unwrap();
        guard.check("k", stamp, "2", now).unwrap();
        assert_eq!(guard.check("k", stamp, "3", now).unwrap_err().code, "Throttling.User");
        guard.check("other", stamp, "3", now).unwrap();
        let error = guard.check("third", stamp, "4", now).unwrap_err();
        assert_eq!((error.code.as_ref(), error.status), ("ServiceUnavailable.NonceCacheFull", 503));
        assert_eq!(guard.len(), 3);
        // Fifteen minutes later everything has expired and there is room again.
        guard.check("k", "2025-01-01T00:15:01Z", "5", at("2025-01-01T00:15:01Z")).unwrap();
        assert_eq!(guard.len(), 1);
    }
}
