//! The embedded SQLite store: one database file in a data directory, WAL journal, single writer process.
//!
//! Durability choice: `journal_mode=WAL` with `synchronous=NORMAL`. In WAL mode a commit is appended
//! to the WAL before `COMMIT` returns, so a crash of the *process* (SIGKILL, panic) never loses a
//! committed step; only a power loss or OS crash can drop the last few commits (the WAL is fsynced
//! at checkpoints). `synchronous=FULL` (fsync per commit) closes that window at a large cost per
//! step; it is one option away ([`Durability::Full`]).

mod api_executions;
mod api_parameters;
mod api_tags;
mod api_templates;
mod assistant;
mod console;
pub mod backup;
mod states;
mod execution_list;
mod audit;
mod lease;
mod read;
mod retention;
mod sandbox_inbox;
mod triggers;
mod write;

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Changes, Result, StoreError, Wakeups};

/// How hard a commit is pushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Survives process crashes; the last commits may be lost on power loss (WAL + NORMAL).
    #[default]
    Normal,
    /// fsync on every commit: also survives power loss.
    Full,
}

/// The SQLite implementation of every store trait.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    dir: PathBuf,
    /// In-process only: one process steps the executions of an embedded store.
    wakeups: Wakeups,
    /// In-process as well: the one writing process is the one serving streams.
    changes: Changes,
}

/// Held while this process runs executions on the data directory; dropping it releases the lock.
#[derive(Debug)]
pub struct WorkerLock {
    _file: File,
}

/// The schema of the embedded store, as this binary carries it.
pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database file in a data directory.
pub const DATABASE_FILE: &str = "oos.db";
const LOCK_FILE: &str = "worker.lock";

impl SqliteStore {
    /// Whether `dir` holds a store (for readers that must not create one).
    pub fn exists(dir: &Path) -> bool {
        dir.join(DATABASE_FILE).is_file()
    }

    /// Opens (creating if needed) the store in `dir` and applies pending migrations.
    pub async fn open(dir: &Path, durability: Durability) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| data_dir_error(dir, e))?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(dir.join(DATABASE_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match durability {
                Durability::Normal => SqliteSynchronous::Normal,
                Durability::Full => SqliteSynchronous::Full,
            })
            .busy_timeout(Duration::from_secs(10))
            // Statement journals of multi-row upserts in memory, and room for a large loop's pages.
            .pragma("temp_store", "MEMORY")
            .pragma("cache_size", "-16000")
            .foreign_keys(false);
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, dir: dir.to_path_buf(), wakeups: Wakeups::default(), changes: Changes::default() })
    }

    /// The connection pool (for the store's own modules).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The data directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the data directory's worker lock without waiting. Only one process may run executions
    /// on an embedded store; the holder may therefore treat every other lease as stale.
    pub fn try_worker_lock(&self) -> Result<WorkerLock> {
        let path = self.dir.join(LOCK_FILE);
        let file = File::create(&path).map_err(|e| data_dir_error(&self.dir, e))?;
        match file.try_lock() {
            Ok(()) => Ok(WorkerLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(StoreError::Busy(self.dir.display().to_string())),
            Err(TryLockError::Error(e)) => Err(data_dir_error(&self.dir, e)),
        }
    }
}

impl crate::ChangeFeed for SqliteStore {
    fn changes(&self) -> tokio::sync::broadcast::Receiver<crate::Change> {
        self.changes.subscribe()
    }
}

#[async_trait::async_trait]
impl crate::health::Readiness for SqliteStore {
    async fn migrations(&self) -> Result<crate::health::Migrations> {
        let applied: Vec<(i64, Vec<u8>)> = sqlx::query_as(crate::health::APPLIED).fetch_all(&self.pool).await?;
        Ok(crate::health::Migrations::compare(&MIGRATOR, &applied))
    }

    async fn waiting(&self, now_ms: i64) -> Result<crate::health::Waiting> {
        let (executions, oldest_due_ms): (i64, Option<i64>) = sqlx::query_as(sqlx::AssertSqlSafe(crate::health::waiting_sql("runnable = 1"))).bind(now_ms).fetch_one(&self.pool).await?;
        Ok(crate::health::Waiting { executions, oldest_due_ms })
    }

    fn pool_use(&self) -> crate::health::PoolUse {
        crate::health::PoolUse::of(&self.pool)
    }
}

#[async_trait::async_trait]
impl crate::Close for SqliteStore {
    async fn close(&self) {
        self.pool.close().await;
    }
}

fn data_dir_error(dir: &Path, error: std::io::Error) -> StoreError {
    StoreError::DataDir { path: dir.display().to_string(), message: error.to_string() }
}

#[cfg(test)]
mod tests;
