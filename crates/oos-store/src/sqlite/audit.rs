//! The audit trail in SQLite (`audit_log`): appends inside the caller's write transaction (the chain
//! head is read in that `BEGIN IMMEDIATE` transaction, so appends are serialized), queries, and the
//! chain walk of `verify_audit`.

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};

use super::SqliteStore;
use crate::Result;
use crate::api::AuditStore;
use crate::audit::{self, AuditQuery, AuditRecord, ChainBreak, GENESIS, NewAudit, Tamper, Verification, chain_hash};

/// Records per INSERT statement when appending (6 bound values each, far below SQLite's limit).
const APPEND_BATCH: usize = 500;
/// Records read per query while walking the chain.
const VERIFY_PAGE: i64 = 20_000;

/// Appends `entries` to the chain within `tx`.
pub(crate) async fn append(tx: &mut Transaction<'static, Sqlite>, entries: &[NewAudit]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
    let (mut seq, mut prev_hash) = match head {
        Some(row) => (row.try_get::<i64, _>("seq")?, row.try_get::<String, _>("hash")?),
        None => (0, GENESIS.to_string()),
    };
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        seq += 1;
        let body = serde_json::Value::Object(entry.body.clone()).to_string();
        let kind = entry.kind.as_str();
        let hash = chain_hash(&prev_hash, seq, entry.time_ms, kind, &body);
        rows.push((seq, entry.time_ms, kind, body, std::mem::replace(&mut prev_hash, hash.clone()), hash));
    }
    // Multi-row inserts: a turn of a 1,000-item loop appends 1,000 cloud-call records.
    for chunk in rows.chunks(APPEND_BATCH) {
        let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new("INSERT INTO audit_log (seq, time_ms, kind, body, prev_hash, hash) ");
        insert.push_values(chunk, |mut row, (seq, time_ms, kind, body, prev, hash)| {
            row.push_bind(*seq).push_bind(*time_ms).push_bind(*kind).push_bind(body.as_str()).push_bind(prev.as_str()).push_bind(hash.as_str());
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

fn record_from_row(row: &SqliteRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        time_ms: row.try_get("time_ms")?,
        kind: row.try_get("kind")?,
        body: row.try_get("body")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
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

    /// Records matching `query`, oldest first.
    async fn audit_records(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT seq, time_ms, kind, body, prev_hash, hash FROM audit_log WHERE 1 = 1");
        if let Some(since) = query.since_ms {
            sql.push(" AND time_ms >= ").push_bind(since);
        }
        if let Some(until) = query.until_ms {
            sql.push(" AND time_ms <= ").push_bind(until);
        }
        if let Some(principal) = &query.principal {
            sql.push(" AND (principal = ").push_bind(principal.clone()).push(" OR user_name = ").push_bind(principal.clone()).push(")");
        }
        if let Some(action) = &query.action {
            sql.push(" AND action = ").push_bind(action.clone());
        }
        if let Some(execution_id) = &query.execution_id {
            sql.push(" AND execution_id = ").push_bind(execution_id.clone());
        }
        if let Some(kind) = query.kind {
            sql.push(" AND kind = ").push_bind(kind.as_str());
        }
        sql.push(" ORDER BY seq LIMIT ").push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Walks the whole chain and reports the first broken record.
    async fn verify_audit(&self) -> Result<Verification> {
        let mut verification = Verification { records: 0, head_seq: 0, head_hash: GENESIS.to_string(), broken: None };
        loop {
            let rows = sqlx::query("SELECT seq, time_ms, kind, body, prev_hash, hash FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2")
                .bind(verification.head_seq)
                .bind(VERIFY_PAGE)
                .fetch_all(&self.pool)
                .await?;
            if rows.is_empty() {
                return Ok(verification);
            }
            for row in &rows {
                let record = record_from_row(row)?;
                if let Some(broken) = self.check_link(&verification, &record).await? {
                    verification.broken = Some(broken);
                    return Ok(verification);
                }
                verification.records += 1;
                verification.head_seq = record.seq;
                verification.head_hash = record.hash;
            }
        }
    }

}

impl SqliteStore {
    /// Begins a write transaction (`BEGIN IMMEDIATE`: the single writer lock is taken at once).
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Checks `record` against the verified chain before it: position, link, own hash.
    async fn check_link(&self, before: &Verification, record: &AuditRecord) -> Result<Option<ChainBreak>> {
        let expected = before.head_seq + 1;
        if record.seq != expected {
            let detail = format!("seq {expected}..{} missing: the next record is seq {}", record.seq - 1, record.seq);
            return Ok(Some(ChainBreak { seq: expected, reason: Tamper::Deleted, detail }));
        }
        if record.prev_hash != before.head_hash {
            let linked = sqlx::query("SELECT seq FROM audit_log WHERE hash = ?1 AND seq <> ?2 LIMIT 1")
                .bind(&record.prev_hash)
                .bind(before.head_seq)
                .fetch_optional(&self.pool)
                .await?;
            return Ok(Some(match linked {
                Some(row) => {
                    let other: i64 = row.try_get("seq")?;
                    let detail = format!("seq {} links to the record now at seq {other}, not to seq {}", record.seq, before.head_seq);
                    ChainBreak { seq: record.seq, reason: Tamper::Reordered, detail }
                }
                None => {
                    let detail = format!("seq {} links to a record that is not in the log (prev_hash mismatch)", record.seq);
                    ChainBreak { seq: record.seq, reason: Tamper::Deleted, detail }
                }
            }));
        }
        let hash = chain_hash(&record.prev_hash, record.seq, record.time_ms, &record.kind, &record.body);
        if hash != record.hash {
            let detail = format!("seq {}: content does not match its hash", record.seq);
            return Ok(Some(ChainBreak { seq: record.seq, reason: Tamper::Modified, detail }));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
