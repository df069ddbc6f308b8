//! Leases and the inbox on SQLite: claims run inside `BEGIN IMMEDIATE` (SQLite has a single writer).

use sqlx::{QueryBuilder, Sqlite};

use super::{SqliteStore, WorkerLock};
use crate::{Claimed, InboxEvent, InboxStore, LeaseStore, NewInboxEvent, Result};

impl SqliteStore {
    /// Expires every lease of an unfinished execution. Only sound while holding the data directory's
    /// [`WorkerLock`]: no other process can be stepping executions, so all leases left behind belong
    /// to dead processes.
    pub async fn release_stale_leases(&self, _proof: &WorkerLock) -> Result<()> {
        // Expired before any clock's time, their owners still named, so that the claims taking them
        // count as takeovers.
        sqlx::query("UPDATE executions SET lease_expires_ms = ?1 WHERE lease_owner IS NOT NULL AND end_ms IS NULL")
            .bind(i64::MIN)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Execution ids bound per `IN (…)` list (far below SQLite's variable limit).
const IDS_PER_QUERY: usize = 500;

#[async_trait::async_trait]
impl LeaseStore for SqliteStore {
    async fn claim(&self, owner: &str, now_ms: i64, ttl_ms: i64, limit: i64) -> Result<Vec<Claimed>> {
        // The write lock is held from the read of the candidates (with the owner whose lease each
        // had, for the takeover count) to their update: SQLite's RETURNING sees only new values.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let candidates: Vec<(String, Option<String>)> = sqlx::query_as(
            // The candidates come from the runnable index and the inbox, never a scan of every
            // execution the store keeps; an event left for a finished execution (a child's answer
            // to a parent cancelled meanwhile) makes no work.
            "SELECT id, lease_owner FROM executions WHERE id IN ( \
               SELECT id FROM executions WHERE runnable = 1 AND (wake_ms IS NULL OR wake_ms <= ?1) \
               UNION SELECT i.execution_id FROM inbox i JOIN executions f ON f.id = i.execution_id WHERE f.end_ms IS NULL) \
             AND (lease_owner IS NULL OR lease_expires_ms < ?1) \
             ORDER BY created_ms LIMIT ?2",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        for chunk in candidates.chunks(IDS_PER_QUERY) {
            let mut query = QueryBuilder::<Sqlite>::new("UPDATE executions SET lease_owner = ");
            query.push_bind(owner).push(", lease_expires_ms = ").push_bind(now_ms + ttl_ms).push(" WHERE id IN (");
            let mut ids = query.separated(", ");
            for (id, _) in chunk {
                ids.push_bind(id);
            }
            query.push(")");
            query.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(candidates.into_iter().map(|(id, previous)| Claimed { id, taken_from: previous.filter(|previous| previous != owner) }).collect())
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

    async fn leased(&self, owner: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM executions WHERE lease_owner = ?1 AND end_ms IS NULL ORDER BY created_ms")
            .bind(owner)
            .fetch_all(&self.pool)
            .await?)
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
        self.wakeups.announce();
        Ok(())
    }

    fn wakeups(&self) -> tokio::sync::watch::Receiver<u64> {
        self.wakeups.subscribe()
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
        super::audit::commit_audited(tx).await?;
        self.wakeups.announce();
        Ok(())
    }

    async fn pending(&self, execution_ids: &[String]) -> Result<Vec<InboxEvent>> {
        let mut events = Vec::new();
        for chunk in execution_ids.chunks(IDS_PER_QUERY) {
            let mut query = QueryBuilder::<Sqlite>::new("SELECT id, execution_id, payload FROM inbox WHERE execution_id IN (");
            let mut ids = query.separated(", ");
            for id in chunk {
                ids.push_bind(id);
            }
            query.push(") ORDER BY id");
            events.extend(query.build_query_as::<InboxEvent>().fetch_all(&self.pool).await?);
        }
        events.sort_by_key(|event| event.id);
        Ok(events)
    }

    async fn held_inbox(&self, owner: &str) -> Result<Vec<InboxEvent>> {
        Ok(sqlx::query_as(
            "SELECT i.id, i.execution_id, i.payload FROM inbox i JOIN executions e ON e.id = i.execution_id \
             WHERE e.lease_owner = ?1 ORDER BY i.id",
        )
        .bind(owner)
        .fetch_all(&self.pool)
        .await?)
    }
}
