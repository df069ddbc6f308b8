//! The IAM identity store on the server's store: every record kind of `oos-iam` as a JSON document
//! in its IAM records (`iam_records`), keyed by (kind, key), on whichever backend the server uses.

use async_trait::async_trait;
use oos_iam::StoreError;
use oos_iam::identity::{Record, Table};
use std::sync::Arc;

use oos_store::IamRecordStore;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// [`oos_iam::IdentityStore`] over the server's IAM records.
#[derive(Clone)]
pub struct RecordIdentityStore {
    store: Arc<dyn IamRecordStore>,
}

impl std::fmt::Debug for RecordIdentityStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordIdentityStore")
    }
}

impl RecordIdentityStore {
    pub fn new(store: Arc<dyn IamRecordStore>) -> Self {
        Self { store }
    }
}

fn backend(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(error.to_string())
}

fn kind<T: Record>() -> String {
    T::KIND.to_string()
}

fn encode<T: Serialize>(record: &T) -> Result<String, StoreError> {
    serde_json::to_string(record).map_err(backend)
}

fn decode<T: DeserializeOwned>(body: &str) -> Result<T, StoreError> {
    serde_json::from_str(body).map_err(backend)
}

#[async_trait]
impl<T: Record + Serialize + DeserializeOwned> Table<T> for RecordIdentityStore {
    async fn insert(&self, record: T) -> Result<(), StoreError> {
        let inserted = self.store.insert_iam_record(&kind::<T>(), record.key(), &encode(&record)?).await.map_err(backend)?;
        if inserted { Ok(()) } else { Err(StoreError::Conflict) }
    }

    async fn update(&self, record: T) -> Result<(), StoreError> {
        let updated = self.store.update_iam_record(&kind::<T>(), record.key(), &encode(&record)?).await.map_err(backend)?;
        if updated { Ok(()) } else { Err(StoreError::Missing) }
    }

    async fn get(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.store.iam_record(&kind::<T>(), key).await.map_err(backend)?.as_deref().map(decode).transpose()
    }

    async fn list(&self) -> Result<Vec<T>, StoreError> {
        self.store.iam_records(&kind::<T>()).await.map_err(backend)?.iter().map(|body| decode(body)).collect()
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.store.delete_iam_record(&kind::<T>(), key).await.map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use oos_iam::identity::{AccessKeyRecord, AccessKeyStatus, KeyOwner};

    use super::*;

    #[tokio::test]
    async fn records_round_trip_and_conflicts_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = oos_store::SqliteStore::open(dir.path(), oos_store::sqlite::Durability::Normal).await.unwrap();
        let identities = RecordIdentityStore::new(Arc::new(store));
        let record = AccessKeyRecord {
            id: "LTAIexample".into(),
            owner: KeyOwner::Root,
            sealed_secret: "sealed".into(),
            status: AccessKeyStatus::Active,
            created: jiff::Timestamp::UNIX_EPOCH,
        };
        identities.insert(record.clone()).await.unwrap();
        assert_eq!(identities.insert(record.clone()).await, Err(StoreError::Conflict));
        let mut changed = record.clone();
        changed.status = AccessKeyStatus::Inactive;
        identities.update(changed.clone()).await.unwrap();
        assert_eq!(Table::<AccessKeyRecord>::get(&identities, "LTAIexample").await.unwrap(), Some(changed));
        assert_eq!(Table::<AccessKeyRecord>::list(&identities).await.unwrap().len(), 1);
        assert!(Table::<AccessKeyRecord>::delete(&identities, "LTAIexample").await.unwrap());
        assert!(!Table::<AccessKeyRecord>::delete(&identities, "LTAIexample").await.unwrap());
    }
}
