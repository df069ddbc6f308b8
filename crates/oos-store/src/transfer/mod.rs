//! Moving an embedded installation to PostgreSQL: [`migrate`] copies every table of a
//! [`SqliteStore`] into an empty [`PgStore`] in one transaction (a failure leaves the target empty),
//! then [`verify`] compares both sides table by table (row count and a digest over the rows in key
//! order) and walks the target's audit chain. The tables, keys and column types come from one list
//! (`spec.rs`), checked against both schemas first (`schema.rs`).

mod copy;
mod error;
mod rows;
mod schema;
mod spec;
mod verify;

use crate::api::AuditStore;
use crate::audit::Verification;
use crate::sqlite::WorkerLock;
use crate::{PgStore, SqliteStore};

pub use copy::BATCH;
pub use error::{Mismatch, TransferError};
pub use verify::verify;

/// Where a transfer is, reported as it goes (a large store takes a while).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The copy of a table of `rows` rows starts.
    Copying { table: &'static str, rows: i64 },
    /// `done` of the table's `rows` rows are written (after every batch of [`BATCH`] rows).
    Copied { table: &'static str, done: i64, rows: i64 },
    /// Every row is written; the target's transaction commits.
    Committing,
    /// Both sides of a table are read and compared.
    Verifying { table: &'static str },
    /// Both audit chains are walked.
    VerifyingAudit,
}

/// One table after a verified transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    pub table: &'static str,
    /// Rows on each side.
    pub rows: i64,
    /// SHA-256 (hex) over the rows in key order, equal on both sides.
    pub digest: String,
    /// False for a table the target's triggers fill (`api_execution_tags`): compared, not copied.
    pub copied: bool,
}

/// The outcome of a verified transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferReport {
    /// Every table, in copy order.
    pub tables: Vec<TableReport>,
    /// The target's audit chain: unbroken, with the source's head.
    pub audit: Verification,
}

/// Copies every table of `source` into the empty `target`, then [`verify`]s the copy. Holding the
/// data directory's worker lock proves no process writes the source meanwhile. Nothing is written
/// when the target holds any row, a schema differs, or the source's audit chain is broken; the
/// copy commits as one transaction. Execution leases are not carried over (every execution is free
/// to claim), logs and inbox events keep their ids, the audit head is set to the last record, and the
/// target's statistics are refreshed (`ANALYZE`).
pub async fn migrate(
    source: &SqliteStore,
    _proof: &WorkerLock,
    target: &PgStore,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<TransferReport, TransferError> {
    schema::check(source.pool(), target.pool()).await?;
    let chain = source.verify_audit().await?;
    if let Some(broken) = chain.broken {
        return Err(TransferError::SourceAuditBroken { seq: broken.seq, detail: broken.detail });
    }
    let mut tx = target.pool().begin().await?;
    copy::lock_empty_target(&mut tx).await?;
    for table in spec::TABLES.iter().filter(|table| table.fill != spec::Fill::Trigger) {
        copy::copy_table(source.pool(), &mut tx, table, progress).await?;
    }
    copy::continue_identities(&mut tx).await?;
    copy::set_audit_head(&mut tx).await?;
    progress(Progress::Committing);
    tx.commit().await?;
    // Fresh planner statistics for the bulk-loaded tables before any server plans a query on them
    // (autovacuum would take up to a minute; until then claims and quota counts scan whole tables).
    sqlx::query("ANALYZE").execute(target.pool()).await?;
    verify(source, target, progress).await
}
