//! Authentication: resolve the claimed AccessKeyId to its principal and secret (IAM, async), then
//! verify the signature of either scheme and reject replays (timestamp window, nonce cache).

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::Timestamp;
use oos_acs::{AcsError, IncomingRequest, ReplayGuard, SecretStore, Verifier, acs3};
use oos_iam::{Iam, IamError, Principal};

use crate::error;
use crate::identity::RecordIdentityStore;

/// Who sent a verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    pub access_key_id: String,
    /// The principal's ARN (`acs:ram::<account>:root`), as `CreatedBy`/`ExecutedBy` show it.
    pub arn: String,
    /// `acs:MFAPresent`: a console session signed in with an MFA code (never a signed request).
    pub mfa_present: bool,
    /// A console session whose user's login profile says `PasswordResetRequired`: only
    /// ChangePassword is served until it is changed (never a signed request).
    pub password_reset_required: bool,
    /// The token hash of the console session the request came by (never a signed request).
    pub console_session: Option<String>,
}

/// Secrets of recently resolved keys, handed from the async IAM lookup to the synchronous verifier.
#[derive(Debug, Default)]
struct ResolvedSecrets(Mutex<HashMap<String, String>>);

impl ResolvedSecrets {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SecretStore for ResolvedSecrets {
    fn secret(&self, access_key_id: &str) -> Option<String> {
        self.map().get(access_key_id).cloned()
    }
}

/// Verifies requests against the account's AccessKeys.
#[derive(Debug)]
pub struct Authenticator {
    verifier: Verifier<ResolvedSecrets>,
}

impl Authenticator {
    /// With replay protection (15-minute window, nonces remembered for as long).
    pub fn new() -> Self {
        Self { verifier: Verifier::new(ResolvedSecrets::default()).with_replay_guard(ReplayGuard::new()) }
    }

    /// The caller of `request` checked at `now` (its date must be within the replay window), or the
    /// wire error (unknown key, bad signature, replay…).
    pub async fn authenticate(&self, iam: &Iam<RecordIdentityStore>, request: &IncomingRequest, now: Timestamp) -> Result<Caller, AcsError> {
        let Some(key_id) = claimed_key_id(request)? else {
            return Err(self.verifier.verify_at(request, now).err().unwrap_or_else(|| error::internal("unsigned request verified")));
        };
        let principal = match iam.resolve_access_key(&key_id).await {
            Ok((principal, secret)) => {
                self.verifier.secrets().map().insert(key_id.clone(), secret.expose().to_string());
                principal
            }
            Err(IamError::AccessKeyNotFound) => {
                self.verifier.secrets().map().remove(&key_id);
                return Err(error::iam(IamError::AccessKeyNotFound));
            }
            Err(other) => return Err(error::iam(other)),
        };
        let verified = self.verifier.verify_at(request, now)?;
        Ok(Caller { arn: principal.arn(iam.account()), principal, access_key_id: verified.access_key_id, mfa_present: false, password_reset_required: false, console_session: None })
    }
}

impl Default for Authenticator {
    fn default() -> Self {
        Self::new()
    }
}

/// The AccessKeyId the request claims: `Credential=` of an ACS3 `Authorization`, else the v1
/// `AccessKeyId` parameter.
pub(crate) fn claimed_key_id(request: &IncomingRequest) -> Result<Option<String>, AcsError> {
    if let Some(authorization) = request.header("authorization") {
        return Ok(Some(acs3::Authorization::parse(authorization)?.access_key_id));
    }
    Ok(request.all_params().into_iter().find(|(key, _)| key == "AccessKeyId").map(|(_, value)| value))
}
