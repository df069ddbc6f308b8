//! Where a test server keeps its state, on either store backend: the data directory (keys, the
//! embedded store's file) and, on PostgreSQL, a scratch database of its own.
#![allow(dead_code, reason = "each test binary uses a part of these")]

use std::sync::Arc;

use oos_store::postgres::{PgSettings, ScratchDatabase};
use oos_store::sqlite::Durability;
use oos_store::{PgStore, ServerStore, SqliteStore};
use sqlx::Connection;

/// Which store a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a test server keeps its state: a data directory (its keys; the embedded store's file) and,
/// on PostgreSQL, a database of its own.
pub struct Bed {
    dir: tempfile::TempDir,
    database: Option<ScratchDatabase>,
}

impl Bed {
    pub async fn new(backend: Backend) -> Self {
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(ScratchDatabase::create().await.expect("a scratch database")),
        };
        Self { dir: tempfile::tempdir().unwrap(), database }
    }

    /// The data directory.
    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// A new handle on the store, as another process would open it.
    pub async fn store(&self) -> Arc<dyn ServerStore> {
        match &self.database {
            None => Arc::new(SqliteStore::open(self.dir.path(), Durability::Normal).await.unwrap()),
            Some(database) => Arc::new(PgStore::open(&database.url(), &PgSettings::default()).await.unwrap()),
        }
    }

    /// Refreshes the planner's statistics after a bulk load, as PostgreSQL's autovacuum does within
    /// a minute of one (the embedded store keeps none).
    pub async fn analyze(&self) {
        if let Some(database) = &self.database {
            let mut connection = sqlx::PgConnection::connect(&database.url()).await.unwrap();
            sqlx::query("ANALYZE").execute(&mut connection).await.unwrap();
        }
    }

    /// Index and sequential scans of `tables` so far, by PostgreSQL's statistics (which a backend
    /// reports within about ten seconds of its work); `None` on the embedded store.
    pub async fn scans(&self, tables: &[&str]) -> Option<i64> {
        let database = self.database.as_ref()?;
        let mut connection = sqlx::PgConnection::connect(&database.url()).await.unwrap();
        let sql = "SELECT COALESCE(SUM(COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0)), 0)::BIGINT FROM pg_stat_user_tables WHERE relname = ANY($1)";
        Some(sqlx::query_scalar(sql).bind(tables).fetch_one(&mut connection).await.unwrap())
    }

    /// Every stored audit record's body and hashes as text, read with raw SQL beside the server.
    pub async fn audit_text(&self) -> String {
        const SQL: &str = "SELECT body, prev_hash, hash FROM audit_log";
        let rows: Vec<(String, String, String)> = match &self.database {
            None => {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(self.dir.path().join("oos.db"));
                let mut connection = sqlx::sqlite::SqliteConnection::connect_with(&options).await.unwrap();
                sqlx::query_as(SQL).fetch_all(&mut connection).await.unwrap()
            }
            Some(database) => {
                let mut connection = sqlx::PgConnection::connect(&database.url()).await.unwrap();
                sqlx::query_as(SQL).fetch_all(&mut connection).await.unwrap()
            }
        };
        rows.into_iter().map(|(body, prev, hash)| format!("{body}\n{prev}\n{hash}\n")).collect()
    }
}
