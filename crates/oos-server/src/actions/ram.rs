//! RAM management actions (API version 2015-05-01) on the account's identities: users, groups, roles,
//! policies and their attachments, AccessKeys; console credentials in [`super::ram_console`]. Request parameters and response shapes are RAM's
//! (`{"User": {"UserName", "UserId", …}}`, `{"Users": {"User": [...]}, "IsTruncated": false}`).

use oos_acs::{AcsError, RpcRequest, unknown_action};
use oos_iam::identity::{AccessKeyRecord, AccessKeyStatus, Group, KeyOwner, PolicyRef, Principal, Role, User};
use oos_iam::ram_actions::RAM_ACTIONS;
use oos_iam::{AttachTarget, IamError, PolicySummary, PolicyType};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::common::date;
use crate::auth::Caller;
use crate::error;
use crate::api::{Api, Fields};

/// The action a console session whose password must be reset is still allowed.
pub const CHANGE_PASSWORD: &str = "ChangePassword";

/// Routes an authorized RAM request to its action (only actions of [`RAM_ACTIONS`] are served).
pub async fn dispatch(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    if !RAM_ACTIONS.iter().any(|(name, _)| *name == rpc.action) {
        return Err(unknown_action(&rpc.action));
    }
    let iam = &api.iam;
    let fields = match rpc.action.as_str() {
        "CreateUser" => json!({"User": user_json(&iam.create_user(rpc.require("UserName")?, rpc.get("DisplayName").unwrap_or_default()).await.map_err(error::iam)?)}),
        "GetUser" => json!({"User": user_json(&iam.get_user(rpc.require("UserName")?).await.map_err(error::iam)?)}),
        "ListUsers" => listed("Users", "User", iam.list_users().await.map_err(error::iam)?.iter().map(user_json)),
        "DeleteUser" => {
            let user = rpc.require("UserName")?;
            let deleted = done(iam.delete_user(user).await)?;
            super::ram_console::revoke_sessions(api, user, None).await?;
            deleted
        }
        "CreateGroup" => json!({"Group": group_json(&iam.create_group(rpc.require("GroupName")?, rpc.get("Comments").unwrap_or_default()).await.map_err(error::iam)?)}),
        "GetGroup" => json!({"Group": group_json(&iam.get_group(rpc.require("GroupName")?).await.map_err(error::iam)?)}),
        "ListGroups" => listed("Groups", "Group", iam.list_groups().await.map_err(error::iam)?.iter().map(group_json)),
        "DeleteGroup" => done(iam.delete_group(rpc.require("GroupName")?).await)?,
        "AddUserToGroup" => done(iam.add_user_to_group(rpc.require("UserName")?, rpc.require("GroupName")?).await)?,
        "RemoveUserFromGroup" => done(iam.remove_user_from_group(rpc.require("UserName")?, rpc.require("GroupName")?).await)?,
        "ListGroupsForUser" => {
            let user = iam.get_user(rpc.require("UserName")?).await.map_err(error::iam)?;
            let mut groups = Vec::with_capacity(user.groups.len());
            for name in &user.groups {
                groups.push(group_json(&iam.get_group(name).await.map_err(error::iam)?));
            }
            listed("Groups", "Group", groups.into_iter())
        }
        "ListUsersForGroup" => listed("Users", "User", iam.list_group_members(rpc.require("GroupName")?).await.map_err(error::iam)?.iter().map(user_json)),
        "CreateRole" => {
            let role = iam.create_role(rpc.require("RoleName")?, rpc.require("AssumeRolePolicyDocument")?, rpc.get("Description").unwrap_or_default());
            json!({"Role": role_json(&role.await.map_err(error::iam)?, iam.account())})
        }
        "GetRole" => json!({"Role": role_json(&iam.get_role(rpc.require("RoleName")?).await.map_err(error::iam)?, iam.account())}),
        "ListRoles" => listed("Roles", "Role", iam.list_roles().await.map_err(error::iam)?.iter().map(|role| role_json(role, iam.account()))),
        "DeleteRole" => done(iam.delete_role(rpc.require("RoleName")?).await)?,
        "CreatePolicy" => {
            let policy = iam.create_policy(rpc.require("PolicyName")?, rpc.require("PolicyDocument")?, rpc.get("Description").unwrap_or_default()).await.map_err(error::iam)?;
            let summary = PolicySummary { policy: PolicyRef::custom(&policy.name), description: policy.description, document: policy.document };
            json!({"Policy": policy_json(&summary)})
        }
        "GetPolicy" => {
            let wanted = policy_ref(rpc)?;
            let policies = iam.list_policies().await.map_err(error::iam)?;
            let summary = policies.iter().find(|p| p.policy == wanted).ok_or_else(|| error::iam(IamError::NotFound { kind: oos_iam::EntityKind::Policy, name: wanted.name.clone() }))?;
            json!({"Policy": policy_json(summary), "DefaultPolicyVersion": {"VersionId": "v1", "IsDefaultVersion": true, "PolicyDocument": summary.document}})
        }
        "ListPolicies" => {
            let wanted = rpc.get("PolicyType").map(policy_type).transpose()?;
            let policies = iam.list_policies().await.map_err(error::iam)?;
            listed("Policies", "Policy", policies.iter().filter(|p| wanted.is_none_or(|t| p.policy.policy_type == t)).map(policy_json))
        }
        "DeletePolicy" => done(iam.delete_policy(rpc.require("PolicyName")?).await)?,
        "AttachPolicyToUser" | "AttachPolicyToGroup" | "AttachPolicyToRole" => done(iam.attach_policy(&attach_target(rpc)?, &policy_ref(rpc)?).await)?,
        "DetachPolicyFromUser" | "DetachPolicyFromGroup" | "DetachPolicyFromRole" => done(iam.detach_policy(&attach_target(rpc)?, &policy_ref(rpc)?).await)?,
        "ListPoliciesForUser" | "ListPoliciesForGroup" | "ListPoliciesForRole" => {
            let attached = match attach_target(rpc)? {
                AttachTarget::User(name) => iam.get_user(&name).await.map(|user| user.policies),
                AttachTarget::Group(name) => iam.get_group(&name).await.map(|group| group.policies),
                AttachTarget::Role(name) => iam.get_role(&name).await.map(|role| role.policies),
            }
            .map_err(error::iam)?;
            let policies = iam.list_policies().await.map_err(error::iam)?;
            listed("Policies", "Policy", policies.iter().filter(|p| attached.contains(&p.policy)).map(policy_json))
        }
        "CreateAccessKey" => {
            let key = iam.create_access_key(&key_owner(rpc, caller)?).await.map_err(error::iam)?;
            let created = date(api.clock.now_ms());
            json!({"AccessKey": {"AccessKeyId": key.id, "AccessKeySecret": key.secret.expose(), "Status": "Active", "CreateDate": created}})
        }
        "ListAccessKeys" => listed("AccessKeys", "AccessKey", iam.list_access_keys(&key_owner(rpc, caller)?).await.map_err(error::iam)?.iter().map(access_key_json)),
        "UpdateAccessKey" => {
            let id = owned_key(api, rpc, caller).await?;
            let status = match rpc.require("Status")? {
                "Active" => AccessKeyStatus::Active,
                "Inactive" => AccessKeyStatus::Inactive,
                other => return Err(AcsError::invalid_parameter("Status", format!("{other:?} is neither Active nor Inactive"))),
            };
            done(iam.set_access_key_status(&id, status).await)?
        }
        "DeleteAccessKey" => done(iam.delete_access_key(&owned_key(api, rpc, caller).await?).await)?,
        "CreateLoginProfile" | "GetLoginProfile" | "UpdateLoginProfile" | "DeleteLoginProfile" => super::ram_console::login_profiles(api, rpc).await?,
        CHANGE_PASSWORD => super::ram_console::change_password(api, caller, rpc).await?,
        "CreateVirtualMFADevice" | "ListVirtualMFADevices" | "DeleteVirtualMFADevice" | "BindMFADevice" | "UnbindMFADevice" | "GetUserMFAInfo" => super::ram_console::mfa_devices(api, rpc).await?,
        other => return Err(unknown_action(other)),
    };
    match fields {
        Value::Object(fields) => Ok(fields),
        _ => Err(error::internal("RAM answer is not an object")),
    }
}

