//! RAM's console credentials: login profiles (CreateLoginProfile, GetLoginProfile,
//! UpdateLoginProfile, DeleteLoginProfile), a user's own password change (ChangePassword) and virtual MFA devices (CreateVirtualMFADevice,
//! ListVirtualMFADevices, DeleteVirtualMFADevice, BindMFADevice, UnbindMFADevice, GetUserMFAInfo),
//! in RAM's shapes. A password is hashed under the console's bound on concurrent hashing; a
//! device's seed is answered once, by CreateVirtualMFADevice. A new password, a deleted login
//! profile or an unbound device revokes the user's console sessions ([`revoke_sessions`]).

use oos_acs::{AcsError, RpcRequest, unknown_action};
use oos_iam::console::password;
use oos_iam::identity::{LoginProfile, Principal, VirtualMfaDevice};
use oos_iam::service::{LoginProfileChange, NewPassword};
use oos_iam::{EntityKind, IamError};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::common::date;
use super::ram::{done, listed, user_reference};
use crate::api::Api;
use crate::auth::Caller;
use crate::console::{self, NOT_A_USER, OLD_PASSWORD_WRONG};
use crate::error;

pub(super) async fn login_profiles(api: &Api, rpc: &RpcRequest) -> Result<Value, AcsError> {
    let iam = &api.iam;
    let user = rpc.require("UserName")?;
    Ok(match rpc.action.as_str() {
        "CreateLoginProfile" => {
            let password = new_password(api, rpc, user).await?;
            let (reset, bind) = (flag(rpc, "PasswordResetRequired")?.unwrap_or(false), flag(rpc, "MFABindRequired")?.unwrap_or(false));
            json!({"LoginProfile": profile_json(&iam.create_login_profile(user, password, reset, bind).await.map_err(error::iam)?)})
        }
        "GetLoginProfile" => json!({"LoginProfile": profile_json(&iam.get_login_profile(user).await.map_err(error::iam)?)}),
        "UpdateLoginProfile" => {
            let password = match rpc.get("Password") {
                Some(_) => Some(new_password(api, rpc, user).await?),
                None => None,
            };
            let new_password = password.is_some();
            let change = LoginProfileChange { password, password_reset_required: flag(rpc, "PasswordResetRequired")?, mfa_bind_required: flag(rpc, "MFABindRequired")? };
            let profile = iam.update_login_profile(user, change).await.map_err(error::iam)?;
            if new_password {
                revoke_sessions(api, user, None).await?;
            }
            json!({"LoginProfile": profile_json(&profile)})
        }
        "DeleteLoginProfile" => {
            let deleted = done(iam.delete_login_profile(user).await)?;
            revoke_sessions(api, user, None).await?;
            deleted
        }
        other => return Err(unknown_action(other)),
    })
}

pub(super) async fn mfa_devices(api: &Api, rpc: &RpcRequest) -> Result<Value, AcsError> {
    let iam = &api.iam;
    Ok(match rpc.action.as_str() {
        "CreateVirtualMFADevice" => {
            let (device, seed) = iam.create_virtual_mfa_device(rpc.require("VirtualMFADeviceName")?).await.map_err(error::iam)?;
            json!({"VirtualMFADevice": {"SerialNumber": device.serial_number, "Base32StringSeed": seed.expose()}})
        }
        "ListVirtualMFADevices" => listed("VirtualMFADevices", "VirtualMFADevice", iam.list_virtual_mfa_devices().await.map_err(error::iam)?.iter().map(device_json)),
        "DeleteVirtualMFADevice" => done(iam.delete_virtual_mfa_device(rpc.require("SerialNumber")?).await)?,
        "BindMFADevice" => {
            let (serial, user) = (rpc.require("SerialNumber")?, rpc.require("UserName")?);
            done(iam.bind_mfa_device(serial, user, rpc.require("AuthenticationCode1")?, rpc.require("AuthenticationCode2")?).await)?
        }
        "UnbindMFADevice" => {
            let user = rpc.require("UserName")?;
            let serial = iam.unbind_mfa_device(user).await.map_err(error::iam)?;
            revoke_sessions(api, user, None).await?;
            json!({"MFADevice": {"SerialNumber": serial}})
        }
        "GetUserMFAInfo" => {
            let user = rpc.require("UserName")?;
            iam.get_user(user).await.map_err(error::iam)?;
            let device = iam.user_mfa_device(user).await.map_err(error::iam)?;
            let device = device.ok_or_else(|| error::iam(IamError::NotFound { kind: EntityKind::UserMfaDevice, name: user.to_owned() }))?;
            json!({"MFADevice": {"SerialNumber": device.serial_number, "Type": "VMFA"}})
        }
        other => return Err(unknown_action(other)),
    })
}

