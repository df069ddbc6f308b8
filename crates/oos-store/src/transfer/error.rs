//! Why a transfer failed, each reason with a stable code (`docs/error-codes.md`).

use crate::StoreError;

/// A failed transfer or verification. Before the copy's commit nothing of it is in the target.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// A database failed (connection, I/O, a constraint).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing a table's rows failed (the transaction is rolled back).
    #[error("copying table {table}: {source}")]
    Copy { table: &'static str, source: sqlx::Error },
    /// The target holds rows already: the transfer only fills an empty database.
    #[error("the target database is not empty: table {table} has rows (a transfer fills a new, empty database only)")]
    TargetNotEmpty { table: &'static str },
    /// A database's schema differs from the transfer's table list (a store of another version).
    #[error("the {side} schema differs from what the transfer copies: {detail}")]
    Schema { side: &'static str, detail: String },
    /// A stored value cannot be carried over (not of its column's type).
    #[error("table {table}, column {column}: {detail}")]
    Value { table: &'static str, column: &'static str, detail: String },
    /// The source's audit chain is broken: the copy would carry a broken chain over.
    #[error("the source audit trail is broken at seq {seq}: {detail} (see `oos audit verify`)")]
    SourceAuditBroken { seq: i64, detail: String },
    /// After the copy, the two databases differ.
    #[error("verification failed: {}", list(.0))]
    Mismatch(Vec<Mismatch>),
}

/// A table whose copy differs from its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub table: &'static str,
    pub detail: String,
}

fn list(mismatches: &[Mismatch]) -> String {
    mismatches.iter().map(|m| format!("table {}: {}", m.table, m.detail)).collect::<Vec<_>>().join("; ")
}

impl TransferError {
    /// The stable code of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            TransferError::Store(_) | TransferError::Copy { .. } => "MigrateStore.Database",
            TransferError::TargetNotEmpty { .. } => "MigrateStore.TargetNotEmpty",
            TransferError::Schema { .. } => "MigrateStore.SchemaMismatch",
            TransferError::Value { .. } => "MigrateStore.InvalidValue",
            TransferError::SourceAuditBroken { .. } => "MigrateStore.SourceAuditBroken",
            TransferError::Mismatch(_) => "MigrateStore.VerificationFailed",
        }
    }
}

impl From<sqlx::Error> for TransferError {
    fn from(error: sqlx::Error) -> Self {
        TransferError::Store(StoreError::Database(error))
    }
}
