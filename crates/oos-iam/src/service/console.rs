//! Console credentials: login profiles (RAM's CreateLoginProfile… — a password kept as its argon2id
//! hash) and virtual MFA devices (a TOTP seed sealed with the master key, shown once, bound to one
//! user by two consecutive codes).

use super::{Iam, validate_name};
use crate::console::{password, totp};
use crate::error::{EntityKind, IamError};
use crate::identity::{IdentityStore, LoginProfile, Table, User, VirtualMfaDevice};
use crate::secret::SecretString;

/// A password that passed the policy, as its hash. Hashing is slow on purpose: make it where
/// blocking is allowed.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    /// Checks `password` of `user_name` against the policy and hashes it.
    pub fn hash(password: &str, user_name: &str) -> Result<NewPassword, IamError> {
        password::check_policy(password, user_name)?;
        password::hash(password).map(NewPassword)
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// What UpdateLoginProfile changes (`None`: kept).
#[derive(Debug, Default)]
pub struct LoginProfileChange {
    pub password: Option<NewPassword>,
    pub password_reset_required: Option<bool>,
    pub mfa_bind_required: Option<bool>,
}

fn not_found(kind: EntityKind, name: &str) -> IamError {
    IamError::NotFound { kind, name: name.to_string() }
}

impl<S: IdentityStore> Iam<S> {
    pub async fn create_login_profile(&self, user_name: &str, password: NewPassword, password_reset_required: bool, mfa_bind_required: bool) -> Result<LoginProfile, IamError> {
        self.fetch::<User>(user_name).await?;
        let now = self.now();
        let profile = LoginProfile { user_name: user_name.to_string(), password_hash: password.0, password_reset_required, mfa_bind_required, created: now, updated: now };
        self.insert_new(profile).await
    }

    pub async fn get_login_profile(&self, user_name: &str) -> Result<LoginProfile, IamError> {
        self.fetch::<User>(user_name).await?;
        self.fetch(user_name).await
    }

    pub async fn update_login_profile(&self, user_name: &str, change: LoginProfileChange) -> Result<LoginProfile, IamError> {
        let mut profile = self.get_login_profile(user_name).await?;
        if let Some(password) = change.password {
            profile.password_hash = password.0;
        }
        profile.password_reset_required = change.password_reset_required.unwrap_or(profile.password_reset_required);
        profile.mfa_bind_required = change.mfa_bind_required.unwrap_or(profile.mfa_bind_required);
        profile.updated = self.now();
        self.save(profile.clone()).await?;
        Ok(profile)
    }

    pub async fn delete_login_profile(&self, user_name: &str) -> Result<(), IamError> {
        self.fetch::<User>(user_name).await?;
        self.remove::<LoginProfile>(user_name).await
    }

    /// The login profile of a user who exists, for sign-in (`None` for anyone else).
    pub async fn sign_in_profile(&self, user_name: &str) -> Result<Option<LoginProfile>, IamError> {
        if Table::<User>::get(&self.store, user_name).await?.is_none() {
            return Ok(None);
        }
        Ok(Table::<LoginProfile>::get(&self.store, user_name).await?)
    }

    /// A new device `acs:ram::<account>:mfa/<name>` and its seed (Base32): the only clear copy.
    pub async fn create_virtual_mfa_device(&self, name: &str) -> Result<(VirtualMfaDevice, SecretString), IamError> {
        validate_name(EntityKind::VirtualMfaDevice, name, 64, "._-", "1-64 letters, digits, '.', '_' or '-'")?;
        let serial_number = crate::arn::ram(&self.account, "mfa", name);
        let seed = SecretString::new(totp::new_seed());
        let device = VirtualMfaDevice {
            sealed_seed: self.master_key.seal(seed.expose(), &serial_number),
            serial_number,
            user_name: None,
            activated: None,
            last_step: None,
            created: self.now(),
        };
        Ok((self.insert_new(device).await?, seed))
    }

    pub async fn list_virtual_mfa_devices(&self) -> Result<Vec<VirtualMfaDevice>, IamError> {
        Ok(Table::<VirtualMfaDevice>::list(&self.store).await?)
    }

    /// The device bound to `user_name`, if any.
    pub async fn user_mfa_device(&self, user_name: &str) -> Result<Option<VirtualMfaDevice>, IamError> {
        Ok(self.list_virtual_mfa_devices().await?.into_iter().find(|device| device.user_name.as_deref() == Some(user_name)))
    }

    /// Binds an unbound device to a user without one; `code1` and `code2` are the device's codes
    /// of two consecutive time steps around now.
    pub async fn bind_mfa_device(&self, serial_number: &str, user_name: &str, code1: &str, code2: &str) -> Result<(), IamError> {
        self.fetch::<User>(user_name).await?;
        let mut device: VirtualMfaDevice = self.fetch(serial_number).await?;
        if device.user_name.is_some() {
            return Err(IamError::AlreadyExists { kind: EntityKind::VirtualMfaDevice, name: format!("{serial_number} (bound)") });
        }
        if self.user_mfa_device(user_name).await?.is_some() {
            return Err(IamError::AlreadyExists { kind: EntityKind::UserMfaDevice, name: user_name.to_string() });
        }
        let seed = self.master_key.open(&device.sealed_seed, serial_number)?;
        let now = self.now().as_second();
        let step = totp::matching_step(seed.expose(), code1, now).ok_or(IamError::InvalidAuthenticationCode("AuthenticationCode1 is not a current code of the device"))?;
        let consecutive = totp::code(seed.expose(), step + 1).is_some_and(|next| subtle::ConstantTimeEq::ct_eq(next.as_bytes(), code2.as_bytes()).into());
        if !consecutive {
            return Err(IamError::InvalidAuthenticationCode("AuthenticationCode2 is not the code following AuthenticationCode1"));
        }
        device.user_name = Some(user_name.to_string());
        device.activated = Some(self.now());
        device.last_step = Some(step + 1);
        self.save(device).await
    }

    /// Unbinds the user's device; its serial number.
    pub async fn unbind_mfa_device(&self, user_name: &str) -> Result<String, IamError> {
        self.fetch::<User>(user_name).await?;
        let mut device = self.user_mfa_device(user_name).await?.ok_or_else(|| not_found(EntityKind::UserMfaDevice, user_name))?;
        device.user_name = None;
        device.activated = None;
        let serial_number = device.serial_number.clone();
        self.save(device).await?;
        Ok(serial_number)
    }

    /// Deletes an unbound device.
    pub async fn delete_virtual_mfa_device(&self, serial_number: &str) -> Result<(), IamError> {
        let device: VirtualMfaDevice = self.fetch(serial_number).await?;
        if let Some(user) = device.user_name {
            return Err(IamError::DeleteConflict { kind: EntityKind::VirtualMfaDevice, name: serial_number.to_string(), reason: format!("it is bound to user {user}") });
        }
        self.remove::<VirtualMfaDevice>(serial_number).await
    }

    /// Whether `code` is a current code of the device bound to `user_name` not used before; a code
    /// accepted is spent (a later sign-in needs a later code).
    pub async fn accept_mfa_code(&self, user_name: &str, code: &str) -> Result<bool, IamError> {
        let Some(mut device) = self.user_mfa_device(user_name).await? else { return Ok(false) };
        let seed = self.master_key.open(&device.sealed_seed, &device.serial_number)?;
        let Some(step) = totp::matching_step(seed.expose(), code, self.now().as_second()) else { return Ok(false) };
        if device.last_step.is_some_and(|last| step <= last) {
            return Ok(false);
        }
        device.last_step = Some(step);
        self.save(device).await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oos_clock::{Clock, VirtualClock};

    use super::*;
    use crate::{MasterKey, MemoryIdentityStore};

    fn iam(clock: &Arc<VirtualClock>) -> Iam<MemoryIdentityStore> {
        Iam::new("1234", MemoryIdentityStore::default(), MasterKey::generate()).with_clock(clock.clone())
    }

    #[tokio::test]
    async fn a_device_binds_with_two_consecutive_codes_and_each_code_is_good_once() {
        let clock = Arc::new(VirtualClock::new(1_700_000_000_000));
        let iam = iam(&clock);
        iam.create_user("alice", "").await.unwrap();
        let (device, seed) = iam.create_virtual_mfa_device("alice-phone").await.unwrap();
        assert_eq!(device.serial_number, "acs:ram::1234:mfa/alice-phone");
        assert!(!device.sealed_seed.contains(seed.expose()));
        let step = totp::step_at(clock.timestamp().as_second());
        let code = |step| totp::code(seed.expose(), step).unwrap();
        let wrong = iam.bind_mfa_device(&device.serial_number, "alice", &code(step), &code(step + 2)).await.unwrap_err();
        assert_eq!(wrong.code(), "InvalidParameter.AuthenticationCode");
        iam.bind_mfa_device(&device.serial_number, "alice", &code(step), &code(step + 1)).await.unwrap();
        assert!(!iam.accept_mfa_code("alice", &code(step + 1)).await.unwrap(), "a code used to bind is spent");
        clock.advance(std::time::Duration::from_secs(60));
        assert!(iam.accept_mfa_code("alice", &code(step + 2)).await.unwrap());
        assert!(!iam.accept_mfa_code("alice", &code(step + 2)).await.unwrap(), "a code is good once");
        let conflict = iam.delete_virtual_mfa_device(&device.serial_number).await.unwrap_err();
        assert_eq!(conflict.code(), "DeleteConflict.VirtualMFADevice");
        assert_eq!(iam.delete_user("alice").await.unwrap_err().code(), "DeleteConflict.User");
        assert_eq!(iam.unbind_mfa_device("alice").await.unwrap(), device.serial_number);
        iam.delete_virtual_mfa_device(&device.serial_number).await.unwrap();
    }

    #[tokio::test]
    async fn login_profiles_keep_the_hash_only() {
        let clock = Arc::new(VirtualClock::new(1_700_000_000_000));
        let iam = iam(&clock);
        let missing = iam.create_login_profile("bob", NewPassword::hash("Corr3ct-Horse", "bob").unwrap(), false, false).await.unwrap_err();
        assert_eq!(missing.code(), "EntityNotExist.User");
        iam.create_user("bob", "").await.unwrap();
        let profile = iam.create_login_profile("bob", NewPassword::hash("Corr3ct-Horse", "bob").unwrap(), true, false).await.unwrap();
        assert!(password::verify("Corr3ct-Horse", &profile.password_hash));
        let again = iam.create_login_profile("bob", NewPassword::hash("Corr3ct-Horse", "bob").unwrap(), false, false).await.unwrap_err();
        assert_eq!(again.code(), "EntityAlreadyExists.User.LoginProfile");
        let change = LoginProfileChange { password_reset_required: Some(false), ..LoginProfileChange::default() };
        assert!(!iam.update_login_profile("bob", change).await.unwrap().password_reset_required);
        assert_eq!(iam.delete_user("bob").await.unwrap_err().code(), "DeleteConflict.User");
        iam.delete_login_profile("bob").await.unwrap();
        assert_eq!(iam.get_login_profile("bob").await.unwrap_err().code(), "EntityNotExist.User.LoginProfile");
        assert!(iam.sign_in_profile("bob").await.unwrap().is_none());
    }
}
