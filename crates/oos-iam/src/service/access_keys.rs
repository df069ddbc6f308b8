//! AccessKeys: creation (the secret is shown once, stored sealed), status, deletion, and resolution of an
//! AccessKeyId to its principal and secret for signature checks.

use super::{Iam, MAX_ACCESS_KEYS_PER_OWNER};
use crate::access_key::{NewAccessKey, generate_access_key_id, generate_access_key_secret};
use crate::error::IamError;
use crate::identity::{
    AccessKeyRecord, AccessKeyStatus, IdentityStore, KeyOwner, Principal, Table, User,
};
use crate::secret::SecretString;

impl<S: IdentityStore> Iam<S> {
    /// Creates a key pair for `owner` (at most two per owner). The returned secret is the only clear copy.
    pub async fn create_access_key(&self, owner: &KeyOwner) -> Result<NewAccessKey, IamError> {
        if let KeyOwner::User(name) = owner {
            self.fetch::<User>(name).await?;
        }
        if self.list_access_keys(owner).await?.len() >= MAX_ACCESS_KEYS_PER_OWNER {
            return Err(IamError::LimitExceeded {
                what: "AccessKeysPerUser",
                limit: MAX_ACCESS_KEYS_PER_OWNER,
            });
        }
        let id = generate_access_key_id();
        let secret = generate_access_key_secret();
        let record = AccessKeyRecord {
            id: id.clone(),
            owner: owner.clone(),
            sealed_secret: self.master_key.seal(secret.expose(), &id),
            status: AccessKeyStatus::Active,
            created: self.now(),
        };
        self.insert_new(record).await?;
        Ok(NewAccessKey {
            id,
            secret,
            owner: owner.clone(),
        })
    }

    /// First start: creates the root's AccessKey if the root has none (the server shows it once and writes
    /// it to an owner-only file). `None` when the root already has a key.
    pub async fn ensure_root_access_key(&self) -> Result<Option<NewAccessKey>, IamError> {
        if self.list_access_keys(&KeyOwner::Root).await?.is_empty() {
            return self.create_access_key(&KeyOwner::Root).await.map(Some);
        }
        Ok(None)
    }

    /// The keys of `owner` (sealed secrets only).
    pub async fn list_access_keys(
        &self,
        owner: &KeyOwner,
    ) -> Result<Vec<AccessKeyRecord>, IamError> {
        Ok(Table::<AccessKeyRecord>::list(&self.store)
            .await?
            .into_iter()
            .filter(|k| &k.owner == owner)
            .collect())
    }

    pub async fn set_access_key_status(
        &self,
        id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), IamError> {
        let mut record: AccessKeyRecord = self.fetch(id).await?;
        record.status = status;
        self.save(record).await
    }

    pub async fn delete_access_key(&self, id: &str) -> Result<(), IamError> {
        self.remove::<AccessKeyRecord>(id).await
    }

    /// For signature verification: the principal behind an active AccessKeyId and its secret.
    /// Unknown ids are `InvalidAccessKeyId.NotFound`, disabled ones `InvalidAccessKeyId.Inactive`.
    pub async fn resolve_access_key(
        &self,
        id: &str,
    ) -> Result<(Principal, SecretString), IamError> {
        let record = Table::<AccessKeyRecord>::get(&self.store, id)
            .await?
            .ok_or(IamError::AccessKeyNotFound)?;
        if record.status == AccessKeyStatus::Inactive {
            return Err(IamError::AccessKeyInactive(record.id));
        }
        let secret = self.master_key.open(&record.sealed_secret, &record.id)?;
        Ok((record.owner.principal(), secret))
    }
}
