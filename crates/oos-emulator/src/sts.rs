//! STS 2015-04-01 as the emulator serves it: `AssumeRole`, `AssumeRoleWithOIDC` (anonymous) and
//! `GetCallerIdentity`; the temporary AccessKeys it issues, and who a verified request acts as.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};
use oos_acs::{AcsError, Credentials, RpcRequest, SecretStore};
use serde_json::{Value, json};

use rand::Rng;

use crate::state::utc_time;

/// STS API version.
pub const STS_VERSION: &str = "2015-04-01";

/// The account the emulator plays when none is configured.
pub const DEFAULT_ACCOUNT_ID: &str = "1000000000000001";

/// Lifetime of temporary credentials when `DurationSeconds` is not given.
const DEFAULT_DURATION_SECS: i64 = 3600;

/// How long an expired temporary key is still known (and refused as expired).
const EXPIRED_KEPT: SignedDuration = SignedDuration::from_hours(24);

/// Who a request acts as (recorded with every call, see [`crate::CallRecord`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// One of the emulator's configured AccessKeys (the account itself).
    AccessKey { access_key_id: String },
    /// Temporary credentials issued by STS for a role session.
    AssumedRole { role_arn: String, session_name: String, access_key_id: String },
    /// An unsigned request (only `AssumeRoleWithOIDC` is served without a signature).
    Anonymous,
}

impl Caller {
    /// The assumed role's ARN, if the caller is a role session.
    pub fn role_arn(&self) -> Option<&str> {
        match self {
            Self::AssumedRole { role_arn, .. } => Some(role_arn),
            _ => None,
        }
    }

    /// The role session's name, if the caller is a role session.
    pub fn session_name(&self) -> Option<&str> {
        match self {
            Self::AssumedRole { session_name, .. } => Some(session_name),
            _ => None,
        }
    }
}

/// Temporary credentials issued for one role session.
#[derive(Clone)]
struct Session {
    secret: String,
    security_token: String,
    role_arn: String,
    session_name: String,
    expires: Timestamp,
}

/// Which roles exist: every role of the account, or only the named ones.
#[derive(Debug, Clone, Default)]
pub(crate) enum Roles {
    #[default]
    Any,
    Only(BTreeSet<String>),
}

/// The AccessKeys a request may be signed with: the configured ones and the temporary keys issued
/// (kept for a day after they expire, so an expired key is refused as expired rather than unknown).
pub(crate) struct KeyStore {
    base: Vec<Credentials>,
    sessions: Mutex<HashMap<String, Session>>,
    pub(crate) account_id: String,
    roles: Roles,
}

impl SecretStore for KeyStore {
    fn secret(&self, access_key_id: &str) -> Option<String> {
        self.base.secret(access_key_id).or_else(|| self.lock().get(access_key_id).map(|session| session.secret.clone()))
    }
}

impl KeyStore {
    pub(crate) fn new(base: Vec<Credentials>, account_id: String, roles: Roles) -> Self {
        Self { base, sessions: Mutex::default(), account_id, roles }
    }

