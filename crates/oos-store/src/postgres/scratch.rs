//! Throw-away databases for tests: each [`ScratchDatabase`] is a fresh database on the server named
//! by `OOS_TEST_POSTGRES` (default: the local PostgreSQL, user `postgres`), dropped when the value is
//! dropped. Databases left by test processes that no longer run are dropped on the next create.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, PgConnection, Row};

use crate::Result;

/// The server tests use when `OOS_TEST_POSTGRES` is not set.
const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432";
const PREFIX: &str = "oos_test_";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A database of its own for one test.
#[derive(Debug)]
pub struct ScratchDatabase {
    server: String,
    name: String,
}

impl ScratchDatabase {
    /// Creates an empty database.
    pub async fn create() -> Result<Self> {
        let server = std::env::var("OOS_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_SERVER.into());
        let server = server.trim_end_matches('/').to_owned();
        let name = format!("{PREFIX}{}_{}_{:08x}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), rand_suffix());
        let mut admin = PgConnection::connect(&format!("{server}/postgres")).await?;
        drop_orphans(&mut admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await?;
        admin.close().await?;
        Ok(Self { server, name })
    }

    /// The URL of the database.
    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    /// The URL of the server's `postgres` database (for tests that act as an administrator).
    pub fn admin_url(&self) -> String {
        format!("{}/postgres", self.server)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Ends every connection to the database (a lost connection, for fault tests), from a
    /// connection to the server's `postgres` database; returns how many were ended.
    pub async fn cut_connections(&self) -> Result<usize> {
        let mut admin = PgConnection::connect(&self.admin_url()).await?;
        let cut: Vec<bool> = sqlx::query_scalar("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
            .bind(&self.name)
            .fetch_all(&mut admin)
            .await?;
        admin.close().await?;
        Ok(cut.into_iter().filter(|ended| *ended).count())
    }

    /// Transactions committed plus rolled back in the database so far (`pg_stat_database`, read
    /// from the `postgres` database so the reading is not counted). A backend reports its
    /// statistics at most once a second, and one that goes idle with some unreported reports them
    /// 10 s later (PostgreSQL 15's `PGSTAT_IDLE_INTERVAL`): the figure lags the database by that much.
    pub async fn transactions(&self) -> Result<i64> {
        let mut admin = PgConnection::connect(&self.admin_url()).await?;
        let count = sqlx::query_scalar("SELECT (xact_commit + xact_rollback)::BIGINT FROM pg_stat_database WHERE datname = $1")
            .bind(&self.name)
            .fetch_one(&mut admin)
            .await?;
        admin.close().await?;
        Ok(count)
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let admin = self.admin_url();
        let name = self.name.clone();
        // Drop runs inside and outside runtimes alike: a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut connection = PgConnection::connect(&admin).await.ok()?;
                drop_database(&mut connection, &name).await.ok()
            })
        })
        .join();
    }
}

fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    nanos ^ (std::process::id() << 16)
}

async fn drop_database(admin: &mut PgConnection, name: &str) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(admin).await?;
    Ok(())
}

/// Drops scratch databases whose test process is gone (killed before its databases were dropped).
async fn drop_orphans(admin: &mut PgConnection) -> Result<()> {
    let rows = sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'oos\\_test\\_%'").fetch_all(&mut *admin).await?;
    for row in rows {
        let name: String = row.try_get("datname")?;
        let pid = name.trim_start_matches(PREFIX).split('_').next().and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = drop_database(admin, &name).await;
        }
    }
    Ok(())
}