/// The empty answer of an action that succeeded, or its error.
pub(super) fn done(outcome: Result<(), IamError>) -> Result<Value, AcsError> {
    outcome.map(|()| json!({})).map_err(error::iam)
}

/// RAM's list shape: `{"<plural>": {"<singular>": [...]}, "IsTruncated": false}` (every entity on one page).
pub(super) fn listed(plural: &str, singular: &str, items: impl Iterator<Item = Value>) -> Value {
    json!({plural: {singular: items.collect::<Vec<_>>()}, "IsTruncated": false})
}

/// A stable numeric id for an entity that has only a name (RAM shows `UserId`, `RoleId`).
fn entity_id(kind: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{kind}/{name}").as_bytes());
    let number = u64::from_be_bytes(digest[..8].try_into().unwrap_or_default()) % 10_000_000_000_000_000;
    format!("{number:016}")
}

/// How other entities name a user: `UserName` and `UserId`.
pub(crate) fn user_reference(name: &str) -> serde_json::Map<String, Value> {
    let mut user = serde_json::Map::new();
    user.insert("UserName".into(), Value::String(name.to_owned()));
    user.insert("UserId".into(), Value::String(entity_id("user", name)));
    user
}

fn user_json(user: &User) -> Value {
    let created = date(user.created.as_millisecond());
    json!({"UserName": user.name, "UserId": entity_id("user", &user.name), "DisplayName": user.display_name, "CreateDate": created, "UpdateDate": created})
}