    pub(crate) fn base(&self) -> &[Credentials] {
        &self.base
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Who a request signed by `access_key_id` acts as, given the `SecurityToken` it carried:
    /// a temporary key needs its own token and must not have expired; a configured key takes none.
    pub(crate) fn caller(&self, access_key_id: &str, token: Option<&str>, now: Timestamp) -> Result<Caller, AcsError> {
        let sessions = self.lock();
        let Some(session) = sessions.get(access_key_id) else {
            return match token {
                Some(_) => Err(token_error("InvalidSecurityToken.MismatchWithAccessKey", "The SecurityToken does not belong to the AccessKeyId.")),
                None => Ok(Caller::AccessKey { access_key_id: access_key_id.to_owned() }),
            };
        };
        match token {
            None => Err(token_error("MissingSecurityToken", "SecurityToken is mandatory for temporary credentials.")),
            Some(token) if token != session.security_token => {
                Err(token_error("InvalidSecurityToken.MismatchWithAccessKey", "The SecurityToken does not belong to the AccessKeyId."))
            }
            Some(_) if now >= session.expires => Err(token_error("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")),
            Some(_) => Ok(Caller::AssumedRole {
                role_arn: session.role_arn.clone(),
                session_name: session.session_name.clone(),
                access_key_id: access_key_id.to_owned(),
            }),
        }
    }

    /// Issues temporary credentials for `role_arn` (already checked) valid `duration` from `now`.
    pub(crate) fn issue(&self, role_arn: &str, session_name: &str, duration: SignedDuration, now: Timestamp) -> (Credentials, Timestamp) {
        let mut credentials = Credentials::new(format!("STS.{}", random_text(24)), random_text(40));
        let security_token = format!("CAIS{}", random_text(96));
        credentials.security_token = Some(security_token.clone());
        let expires = now.checked_add(duration).unwrap_or(Timestamp::MAX);
        let session = Session {
            secret: credentials.access_key_secret.clone(),
            security_token,
            role_arn: role_arn.to_owned(),
            session_name: session_name.to_owned(),
            expires,
        };
        let mut sessions = self.lock();
        sessions.retain(|_, session| session.expires.checked_add(EXPIRED_KEPT).is_ok_and(|forgotten| forgotten > now));
        sessions.insert(credentials.access_key_id.clone(), session);
        (credentials, expires)
    }

    /// Checks that `arn` names a role of this account that exists; returns the role's name.
    pub(crate) fn role<'a>(&self, arn: &'a str) -> Result<&'a str, AcsError> {
        let (account, name) = parse_arn(arn, "role/").ok_or_else(|| {
            AcsError::invalid_parameter("RoleArn", format!("`{arn}` is not of the form acs:ram::<account>:role/<name>"))
        })?;
        let exists = account == self.account_id
            && match &self.roles {
                Roles::Any => true,
                Roles::Only(names) => names.contains(name),
            };
        if exists { Ok(name) } else { Err(AcsError::with_code("EntityNotExist.Role", 404, format!("The role {arn} does not exist."))) }
    }
}

fn token_error(code: &str, message: &str) -> AcsError {
    AcsError::with_code(code, 400, message)
}

/// `length` random letters and digits.
pub(crate) fn random_text(length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..length).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// Splits `acs:ram::<account>:<kind><name>` into the account and the name.
fn parse_arn<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let (account, resource) = arn.strip_prefix("acs:ram::")?.split_once(':')?;
    let name = resource.strip_prefix(kind)?;
    let valid = !account.is_empty() && account.chars().all(|c| c.is_ascii_digit()) && !name.is_empty();
    valid.then_some((account, name))
}

const ASSUME_ROLE: &str = "AssumeRole";
const ASSUME_ROLE_WITH_OIDC: &str = "AssumeRoleWithOIDC";
const GET_CALLER_IDENTITY: &str = "GetCallerIdentity";

/// The STS actions [`handle`] serves (its `match` arms use these same constants).
pub(crate) const ACTIONS: [&str; 3] = [ASSUME_ROLE, ASSUME_ROLE_WITH_OIDC, GET_CALLER_IDENTITY];

/// Serves one STS action for `caller` at `now`.
pub(crate) fn handle(keys: &KeyStore, request: &RpcRequest, caller: &Caller, now: Timestamp) -> Result<Value, AcsError> {
    match request.action.as_str() {
        ASSUME_ROLE => assume(keys, request, now, required(request, "RoleSessionName")?),
        ASSUME_ROLE_WITH_OIDC => {
            oidc_provider(keys, request)?;
            let token = required(request, "OIDCToken")?;
            if !(4..=20_000).contains(&token.len()) {
                return Err(AcsError::invalid_parameter("OIDCToken", "the token must have 4 to 20000 characters"));
            }
            assume(keys, request, now, request.get("RoleSessionName").filter(|name| !name.is_empty()).unwrap_or("oidc-session"))
        }
        GET_CALLER_IDENTITY => Ok(identity(keys, caller)),
        other => Err(oos_acs::unknown_action(other)),
    }
}

