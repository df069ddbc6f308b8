//! Retention on PostgreSQL: a pass runs while its process holds the session advisory lock
//! [`RETENTION_LOCK`] (one process at a time however many share the database); each batch is one
//! short READ COMMITTED transaction (statements in [`crate::sql::retention`]).

use sqlx::Postgres;

use super::PgStore;
use crate::Result;
use crate::audit::AuditRecord;
use crate::retention::{self, Prune, RetentionPolicy, RetentionReport, RetentionStore};
use crate::sql::retention as sql;

/// The advisory lock key of a retention pass (`oos_ret` in ASCII).
pub const RETENTION_LOCK: i64 = 0x006f_6f73_5f72_6574;

#[async_trait::async_trait]
impl RetentionStore for PgStore {
    async fn retain(&self, policy: &RetentionPolicy, now_ms: i64) -> Result<Option<RetentionReport>> {
        let mut holder = self.pool.acquire().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(RETENTION_LOCK).fetch_one(&mut *holder).await?;
        if !locked {
            return Ok(None);
        }
        let outcome = retention::run(self, policy, now_ms).await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(RETENTION_LOCK).execute(&mut *holder).await;
        if unlocked.is_err() {
            // The session's lock ends with the session: never hand a locking connection back.
            holder.detach();
        }
        outcome.map(Some)
    }
}

#[async_trait::async_trait]
impl Prune for PgStore {
    async fn ended_roots(&self, statuses: &[String], before_ms: i64, cursor: &(i64, String), limit: i64) -> Result<Vec<(i64, String)>> {
        Ok(sql::ended_roots::<Postgres>(statuses, before_ms, cursor, limit).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn prune_trees(&self, roots: &[String], now_ms: i64, whole: bool) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let changed = retention::prune_trees::<Postgres>(&mut tx, roots, now_ms, whole).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn oldest_audit(&self, limit: i64) -> Result<(Vec<AuditRecord>, i64)> {
        let records = sqlx::query_as("SELECT seq, time_ms, kind, body, prev_hash, hash FROM audit_log ORDER BY seq LIMIT $1").bind(limit).fetch_all(&self.pool).await?;
        let head: i64 = sqlx::query_scalar("SELECT seq FROM audit_head").fetch_one(&self.pool).await?;
        Ok((records, head))
    }

    async fn delete_audit(&self, first: i64, last: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM audit_log WHERE seq >= $1 AND seq <= $2").bind(first).bind(last).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
