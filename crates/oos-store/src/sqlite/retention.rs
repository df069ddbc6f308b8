//! Retention on SQLite: each batch one short `BEGIN IMMEDIATE` transaction (statements in
//! [`crate::sql::retention`]); the data directory has one process, so no lock between processes.

use sqlx::Sqlite;

use super::SqliteStore;
use crate::Result;
use crate::audit::AuditRecord;
use crate::retention::{self, Prune, RetentionPolicy, RetentionReport, RetentionStore};
use crate::sql::retention as sql;

#[async_trait::async_trait]
impl RetentionStore for SqliteStore {
    async fn retain(&self, policy: &RetentionPolicy, now_ms: i64) -> Result<Option<RetentionReport>> {
        retention::run(self, policy, now_ms).await.map(Some)
    }
}

#[async_trait::async_trait]
impl Prune for SqliteStore {
    async fn ended_roots(&self, statuses: &[String], before_ms: i64, cursor: &(i64, String), limit: i64) -> Result<Vec<(i64, String)>> {
        Ok(sql::ended_roots::<Sqlite>(statuses, before_ms, cursor, limit).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn prune_trees(&self, roots: &[String], now_ms: i64, whole: bool) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let changed = retention::prune_trees::<Sqlite>(&mut tx, roots, now_ms, whole).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn oldest_audit(&self, limit: i64) -> Result<(Vec<AuditRecord>, i64)> {
        let mut tx = self.pool.begin().await?;
        let records = sqlx::query_as("SELECT seq, time_ms, kind, body, prev_hash, hash FROM audit_log ORDER BY seq LIMIT ?1").bind(limit).fetch_all(&mut *tx).await?;
        let head: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log").fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok((records, head.unwrap_or(0)))
    }

    async fn delete_audit(&self, first: i64, last: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM audit_log WHERE seq >= ?1 AND seq <= ?2").bind(first).bind(last).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
