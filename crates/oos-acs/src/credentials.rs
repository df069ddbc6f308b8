//! Access keys: the caller's credentials, and the server's lookup of secrets by AccessKeyId.

use std::collections::HashMap;

/// An AccessKey pair, optionally with an STS security token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The public AccessKeyId.
    pub access_key_id: String,
    /// The AccessKeySecret (never logged: `Debug` redacts it).
    pub access_key_secret: String,
    /// STS token, sent as `x-acs-security-token` (ACS3) or `SecurityToken` (v1).
    pub security_token: Option<String>,
}

impl Credentials {
    /// A plain AccessKey pair.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Where a verifier finds the secret of an AccessKeyId.
pub trait SecretStore: Send + Sync {
    /// The AccessKeySecret of `access_key_id`, or `None` when the key is unknown.
    fn secret(&self, access_key_id: &str) -> Option<String>;
}

impl SecretStore for HashMap<String, String> {
    fn secret(&self, access_key_id: &str) -> Option<String> {
        self.get(access_key_id).cloned()
    }
}

impl SecretStore for Vec<Credentials> {
    fn secret(&self, access_key_id: &str) -> Option<String> {
        self.iter()
            .find(|credentials| credentials.access_key_id == access_key_id)
            .map(|credentials| credentials.access_key_secret.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let mut credentials = Credentials::new("ak", "very-secret");
        credentials.security_token = Some("sts-token".into());
        let shown = format!("{credentials:?}");
        assert!(shown.contains("ak"));
        assert!(!shown.contains("very-secret") && !shown.contains("sts-token"));
    }

    #[test]
    fn stores_find_secrets_by_key_id() {
        let store = vec![Credentials::new("a", "sa"), Credentials::new("b", "sb")];
        assert_eq!(store.secret("b").as_deref(), Some("sb"));
        assert_eq!(store.secret("c"), None);
    }
}
