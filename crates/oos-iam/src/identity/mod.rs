//! Identity records (users, groups, roles, custom policies, AccessKeys) and who a request acts as.

mod store;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::EntityKind;
use crate::policy::PolicyType;

pub use store::{IdentityStore, MemoryIdentityStore, Record, Table};

/// A record policies can be attached to (users, groups, roles).
pub trait PolicyHolder: Record {
    fn policies_mut(&mut self) -> &mut Vec<PolicyRef>;
    fn policies(&self) -> &[PolicyRef];
}

/// Who a request or an execution acts as.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Principal {
    /// The account's root identity: every permission, no policies.
    Root,
    User(String),
    /// An execution acting as a RAM role (`RamRole` of its template).
    Role(String),
}

impl Principal {
    /// The principal's ARN, as trust policies and audit records name it.
    pub fn arn(&self, account: &str) -> String {
        match self {
            Principal::Root => crate::arn::ram_root(account),
            Principal::User(name) => crate::arn::ram(account, "user", name),
            Principal::Role(name) => crate::arn::ram(account, "role", name),
        }
    }

    /// The principal an ARN of `account` names (the inverse of [`Principal::arn`]); None for anything else.
    pub fn from_arn(arn: &str, account: &str) -> Option<Principal> {
        let rest = arn.strip_prefix("acs:ram::")?.strip_prefix(account)?.strip_prefix(':')?;
        match rest.split_once('/') {
            None if rest == "root" => Some(Principal::Root),
            Some(("user", name)) if !name.is_empty() => Some(Principal::User(name.to_string())),
            Some(("role", name)) if !name.is_empty() => Some(Principal::Role(name.to_string())),
            _ => None,
        }
    }
}

/// A reference to an attached policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PolicyRef {
    pub policy_type: PolicyType,
    pub name: String,
}

impl PolicyRef {
    pub fn system(name: &str) -> PolicyRef {
        PolicyRef {
            policy_type: PolicyType::System,
            name: name.to_string(),
        }
    }
    pub fn custom(name: &str) -> PolicyRef {
        PolicyRef {
            policy_type: PolicyType::Custom,
            name: name.to_string(),
        }
    }
}

/// A RAM user: signs requests with its AccessKeys; holds its own policies and its groups'.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub display_name: String,
    /// Names of the groups the user belongs to.
    pub groups: Vec<String>,
    pub policies: Vec<PolicyRef>,
    pub created: Timestamp,
}

/// A group of users sharing policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub comments: String,
    pub policies: Vec<PolicyRef>,
    pub created: Timestamp,
}

/// A role executions act as; its trust policy says who may assume it (OOS: `oos.aliyuncs.com`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub description: String,
    /// The trust policy document as written (validated on create).
    pub trust_policy: String,
    pub policies: Vec<PolicyRef>,
    pub created: Timestamp,
}

/// A policy written by the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomPolicy {
    pub name: String,
    pub description: String,
    /// The document as written (validated on create).
    pub document: String,
    pub created: Timestamp,
}

/// Who owns an AccessKey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyOwner {
    Root,
    User(String),
}

impl KeyOwner {
    /// The principal requests signed with this owner's keys act as.
    pub fn principal(&self) -> Principal {
        match self {
            KeyOwner::Root => Principal::Root,
            KeyOwner::User(name) => Principal::User(name.clone()),
        }
    }
}

/// `Active` keys sign requests; `Inactive` ones are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

/// A stored AccessKey: the secret only in sealed form (see [`crate::envelope`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    pub id: String,
    pub owner: KeyOwner,
    /// `MasterKey::seal(secret, id)`.
    pub sealed_secret: String,
    pub status: AccessKeyStatus,
    pub created: Timestamp,
}

/// A user's console password (RAM's login profile): only its argon2id hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    pub user_name: String,
    /// PHC string ([`crate::console::password::hash`]).
    pub password_hash: String,
    pub password_reset_required: bool,
    /// The user must have an MFA device bound to sign in.
    pub mfa_bind_required: bool,
    pub created: Timestamp,
    pub updated: Timestamp,
}

/// A virtual MFA device: a TOTP seed, sealed with the master key, bound to at most one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualMfaDevice {
    /// `acs:ram::<account>:mfa/<name>`.
    pub serial_number: String,
    /// `MasterKey::seal(seed, serial_number)`.
    pub sealed_seed: String,
    pub user_name: Option<String>,
    pub activated: Option<Timestamp>,
    /// The last time step whose code was accepted (a code is good once).
    pub last_step: Option<i64>,
    pub created: Timestamp,
}

macro_rules! record {
    ($type:ty, $kind:expr, $key:ident) => {
        impl Record for $type {
            const KIND: EntityKind = $kind;
            fn key(&self) -> &str {
                &self.$key
            }
        }
    };
}

record!(User, EntityKind::User, name);
record!(Group, EntityKind::Group, name);
record!(Role, EntityKind::Role, name);
record!(CustomPolicy, EntityKind::Policy, name);
record!(AccessKeyRecord, EntityKind::AccessKey, id);
record!(LoginProfile, EntityKind::LoginProfile, user_name);
record!(VirtualMfaDevice, EntityKind::VirtualMfaDevice, serial_number);

macro_rules! policy_holder {
    ($type:ty) => {
        impl PolicyHolder for $type {
            fn policies_mut(&mut self) -> &mut Vec<PolicyRef> {
                &mut self.policies
            }
            fn policies(&self) -> &[PolicyRef] {
                &self.policies
            }
        }
    };
}

policy_holder!(User);
policy_holder!(Group);
policy_holder!(Role);
