//! The sandbox inbox's statements (`sandbox_inbox`), the same on every backend.

use sqlx::query::QueryAs;
use sqlx::{AssertSqlSafe, Encode, FromRow, QueryBuilder, Type};

use super::{Dialect, Statement};
use crate::model::{SandboxLetter, SandboxLetterQuery};

/// The columns of a [`SandboxLetter`], in its field order.
const COLUMNS: &str =
    "id, captured_ms, kind, execution_id, task_name, method, url, headers, body, body_bytes";

/// Inserts `letter`.
pub(crate) fn insert<DB: Dialect>(letter: &SandboxLetter) -> Statement<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let sql = format!(
        "INSERT INTO sandbox_inbox ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(letter.id.clone())
        .bind(letter.captured_ms)
        .bind(letter.kind.clone())
        .bind(letter.execution_id.clone())
        .bind(letter.task_name.clone())
        .bind(letter.method.clone())
        .bind(letter.url.clone())
        .bind(letter.headers.clone())
        .bind(letter.body.clone())
        .bind(letter.body_bytes)
}

/// Deletes every letter but the newest `keep`.
pub(crate) fn keep_newest<DB: Dialect>(keep: i64) -> Statement<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let sql = format!(
        "DELETE FROM sandbox_inbox WHERE id IN (SELECT id FROM sandbox_inbox ORDER BY {} LIMIT $1 OFFSET $2)",
        newest_first::<DB>()
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(i64::MAX)
        .bind(keep.max(0))
}

/// The letters matching `query`, newest first, at most `query.limit`.
pub(crate) fn list<DB: Dialect>(query: &SandboxLetterQuery) -> QueryBuilder<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new(format!("SELECT {COLUMNS} FROM sandbox_inbox WHERE 1 = 1"));
    if let Some(execution_id) = &query.execution_id {
        sql.push(" AND execution_id = ")
            .push_bind(execution_id.clone());
    }
    if let Some(kind) = &query.kind {
        sql.push(" AND kind = ").push_bind(kind.clone());
    }
    sql.push(format!(" ORDER BY {} LIMIT ", newest_first::<DB>()))
        .push_bind(query.limit.max(0));
    sql
}

/// The letter `id`.
pub(crate) fn one<DB: Dialect>(id: &str) -> QueryAs<'static, DB, SandboxLetter, DB::Arguments>
where
    for<'r> SandboxLetter: FromRow<'r, DB::Row>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sandbox_inbox WHERE id = $1"
    )))
    .bind(id.to_owned())
}

/// Deletes every letter.
pub(crate) const CLEAR: &str = "DELETE FROM sandbox_inbox";

/// Newest first; the id (bytewise) orders letters captured in the same millisecond.
fn newest_first<DB: Dialect>() -> String {
    format!("captured_ms DESC, {} DESC", DB::bytewise("id"))
}
