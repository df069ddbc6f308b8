//! The narrow storage interface the server implements on its database (one `Table` per record kind),
//! and an in-memory implementation for tests and tools. No business rules live here.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{AccessKeyRecord, CustomPolicy, Group, LoginProfile, Role, User, VirtualMfaDevice};
use crate::error::{EntityKind, StoreError};

/// A stored identity record with its unique key.
pub trait Record: Clone + Send + Sync + 'static {
    const KIND: EntityKind;
    fn key(&self) -> &str;
}

/// Keyed storage of one record kind.
#[async_trait]
pub trait Table<T: Record>: Send + Sync {
    /// Inserts a new record; `StoreError::Conflict` if the key is taken.
    async fn insert(&self, record: T) -> Result<(), StoreError>;
    /// Replaces an existing record; `StoreError::Missing` if there is none.
    async fn update(&self, record: T) -> Result<(), StoreError>;
    async fn get(&self, key: &str) -> Result<Option<T>, StoreError>;
    /// All records, ordered by key.
    async fn list(&self) -> Result<Vec<T>, StoreError>;
    /// Whether a record was deleted.
    async fn delete(&self, key: &str) -> Result<bool, StoreError>;
}

/// Everything the IAM layer stores.
pub trait IdentityStore:
    Table<User> + Table<Group> + Table<Role> + Table<CustomPolicy> + Table<AccessKeyRecord> + Table<LoginProfile> + Table<VirtualMfaDevice>
{
}

impl<S> IdentityStore for S where
    S: Table<User> + Table<Group> + Table<Role> + Table<CustomPolicy> + Table<AccessKeyRecord> + Table<LoginProfile> + Table<VirtualMfaDevice>
{
}

/// In-memory [`IdentityStore`].
#[derive(Debug, Default)]
pub struct MemoryIdentityStore {
    users: Mutex<BTreeMap<String, User>>,
    groups: Mutex<BTreeMap<String, Group>>,
    roles: Mutex<BTreeMap<String, Role>>,
    policies: Mutex<BTreeMap<String, CustomPolicy>>,
    access_keys: Mutex<BTreeMap<String, AccessKeyRecord>>,
    login_profiles: Mutex<BTreeMap<String, LoginProfile>>,
    mfa_devices: Mutex<BTreeMap<String, VirtualMfaDevice>>,
}

/// Which map of [`MemoryIdentityStore`] holds records of type `T`.
trait HoldsTable<T> {
    fn table(&self) -> &Mutex<BTreeMap<String, T>>;
}

macro_rules! holds {
    ($type:ty, $field:ident) => {
        impl HoldsTable<$type> for MemoryIdentityStore {
            fn table(&self) -> &Mutex<BTreeMap<String, $type>> {
                &self.$field
            }
        }
    };
}

holds!(User, users);
holds!(Group, groups);
holds!(Role, roles);
holds!(CustomPolicy, policies);
holds!(AccessKeyRecord, access_keys);
holds!(LoginProfile, login_profiles);
holds!(VirtualMfaDevice, mfa_devices);

impl MemoryIdentityStore {
    fn with<T, R>(&self, f: impl FnOnce(&mut BTreeMap<String, T>) -> R) -> R
    where
        MemoryIdentityStore: HoldsTable<T>,
    {
        let mut map = self
            .table()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut map)
    }
}

#[async_trait]
impl<T: Record> Table<T> for MemoryIdentityStore
where
    MemoryIdentityStore: HoldsTable<T>,
{
    async fn insert(&self, record: T) -> Result<(), StoreError> {
        self.with(|map: &mut BTreeMap<String, T>| {
            if map.contains_key(record.key()) {
                return Err(StoreError::Conflict);
            }
            map.insert(record.key().to_string(), record);
            Ok(())
        })
    }

    async fn update(&self, record: T) -> Result<(), StoreError> {
        self.with(
            |map: &mut BTreeMap<String, T>| match map.get_mut(record.key()) {
                Some(slot) => {
                    *slot = record;
                    Ok(())
                }
                None => Err(StoreError::Missing),
            },
        )
    }

    async fn get(&self, key: &str) -> Result<Option<T>, StoreError> {
        Ok(self.with(|map: &mut BTreeMap<String, T>| map.get(key).cloned()))
    }

    async fn list(&self) -> Result<Vec<T>, StoreError> {
        Ok(self.with(|map: &mut BTreeMap<String, T>| map.values().cloned().collect()))
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.with(|map: &mut BTreeMap<String, T>| map.remove(key).is_some()))
    }
}
