//! The copy inside the target's one transaction: the target's tables locked and found empty, each
//! table streamed from the source in key order and inserted [`BATCH`] rows per statement (`UNNEST`
//! of one array per column), then the identity sequences moved past the copied ids and the audit
//! chain's head set to its last record.

use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, Postgres, Sqlite, SqlitePool, Transaction};

use super::rows::{self, Cell};
use super::spec::{Fill, Kind, TABLES, Table, column_list, quoted};
use super::{Progress, TransferError};

/// Rows per INSERT statement.
pub const BATCH: usize = 1_000;

/// How long the target's tables may be waited for (a server still using them holds their locks).
const LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '10s'";

/// Locks every table the transfer writes against other writers until the transaction ends, and
/// refuses a target that holds any row.
pub(crate) async fn lock_empty_target(tx: &mut Transaction<'static, Postgres>) -> Result<(), TransferError> {
    sqlx::query(LOCK_TIMEOUT).execute(&mut **tx).await?;
    let names: Vec<String> = TABLES.iter().map(|table| quoted(table.name)).chain(["audit_head".to_owned()]).collect();
    sqlx::query(AssertSqlSafe(format!("LOCK TABLE {} IN EXCLUSIVE MODE", names.join(", ")))).execute(&mut **tx).await?;
    for table in TABLES {
        let used: bool = sqlx::query_scalar(AssertSqlSafe(format!("SELECT EXISTS (SELECT 1 FROM {})", quoted(table.name)))).fetch_one(&mut **tx).await?;
        if used {
            return Err(TransferError::TargetNotEmpty { table: table.name });
        }
    }
    let head: i64 = sqlx::query_scalar("SELECT seq FROM audit_head").fetch_one(&mut **tx).await?;
    if head != 0 {
        return Err(TransferError::TargetNotEmpty { table: "audit_head" });
    }
    Ok(())
}

/// Copies every row of `table`; returns how many.
pub(crate) async fn copy_table(
    source: &SqlitePool,
    tx: &mut Transaction<'static, Postgres>,
    table: &'static Table,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<i64, TransferError> {
    let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM {}", quoted(table.name)))).fetch_one(source).await?;
    progress(Progress::Copying { table: table.name, rows: total });
    let insert = insert_statement(table);
    let mut done = 0;
    let mut batch = Batch::new(table);
    let mut rows = sqlx::query(AssertSqlSafe(rows::select::<Sqlite>(table))).fetch(source);
    while let Some(row) = rows.try_next().await? {
        batch.push(rows::source_row(table, &row)?)?;
        if batch.len == BATCH {
            done += batch.write(&insert, tx).await?;
            progress(Progress::Copied { table: table.name, done, rows: total });
        }
    }
    if batch.len > 0 {
        done += batch.write(&insert, tx).await?;
        progress(Progress::Copied { table: table.name, done, rows: total });
    }
    Ok(done)
}

/// Moves each identity sequence past the largest copied id, so new rows get new ids.
pub(crate) async fn continue_identities(tx: &mut Transaction<'static, Postgres>) -> Result<(), TransferError> {
    for table in TABLES.iter().filter(|table| table.fill == Fill::Identity) {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, 'id'), m.id) FROM (SELECT MAX(id) AS id FROM {}) m WHERE m.id IS NOT NULL",
            quoted(table.name)
        );
        sqlx::query(AssertSqlSafe(sql)).bind(table.name).fetch_optional(&mut **tx).await?;
    }
    Ok(())
}

/// Sets the audit chain's head to the last copied record (appends link after it).
pub(crate) async fn set_audit_head(tx: &mut Transaction<'static, Postgres>) -> Result<(), TransferError> {
    sqlx::query("UPDATE audit_head SET seq = l.seq, hash = l.hash FROM (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) l")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// `INSERT … SELECT * FROM UNNEST($1::T[], …)` of a table's columns (ids kept for identity columns).
fn insert_statement(table: &Table) -> String {
    let arrays = table
        .columns
        .iter()
        .enumerate()
        .map(|(at, column)| format!("${}::{}", at + 1, column.kind.postgres_type().1))
        .collect::<Vec<_>>()
        .join(", ");
    let overriding = if table.fill == Fill::Identity { " OVERRIDING SYSTEM VALUE" } else { "" };
    format!("INSERT INTO {} ({}){overriding} SELECT * FROM UNNEST({arrays})", quoted(table.name), column_list(table))
}

/// The values of one column of a batch, bound as one PostgreSQL array.
enum Values {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
}

/// Rows gathered column by column.
struct Batch {
    table: &'static Table,
    columns: Vec<Values>,
    len: usize,
}

impl Batch {
    fn new(table: &'static Table) -> Self {
        let columns = table
            .columns
            .iter()
            .map(|column| match column.kind {
                Kind::Text => Values::Text(Vec::with_capacity(BATCH)),
                Kind::Int => Values::Int(Vec::with_capacity(BATCH)),
                Kind::Bool => Values::Bool(Vec::with_capacity(BATCH)),
            })
            .collect();
        Self { table, columns, len: 0 }
    }

    fn push(&mut self, row: Vec<Cell>) -> Result<(), TransferError> {
        for ((values, cell), column) in self.columns.iter_mut().zip(row).zip(self.table.columns) {
            match (values, cell) {
                (Values::Text(values), Cell::Text(text)) => values.push(Some(text)),
                (Values::Text(values), Cell::Null) => values.push(None),
                (Values::Int(values), Cell::Int(value)) => values.push(Some(value)),
                (Values::Int(values), Cell::Null) => values.push(None),
                (Values::Bool(values), Cell::Bool(value)) => values.push(Some(value)),
                (Values::Bool(values), Cell::Null) => values.push(None),
                _ => {
                    let detail = format!("a value of another type than the column's ({:?})", column.kind);
                    return Err(TransferError::Value { table: self.table.name, column: column.name, detail });
                }
            }
        }
        self.len += 1;
        Ok(())
    }

    /// Inserts the gathered rows and empties the batch; returns how many rows were written.
    async fn write(&mut self, insert: &str, tx: &mut Transaction<'static, Postgres>) -> Result<i64, TransferError> {
        let mut query = sqlx::query(AssertSqlSafe(insert.to_owned()));
        for values in &mut self.columns {
            query = match values {
                Values::Text(values) => query.bind(std::mem::take(values)),
                Values::Int(values) => query.bind(std::mem::take(values)),
                Values::Bool(values) => query.bind(std::mem::take(values)),
            };
        }
        let written = query.execute(&mut **tx).await.map_err(|source| TransferError::Copy { table: self.table.name, source })?;
        self.len = 0;
        Ok(written.rows_affected() as i64)
    }
}
