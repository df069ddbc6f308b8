//! Leases and the inbox on SQLite: claims run inside `BEGIN IMMEDIATE` (SQLite has a single writer).

use sqlx::Row;

use super::read::inbox_from_row;
use super::{SqliteStore, WorkerLock};
use crate::{InboxEvent, InboxStore, LeaseStore, NewInboxEvent, Result};

impl SqliteStore {
    /// Frees every lease. Only sound while holding the data directory's [`WorkerLock`]: no other
    /// process can be stepping executions, so all leases left behind belong to dead processes.
    pub async fn release_stale_leases(&self, _proof: &WorkerLock) -> Result<()> {
        sqlx::query("UPDATE executions SET lease_owner = NULL, lease_expires_ms = 0 WHERE lease_owner IS NOT NULL")
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl LeaseStore for SqliteStore {
    async fn claim(&self, owner: &str, now_ms: i64, ttl_ms: i64, limit: i64) -> Result<Vec<String>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(
            "UPDATE executions SET lease_owner = ?1, lease_expires_ms = ?2 WHERE id IN ( \
               SELECT id FROM executions WHERE (runnable = 1 OR id IN (SELECT execution_id FROM inbox)) \
               AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_expires_ms < ?3) \
               ORDER BY created_ms LIMIT ?4) RETURNING id",
        )
        .bind(owner)
        .bind(now_ms + ttl_ms)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    async fn renew(&self, owner: &str, now_ms: i64, ttl_ms: i64) -> Result<()> {
        // Finished executions keep their last owner; their leases need no renewal (index 0016).
        sqlx::query("UPDATE executions SET lease_expires_ms = ?2 WHERE lease_owner = ?1 AND end_ms IS NULL")
            .bind(owner)
            .bind(now_ms + ttl_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn release(&self, owner: &str, execution_ids: &[String]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in execution_ids {
            sqlx::query("UPDATE executions SET lease_owner = NULL, lease_expires_ms = 0 WHERE id = ?1 AND lease_owner = ?2")
                .bind(id)
                .bind(owner)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl InboxStore for SqliteStore {
    async fn push(&self, event: NewInboxEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO inbox (execution_id, payload, created_ms) VALUES (?1, ?2, ?3)")
            .bind(&event.execution_id)
            .bind(&event.payload)
            .bind(event.created_ms)
            .execute(&mut *tx)
            .await?;
        super::audit::commit_audited(tx).await
    }

    async fn pending(&self, execution_ids: &[String]) -> Result<Vec<InboxEvent>> {
        let mut events = Vec::new();
        for id in execution_ids {
            let rows = sqlx::query("SELECT id, execution_id, payload FROM inbox WHERE execution_id = ?1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
            for row in &rows {
                events.push(inbox_from_row(row)?);
            }
        }
        Ok(events)
    }
}
