//! Executions that name a `RamRole` call as that role: STS `AssumeRole` with the base
//! credentials, the role session named after the execution making the call, its temporary
//! credentials cached per (role, session) until shortly before they expire.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use oos_actions::CloudError;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::credentials::Credentials;
use crate::error::client_error;

/// Turns role assumption on (configuration: `cloud.assume_role`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct AssumeRoleConfig {
    /// The account owning the roles: a bare role name `R` becomes `acs:ram::<account_id>:role/R`.
    pub account_id: String,
    /// Lifetime asked for (STS allows 900–43200 s).
    #[serde(default = "default_duration_secs")]
    pub duration_secs: u64,
}

fn default_duration_secs() -> u64 {
    3600
}

/// Temporary credentials are renewed this long before they expire.
pub const RENEW_MARGIN: SignedDuration = SignedDuration::from_mins(5);

/// Whether credentials expiring at `expires` are still good at `now` (not within the margin).
pub fn fresh(expires: Timestamp, now: Timestamp) -> bool {
    now.checked_add(RENEW_MARGIN).is_ok_and(|renew_at| renew_at < expires)
}

/// One role session: the role, and the execution it acts for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleSession {
    pub role_arn: String,
    pub session_name: String,
}

/// Temporary credentials per role session.
#[derive(Debug, Default)]
pub struct RoleCache {
    entries: Mutex<HashMap<RoleSession, (Credentials, Timestamp)>>,
    /// Held while a session is assumed, so concurrent calls of one execution (a loop's batch)
    /// make one AssumeRole: the others wait, then find the credentials cached.
    renewals: Mutex<HashMap<RoleSession, Arc<tokio::sync::Mutex<()>>>>,
}

impl RoleCache {
    /// The lock to hold while assuming `session` (the locks of sessions nobody holds are dropped).
    pub fn renewal(&self, session: &RoleSession) -> Arc<tokio::sync::Mutex<()>> {
        let mut renewals = self.renewals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        renewals.retain(|_, lock| Arc::strong_count(lock) > 1);
        renewals.entry(session.clone()).or_default().clone()
    }

    /// Credentials of `session` still valid for at least the renewal margin at `now`.
    pub fn get(&self, session: &RoleSession, now: Timestamp) -> Option<Credentials> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (credentials, expires) = entries.get(session)?;
        fresh(*expires, now).then(|| credentials.clone())
    }

    /// Keeps `credentials` of `session`; drops the entries that expired by `now` (an execution's
    /// session ends with it).
    pub fn put(&self, session: RoleSession, credentials: Credentials, expires: Timestamp, now: Timestamp) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.retain(|_, (_, expires)| *expires > now);
        entries.insert(session, (credentials, expires));
    }
}

/// The role's ARN: ARNs pass through, names are qualified with the configured account.
pub fn role_arn(config: &AssumeRoleConfig, role: &str) -> String {
    if role.starts_with("acs:ram::") {
        role.to_owned()
    } else {
        format!("acs:ram::{}:role/{}", config.account_id, role)
    }
}

/// The session of `role_arn` for the execution making a call: its id is the session name (STS
/// allows 2–64 of `[\w.@-]`; other characters are dropped, and a call of no execution is `openoos`).
pub fn role_session(role_arn: String, execution_id: &str) -> RoleSession {
    let cleaned: String = execution_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'))
        .take(64)
        .collect();
    let session_name = if cleaned.len() < 2 { "openoos".to_owned() } else { cleaned };
    RoleSession { role_arn, session_name }
}

/// The AssumeRole parameters of `session`, asking for credentials lasting `duration_secs`.
pub fn assume_role_parameters(session: &RoleSession, duration_secs: u64) -> Map<String, Value> {
    let parameters = json!({"RoleArn": session.role_arn, "RoleSessionName": session.session_name,
                            "DurationSeconds": duration_secs});
    parameters.as_object().cloned().unwrap_or_default()
}

/// Reads `Credentials {AccessKeyId, AccessKeySecret, SecurityToken, Expiration}` from the answer.
pub fn parse_assumed(response: &Value) -> Result<(Credentials, Timestamp), CloudError> {
    let field = |name: &str| response.pointer(&format!("/Credentials/{name}")).and_then(Value::as_str);
    let invalid = || client_error("InvalidResponse.AssumeRole", "STS AssumeRole answered without complete Credentials");
    let (Some(id), Some(secret), Some(token), Some(expiration)) =
        (field("AccessKeyId"), field("AccessKeySecret"), field("SecurityToken"), field("Expiration"))
    else {
        return Err(invalid());
    };
    let expires: Timestamp = expiration.parse().map_err(|_| invalid())?;
    let mut credentials = Credentials::new(id, secret);
    credentials.security_token = Some(token.to_owned());
    Ok((credentials, expires))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> AssumeRoleConfig {
        AssumeRoleConfig { account_id: "1234567890".into(), duration_secs: 900 }
    }

    #[test]
    fn role_names_and_arns() {
        assert_eq!(role_arn(&config(), "OOSServiceRole"), "acs:ram::1234567890:role/OOSServiceRole");
        assert_eq!(role_arn(&config(), "acs:ram::42:role/x"), "acs:ram::42:role/x");
        let session = role_session("arn".into(), "exec-0123456789abcdef");
        assert_eq!(session.session_name, "exec-0123456789abcdef");
        let parameters = assume_role_parameters(&session, config().duration_secs);
        assert_eq!((&parameters["RoleArn"], &parameters["DurationSeconds"]), (&json!("arn"), &json!(900)));
        assert_eq!(role_session("arn".into(), "exec-ab/cd#1").session_name, "exec-abcd1");
        assert_eq!(role_session("arn".into(), "").session_name, "openoos");
        assert_eq!(role_session("arn".into(), &"x".repeat(80)).session_name.len(), 64);
    }

    #[test]
    fn parses_and_caches_until_the_margin() {
        let answer = json!({"Credentials": {"AccessKeyId": "STS.a", "AccessKeySecret": "s", "SecurityToken": "t",
                                            "Expiration": "2030-01-01T01:00:00Z"}});
        let (credentials, expires) = parse_assumed(&answer).unwrap();
        assert_eq!(credentials.security_token.as_deref(), Some("t"));
        let cache = RoleCache::default();
        let session = role_session("arn".into(), "exec-1");
        let start: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        cache.put(session.clone(), credentials, expires, start);
        assert!(cache.get(&session, "2030-01-01T00:50:00Z".parse().unwrap()).is_some());
        assert!(cache.get(&session, "2030-01-01T00:56:00Z".parse().unwrap()).is_none());
        assert!(cache.get(&role_session("arn".into(), "exec-2"), start).is_none(), "another execution's session");
        let (other, later) = parse_assumed(&answer).unwrap();
        cache.put(role_session("arn".into(), "exec-2"), other, later, "2030-01-01T01:00:00Z".parse().unwrap());
        assert!(cache.get(&session, start).is_none(), "expired sessions are dropped");
        assert_eq!(parse_assumed(&json!({"Credentials": {}})).unwrap_err().code, "InvalidResponse.AssumeRole");
    }
}
