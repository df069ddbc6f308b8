//! Errors of the IAM layer, each with a stable OOS-style code and the HTTP status the server should use.

use std::fmt;

use crate::envelope::SecretError;
use crate::evaluate::DecisionReason;
use crate::policy::PolicyError;

/// The kinds of identity entities, as they appear in error codes (`EntityNotExist.User`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    User,
    Group,
    Role,
    Policy,
    AccessKey,
    /// A user's console password (`EntityNotExist.User.LoginProfile`).
    LoginProfile,
    VirtualMfaDevice,
    /// The MFA device bound to a user (`EntityAlreadyExists.User.MFADevice`).
    UserMfaDevice,
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntityKind::User => "User",
            EntityKind::Group => "Group",
            EntityKind::Role => "Role",
            EntityKind::Policy => "Policy",
            EntityKind::AccessKey => "AccessKey",
            EntityKind::LoginProfile => "User.LoginProfile",
            EntityKind::VirtualMfaDevice => "VirtualMFADevice",
            EntityKind::UserMfaDevice => "User.MFADevice",
        })
    }
}

/// A failure of the identity store backend (database down, constraint broken, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("a record with this key already exists")]
    Conflict,
    #[error("no record with this key exists")]
    Missing,
    #[error("identity store failure: {0}")]
    Backend(String),
}

/// Everything the IAM layer can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("EntityNotExist.{kind}: {kind} {name:?} does not exist")]
    NotFound { kind: EntityKind, name: String },
    #[error("EntityAlreadyExists.{kind}: {kind} {name:?} already exists")]
    AlreadyExists { kind: EntityKind, name: String },
    #[error("DeleteConflict.{kind}: {kind} {name:?} cannot be deleted: {reason}")]
    DeleteConflict {
        kind: EntityKind,
        name: String,
        reason: String,
    },
    #[error("LimitExceeded.{what}: at most {limit} allowed")]
    LimitExceeded { what: &'static str, limit: usize },
    #[error("InvalidParameter.{kind}Name: {name:?} is not a valid {kind} name: {rule}")]
    InvalidName {
        kind: EntityKind,
        name: String,
        rule: &'static str,
    },
    #[error("InvalidParameter.PolicyType: system policy {0:?} cannot be changed or deleted")]
    SystemPolicyReadOnly(String),
    #[error(
        "Forbidden.RAM: {principal} is not allowed to perform {action} on {resource} ({reason:?})"
    )]
    Forbidden {
        principal: String,
        action: String,
        resource: String,
        reason: DecisionReason,
    },
    #[error("InvalidRamRole.NotTrusted: role {role:?} does not trust {trusted:?} to assume it")]
    RoleNotTrusted { role: String, trusted: String },
    #[error("InvalidAction.NotFound: unknown API action {0:?}")]
    UnknownAction(String),
    #[error("InvalidAccessKeyId.NotFound: the AccessKeyId is not known")]
    AccessKeyNotFound,
    #[error("InvalidAccessKeyId.Inactive: the AccessKeyId {0} is disabled")]
    AccessKeyInactive(String),
    #[error("InvalidParameter.Password.{rule}: {detail}")]
    PasswordPolicy { rule: &'static str, detail: String },
    #[error("InvalidParameter.AuthenticationCode: {0}")]
    InvalidAuthenticationCode(&'static str),
    #[error("InternalError.SecretStore: {0}")]
    Secret(#[from] SecretError),
    #[error("InternalError.IdentityStore: {0}")]
    Store(#[from] StoreError),
}

impl IamError {
    /// The stable error code, e.g. `EntityNotExist.User` or `InvalidPolicyDocument.Action`.
    pub fn code(&self) -> String {
        match self {
            IamError::Policy(e) => e.code.to_string(),
            IamError::NotFound { kind, .. } => format!("EntityNotExist.{kind}"),
            IamError::AlreadyExists { kind, .. } => format!("EntityAlreadyExists.{kind}"),
            IamError::DeleteConflict { kind, .. } => format!("DeleteConflict.{kind}"),
            IamError::LimitExceeded { what, .. } => format!("LimitExceeded.{what}"),
            IamError::InvalidName { kind, .. } => format!("InvalidParameter.{kind}Name"),
            IamError::SystemPolicyReadOnly(_) => "InvalidParameter.PolicyType".to_string(),
            IamError::Forbidden { .. } => "Forbidden.RAM".to_string(),
            IamError::RoleNotTrusted { .. } => "InvalidRamRole.NotTrusted".to_string(),
            IamError::UnknownAction(_) => "InvalidAction.NotFound".to_string(),
            IamError::AccessKeyNotFound => "InvalidAccessKeyId.NotFound".to_string(),
            IamError::AccessKeyInactive(_) => "InvalidAccessKeyId.Inactive".to_string(),
            IamError::PasswordPolicy { rule, .. } => format!("InvalidParameter.Password.{rule}"),
            IamError::InvalidAuthenticationCode(_) => "InvalidParameter.AuthenticationCode".to_string(),
            IamError::Secret(_) => "InternalError.SecretStore".to_string(),
            IamError::Store(_) => "InternalError.IdentityStore".to_string(),
        }
    }

    /// The HTTP status the API should answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            IamError::NotFound { .. }
            | IamError::UnknownAction(_)
            | IamError::AccessKeyNotFound => 404,
            IamError::AlreadyExists { .. }
            | IamError::DeleteConflict { .. }
            | IamError::LimitExceeded { .. } => 409,
            IamError::Forbidden { .. }
            | IamError::AccessKeyInactive(_)
            | IamError::RoleNotTrusted { .. } => 403,
            IamError::Secret(_) | IamError::Store(_) => 500,
            _ => 400,
        }
    }
}