/// ChangePassword: the caller, a RAM user, changes its own console password (`OldPassword`,
/// `NewPassword` under the password policy), which clears its `PasswordResetRequired` and revokes
/// its other console sessions (the one the request came by continues). A wrong `OldPassword`
/// counts as a failed sign-in of the user (the lock-out rule of sign-ins applies).
pub(super) async fn change_password(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Value, AcsError> {
    let Principal::User(user) = &caller.principal else {
        return Err(AcsError::new(NOT_A_USER, "ChangePassword changes a RAM user's own console password; the root and roles have none."));
    };
    let old = Zeroizing::new(rpc.require("OldPassword")?.to_owned());
    let new = Zeroizing::new(rpc.require("NewPassword")?.to_owned());
    let now = api.clock.now_ms();
    let locked_until = api.store.sign_in_locked_until(user).await.map_err(error::store)?;
    if locked_until > now {
        return Err(console::account_locked(locked_until));
    }
    let hash = api.iam.get_login_profile(user).await.map_err(error::iam)?.password_hash;
    let given = old.clone();
    if !api.console.hash(move || password::verify(&given, &hash)).await? {
        return Err(match console::count_failure(api, user, now).await? {
            Some(locked_until) => console::account_locked(locked_until),
            None => AcsError::new(OLD_PASSWORD_WRONG, "OldPassword is not the user's current password."),
        });
    }
    if *old == *new {
        return Err(AcsError::invalid_parameter("NewPassword", "the new password must differ from the old one"));
    }
    let password = hashed(api, new, user).await?;
    api.store.clear_sign_in_failures(user).await.map_err(error::store)?;
    let change = LoginProfileChange { password: Some(password), password_reset_required: Some(false), mfa_bind_required: None };
    api.iam.update_login_profile(user, change).await.map_err(error::iam)?;
    revoke_sessions(api, user, caller.console_session.as_deref()).await?;
    Ok(json!({}))
}

/// Revokes the console sessions of `user` but the one with token hash `keep`: their next request
/// is refused with `Console.SessionRevoked`.
pub(super) async fn revoke_sessions(api: &Api, user: &str, keep: Option<&str>) -> Result<(), AcsError> {
    let revoked = api.store.revoke_console_sessions(user, keep).await.map_err(error::store)?;
    if revoked > 0 {
        tracing::info!(user, revoked, "console sessions revoked");
    }
    Ok(())
}

/// `Password`, checked against the policy and hashed.
async fn new_password(api: &Api, rpc: &RpcRequest, user: &str) -> Result<NewPassword, AcsError> {
    hashed(api, Zeroizing::new(rpc.require("Password")?.to_owned()), user).await
}

/// `password` checked against the policy for `user` and hashed (slow: under the console's bound).
async fn hashed(api: &Api, password: Zeroizing<String>, user: &str) -> Result<NewPassword, AcsError> {
    let user = user.to_owned();
    api.console.hash(move || NewPassword::hash(&password, &user)).await?.map_err(error::iam)
}

/// A `true`/`false` parameter.
fn flag(rpc: &RpcRequest, name: &str) -> Result<Option<bool>, AcsError> {
    match rpc.get(name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(AcsError::invalid_parameter(name, format!("{other:?} is neither true nor false"))),
    }
}

fn profile_json(profile: &LoginProfile) -> Value {
    json!({
        "UserName": profile.user_name, "PasswordResetRequired": profile.password_reset_required, "MFABindRequired": profile.mfa_bind_required,
        "CreateDate": date(profile.created.as_millisecond()), "UpdateDate": date(profile.updated.as_millisecond()),
    })
}

fn device_json(device: &VirtualMfaDevice) -> Value {
    let mut shown = json!({"SerialNumber": device.serial_number});
    if let (Some(user), Some(activated)) = (&device.user_name, device.activated) {
        shown["User"] = Value::Object(user_reference(user));
        shown["ActivateDate"] = Value::String(date(activated.as_millisecond()));
    }
    shown
}
