//! Access keys for outbound calls and the provider chain that finds them: configuration,
//! environment variables, then the aliyun CLI's own `~/.aliyun/config.json`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use oos_acs::Credentials;

/// Credentials with an optional STS token (empty tokens count as none).
fn with_token(access_key_id: String, access_key_secret: String, token: Option<String>) -> Credentials {
    let mut credentials = Credentials::new(access_key_id, access_key_secret);
    credentials.security_token = token.filter(|token| !token.is_empty());
    credentials
}

/// Where a set of credentials came from (safe to log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    Configuration,
    Environment,
    AliyunConfigFile { path: PathBuf, profile: String },
}

/// Credentials found by the chain, with where they came from and the profile's default region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCredentials {
    pub credentials: Credentials,
    pub source: CredentialSource,
    pub region_id: Option<String>,
}

/// Why no usable credentials were found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "InvalidCredentials.NotFound: no credentials in the configuration, in ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET (or ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY), or in {config_file}"
    )]
    NotFound { config_file: String },
    #[error("InvalidCredentials.ConfigFile: cannot read aliyun config file {path}: {reason}")]
    ConfigFile { path: String, reason: String },
    #[error("InvalidCredentials.ProfileNotFound: profile `{profile}` is not in {path}")]
    ProfileNotFound { path: String, profile: String },
    #[error(
        "InvalidCredentials.UnsupportedMode: profile `{profile}` in {path} uses mode `{mode}`; supported modes are AK and StsToken"
    )]
    UnsupportedMode { path: String, profile: String, mode: String },
    #[error(
        "InvalidCredentials.Incomplete: {source_name} sets an AccessKeyId without an AccessKeySecret (or the reverse)"
    )]
    Incomplete { source_name: String },
}

impl CredentialError {
    /// The stable error code (the part before the colon of the message).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "InvalidCredentials.NotFound",
            Self::ConfigFile { .. } => "InvalidCredentials.ConfigFile",
            Self::ProfileNotFound { .. } => "InvalidCredentials.ProfileNotFound",
            Self::UnsupportedMode { .. } => "InvalidCredentials.UnsupportedMode",
            Self::Incomplete { .. } => "InvalidCredentials.Incomplete",
        }
    }
}

/// Inputs of the provider chain; `environment` is injected so tests need not touch the process.
pub struct CredentialChain<'a> {
    /// Credentials given in the configuration: used first when present.
    pub configured: Option<Credentials>,
    /// Reads one environment variable.
    pub environment: &'a dyn Fn(&str) -> Option<String>,
    /// The aliyun CLI config file; default `$HOME/.aliyun/config.json`.
    pub aliyun_config_file: Option<PathBuf>,
    /// The profile to use from that file; default `ALIBABA_CLOUD_PROFILE`, then the file's `current`.
    pub profile: Option<String>,
}

