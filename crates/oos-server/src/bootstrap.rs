//! First start of a data directory: the master key that seals secrets, the account id, and the root
//! AccessKey, written once to `root-credentials.json` (mode 0600) — its only clear copy on disk.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use oos_iam::identity::{AccessKeyRecord, KeyOwner, Table};
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

/// The IAM layer of a data directory, and what first start created.
#[derive(Debug)]
pub struct Identity {
    pub iam: Iam<RecordIdentityStore>,
    pub root_credentials: PathBuf,
    /// Whether this start created the root AccessKey.
    pub created_root_key: bool,
}

/// Opens (creating on first start) the account of `data_dir`.
pub async fn open_identity(store: &Arc<dyn ServerStore>, data_dir: &Path) -> Result<Identity, ServerError> {
    let master_key = MasterKey::load_or_create(&data_dir.join(MASTER_KEY_FILE)).map_err(|e| ServerError::Setup(e.to_string()))?;
    let account = account_id(store).await?;
    let iam = Iam::new(account.clone(), RecordIdentityStore::new(store.clone()), master_key);
    let root_credentials = data_dir.join(ROOT_CREDENTIALS_FILE);
    let keys: Vec<AccessKeyRecord> = Table::<AccessKeyRecord>::list(iam.store()).await.map_err(|e| ServerError::Setup(e.to_string()))?;
    let has_root_key = keys.iter().any(|key| key.owner == KeyOwner::Root);
    if !has_root_key {
        let key = iam.create_access_key(&KeyOwner::Root).await.map_err(|e| ServerError::Setup(e.to_string()))?;
        let document = json!({"AccessKeyId": key.id, "AccessKeySecret": key.secret.expose(), "AccountId": account, "Principal": "root"});
        write_private(&root_credentials, &serde_json::to_vec_pretty(&document).unwrap_or_default())?;
    }
    Ok(Identity { iam, root_credentials, created_root_key: !has_root_key })
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
