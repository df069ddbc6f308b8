//! The audit trail in SQLite (`audit_log`): appends inside the caller's write transaction (the chain
//! head is read in that `BEGIN IMMEDIATE` transaction, so appends are serialized), queries, and the
//! chain walk of `verify_audit`.

use sqlx::{QueryBuilder, Row, Sqlite, Transaction};

use super::SqliteStore;
use crate::Result;
use crate::api::AuditStore;
use crate::audit::{self, AuditQuery, AuditRecord, ChainSource, GENESIS, NewAudit, Verification};

/// Records per INSERT statement when appending (6 bound values each, far below SQLite's limit).
const APPEND_BATCH: usize = 500;

/// Appends `entries` to the chain within `tx`.
pub(crate) async fn append(tx: &mut Transaction<'static, Sqlite>, entries: &[NewAudit]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
    let (seq, prev_hash) = match head {
        Some(row) => (row.try_get::<i64, _>("seq")?, row.try_get::<String, _>("hash")?),
        None => (0, GENESIS.to_string()),
    };
    let rows = audit::link(seq, prev_hash, entries);
    // Multi-row inserts: a turn of a 1,000-item loop appends 1,000 cloud-call records.
    for chunk in rows.chunks(APPEND_BATCH) {
        let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new("INSERT INTO audit_log (seq, time_ms, kind, body, prev_hash, hash) ");
        insert.push_values(chunk, |mut row, linked| {
            row.push_bind(linked.seq)
                .push_bind(linked.time_ms)
                .push_bind(&linked.kind)
                .push_bind(linked.body.as_str())
                .push_bind(linked.prev_hash.as_str())
                .push_bind(linked.hash.as_str());
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Commits `tx` together with the current request's pending audit entry (see [`audit::scope`]).
pub(crate) async fn commit_audited(mut tx: Transaction<'static, Sqlite>) -> Result<()> {
    let pending = audit::pending();
    if let Some(entry) = &pending {
        append(&mut tx, std::slice::from_ref(entry)).await?;
    }
    tx.commit().await?;
    if pending.is_some() {
        audit::mark_committed();
    }
    Ok(())
}

#[async_trait::async_trait]
impl AuditStore for SqliteStore {
    /// Appends records in a transaction of their own (records of requests that changed nothing).
    async fn append_audit(&self, entries: &[NewAudit]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        append(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records matching `query`, oldest first (newest first when it asks).
    async fn audit_records(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let mut sql = audit::records_query::<Sqlite>(query);
        Ok(sql.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn verify_audit(&self) -> Result<Verification> {
        audit::walk(self).await
    }
}

#[async_trait::async_trait]
impl ChainSource for SqliteStore {
    async fn records_after(&self, seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        Ok(sqlx::query_as("SELECT seq, time_ms, kind, body, prev_hash, hash FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn seq_with_hash(&self, hash: &str, not_seq: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT seq FROM audit_log WHERE hash = ?1 AND seq <> ?2 LIMIT 1").bind(hash).bind(not_seq).fetch_optional(&self.pool).await?)
    }
}

impl SqliteStore {
    /// Begins a write transaction (`BEGIN IMMEDIATE`: the single writer lock is taken at once).
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[cfg(test)]
mod tests;
