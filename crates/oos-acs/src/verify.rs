//! The server-side entry point: pick the scheme, verify the signature, reject replays.

use jiff::Timestamp;

use crate::credentials::SecretStore;
use crate::error::AcsError;
use crate::replay::ReplayGuard;
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
            guard.check(&verified.access_key_id, &timestamp, &nonce, now)?;
        }
        Ok(verified)
    }
}
