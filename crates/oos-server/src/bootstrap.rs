//! First start on a store: the master key that seals secrets (every process on one database must
//! hold the same key: the store keeps a sealed check value and refuses a process with another key),
//! the account id, and the root AccessKey, written once to `root-credentials.json` (mode 0600) — its
//! only clear copy on disk.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use oos_iam::identity::{AccessKeyRecord, KeyOwner, Table};
use oos_clock::Clock;
use oos_iam::{Iam, MasterKey};
use std::sync::Arc;

use oos_store::ServerStore;
use serde_json::json;

use crate::ServerError;
use crate::identity::RecordIdentityStore;

/// File holding the root AccessKey pair.
pub const ROOT_CREDENTIALS_FILE: &str = "root-credentials.json";
/// File holding the master key (mode 0600).
pub const MASTER_KEY_FILE: &str = "master.key";
const SETTINGS_KIND: &str = "Settings";
const ACCOUNT_ID_KEY: &str = "account-id";
/// A known text sealed with the master key of the store's first process.
const MASTER_KEY_CHECK: &str = "master-key-check";
const CHECK_TEXT: &str = "OpenOOS master key check";

/// Where a process finds its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFiles {
    /// The master key (created on first use); the same file for every process on one database.
    pub master_key: PathBuf,
    /// Where a first start writes the root AccessKey pair.
    pub root_credentials: PathBuf,
}

impl KeyFiles {
    /// Both files in `data_dir`.
    pub fn in_dir(data_dir: &Path) -> Self {
        Self { master_key: data_dir.join(MASTER_KEY_FILE), root_credentials: data_dir.join(ROOT_CREDENTIALS_FILE) }
    }
}

/// The IAM layer of a data directory, and what first start created.
#[derive(Debug)]
pub struct Identity {
    pub iam: Iam<RecordIdentityStore>,
    pub root_credentials: PathBuf,
    /// Whether this start created the root AccessKey.
    pub created_root_key: bool,
}

/// The IAM layer on `store` with the master key of `files` (checked against the store's, created on
/// the store's first start), dating what it creates by `clock`, for a worker: no root AccessKey is made.
pub async fn open_iam(store: &Arc<dyn ServerStore>, files: &KeyFiles, clock: Arc<dyn Clock>) -> Result<Iam<RecordIdentityStore>, ServerError> {
    let master_key = MasterKey::load_or_create(&files.master_key).map_err(|e| ServerError::Setup(e.to_string()))?;
    check_master_key(store, &master_key, &files.master_key).await?;
    let account = account_id(store).await?;
    Ok(Iam::new(account, RecordIdentityStore::new(store.clone()), master_key).with_clock(clock))
}

/// Opens (creating on first start) the account on `store`, with the keys of `files`: [`open_iam`],
/// and the root AccessKey when the account has none. (Two servers starting on an empty database at
/// once may both make one; each writes its own file, and the root may hold both.)
pub async fn open_identity(store: &Arc<dyn ServerStore>, files: &KeyFiles, clock: Arc<dyn Clock>) -> Result<Identity, ServerError> {
    let iam = open_iam(store, files, clock).await?;
    let account = iam.account().to_string();
    let root_credentials = files.root_credentials.clone();
    let keys: Vec<AccessKeyRecord> = Table::<AccessKeyRecord>::list(iam.store()).await.map_err(|e| ServerError::Setup(e.to_string()))?;
    let has_root_key = keys.iter().any(|key| key.owner == KeyOwner::Root);
    if !has_root_key {
        let key = iam.create_access_key(&KeyOwner::Root).await.map_err(|e| ServerError::Setup(e.to_string()))?;
        let document = json!({"AccessKeyId": key.id, "AccessKeySecret": key.secret.expose(), "AccountId": account, "Principal": "root"});
        write_private(&root_credentials, &serde_json::to_vec_pretty(&document).unwrap_or_default())?;
    }
    Ok(Identity { iam, root_credentials, created_root_key: !has_root_key })
}

/// Refuses a master key other than the one the store was set up with (its secrets would not open).
async fn check_master_key(store: &Arc<dyn ServerStore>, key: &MasterKey, path: &Path) -> Result<(), ServerError> {
    let setup = |e: oos_store::StoreError| ServerError::Setup(e.to_string());
    let check = match store.iam_record(SETTINGS_KIND, MASTER_KEY_CHECK).await.map_err(setup)? {
        Some(check) => check,
        None => {
            let sealed = key.seal(CHECK_TEXT, MASTER_KEY_CHECK);
            store.insert_iam_record(SETTINGS_KIND, MASTER_KEY_CHECK, &sealed).await.map_err(setup)?;
            // Two first starts at once: whichever check was written is the one to pass.
            store.iam_record(SETTINGS_KIND, MASTER_KEY_CHECK).await.map_err(setup)?.unwrap_or(sealed)
        }
    };
    match key.open(&check, MASTER_KEY_CHECK) {
        Ok(text) if text.expose() == CHECK_TEXT => Ok(()),
        _ => Err(ServerError::Setup(format!(
            "MasterKey.Mismatch: {} is not the master key this database was set up with; give every process on one database the same key file",
            path.display()
        ))),
    }
}

async fn account_id(store: &Arc<dyn ServerStore>) -> Result<String, ServerError> {
    let setup = |e: oos_store::StoreError| ServerError::Setup(e.to_string());
    if let Some(id) = store.iam_record(SETTINGS_KIND, ACCOUNT_ID_KEY).await.map_err(setup)? {
        return Ok(id);
    }
    let id = format!("{:016}", rand::random::<u64>() % 10_000_000_000_000_000);
    store.insert_iam_record(SETTINGS_KIND, ACCOUNT_ID_KEY, &id).await.map_err(setup)?;
    Ok(store.iam_record(SETTINGS_KIND, ACCOUNT_ID_KEY).await.map_err(setup)?.unwrap_or(id))
}

/// Writes `bytes` to a new file only the owner can read (replacing a stale one).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ServerError> {
    let fail = |e: std::io::Error| ServerError::Setup(format!("{}: {e}", path.display()));
    if path.exists() {
        std::fs::remove_file(path).map_err(fail)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(fail)?;
    file.write_all(bytes).and_then(|()| file.write_all(b"\n")).and_then(|()| file.sync_all()).map_err(fail)
}
