//! Leases and the inbox on PostgreSQL. A claim locks the rows it takes with `FOR UPDATE SKIP
//! LOCKED`, so concurrent workers never wait on each other's candidates and never take the same
//! execution; the lease columns then fence every later write.

use super::PgStore;
use crate::{Claimed, InboxEvent, InboxStore, LeaseStore, NewInboxEvent, Result};

#[async_trait::async_trait]
impl LeaseStore for PgStore {
    async fn claim(&self, owner: &str, now_ms: i64, ttl_ms: i64, limit: i64) -> Result<Vec<Claimed>> {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            // The candidates come from the runnable index and the inbox, never a scan of every
            // execution the store keeps; an event left for a finished execution (a child's answer
            // to a parent cancelled meanwhile) makes no work. The locked candidates keep the owner
            // whose lease they had, for the takeover count.
            "UPDATE executions e SET lease_owner = $1, lease_expires_ms = $2 FROM ( \
               SELECT id, lease_owner FROM executions WHERE id IN ( \
                 SELECT id FROM executions WHERE runnable AND (wake_ms IS NULL OR wake_ms <= $3) \
                 UNION SELECT i.execution_id FROM inbox i JOIN executions f ON f.id = i.execution_id WHERE f.end_ms IS NULL) \
               AND (lease_owner IS NULL OR lease_expires_ms < $3) \
               ORDER BY created_ms LIMIT $4 FOR UPDATE SKIP LOCKED) c \
             WHERE e.id = c.id RETURNING e.id, NULLIF(c.lease_owner, $1)",
        )
        .bind(owner)
        .bind(now_ms + ttl_ms)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id, taken_from)| Claimed { id, taken_from }).collect())
    }

    async fn renew(&self, owner: &str, now_ms: i64, ttl_ms: i64) -> Result<()> {
        sqlx::query("UPDATE executions SET lease_expires_ms = $2 WHERE lease_owner = $1 AND end_ms IS NULL")
            .bind(owner)
            .bind(now_ms + ttl_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn leased(&self, owner: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM executions WHERE lease_owner = $1 AND end_ms IS NULL ORDER BY created_ms")
            .bind(owner)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn release(&self, owner: &str, execution_ids: &[String]) -> Result<()> {
        if execution_ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE executions SET lease_owner = NULL, lease_expires_ms = 0 WHERE id = ANY($1) AND lease_owner = $2")
            .bind(execution_ids)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.announce();
        Ok(())
    }

    fn wakeups(&self) -> tokio::sync::watch::Receiver<u64> {
        self.listening.local.subscribe()
    }
}

#[async_trait::async_trait]
impl InboxStore for PgStore {
    async fn push(&self, event: NewInboxEvent) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO inbox (execution_id, payload, created_ms) VALUES ($1, $2, $3)")
            .bind(&event.execution_id)
            .bind(&event.payload)
            .bind(event.created_ms)
            .execute(&mut *tx)
            .await?;
        self.commit_audited(tx).await?;
        self.announce();
        Ok(())
    }

    async fn pending(&self, execution_ids: &[String]) -> Result<Vec<InboxEvent>> {
        Ok(sqlx::query_as("SELECT id, execution_id, payload FROM inbox WHERE execution_id = ANY($1) ORDER BY id")
            .bind(execution_ids)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn held_inbox(&self, owner: &str) -> Result<Vec<InboxEvent>> {
        Ok(sqlx::query_as(
            "SELECT i.id, i.execution_id, i.payload FROM inbox i JOIN executions e ON e.id = i.execution_id \
             WHERE e.lease_owner = $1 ORDER BY i.id",
        )
        .bind(owner)
        .fetch_all(&self.pool)
        .await?)
    }
}