impl CredentialChain<'_> {
    /// The chain reading the real process environment.
    pub fn from_process(configured: Option<Credentials>) -> CredentialChain<'static> {
        CredentialChain { configured, environment: &read_process_env, aliyun_config_file: None, profile: None }
    }

    /// Walks configuration → environment → aliyun config file and returns the first hit.
    pub fn resolve(&self) -> Result<ResolvedCredentials, CredentialError> {
        if let Some(credentials) = &self.configured {
            return Ok(ResolvedCredentials {
                credentials: credentials.clone(),
                source: CredentialSource::Configuration,
                region_id: None,
            });
        }
        if let Some(credentials) = self.read_environment()? {
            let region_id = self.non_empty_env("ALIBABA_CLOUD_REGION_ID");
            return Ok(ResolvedCredentials { credentials, source: CredentialSource::Environment, region_id });
        }
        let path = self.config_file_path();
        match path.as_deref() {
            Some(path) if path.exists() => self.read_config_file(path),
            _ => Err(CredentialError::NotFound {
                config_file: path.map_or_else(|| "~/.aliyun/config.json".to_owned(), |path| path.display().to_string()),
            }),
        }
    }

    fn non_empty_env(&self, name: &str) -> Option<String> {
        (self.environment)(name).filter(|value| !value.is_empty())
    }

    fn read_environment(&self) -> Result<Option<Credentials>, CredentialError> {
        let pairs = [
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
            ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY"),
        ];
        for (id_name, secret_name) in pairs {
            match (self.non_empty_env(id_name), self.non_empty_env(secret_name)) {
                (Some(id), Some(secret)) => {
                    let token = self
                        .non_empty_env("ALIBABA_CLOUD_SECURITY_TOKEN")
                        .or_else(|| self.non_empty_env("ALICLOUD_ACCESS_KEY_STS_TOKEN"));
                    return Ok(Some(with_token(id, secret, token)));
                }
                (None, None) => {}
                _ => return Err(CredentialError::Incomplete { source_name: format!("{id_name}/{secret_name}") }),
            }
        }
        Ok(None)
    }

    fn config_file_path(&self) -> Option<PathBuf> {
        self.aliyun_config_file
            .clone()
            .or_else(|| self.non_empty_env("HOME").map(|home| Path::new(&home).join(".aliyun").join("config.json")))
    }

    fn read_config_file(&self, path: &Path) -> Result<ResolvedCredentials, CredentialError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|error| CredentialError::ConfigFile { path: shown.clone(), reason: error.to_string() })?;
        let file: AliyunConfigFile = serde_json::from_str(&text)
            .map_err(|error| CredentialError::ConfigFile { path: shown.clone(), reason: error.to_string() })?;
        let wanted = self
            .profile
            .clone()
            .or_else(|| self.non_empty_env("ALIBABA_CLOUD_PROFILE"))
            .or(file.current.filter(|current| !current.is_empty()))
            .unwrap_or_else(|| "default".to_owned());
        let profile = file
            .profiles
            .into_iter()
            .find(|profile| profile.name == wanted)
            .ok_or_else(|| CredentialError::ProfileNotFound { path: shown.clone(), profile: wanted.clone() })?;
        let credentials = match profile.mode.as_str() {
            "AK" | "" => Credentials::new(profile.access_key_id, profile.access_key_secret),
            "StsToken" => with_token(profile.access_key_id, profile.access_key_secret, Some(profile.sts_token)),
            other => {
                return Err(CredentialError::UnsupportedMode { path: shown, profile: wanted, mode: other.to_owned() });
            }
        };
        if credentials.access_key_id.is_empty() || credentials.access_key_secret.is_empty() {
            return Err(CredentialError::Incomplete { source_name: format!("profile `{wanted}` in {shown}") });
        }
        Ok(ResolvedCredentials {
            credentials,
            source: CredentialSource::AliyunConfigFile { path: path.to_owned(), profile: wanted },
            region_id: Some(profile.region_id).filter(|region| !region.is_empty()),
        })
    }
}

fn read_process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The aliyun CLI's `config.json` (only the fields credentials need).
#[derive(Deserialize)]
struct AliyunConfigFile {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<AliyunProfile>,
}

