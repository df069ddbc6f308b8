//! The audit trail on PostgreSQL: one hash chain for every process, sealed after the commit. A
//! transaction that audits inserts its records into `audit_intake`, taking no lock, so writers of
//! every process commit side by side. The store's sealer then moves every committed intake record
//! into the chain (`audit_log`) in one transaction that locks the chain head (`audit_head`), links
//! the records after it in intake order and moves the head. A store seals after its own audited
//! commits, every [`SEAL_EVERY`] (the records of a process that died before sealing) and on close;
//! readers of the trail seal first, so they see every committed record in the chain.

use std::time::Duration;

use sqlx::{PgPool, Postgres, Transaction};

use super::PgStore;
use super::background::Job;
use crate::Result;
use crate::api::AuditStore;
use crate::audit::{self, AuditQuery, AuditRecord, ChainSource, NewAudit, Verification};

/// How often a store looks for records that no one sealed.
pub(crate) const SEAL_EVERY: Duration = Duration::from_secs(10);

/// Most records linked in one sealing transaction.
const SEAL_BATCH: i64 = 2000;

/// Inserts `entries` into the intake within `tx` (sealed after it commits: see [`PgStore::audited`]).
pub(crate) async fn append(tx: &mut Transaction<'static, Postgres>, entries: &[NewAudit]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    sqlx::query("INSERT INTO audit_intake (time_ms, kind, body) SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[])")
        .bind(entries.iter().map(|entry| entry.time_ms).collect::<Vec<_>>())
        .bind(entries.iter().map(|entry| entry.kind.as_str()).collect::<Vec<_>>())
        .bind(entries.iter().map(|entry| serde_json::Value::Object(entry.body.clone()).to_string()).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The store's sealer: a job that seals whenever asked and every [`SEAL_EVERY`].
pub(crate) fn sealer(pool: PgPool) -> Job {
    Job::start(Some(SEAL_EVERY), move || {
        let pool = pool.clone();
        async move {
            if let Err(error) = seal(&pool).await {
                tracing::warn!(%error, "sealing audit records failed; retried on the next request or in {SEAL_EVERY:?}");
            }
        }
    })
}

/// Links every committed intake record into the chain; returns how many.
pub(crate) async fn seal(pool: &PgPool) -> Result<usize> {
    let mut sealed = 0;
    loop {
        let waiting: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM audit_intake)").fetch_one(pool).await?;
        if !waiting {
            return Ok(sealed);
        }
        sealed += seal_batch(pool).await?;
    }
}

/// Seals up to [`SEAL_BATCH`] records in one transaction holding the head's lock.
async fn seal_batch(pool: &PgPool) -> Result<usize> {
    let mut tx = pool.begin().await?;
    let (seq, hash): (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_head FOR UPDATE").fetch_one(&mut *tx).await?;
    // Read after the lock: every record committed before it is visible (READ COMMITTED).
    let mut taken: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "DELETE FROM audit_intake WHERE id IN (SELECT id FROM audit_intake ORDER BY id LIMIT $1) RETURNING id, time_ms, kind, body",
    )
    .bind(SEAL_BATCH)
    .fetch_all(&mut *tx)
    .await?;
    taken.sort_unstable_by_key(|(id, ..)| *id);
    // Linked as written (a kind changed in the intake is hashed as it is, and kept visible).
    let rows = audit::link_serialized(seq, hash, taken.into_iter().map(|(_, time_ms, kind, body)| (time_ms, kind, body)));
    let Some(head) = rows.last().map(|row| (row.seq, row.hash.clone())) else { return Ok(0) };
    sqlx::query(
        "INSERT INTO audit_log (seq, time_ms, kind, body, prev_hash, hash) \
         SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[])",
    )
    .bind(rows.iter().map(|row| row.seq).collect::<Vec<_>>())
    .bind(rows.iter().map(|row| row.time_ms).collect::<Vec<_>>())
    .bind(rows.iter().map(|row| row.kind.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|row| row.body.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|row| row.prev_hash.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|row| row.hash.as_str()).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2").bind(head.0).bind(&head.1).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows.len())
}

impl PgStore {
    /// Commits `tx` together with the current request's pending audit entry (see [`audit::scope`]).
    pub(crate) async fn commit_audited(&self, mut tx: Transaction<'static, Postgres>) -> Result<()> {
        let pending = audit::pending();
        if let Some(entry) = &pending {
            append(&mut tx, std::slice::from_ref(entry)).await?;
        }
        tx.commit().await?;
        if pending.is_some() {
            audit::mark_committed();
            self.audited();
        }
        Ok(())
    }

    /// Called after a commit that appended audit records: asks the sealer to link them.
    pub(crate) fn audited(&self) {
        self.sealer.request();
    }
}

#[async_trait::async_trait]
impl AuditStore for PgStore {
    async fn append_audit(&self, entries: &[NewAudit]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        append(&mut tx, entries).await?;
        tx.commit().await?;
        self.audited();
        Ok(())
    }

    /// Records matching `query`, oldest first (newest first when it asks) (every committed record sealed first).
    async fn audit_records(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        seal(&self.pool).await?;
        let mut sql = audit::records_query::<Postgres>(query);
        Ok(sql.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn verify_audit(&self) -> Result<Verification> {
        seal(&self.pool).await?;
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
