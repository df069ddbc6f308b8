//! The audit trail on PostgreSQL: one hash chain for every process. An append locks the chain head
//! (`audit_head`, one row) as the last step of its transaction, links its records after the head and
//! moves it, so concurrent transactions append one after the other, in commit order.

use sqlx::{Postgres, Transaction};

use super::PgStore;
use crate::Result;
use crate::api::AuditStore;
use crate::audit::{self, AuditQuery, AuditRecord, ChainSource, NewAudit, Verification};

/// Appends `entries` to the chain within `tx`, holding the head's lock until `tx` ends.
pub(crate) async fn append(tx: &mut Transaction<'static, Postgres>, entries: &[NewAudit]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let (seq, hash): (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_head FOR UPDATE").fetch_one(&mut **tx).await?;
    let rows = audit::link(seq, hash, entries);
    let head = rows.last().map(|row| (row.seq, row.hash.clone())).unwrap_or_default();
    sqlx::query(
        "INSERT INTO audit_log (seq, time_ms, kind, body, prev_hash, hash) \
         SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[])",
    )
    .bind(rows.iter().map(|row| row.seq).collect::<Vec<_>>())
    .bind(rows.iter().map(|row| row.time_ms).collect::<Vec<_>>())
    .bind(rows.iter().map(|row| row.kind).collect::<Vec<_>>())
    .bind(rows.iter().map(|row| row.body.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|row| row.prev_hash.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|row| row.hash.as_str()).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2").bind(head.0).bind(&head.1).execute(&mut **tx).await?;
    Ok(())
}

/// Commits `tx` together with the current request's pending audit entry (see [`audit::scope`]).
pub(crate) async fn commit_audited(mut tx: Transaction<'static, Postgres>) -> Result<()> {
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
impl AuditStore for PgStore {
    async fn append_audit(&self, entries: &[NewAudit]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        append(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records matching `query`, oldest first.
    async fn audit_records(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let mut sql = audit::records_query::<Postgres>(query);
        Ok(sql.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn verify_audit(&self) -> Result<Verification> {
        audit::walk(self).await
    }
}

#[async_trait::async_trait]
impl ChainSource for PgStore {
    async fn records_after(&self, seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        Ok(sqlx::query_as("SELECT seq, time_ms, kind, body, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn seq_with_hash(&self, hash: &str, not_seq: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT seq FROM audit_log WHERE hash = $1 AND seq <> $2 LIMIT 1").bind(hash).bind(not_seq).fetch_optional(&self.pool).await?)
    }
}
