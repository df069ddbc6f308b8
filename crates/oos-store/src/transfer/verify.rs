//! The comparison of a transfer's two sides: per table the row count and the digest of the rows
//! (as the target must hold them) read from each side, then the target's audit chain walked, and its
//! head and the head row appenders lock (`audit_head`) compared with the source's head.

use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, PgPool, Postgres, Sqlite, SqlitePool};

use super::rows::{self, Digest};
use super::spec::{Fill, TABLES, Table};
use super::{Mismatch, Progress, TableReport, TransferError, TransferReport, schema};
use crate::api::AuditStore;
use crate::{PgStore, SqliteStore};

/// Compares `target` with `source` (meaningful while neither is written); the report when every
/// table and the audit chain match, else [`TransferError::Mismatch`] naming each table that differs.
pub async fn verify(source: &SqliteStore, target: &PgStore, progress: &mut (dyn FnMut(Progress) + Send)) -> Result<TransferReport, TransferError> {
    schema::check(source.pool(), target.pool()).await?;
    let mut tables = Vec::new();
    let mut mismatches = Vec::new();
    for table in TABLES {
        progress(Progress::Verifying { table: table.name });
        let (expected, found) = tokio::try_join!(source_digest(source.pool(), table), target_digest(target.pool(), table))?;
        if expected != found {
            let detail = format!("source {} rows (sha256 {}), target {} rows (sha256 {})", expected.0, expected.1, found.0, found.1);
            mismatches.push(Mismatch { table: table.name, detail });
        }
        tables.push(TableReport { table: table.name, rows: expected.0, digest: expected.1, copied: table.fill != Fill::Trigger });
    }
    progress(Progress::VerifyingAudit);
    let (expected, audit) = tokio::try_join!(source.verify_audit(), target.verify_audit())?;
    if let Some(broken) = &audit.broken {
        mismatches.push(Mismatch { table: "audit_log", detail: format!("the chain is broken at seq {}: {}", broken.seq, broken.detail) });
    } else if (audit.head_seq, &audit.head_hash) != (expected.head_seq, &expected.head_hash) {
        let detail = format!("head seq {} {}, the source's is seq {} {}", audit.head_seq, audit.head_hash, expected.head_seq, expected.head_hash);
        mismatches.push(Mismatch { table: "audit_log", detail });
    }
    let head: (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_head").fetch_one(target.pool()).await?;
    if head != (expected.head_seq, expected.head_hash.clone()) {
        let detail = format!("seq {} {}, the source's last record is seq {} {}", head.0, head.1, expected.head_seq, expected.head_hash);
        mismatches.push(Mismatch { table: "audit_head", detail });
    }
    if mismatches.is_empty() { Ok(TransferReport { tables, audit }) } else { Err(TransferError::Mismatch(mismatches)) }
}

/// Rows and digest of a source table, as the target must hold it.
async fn source_digest(pool: &SqlitePool, table: &'static Table) -> Result<(i64, String), TransferError> {
    let mut digest = Digest::default();
    let mut rows = sqlx::query(AssertSqlSafe(rows::select::<Sqlite>(table))).fetch(pool);
    while let Some(row) = rows.try_next().await? {
        digest.add(&rows::source_row(table, &row)?);
    }
    Ok(digest.finish())
}

/// Rows and digest of a target table.
async fn target_digest(pool: &PgPool, table: &'static Table) -> Result<(i64, String), TransferError> {
    let mut digest = Digest::default();
    let mut rows = sqlx::query(AssertSqlSafe(rows::select::<Postgres>(table))).fetch(pool);
    while let Some(row) = rows.try_next().await? {
        digest.add(&rows::target_row(table, &row)?);
    }
    Ok(digest.finish())
}
