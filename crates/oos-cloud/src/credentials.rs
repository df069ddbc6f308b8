//! Access keys for outbound calls and the provider chain that finds them: configuration, an
//! AccessKey in the environment, an OIDC role in the environment, the aliyun CLI's own
//! `~/.aliyun/config.json` (modes AK, StsToken, RamRoleArn, EcsRamRole, OIDC), then the ECS
//! instance role named by `ALIBABA_CLOUD_ECS_METADATA`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use oos_acs::Credentials;

use crate::credential_provider::{CredentialProvider, DEFAULT_ECS_METADATA_URL, RoleToAssume};

/// The session name of a role assumed for the client's own credentials when none is configured.
const DEFAULT_SESSION_NAME: &str = "openoos";
/// Lifetime asked for a role assumed for the client's own credentials when none is configured.
const DEFAULT_DURATION_SECS: u64 = 3600;

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

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Configuration => formatter.write_str("the configuration"),
            Self::Environment => formatter.write_str("the environment"),
            Self::AliyunConfigFile { path, profile } => write!(formatter, "profile `{profile}` in {}", path.display()),
        }
    }
}

/// Credentials found by the chain, with where they came from and the profile's default region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCredentials {
    pub provider: CredentialProvider,
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
        "InvalidCredentials.UnsupportedMode: profile `{profile}` in {path} uses mode `{mode}`; supported modes are AK, StsToken, RamRoleArn, EcsRamRole and OIDC"
    )]
    UnsupportedMode { path: String, profile: String, mode: String },
    #[error(
        "InvalidCredentials.Incomplete: {source_name} sets an AccessKeyId without an AccessKeySecret (or the reverse)"
    )]
    Incomplete { source_name: String },
    #[error("InvalidCredentials.MissingField: {source_name} ({kind}) needs {field}")]
    MissingField { source_name: String, kind: &'static str, field: String },
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
            Self::MissingField { .. } => "InvalidCredentials.MissingField",
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

    /// Walks configuration → AccessKey environment → OIDC environment → aliyun config file → ECS
    /// instance role environment and returns the first hit.
    pub fn resolve(&self) -> Result<ResolvedCredentials, CredentialError> {
        if let Some(credentials) = &self.configured {
            return Ok(ResolvedCredentials {
                provider: credentials.clone().into(),
                source: CredentialSource::Configuration,
                region_id: None,
            });
        }
        let from_environment = |provider| {
            let region_id = self.non_empty_env("ALIBABA_CLOUD_REGION_ID");
            Ok(ResolvedCredentials { provider, source: CredentialSource::Environment, region_id })
        };
        if let Some(credentials) = self.read_environment()? {
            return from_environment(credentials.into());
        }
        if let Some(provider) = self.oidc_environment()? {
            return from_environment(provider);
        }
        let path = self.config_file_path();
        if let Some(path) = path.as_deref().filter(|path| path.exists()) {
            return self.read_config_file(path);
        }
        if let Some(role_name) = self.non_empty_env("ALIBABA_CLOUD_ECS_METADATA") {
            return from_environment(self.ecs_ram_role(Some(role_name)));
        }
        Err(CredentialError::NotFound {
            config_file: path.map_or_else(|| "~/.aliyun/config.json".to_owned(), |path| path.display().to_string()),
        })
    }

    /// `oidc_role_arn` from `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` and
    /// `ALIBABA_CLOUD_OIDC_TOKEN_FILE` (as ACK's RRSA sets them); none of the OIDC ones: no hit.
    fn oidc_environment(&self) -> Result<Option<CredentialProvider>, CredentialError> {
        let provider_arn = self.non_empty_env("ALIBABA_CLOUD_OIDC_PROVIDER_ARN");
        let token_file = self.non_empty_env("ALIBABA_CLOUD_OIDC_TOKEN_FILE");
        if provider_arn.is_none() && token_file.is_none() {
            return Ok(None);
        }
        let missing = |field: &str| CredentialError::MissingField {
            source_name: "the environment".into(),
            kind: "oidc_role_arn",
            field: field.to_owned(),
        };
        let role_arn = self.non_empty_env("ALIBABA_CLOUD_ROLE_ARN").ok_or_else(|| missing("ALIBABA_CLOUD_ROLE_ARN"))?;
        Ok(Some(CredentialProvider::OidcRoleArn {
            role: self.role(role_arn, None, None),
            oidc_provider_arn: provider_arn.ok_or_else(|| missing("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"))?,
            oidc_token_file: token_file.ok_or_else(|| missing("ALIBABA_CLOUD_OIDC_TOKEN_FILE"))?.into(),
        }))
    }

    /// A role to assume: the session name configured, else `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else
    /// `openoos`; the lifetime configured, else an hour.
    fn role(&self, role_arn: String, session_name: Option<String>, duration_secs: Option<u64>) -> RoleToAssume {
        let session_name = session_name
            .filter(|name| !name.is_empty())
            .or_else(|| self.non_empty_env("ALIBABA_CLOUD_ROLE_SESSION_NAME"))
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned());
        RoleToAssume { role_arn, session_name, duration_secs: duration_secs.filter(|secs| *secs > 0).unwrap_or(DEFAULT_DURATION_SECS) }
    }

    /// `ecs_ram_role` at the metadata service (`OOS_ECS_METADATA_URL`, default the instance's own).
    fn ecs_ram_role(&self, role_name: Option<String>) -> CredentialProvider {
        let metadata_url = self.non_empty_env("OOS_ECS_METADATA_URL").unwrap_or_else(|| DEFAULT_ECS_METADATA_URL.to_owned());
        CredentialProvider::EcsRamRole { role_name: role_name.filter(|name| !name.is_empty()), metadata_url }
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
        let source_name = format!("profile `{wanted}` in {shown}");
        let access_key = |profile: &AliyunProfile, token: Option<String>| {
            let credentials = with_token(profile.access_key_id.clone(), profile.access_key_secret.clone(), token);
            if credentials.access_key_id.is_empty() || credentials.access_key_secret.is_empty() {
                return Err(CredentialError::Incomplete { source_name: source_name.clone() });
            }
            Ok(credentials)
        };
        let required = |value: &str, kind: &'static str, field: &str| {
            if value.is_empty() {
                Err(CredentialError::MissingField { source_name: source_name.clone(), kind, field: field.to_owned() })
            } else {
                Ok(value.to_owned())
            }
        };
        let role = |profile: &AliyunProfile, kind| {
            let arn = required(&profile.ram_role_arn, kind, "ram_role_arn")?;
            Ok(self.role(arn, Some(profile.ram_session_name.clone()), Some(profile.expired_seconds)))
        };
        let provider = match profile.mode.as_str() {
            "AK" | "" => access_key(&profile, None)?.into(),
            "StsToken" => access_key(&profile, Some(profile.sts_token.clone()))?.into(),
            "RamRoleArn" => {
                CredentialProvider::RamRoleArn { access_key: access_key(&profile, None)?, role: role(&profile, "ram_role_arn")? }
            }
            "EcsRamRole" => self.ecs_ram_role(Some(profile.ram_role_name.clone())),
            "OIDC" => CredentialProvider::OidcRoleArn {
                role: role(&profile, "oidc_role_arn")?,
                oidc_provider_arn: required(&profile.oidc_provider_arn, "oidc_role_arn", "oidc_provider_arn")?,
                oidc_token_file: required(&profile.oidc_token_file, "oidc_role_arn", "oidc_token_file")?.into(),
            },
            other => {
                return Err(CredentialError::UnsupportedMode { path: shown, profile: wanted, mode: other.to_owned() });
            }
        };
        Ok(ResolvedCredentials {
            provider,
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
    #[serde(default)]
    ram_role_arn: String,
    #[serde(default)]
    ram_session_name: String,
    #[serde(default)]
    expired_seconds: u64,
    #[serde(default)]
    ram_role_name: String,
    #[serde(default)]
    oidc_provider_arn: String,
    #[serde(default)]
    oidc_token_file: String,
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
        {"name":"role","mode":"RamRoleArn","access_key_id":"x","access_key_secret":"y","ram_role_arn":"acs:ram::1:role/ops","ram_session_name":"me","expired_seconds":900},
        {"name":"roleless","mode":"RamRoleArn","access_key_id":"x","access_key_secret":"y"},
        {"name":"ecs","mode":"EcsRamRole","ram_role_name":"EcsRole"},
        {"name":"oidc","mode":"OIDC","ram_role_arn":"acs:ram::1:role/pods","oidc_provider_arn":"acs:ram::1:oidc-provider/ack","oidc_token_file":"/var/run/token"},
        {"name":"chained","mode":"ChainableRamRoleArn","source_profile":"default"}],"meta_path":""}"#;

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
        assert_eq!(resolved.provider, Credentials::new("conf-id", "conf-secret").into());
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
        assert_eq!(resolved.provider, with_token("env-id".into(), "env-secret".into(), Some("env-token".into())).into());
        assert_eq!(resolved.provider.type_name(), "sts");
        assert_eq!(resolved.region_id.as_deref(), Some("cn-beijing"));
    }

    #[test]
    fn legacy_environment_names() {
        let env = env_of(&[("ALICLOUD_ACCESS_KEY", "old-id"), ("ALICLOUD_SECRET_KEY", "old-secret")]);
        let resolved = chain_with(&env, None).resolve().unwrap();
        assert_eq!(resolved.provider, Credentials::new("old-id", "old-secret").into());
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
        assert_eq!(resolved.provider, with_token("STS.work".into(), "s-work".into(), Some("tok-work".into())).into());
        assert_eq!(resolved.region_id.as_deref(), Some("cn-shanghai"));
        assert!(matches!(resolved.source, CredentialSource::AliyunConfigFile { ref profile, .. } if profile == "work"));
    }

    #[test]
    fn aliyun_config_profile_read_environment_and_errors() {
        let file = config_file();
        let env = env_of(&[("ALIBABA_CLOUD_PROFILE", "default")]);
        let resolved = chain_with(&env, Some(file.path().to_owned())).resolve().unwrap();
        assert_eq!(resolved.provider, Credentials::new("LTAIdefault", "s-default").into());
        assert_eq!(resolved.provider.type_name(), "access_key");

        let env = env_of(&[("ALIBABA_CLOUD_PROFILE", "chained")]);
        let error = chain_with(&env, Some(file.path().to_owned())).resolve().unwrap_err();
        assert_eq!(error.code(), "InvalidCredentials.UnsupportedMode");

        let mut chain = chain_with(&env, Some(file.path().to_owned()));
        chain.profile = Some("missing".into());
        assert_eq!(chain.resolve().unwrap_err().code(), "InvalidCredentials.ProfileNotFound");
    }

    fn profile(name: &str, extra: &[(&str, &str)]) -> Result<ResolvedCredentials, CredentialError> {
        let file = config_file();
        let mut pairs = vec![("ALIBABA_CLOUD_PROFILE", name)];
        pairs.extend_from_slice(extra);
        let env = env_of(&pairs);
        chain_with(&env, Some(file.path().to_owned())).resolve()
    }

    #[test]
    fn role_modes_of_the_aliyun_config_file() {
        let role = |arn: &str, session: &str, duration_secs| RoleToAssume { role_arn: arn.into(), session_name: session.into(), duration_secs };
        let expected = CredentialProvider::RamRoleArn { access_key: Credentials::new("x", "y"), role: role("acs:ram::1:role/ops", "me", 900) };
        assert_eq!(profile("role", &[]).unwrap().provider, expected);
        let error = profile("roleless", &[]).unwrap_err();
        assert_eq!(error.code(), "InvalidCredentials.MissingField");
        assert!(error.to_string().contains("profile `roleless`") && error.to_string().contains("ram_role_arn"), "{error}");

        let ecs = profile("ecs", &[("OOS_ECS_METADATA_URL", "http://127.0.0.1:9")]).unwrap().provider;
        assert_eq!(ecs, CredentialProvider::EcsRamRole { role_name: Some("EcsRole".into()), metadata_url: "http://127.0.0.1:9".into() });
        assert_eq!(ecs.type_name(), "ecs_ram_role");

        let oidc = profile("oidc", &[("ALIBABA_CLOUD_ROLE_SESSION_NAME", "from-env")]).unwrap().provider;
        let expected = CredentialProvider::OidcRoleArn {
            role: role("acs:ram::1:role/pods", "from-env", 3600),
            oidc_provider_arn: "acs:ram::1:oidc-provider/ack".into(),
            oidc_token_file: "/var/run/token".into(),
        };
        assert_eq!(oidc, expected);
        assert_eq!(oidc.type_name(), "oidc_role_arn");
    }

    #[test]
    fn oidc_and_ecs_roles_from_the_environment() {
        let full = [
            ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/pods"),
            ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1:oidc-provider/ack"),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/var/run/token"),
        ];
        let env = env_of(&full);
        let resolved = chain_with(&env, None).resolve().unwrap();
        assert_eq!((resolved.provider.type_name(), resolved.source), ("oidc_role_arn", CredentialSource::Environment));
        let env = env_of(&full[1..]);
        let error = chain_with(&env, None).resolve().unwrap_err();
        assert_eq!(error.code(), "InvalidCredentials.MissingField");
        assert!(error.to_string().contains("ALIBABA_CLOUD_ROLE_ARN"), "{error}");

        let env = env_of(&[("ALIBABA_CLOUD_ECS_METADATA", "EcsRole")]);
        let resolved = chain_with(&env, Some("/nonexistent/config.json".into())).resolve().unwrap();
        let expected = CredentialProvider::EcsRamRole { role_name: Some("EcsRole".into()), metadata_url: DEFAULT_ECS_METADATA_URL.into() };
        assert_eq!(resolved.provider, expected);
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
