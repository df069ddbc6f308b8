//! What each RAM management action (API version 2015-05-01) is authorized as: `ram:<Action>` on the RAM
//! entity its request names, `acs:ram::<account>:user/<name>`, `group/<name>`, `role/<name>` or `policy/<name>`.

use crate::arn;
use crate::error::IamError;
use crate::evaluate::AuthzRequest;
use crate::identity::Principal;
use crate::oos_actions::{ActionAuthz, RequestParams};

/// The RAM API version the server answers management actions under.
pub const RAM_VERSION: &str = "2015-05-01";

/// The entity an action acts on: its ARN type and the parameter naming it (`<type>/*` when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RamResource {
    pub resource_type: &'static str,
    /// `None` for list actions over the whole collection.
    pub parameter: Option<&'static str>,
    /// The caller's own user, whatever the request names (ChangePassword).
    pub callers_own: bool,
}

const fn one(resource_type: &'static str, parameter: &'static str) -> RamResource {
    RamResource { resource_type, parameter: Some(parameter), callers_own: false }
}

const fn all(resource_type: &'static str) -> RamResource {
    RamResource { resource_type, parameter: None, callers_own: false }
}

const fn own_user() -> RamResource {
    RamResource { resource_type: "user", parameter: None, callers_own: true }
}

/// Every RAM action the server serves, with the entity it is authorized on. AccessKey actions are
/// authorized on their user (`user/*` when `UserName` is absent: the caller's own keys).
pub const RAM_ACTIONS: &[(&str, RamResource)] = &[
    ("CreateUser", one("user", "UserName")),
    ("GetUser", one("user", "UserName")),
    ("ListUsers", all("user")),
    ("DeleteUser", one("user", "UserName")),
    ("CreateGroup", one("group", "GroupName")),
    ("GetGroup", one("group", "GroupName")),
    ("ListGroups", all("group")),
    ("DeleteGroup", one("group", "GroupName")),
    ("AddUserToGroup", one("group", "GroupName")),
    ("RemoveUserFromGroup", one("group", "GroupName")),
    ("ListGroupsForUser", one("user", "UserName")),
    ("ListUsersForGroup", one("group", "GroupName")),
    ("CreateRole", one("role", "RoleName")),
    ("GetRole", one("role", "RoleName")),
    ("ListRoles", all("role")),
    ("DeleteRole", one("role", "RoleName")),
    ("CreatePolicy", one("policy", "PolicyName")),
    ("GetPolicy", one("policy", "PolicyName")),
    ("ListPolicies", all("policy")),
    ("DeletePolicy", one("policy", "PolicyName")),
    ("AttachPolicyToUser", one("user", "UserName")),
    ("AttachPolicyToGroup", one("group", "GroupName")),
    ("AttachPolicyToRole", one("role", "RoleName")),
    ("DetachPolicyFromUser", one("user", "UserName")),
    ("DetachPolicyFromGroup", one("group", "GroupName")),
    ("DetachPolicyFromRole", one("role", "RoleName")),
    ("ListPoliciesForUser", one("user", "UserName")),
    ("ListPoliciesForGroup", one("group", "GroupName")),
    ("ListPoliciesForRole", one("role", "RoleName")),
    ("CreateAccessKey", one("user", "UserName")),
    ("ListAccessKeys", one("user", "UserName")),
    ("UpdateAccessKey", one("user", "UserName")),
    ("DeleteAccessKey", one("user", "UserName")),
    ("CreateLoginProfile", one("user", "UserName")),
    ("GetLoginProfile", one("user", "UserName")),
    ("UpdateLoginProfile", one("user", "UserName")),
    ("DeleteLoginProfile", one("user", "UserName")),
    ("CreateVirtualMFADevice", one("mfa", "VirtualMFADeviceName")),
    ("ListVirtualMFADevices", all("mfa")),
    ("DeleteVirtualMFADevice", one("mfa", "SerialNumber")),
    ("BindMFADevice", one("user", "UserName")),
    ("UnbindMFADevice", one("user", "UserName")),
    ("GetUserMFAInfo", one("user", "UserName")),
    ("ChangePassword", own_user()),
];

/// Whether `request` is `principal`, a RAM user, changing their own password (`ram:ChangePassword`
/// on their own user): RAM allows it without a policy unless the account's security preference
/// forbids it (`AllowUserToChangePassword`, on by default; always on here). An explicit `Deny` still refuses.
pub fn is_own_password_change(principal: &Principal, request: &AuthzRequest, account: &str) -> bool {
    let Principal::User(user) = principal else { return false };
    request.action.eq_ignore_ascii_case("ram:ChangePassword") && request.resources == [arn::ram(account, "user", user)]
}

/// Maps a RAM action and its parameters to what must be authorized; unknown actions are `InvalidAction.NotFound`.
/// `caller_user` is the caller's RAM user name (`None` for the root and roles): what an action on
/// the caller's own user is authorized on.
pub fn ram_action_authz(action: &str, params: &dyn RequestParams, account: &str, caller_user: Option<&str>) -> Result<ActionAuthz, IamError> {
    let (name, resource) = RAM_ACTIONS.iter().find(|(name, _)| *name == action).ok_or_else(|| IamError::UnknownAction(action.to_string()))?;
    // The value exactly as the handler reads it (see `oos_action_authz`).
    let named = if resource.callers_own { caller_user } else { resource.parameter.and_then(|p| params.param(p)) }.filter(|v| !v.is_empty());
    // An MFA device's SerialNumber is its ARN already.
    let resource = match named {
        Some(serial) if serial.starts_with("acs:") => serial.to_string(),
        named => arn::ram(account, resource.resource_type, named.unwrap_or("*")),
    };
    Ok(ActionAuthz {
        action: format!("ram:{name}"),
        resources: vec![resource],
        request_context: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn an_action_is_authorized_on_the_entity_it_names() {
        let params = BTreeMap::from([("UserName".to_string(), "alice".to_string())]);
        let authz = ram_action_authz("CreateAccessKey", &params, "123", None).unwrap();
        assert_eq!(authz.action, "ram:CreateAccessKey");
        assert_eq!(authz.resources, vec!["acs:ram::123:user/alice"]);
        let authz = ram_action_authz("ListRoles", &params, "123", None).unwrap();
        assert_eq!(authz.resources, vec!["acs:ram::123:role/*"]);
        let serial = BTreeMap::from([("SerialNumber".to_string(), "acs:ram::123:mfa/phone".to_string())]);
        assert_eq!(ram_action_authz("DeleteVirtualMFADevice", &serial, "123", None).unwrap().resources, vec!["acs:ram::123:mfa/phone"]);
    }

    #[test]
    fn a_password_change_is_authorized_on_the_callers_own_user_whatever_the_request_names() {
        let params = BTreeMap::from([("UserName".to_string(), "bob".to_string())]);
        let authz = ram_action_authz("ChangePassword", &params, "123", Some("alice")).unwrap();
        assert_eq!((authz.action.as_str(), authz.resources), ("ram:ChangePassword", vec!["acs:ram::123:user/alice".to_string()]));
    }

    #[test]
    fn unknown_actions_are_refused() {
        let error = ram_action_authz("SetSecurityPreference", &BTreeMap::new(), "123", None).unwrap_err();
        assert_eq!(error.code(), "InvalidAction.NotFound");
    }
}
