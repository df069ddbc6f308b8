//! How the client obtains its own (base) credentials, named after the Alibaba Cloud credentials
//! library's types: fixed keys (`access_key`, `sts`), or temporary ones refreshed before they expire
//! (`ram_role_arn`, `ecs_ram_role`, `oidc_role_arn`).

use std::path::PathBuf;

use crate::assume_role::RoleSession;
use crate::credentials::Credentials;

/// The ECS metadata service's address on an instance.
pub const DEFAULT_ECS_METADATA_URL: &str = "http://100.100.100.200";

/// A role to assume for the client's own credentials, and the session to name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleToAssume {
    pub role_arn: String,
    pub session_name: String,
    /// Lifetime asked for (STS allows 900–43200 s).
    pub duration_secs: u64,
}

impl RoleToAssume {
    /// The role session these parameters name.
    pub fn session(&self) -> RoleSession {
        RoleSession { role_arn: self.role_arn.clone(), session_name: self.session_name.clone() }
    }
}

/// Where the client's own credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialProvider {
    /// `access_key` (no token) or `sts` (with a SecurityToken): used as given.
    Static(Credentials),
    /// `ram_role_arn`: an AccessKey assumes `role` through STS AssumeRole.
    RamRoleArn { access_key: Credentials, role: RoleToAssume },
    /// `ecs_ram_role`: the instance role's credentials from the ECS metadata service at
    /// `metadata_url`; `role_name` None asks the service which role the instance has.
    EcsRamRole { role_name: Option<String>, metadata_url: String },
    /// `oidc_role_arn`: STS AssumeRoleWithOIDC (unsigned) with the OIDC token read from
    /// `oidc_token_file` at each renewal.
    OidcRoleArn { role: RoleToAssume, oidc_provider_arn: String, oidc_token_file: PathBuf },
}

impl CredentialProvider {
    /// The credentials library's name of this type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Static(credentials) if credentials.security_token.is_some() => "sts",
            Self::Static(_) => "access_key",
            Self::RamRoleArn { .. } => "ram_role_arn",
            Self::EcsRamRole { .. } => "ecs_ram_role",
            Self::OidcRoleArn { .. } => "oidc_role_arn",
        }
    }
}

impl From<Credentials> for CredentialProvider {
    fn from(credentials: Credentials) -> Self {
        Self::Static(credentials)
    }
}
