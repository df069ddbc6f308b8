//! `Iam`: the rules over an [`IdentityStore`](crate::identity::IdentityStore): names, limits, referential checks, policy resolution,
//! authorization and AccessKeys. The server holds one `Iam` and calls it for every request.

mod access_keys;
mod authorize;
mod console;
mod entities;
pub mod policies_api;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use oos_clock::{Clock, SystemClock};

use crate::envelope::MasterKey;
use crate::error::{EntityKind, IamError, StoreError};
use crate::identity::{Record, Table};
use crate::policy::Policy;
use crate::secret::SecretString;

pub use console::{LoginProfileChange, NewPassword};
pub use entities::oos_trust_policy;

/// The service principal executions assume roles as.
pub const OOS_SERVICE_PRINCIPAL: &str = "oos.aliyuncs.com";
/// RAM: a user can create at most two AccessKey pairs.
pub const MAX_ACCESS_KEYS_PER_OWNER: usize = 2;
/// RAM: a user can join at most five groups.
pub const MAX_GROUPS_PER_USER: usize = 5;

/// The IAM layer of one account.
#[derive(Debug)]
pub struct Iam<S> {
    account: String,
    store: S,
    master_key: MasterKey,
    /// Dates the users, groups, roles, policies and AccessKeys created.
    clock: Arc<dyn Clock>,
    /// Custom policy name → (document text, parsed policy): parsing is skipped while the text is unchanged.
    parsed_custom: Mutex<HashMap<String, (String, Arc<Policy>)>>,
}

impl<S> Iam<S> {
    /// `account` is the account id used in ARNs (`acs:ram::<account>:user/<name>`).
    pub fn new(account: impl Into<String>, store: S, master_key: MasterKey) -> Iam<S> {
        Iam {
            account: account.into(),
            store,
            master_key,
            clock: Arc::new(SystemClock),
            parsed_custom: Mutex::default(),
        }
    }

    /// Dates what it creates by `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn now(&self) -> Timestamp {
        self.clock.timestamp()
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Seals a secret value (a secret parameter's) with the account's master key, bound to `context`.
    pub fn seal_secret(&self, secret: &str, context: &str) -> String {
        self.master_key.seal(secret, context)
    }

    /// Opens a value sealed by [`Iam::seal_secret`] with the same `context`.
    pub fn open_secret(&self, sealed: &str, context: &str) -> Result<SecretString, IamError> {
        Ok(self.master_key.open(sealed, context)?)
    }
}

impl<S> Iam<S> {
    async fn fetch<T: Record>(&self, key: &str) -> Result<T, IamError>
    where
        S: Table<T>,
    {
        Table::<T>::get(&self.store, key)
            .await?
            .ok_or_else(|| IamError::NotFound {
                kind: T::KIND,
                name: key.to_string(),
            })
    }

    async fn insert_new<T: Record>(&self, record: T) -> Result<T, IamError>
    where
        S: Table<T>,
    {
        let name = record.key().to_string();
        match Table::<T>::insert(&self.store, record.clone()).await {
            Ok(()) => Ok(record),
            Err(StoreError::Conflict) => Err(IamError::AlreadyExists {
                kind: T::KIND,
                name,
            }),
            Err(e) => Err(e.into()),
        }
    }

    async fn save<T: Record>(&self, record: T) -> Result<(), IamError>
    where
        S: Table<T>,
    {
        let name = record.key().to_string();
        match Table::<T>::update(&self.store, record).await {
            Err(StoreError::Missing) => Err(IamError::NotFound {
                kind: T::KIND,
                name,
            }),
            other => Ok(other?),
        }
    }

    async fn remove<T: Record>(&self, key: &str) -> Result<(), IamError>
    where
        S: Table<T>,
    {
        if Table::<T>::delete(&self.store, key).await? {
            Ok(())
        } else {
            Err(IamError::NotFound {
                kind: T::KIND,
                name: key.to_string(),
            })
        }
    }
}

/// Checks an entity name: 1..=`max` characters, ASCII letters, digits and the `extra` characters.
fn validate_name(
    kind: EntityKind,
    name: &str,
    max: usize,
    extra: &str,
    rule: &'static str,
) -> Result<(), IamError> {
    let valid = !name.is_empty()
        && name.chars().count() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
    if valid {
        Ok(())
    } else {
        Err(IamError::InvalidName {
            kind,
            name: name.to_string(),
            rule,
        })
    }
}

