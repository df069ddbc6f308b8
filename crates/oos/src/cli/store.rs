//! Where `oos server` and `oos worker` keep their state: the embedded SQLite store of a data
//! directory (one process), or a PostgreSQL database shared by any number of `oos server` and
//! `oos worker` processes (`--database postgres://…` or `OOS_DATABASE_URL`). The master key that
//! seals secrets is a file (`--master-key-file`, default `<data-dir>/master.key`): every process on
//! one database needs the same one.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use oos_server::KeyFiles;
use oos_store::postgres::{PgSettings, redacted_url};
use oos_store::sqlite::WorkerLock;
use oos_store::{PgStore, ServerStore, SqliteStore};

use super::run::{DataDirArgs, open_store, take_over};

/// Options choosing the store.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    #[command(flatten)]
    pub data: DataDirArgs,
    /// A PostgreSQL database shared by several `oos server` / `oos worker` processes
    /// (postgres://user:password@host:5432/oos; created if missing). Without it `oos server` uses the
    /// embedded store of its data directory; `oos worker` needs it.
    #[arg(long = "database", env = "OOS_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// Connections this process opens to PostgreSQL at most.
    #[arg(long, env = "OOS_DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,
    /// The master key file (created on first use); the same for every process on one database.
    /// Default: <data-dir>/master.key.
    #[arg(long, env = "OOS_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
}

/// Options choosing a store to read (`oos audit`): a data directory's, or a PostgreSQL database.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadArgs {
    #[command(flatten)]
    pub data: DataDirArgs,
    /// Read this PostgreSQL database (postgres://…) instead of the data directory's.
    #[arg(long = "database", env = "OOS_DATABASE_URL", hide_env_values = true, global = true)]
    pub database: Option<String>,
}

impl ReadArgs {
    /// Opens the store for reading, beside any processes that run on it.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn ServerStore>> {
        match &self.database {
            Some(url) => {
                if !PgStore::exists(url).await.with_context(|| format!("reaching database {}", redacted_url(url)))? {
                    bail!("no database at {}", redacted_url(url));
                }
                Ok(Arc::new(open_postgres(url, 2).await?))
            }
            None if !SqliteStore::exists(&self.data.data_dir) => bail!("no store in data directory {}", self.data.data_dir.display()),
            None => Ok(Arc::new(open_store(&self.data).await?)),
        }
    }
}

/// An opened store and what keeps it exclusive.
pub struct Opened {
    pub store: Arc<dyn ServerStore>,
    /// The data directory's worker lock (embedded store only: one process runs its executions).
    _lock: Option<WorkerLock>,
}

impl StoreArgs {
    /// The key files: the master key as given (or in the data directory), root credentials in the
    /// data directory (created if missing).
    pub fn key_files(&self) -> anyhow::Result<KeyFiles> {
        std::fs::create_dir_all(&self.data.data_dir).with_context(|| format!("creating data directory {}", self.data.data_dir.display()))?;
        let mut files = KeyFiles::in_dir(&self.data.data_dir);
        if let Some(master_key) = &self.master_key_file {
            files.master_key = master_key.clone();
        }
        Ok(files)
    }

    /// Opens the store; the embedded one is taken over as this process's alone (`embedded_ok`
    /// false: refused, for commands that only make sense on a shared database).
    pub async fn open(&self, embedded_ok: bool) -> anyhow::Result<Opened> {
        match &self.database {
            Some(url) => Ok(Opened { store: Arc::new(open_postgres(url, self.database_max_connections).await?), _lock: None }),
            None if !embedded_ok => bail!("this command needs a shared database: give --database postgres://… (or OOS_DATABASE_URL)"),
            None => {
                let store = open_store(&self.data).await?;
                let lock = take_over(&store).await?;
                Ok(Opened { store: Arc::new(store), _lock: Some(lock) })
            }
        }
    }
}

/// The PostgreSQL store at `url`, with at most `max_connections` connections.
async fn open_postgres(url: &str, max_connections: u32) -> anyhow::Result<PgStore> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!("--database {}: only postgres:// URLs are supported (the embedded store needs no URL)", redacted_url(url));
    }
    let settings = PgSettings { max_connections, ..PgSettings::default() };
    let store = PgStore::open(url, &settings).await.with_context(|| format!("opening database {}", redacted_url(url)))?;
    tracing::info!(database = %redacted_url(url), "store: PostgreSQL");
    Ok(store)
}