#[derive(Deserialize)]
struct AliyunProfile {
    name: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    access_key_id: String,
    #[serde(default)]
    access_key_secret: String,
    #[serde(default)]
    sts_token: String,
    #[serde(default)]
    region_id: String,
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn chain_with<'a>(env: &'a dyn Fn(&str) -> Option<String>, file: Option<PathBuf>) -> CredentialChain<'a> {
        CredentialChain { configured: None, environment: env, aliyun_config_file: file, profile: None }
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| map.get(name).cloned()
    }

    const CONFIG: &str = r#"{"current":"work","profiles":[
        {"name":"default","mode":"AK","access_key_id":"LTAIdefault","access_key_secret":"s-default","region_id":"cn-hangzhou"},
        {"name":"work","mode":"StsToken","access_key_id":"STS.work","access_key_secret":"s-work","sts_token":"tok-work","region_id":"cn-shanghai"},
        {"name":"role","mode":"RamRoleArn","access_key_id":"x","access_key_secret":"y"}],"meta_path":""}"#;

    fn config_file() -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), CONFIG).unwrap();
        file
    }

    #[test]
    fn configuration_wins_over_environment() {
        let env = env_of(&[("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id"), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-s")]);
        let mut chain = chain_with(&env, None);
        chain.configured = Some(Credentials::new("conf-id", "conf-secret"));
        let resolved = chain.resolve().unwrap();
        assert_eq!(resolved.credentials.access_key_id, "conf-id");
        assert_eq!(resolved.source, CredentialSource::Configuration);
    }

    #[test]
    fn environment_with_security_token_and_region() {
        let env = env_of(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token"),
            ("ALIBABA_CLOUD_REGION_ID", "cn-beijing"),
        ]);
        let file = config_file();
        let resolved = chain_with(&env, Some(file.path().to_owned())).resolve().unwrap();
        assert_eq!(resolved.source, CredentialSource::Environment);
        assert_eq!(resolved.credentials.access_key_secret, "env-secret");
        assert_eq!(resolved.credentials.security_token.as_deref(), Some("env-token"));
        assert_eq!(resolved.region_id.as_deref(), Some("cn-beijing"));
    }

    #[test]
    fn legacy_environment_names() {
        let env = env_of(&[("ALICLOUD_ACCESS_KEY", "old-id"), ("ALICLOUD_SECRET_KEY", "old-secret")]);
        let resolved = chain_with(&env, None).resolve().unwrap();
        assert_eq!(resolved.credentials, Credentials::new("old-id", "old-secret"));
    }

    #[test]
    fn half_set_environment_is_an_error() {
        let env = env_of(&[("ALIBABA_CLOUD_ACCESS_KEY_ID", "only-id")]);
        let error = chain_with(&env, None).resolve().unwrap_err();
        assert_eq!(error.code(), "InvalidCredentials.Incomplete");
    }

    #[test]
    fn aliyun_config_current_profile_sts() {
        let env = env_of(&[]);
        let file = config_file();
        let resolved = chain_with(&env, Some(file.path().to_owned())).resolve().unwrap();
        assert_eq!(resolved.credentials.access_key_id, "STS.work");
        assert_eq!(resolved.credentials.security_token.as_deref(), Some("tok-work"));
        assert_eq!(resolved.region_id.as_deref(), Some("cn-shanghai"));
        assert!(matches!(resolved.source, CredentialSource::AliyunConfigFile { ref profile, .. } if profile == "work"));
    }

    #[test]
    fn aliyun_config_profile_read_environment_and_errors() {
        let file = config_file();
        let env = env_of(&[("ALIBABA_CLOUD_PROFILE", "default")]);
        let resolved = chain_with(&env, Some(file.path().to_owned())).resolve().unwrap();
        assert_eq!(resolved.credentials, Credentials::new("LTAIdefault", "s-default"));

        let env = env_of(&[("ALIBABA_CLOUD_PROFILE", "role")]);
        let error = chain_with(&env, Some(file.path().to_owned())).resolve().unwrap_err();
        assert_eq!(error.code(), "InvalidCredentials.UnsupportedMode");

        let mut chain = chain_with(&env, Some(file.path().to_owned()));
        chain.profile = Some("missing".into());
        assert_eq!(chain.resolve().unwrap_err().code(), "InvalidCredentials.ProfileNotFound");
    }

    #[test]
    fn nothing_found_names_every_source() {
        let env = env_of(&[]);
        let error = chain_with(&env, Some("/nonexistent/config.json".into())).resolve().unwrap_err();
        assert_eq!(error.code(), "InvalidCredentials.NotFound");
        assert!(error.to_string().contains("/nonexistent/config.json"));
    }

    #[test]
    fn debug_redacts_secrets() {
        let credentials =
            with_token("LTAI5tExample".into(), "very-secret-value".into(), Some("sts-token-value".into()));
        let shown = format!("{credentials:?}");
        assert!(!shown.contains("very-secret-value") && !shown.contains("sts-token-value"), "{shown}");
    }
}