fn group_json(group: &Group) -> Value {
    let created = date(group.created.as_millisecond());
    json!({"GroupName": group.name, "GroupId": entity_id("group", &group.name), "Comments": group.comments, "CreateDate": created, "UpdateDate": created})
}

fn role_json(role: &Role, account: &str) -> Value {
    let created = date(role.created.as_millisecond());
    json!({
        "RoleName": role.name, "RoleId": entity_id("role", &role.name), "Arn": Principal::Role(role.name.clone()).arn(account),
        "Description": role.description, "AssumeRolePolicyDocument": role.trust_policy, "CreateDate": created, "UpdateDate": created,
    })
}

fn policy_json(summary: &PolicySummary) -> Value {
    json!({
        "PolicyName": summary.policy.name, "PolicyType": type_name(summary.policy.policy_type), "Description": summary.description,
        "DefaultVersion": "v1",
    })
}

fn access_key_json(key: &AccessKeyRecord) -> Value {
    let status = match key.status {
        AccessKeyStatus::Active => "Active",
        AccessKeyStatus::Inactive => "Inactive",
    };
    json!({"AccessKeyId": key.id, "Status": status, "CreateDate": date(key.created.as_millisecond())})
}

fn type_name(policy_type: PolicyType) -> &'static str {
    match policy_type {
        PolicyType::System => "System",
        PolicyType::Custom => "Custom",
    }
}

fn policy_type(text: &str) -> Result<PolicyType, AcsError> {
    match text {
        "System" => Ok(PolicyType::System),
        "Custom" => Ok(PolicyType::Custom),
        other => Err(AcsError::invalid_parameter("PolicyType", format!("{other:?} is neither System nor Custom"))),
    }
}

/// `PolicyName` + `PolicyType` (default Custom).
fn policy_ref(rpc: &RpcRequest) -> Result<PolicyRef, AcsError> {
    let name = rpc.require("PolicyName")?;
    Ok(match rpc.get("PolicyType").map(policy_type).transpose()?.unwrap_or(PolicyType::Custom) {
        PolicyType::System => PolicyRef::system(name),
        PolicyType::Custom => PolicyRef::custom(name),
    })
}

/// The user, group or role an `…ToUser/Group/Role` / `…ForUser/Group/Role` action names.
fn attach_target(rpc: &RpcRequest) -> Result<AttachTarget, AcsError> {
    let action = rpc.action.as_str();
    if action.ends_with("User") {
        Ok(AttachTarget::User(rpc.require("UserName")?.to_string()))
    } else if action.ends_with("Group") {
        Ok(AttachTarget::Group(rpc.require("GroupName")?.to_string()))
    } else {
        Ok(AttachTarget::Role(rpc.require("RoleName")?.to_string()))
    }
}

/// The owner of the keys an AccessKey action works on: `UserName`, else the caller itself.
fn key_owner(rpc: &RpcRequest, caller: &Caller) -> Result<KeyOwner, AcsError> {
    match (rpc.get("UserName"), &caller.principal) {
        (Some(name), _) => Ok(KeyOwner::User(name.to_string())),
        (None, Principal::Root) => Ok(KeyOwner::Root),
        (None, Principal::User(name)) => Ok(KeyOwner::User(name.clone())),
        (None, Principal::Role(_)) => Err(AcsError::missing_parameter("UserName")),
    }
}

/// `UserAccessKeyId`, checked to belong to the owner the request names.
async fn owned_key(api: &Api, rpc: &RpcRequest, caller: &Caller) -> Result<String, AcsError> {
    let id = rpc.require("UserAccessKeyId")?;
    let keys = api.iam.list_access_keys(&key_owner(rpc, caller)?).await.map_err(error::iam)?;
    if keys.iter().any(|key| key.id == id) {
        Ok(id.to_string())
    } else {
        Err(error::iam(IamError::NotFound { kind: oos_iam::EntityKind::AccessKey, name: id.to_string() }))
    }
}