fn required<'a>(request: &'a RpcRequest, name: &str) -> Result<&'a str, AcsError> {
    request.get(name).filter(|value| !value.is_empty()).ok_or_else(|| AcsError::missing_parameter(name))
}

fn oidc_provider<'a>(keys: &KeyStore, request: &'a RpcRequest) -> Result<&'a str, AcsError> {
    let arn = required(request, "OIDCProviderArn")?;
    let (account, _) = parse_arn(arn, "oidc-provider/").ok_or_else(|| {
        AcsError::invalid_parameter("OIDCProviderArn", format!("`{arn}` is not of the form acs:ram::<account>:oidc-provider/<name>"))
    })?;
    if account == keys.account_id {
        Ok(arn)
    } else {
        Err(AcsError::with_code("EntityNotExist.OIDCProvider", 404, format!("The OIDC provider {arn} does not exist.")))
    }
}

/// `AssumeRole` and the end of `AssumeRoleWithOIDC`: checks, issues, answers.
fn assume(keys: &KeyStore, request: &RpcRequest, now: Timestamp, session_name: &str) -> Result<Value, AcsError> {
    let role_arn = required(request, "RoleArn")?;
    let role = keys.role(role_arn)?;
    let session_valid = (2..=64).contains(&session_name.len())
        && session_name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'));
    if !session_valid {
        return Err(AcsError::invalid_parameter("RoleSessionName", "it must have 2 to 64 characters of [a-zA-Z0-9_.@-]"));
    }
    let duration = match request.get("DurationSeconds").filter(|value| !value.is_empty()) {
        None => DEFAULT_DURATION_SECS,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|secs| (900..=43_200).contains(secs))
            .ok_or_else(|| AcsError::invalid_parameter("DurationSeconds", "the Min/Max value of DurationSeconds is 900/43200 seconds"))?,
    };
    let (credentials, expires) = keys.issue(role_arn, session_name, SignedDuration::from_secs(duration), now);
    let role_id = role_id(role_arn);
    Ok(json!({
        "Credentials": {
            "AccessKeyId": credentials.access_key_id,
            "AccessKeySecret": credentials.access_key_secret,
            "SecurityToken": credentials.security_token,
            "Expiration": utc_time(expires),
        },
        "AssumedRoleUser": {
            "Arn": format!("acs:ram::{}:assumed-role/{role}/{session_name}", keys.account_id),
            "AssumedRoleId": format!("{role_id}:{session_name}"),
        },
        "SourceIdentity": request.get("SourceIdentity").unwrap_or_default(),
    }))
}

/// A stable numeric id for a role (the emulator keeps no role records).
fn role_id(role_arn: &str) -> String {
    let sum = role_arn.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
    format!("3{:018}", sum % 1_000_000_000_000_000_000)
}

fn identity(keys: &KeyStore, caller: &Caller) -> Value {
    let account = &keys.account_id;
    match caller {
        Caller::AssumedRole { role_arn, session_name, .. } => {
            let role = role_arn.rsplit('/').next().unwrap_or_default();
            let role_id = role_id(role_arn);
            json!({"AccountId": account, "IdentityType": "AssumedRoleUser", "RoleId": role_id,
                   "Arn": format!("acs:ram::{account}:assumed-role/{role}/{session_name}"),
                   "PrincipalId": format!("{role_id}:{session_name}")})
        }
        Caller::AccessKey { .. } | Caller::Anonymous => {
            json!({"AccountId": account, "IdentityType": "Account", "Arn": format!("acs:ram::{account}:root"),
                   "PrincipalId": account, "UserId": account})
        }
    }
}
