//! RAM's console credentials: login profiles (CreateLoginProfile, GetLoginProfile,
//! UpdateLoginProfile, DeleteLoginProfile) and virtual MFA devices (CreateVirtualMFADevice,
//! ListVirtualMFADevices, DeleteVirtualMFADevice, BindMFADevice, UnbindMFADevice, GetUserMFAInfo),
//! in RAM's shapes. A password is hashed under the console's bound on concurrent hashing; a
//! device's seed is answered once, by CreateVirtualMFADevice.

use oos_acs::{AcsError, RpcRequest, unknown_action};
use oos_iam::identity::{LoginProfile, VirtualMfaDevice};
use oos_iam::service::{LoginProfileChange, NewPassword};
use oos_iam::{EntityKind, IamError};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::common::date;
use super::ram::{done, listed, user_reference};
use crate::api::Api;
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
            let change = LoginProfileChange { password, password_reset_required: flag(rpc, "PasswordResetRequired")?, mfa_bind_required: flag(rpc, "MFABindRequired")? };
            json!({"LoginProfile": profile_json(&iam.update_login_profile(user, change).await.map_err(error::iam)?)})
        }
        "DeleteLoginProfile" => done(iam.delete_login_profile(user).await)?,
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
        "UnbindMFADevice" => json!({"MFADevice": {"SerialNumber": iam.unbind_mfa_device(rpc.require("UserName")?).await.map_err(error::iam)?}}),
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

/// `Password`, checked against the policy and hashed (slow: under the console's bound).
async fn new_password(api: &Api, rpc: &RpcRequest, user: &str) -> Result<NewPassword, AcsError> {
    let password = Zeroizing::new(rpc.require("Password")?.to_owned());
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
