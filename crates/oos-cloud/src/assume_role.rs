//! Executions that name a `RamRole` call as that role: STS `AssumeRole` with the base
//! credentials, the temporary credentials cached per role until shortly before they expire.

use std::collections::HashMap;
use std::sync::Mutex;

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
const RENEW_MARGIN: SignedDuration = SignedDuration::from_mins(5);

/// Per-role temporary credentials.
#[derive(Debug, Default)]
pub struct RoleCache {
    entries: Mutex<HashMap<String, (Credentials, Timestamp)>>,
}

impl RoleCache {
    /// Credentials for `role_arn` still valid for at least the renewal margin at `now`.
    pub fn get(&self, role_arn: &str, now: Timestamp) -> Option<Credentials> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (credentials, expires) = entries.get(role_arn)?;
        (now.checked_add(RENEW_MARGIN).is_ok_and(|renew_at| renew_at < *expires)).then(|| credentials.clone())
    }

    pub fn put(&self, role_arn: &str, credentials: Credentials, expires: Timestamp) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.insert(role_arn.to_owned(), (credentials, expires));
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

/// The AssumeRole parameters; the session name records the execution (STS: 2–64 of `[\w.@-]`).
pub fn assume_role_parameters(config: &AssumeRoleConfig, role_arn: &str, execution_id: &str) -> Map<String, Value> {
    let cleaned: String =
        execution_id.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-')).collect();
    let session: String = format!("openoos-{cleaned}").chars().take(64).collect();
    let parameters = json!({"RoleArn": role_arn, "RoleSessionName": session, "DurationSeconds": config.duration_secs});
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
        let parameters = assume_role_parameters(&config(), "arn", "exec-ab/cd#1");
        assert_eq!(parameters["RoleSessionName"], "openoos-exec-abcd1");
        assert_eq!(parameters["DurationSeconds"], 900);
    }

    #[test]
    fn parses_and_caches_until_the_margin() {
        let answer = json!({"Credentials": {"AccessKeyId": "STS.a", "AccessKeySecret": "s", "SecurityToken": "t",
                                            "Expiration": "2030-01-01T01:00:00Z"}});
        let (credentials, expires) = parse_assumed(&answer).unwrap();
        assert_eq!(credentials.security_token.as_deref(), Some("t"));
        let cache = RoleCache::default();
        cache.put("arn", credentials, expires);
        assert!(cache.get("arn", "2030-01-01T00:50:00Z".parse().unwrap()).is_some());
        assert!(cache.get("arn", "2030-01-01T00:56:00Z".parse().unwrap()).is_none());
        assert!(cache.get("other", "2030-01-01T00:00:00Z".parse().unwrap()).is_none());
        assert_eq!(parse_assumed(&json!({"Credentials": {}})).unwrap_err().code, "InvalidResponse.AssumeRole");
    }
}
