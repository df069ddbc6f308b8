//! The server-side entry point: pick the scheme, verify the signature, reject replays.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

use crate::credentials::SecretStore;
use crate::error::{AcsError, ErrorCode};
use crate::request::IncomingRequest;
use crate::{acs3, v1};

/// Which signature scheme a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: ACS3-HMAC-SHA256 …`.
    Acs3HmacSha256,
    /// `Signature` + `SignatureMethod=HMAC-SHA1` parameters.
    HmacSha1V1,
}

/// The identity a verified request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The AccessKeyId that signed the request.
    pub access_key_id: String,
    /// The scheme it used.
    pub scheme: Scheme,
}

/// Rejects requests whose timestamp is outside a window around the server clock, and nonces
/// seen before within that window.
#[derive(Debug)]
pub struct ReplayGuard {
    window: SignedDuration,
    seen: Mutex<SeenNonces>,
}

#[derive(Debug, Default)]
struct SeenNonces {
    by_arrival: VecDeque<(Timestamp, String)>,
    set: HashSet<String>,
}

impl ReplayGuard {
    /// A guard with Alibaba's 15-minute window.
    pub fn new() -> Self {
        Self::with_window(SignedDuration::from_mins(15))
    }

    /// A guard with a custom window.
    pub fn with_window(window: SignedDuration) -> Self {
        Self {
            window,
            seen: Mutex::new(SeenNonces::default()),
        }
    }

    /// Checks `timestamp` (`YYYY-MM-DDThh:mm:ssZ`) against `now` and records `nonce`.
    pub fn check(&self, timestamp: &str, nonce: &str, now: Timestamp) -> Result<(), AcsError> {
        let sent: Timestamp = timestamp.trim().parse().map_err(|_| {
            AcsError::new(
                ErrorCode::INVALID_TIMESTAMP_FORMAT,
                format!("Specified time stamp or date value is not well formatted: {timestamp:?}."),
            )
        })?;
        if now.duration_since(sent).abs() > self.window {
            return Err(AcsError::new(
                ErrorCode::INVALID_TIMESTAMP_EXPIRED,
                format!("Specified time stamp or date value is expired: {timestamp}."),
            ));
        }
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some((arrived, _)) = seen.by_arrival.front() {
            if now.duration_since(*arrived) <= self.window {
                break;
            }
            let (_, old) = seen.by_arrival.pop_front().expect("front exists");
            seen.set.remove(&old);
        }
        if !seen.set.insert(nonce.to_string()) {
            return Err(AcsError::new(
                ErrorCode::SIGNATURE_NONCE_USED,
                format!("Specified signature nonce was used already: {nonce}."),
            ));
        }
        seen.by_arrival.push_back((now, nonce.to_string()));
        Ok(())
    }
}

impl Default for ReplayGuard {
    fn default() -> Self {
        Self::new()
    }
}

/// The scheme a request claims, from its `Authorization` header or `Signature` parameter.
pub fn detect_scheme(request: &IncomingRequest) -> Option<Scheme> {
    if request.header("authorization").is_some() {
        Some(Scheme::Acs3HmacSha256)
    } else if request
        .all_params()
        .iter()
        .any(|(key, _)| key == "Signature")
    {
        Some(Scheme::HmacSha1V1)
    } else {
        None
    }
}

/// Verifies requests signed with either scheme against a secret store.
#[derive(Debug)]
pub struct Verifier<S> {
    secrets: S,
    replay: Option<ReplayGuard>,
}

impl<S: SecretStore> Verifier<S> {
    /// A verifier without replay protection (signatures only).
    pub fn new(secrets: S) -> Self {
        Self {
            secrets,
            replay: None,
        }
    }

    /// Adds timestamp and nonce checks.
    pub fn with_replay_guard(mut self, guard: ReplayGuard) -> Self {
        self.replay = Some(guard);
        self
    }

    /// The secret store.
    pub fn secrets(&self) -> &S {
        &self.secrets
    }

    /// Verifies `request` at the current time.
    pub fn verify(&self, request: &IncomingRequest) -> Result<Verified, AcsError> {
        self.verify_at(request, Timestamp::now())
    }

    /// Verifies `request` as if the server clock read `now`.
    pub fn verify_at(
        &self,
        request: &IncomingRequest,
        now: Timestamp,
    ) -> Result<Verified, AcsError> {
        let (verified, timestamp, nonce) =
            match (detect_scheme(request), request.header("authorization")) {
                (Some(Scheme::Acs3HmacSha256), Some(authorization)) => {
                    let done = acs3::verify(request, authorization, &self.secrets)?;
                    let verified = Verified {
                        access_key_id: done.access_key_id,
                        scheme: Scheme::Acs3HmacSha256,
                    };
                    (verified, done.date, done.nonce)
                }
                (Some(Scheme::HmacSha1V1), _) => {
                    let done = v1::verify(request, &self.secrets)?;
                    (
                        Verified {
                            access_key_id: done.access_key_id,
                            scheme: Scheme::HmacSha1V1,
                        },
                        Some(done.timestamp),
                        Some(done.nonce),
                    )
                }
                _ => return Err(v1::unsigned()),
            };
        if let Some(guard) = &self.replay {
            let timestamp = timestamp.ok_or_else(|| AcsError::missing_parameter("x-acs-date"))?;
            let nonce =
                nonce.ok_or_else(|| AcsError::missing_parameter("x-acs-signature-nonce"))?;
            guard.check(&timestamp, &nonce, now)?;
        }
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn replay_guard_rejects_reused_nonces_and_stale_clocks() {
        let guard = ReplayGuard::new();
        let now = at("2025-01-01T00:05:00Z");
        guard.check("2025-01-01T00:00:00Z", "n1", now).unwrap();
        assert_eq!(
            guard
                .check("2025-01-01T00:00:00Z", "n1", now)
                .unwrap_err()
                .code,
            "SignatureNonceUsed"
        );
        assert_eq!(
            guard
                .check("2024-12-31T23:00:00Z", "n2", now)
                .unwrap_err()
                .code,
            "InvalidTimeStamp.Expired"
        );
        assert_eq!(
            guard
                .check("2025-01-01T00:30:00Z", "n3", now)
                .unwrap_err()
                .code,
            "InvalidTimeStamp.Expired"
        );
        assert_eq!(
            guard.check("yesterday", "n4", now).unwrap_err().code,
            "InvalidTimeStamp.Format"
        );
    }

    #[test]
    fn nonces_are_forgotten_after_the_window() {
        let guard = ReplayGuard::with_window(SignedDuration::from_mins(1));
        guard
            .check("2025-01-01T00:00:00Z", "n1", at("2025-01-01T00:00:00Z"))
            .unwrap();
        guard
            .check("2025-01-01T00:05:00Z", "n1", at("2025-01-01T00:05:00Z"))
            .unwrap();
        assert_eq!(guard.seen.lock().unwrap().set.len(), 1);
    }
}
