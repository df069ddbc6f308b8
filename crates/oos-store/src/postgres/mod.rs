//! The PostgreSQL store: many `oos server` and `oos worker` processes on one database, which is the
//! only point of coordination. Claims take rows with `FOR UPDATE SKIP LOCKED`, every execution write
//! is fenced by its lease, and new work is announced with `NOTIFY` on [`WORK_CHANNEL`] after the
//! commit (see [`PgStore::wakeups`]), changed executions on [`CHANGES_CHANNEL`]. Transactions run at READ COMMITTED; the few places that need
//! more order take a row lock (the audit chain's head, held only by the sealer; a template's latest
//! version).

mod api_executions;
mod api_parameters;
mod api_tags;
mod api_templates;
mod assistant;
mod console;
mod states;
mod audit;
mod background;
mod changes;
mod execution_list;
mod lease;
mod read;
mod retention;
mod sandbox_inbox;
mod scratch;
mod triggers;
mod wakeups;
mod write;

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::{Result, StoreError};

pub use scratch::ScratchDatabase;
pub use wakeups::WORK_CHANNEL;
pub use changes::CHANGES_CHANNEL;
pub use retention::RETENTION_LOCK;

/// The schema of the shared store, as this binary carries it.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-postgres");

/// The PostgreSQL implementation of every store trait.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    listening: wakeups::Listening,
    notifier: background::Job,
    changes: changes::Notifier,
    sealer: background::Job,
}

/// Connection settings of a [`PgStore`].
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// Most connections this process opens (the listener for wakeups is one more).
    pub max_connections: u32,
    /// How long a request waits for a free connection before it fails.
    pub acquire_timeout: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        Self { max_connections: 16, acquire_timeout: Duration::from_secs(10) }
    }
}

impl PgStore {
    /// Connects to `url` (creating the database when it does not exist) and applies pending
    /// migrations; concurrent processes wait for each other's migrations (an advisory lock).
    pub async fn open(url: &str, settings: &PgSettings) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(|e| StoreError::DataDir { path: redacted_url(url), message: e.to_string() })?;
        if !sqlx::Postgres::database_exists(url).await? {
            // Two processes may race to create it: the loser finds it created.
            if let Err(error) = sqlx::Postgres::create_database(url).await
                && !sqlx::Postgres::database_exists(url).await?
            {
                return Err(error.into());
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        let changes = changes::Notifier::start(pool.clone(), changes::new_origin());
        let listening = wakeups::Listening::start(options, std::sync::Arc::clone(changes.origin()));
        let (notifier, sealer) = (wakeups::notifier(pool.clone()), audit::sealer(pool.clone()));
        Ok(Self { pool, listening, notifier, changes, sealer })
    }

    /// Whether the database of `url` exists (for readers that must not create one).
    pub async fn exists(url: &str) -> Result<bool> {
        Ok(sqlx::Postgres::database_exists(url).await?)
    }

    /// The connection pool (for the store's own modules and for `oos admin`).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait::async_trait]
impl crate::health::Readiness for PgStore {
    async fn migrations(&self) -> Result<crate::health::Migrations> {
        let applied: Vec<(i64, Vec<u8>)> = sqlx::query_as(crate::health::APPLIED).fetch_all(&self.pool).await?;
        Ok(crate::health::Migrations::compare(&MIGRATOR, &applied))
    }

    async fn waiting(&self, now_ms: i64) -> Result<crate::health::Waiting> {
        let (executions, oldest_due_ms): (i64, Option<i64>) = sqlx::query_as(sqlx::AssertSqlSafe(crate::health::waiting_sql("runnable"))).bind(now_ms).fetch_one(&self.pool).await?;
        Ok(crate::health::Waiting { executions, oldest_due_ms })
    }

    fn pool_use(&self) -> crate::health::PoolUse {
        crate::health::PoolUse::of(&self.pool)
    }
}

#[async_trait::async_trait]
impl crate::Close for PgStore {
    /// Seals the audit records still in the intake, stops the background jobs and closes the pool.
    async fn close(&self) {
        if let Err(error) = audit::seal(&self.pool).await {
            tracing::warn!(%error, "sealing audit records at close failed; the next process to seal does it");
        }
        self.listening.stop();
        self.notifier.stop();
        self.changes.stop();
        self.sealer.stop();
        self.pool.close().await;
    }
}

/// `url` with its password (`scheme://user:password@host/…`) replaced, for messages and logs.
pub fn redacted_url(url: &str) -> String {
    match split_password(url) {
        Some((before, _, after)) => format!("{before}:{}@{after}", crate::audit::REDACTED),
        None => url.to_owned(),
    }
}

/// `url` without its password, and the password (percent-decoded), for tools that take it apart
/// (`pg_dump` reads it from `PGPASSWORD`, so it stays off the command line).
pub fn without_password(url: &str) -> (String, Option<String>) {
    match split_password(url) {
        Some((before, password, after)) => {
            let decoded = percent_encoding::percent_decode_str(password).decode_utf8_lossy().into_owned();
            (format!("{before}@{after}"), Some(decoded))
        }
        None => (url.to_owned(), None),
    }
}

/// `scheme://user`, the password and `host/…` of a URL with a password.
fn split_password(url: &str) -> Option<(String, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (user_info, _) = rest[..authority_end].rsplit_once('@')?;
    let (user, password) = user_info.split_once(':')?;
    Some((format!("{scheme}://{user}"), password, &rest[user_info.len() + 1..]))
}

#[cfg(test)]
mod tests {
    use super::{redacted_url, without_password};

    #[test]
    fn passwords_are_taken_out_of_urls() {
        let url = "postgres://oos:p%40ss:w@db.internal:5432/oos?sslmode=require";
        assert_eq!(redacted_url(url), format!("postgres://oos:{}@db.internal:5432/oos?sslmode=require", crate::audit::REDACTED));
        assert_eq!(without_password(url), ("postgres://oos@db.internal:5432/oos?sslmode=require".to_owned(), Some("p@ss:w".to_owned())));
        assert_eq!(without_password("postgres://postgres@127.0.0.1/x"), ("postgres://postgres@127.0.0.1/x".to_owned(), None));
        assert_eq!(redacted_url("postgres://127.0.0.1/x"), "postgres://127.0.0.1/x");
    }
}
