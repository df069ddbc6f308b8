//! What the scheduler bench reads from the server's store while it runs: each firing's tick, when it
//! fired and when its child execution was created and started (SQLite file or PostgreSQL database),
//! and on PostgreSQL the transactions the database has committed and rolled back.

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, PgConnection};

/// One firing as the store holds it (Unix milliseconds).
#[derive(Debug, Clone, Copy)]
pub struct Firing {
    /// The tick (the firing's key).
    pub tick_ms: i64,
    /// When the trigger's step fired it (`trigger_firings.fired_ms`).
    pub fired_ms: i64,
    /// When its child execution was created (`executions.created_ms`).
    pub created_ms: i64,
    /// When its child execution started (`executions.start_ms`), if it has.
    pub start_ms: Option<i64>,
}

/// The firings with their children, joined in the store.
const FIRINGS: &str = "SELECT f.fire_key, f.fired_ms, c.created_ms, c.start_ms FROM trigger_firings f \
    JOIN executions c ON c.id = f.child_execution_id";

/// The triggers armed so far.
const ARMED: &str = "SELECT COUNT(*) FROM triggers WHERE next_ms IS NOT NULL";

/// A reading connection to the store the server writes.
pub enum StoreReader {
    Sqlite(SqliteConnection),
    Postgres { connection: PgConnection, admin: PgConnection, database: String },
}

impl StoreReader {
    /// Opens the embedded store of data directory `dir`, read-only (the server keeps writing it).
    pub async fn sqlite(dir: &Path) -> Self {
        let options = SqliteConnectOptions::new().filename(dir.join("oos.db")).read_only(true);
        Self::Sqlite(SqliteConnection::connect_with(&options).await.expect("the server's SQLite store opens"))
    }

    /// Connects to database `database` at `url`, and to the server's `postgres` database at
    /// `admin_url` for the statistics.
    pub async fn postgres(url: &str, admin_url: &str, database: &str) -> Self {
        let connection = PgConnection::connect(url).await.expect("the server's database");
        let admin = PgConnection::connect(admin_url).await.expect("the postgres database");
        Self::Postgres { connection, admin, database: database.to_string() }
    }

    /// Every firing so far.
    pub async fn firings(&mut self) -> Vec<Firing> {
        let rows: Vec<(String, i64, i64, Option<i64>)> = match self {
            Self::Sqlite(connection) => sqlx::query_as(FIRINGS).fetch_all(connection).await,
            Self::Postgres { connection, .. } => sqlx::query_as(FIRINGS).fetch_all(connection).await,
        }
        .expect("the firings are read");
        rows.into_iter()
            .map(|(key, fired_ms, created_ms, start_ms)| Firing { tick_ms: key.parse().expect("a timer firing's key is its tick"), fired_ms, created_ms, start_ms })
            .collect()
    }

    /// How many triggers are armed (their next tick stored).
    pub async fn armed(&mut self) -> i64 {
        match self {
            Self::Sqlite(connection) => sqlx::query_scalar(ARMED).fetch_one(connection).await,
            Self::Postgres { connection, .. } => sqlx::query_scalar(ARMED).fetch_one(connection).await,
        }
        .expect("the triggers are counted")
    }

    /// PostgreSQL only: the transactions the database has committed and rolled back so far (each
    /// statement outside a transaction is one). None on SQLite.
    pub async fn transactions(&mut self) -> Option<i64> {
        let Self::Postgres { admin, database, .. } = self else { return None };
        // A fresh statistics snapshot each time (PostgreSQL otherwise caches it for the transaction).
        sqlx::query("SELECT pg_stat_clear_snapshot()").execute(&mut *admin).await.expect("snapshot cleared");
        let count = sqlx::query_scalar("SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = $1")
            .bind(database.as_str())
            .fetch_one(admin)
            .await
            .expect("database statistics");
        Some(count)
    }
}
