//! Reading trigger executions' rows (`triggers`, `trigger_firings`) the same way on every backend;
//! each backend writes them in its step transaction, and ListExecutions narrows by them
//! ([`push_category`]).

use sqlx::query::QueryAs;
use sqlx::{AssertSqlSafe, Encode, FromRow, QueryBuilder, Type};

use super::Dialect;
use crate::model::{FiringRecord, TriggerQuery};

/// The columns of a [`crate::model::TriggerRecord`], in its field order.
pub(crate) const TRIGGER_COLUMNS: &str = "execution_id, kind, status, properties, next_ms, fired, last_ms, last_status, \
    last_outputs, last_child_execution_id, last_success_ms, updated_ms";

/// The columns of a [`crate::model::FiringRecord`], in its field order.
pub(crate) const FIRING_COLUMNS: &str = "execution_id, fire_key, source, child_execution_id, fired_ms";

/// The ListExecutions category of executions that have no trigger.
const NO_TRIGGER: &str = "Other";

/// The triggers matching `query`, in execution id order (bytewise), at most `query.limit`.
pub(crate) fn list<DB: Dialect>(query: &TriggerQuery) -> QueryBuilder<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new(format!("SELECT {TRIGGER_COLUMNS} FROM triggers WHERE 1 = 1"));
    if let Some(kind) = &query.kind {
        sql.push(" AND kind = ").push_bind(kind.clone());
    }
    if let Some(status) = &query.status {
        sql.push(" AND status = ").push_bind(status.clone());
    }
    if !query.execution_ids.is_empty() {
        sql.push(" AND ");
        DB::push_in_ids(&mut sql, "execution_id", &query.execution_ids);
    }
    if let Some(after) = &query.after {
        sql.push(format!(" AND {} > ", DB::bytewise("execution_id"))).push_bind(after.clone());
    }
    sql.push(format!(" ORDER BY {} LIMIT ", DB::bytewise("execution_id"))).push_bind(query.limit);
    sql
}

/// The firings of trigger execution `execution_id`, newest first, at most `limit`.
pub(crate) fn firings<DB: Dialect>(execution_id: &str, limit: i64) -> QueryAs<'static, DB, FiringRecord, DB::Arguments>
where
    for<'r> FiringRecord: FromRow<'r, DB::Row>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let sql = format!(
        "SELECT {FIRING_COLUMNS} FROM trigger_firings WHERE execution_id = $1 ORDER BY fired_ms DESC, {} DESC LIMIT $2",
        DB::bytewise("fire_key")
    );
    sqlx::query_as(AssertSqlSafe(sql)).bind(execution_id.to_owned()).bind(limit)
}

/// Pushes ` AND` the condition that execution `e` is of ListExecutions category `category`: it has a
/// trigger of that kind, or (`Other`) no trigger at all.
pub(crate) fn push_category<DB: Dialect>(sql: &mut QueryBuilder<DB>, category: &str)
where
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    if category == NO_TRIGGER {
        sql.push(" AND NOT EXISTS (SELECT 1 FROM triggers g WHERE g.execution_id = e.id)");
    } else {
        sql.push(" AND EXISTS (SELECT 1 FROM triggers g WHERE g.execution_id = e.id AND g.kind = ").push_bind(category.to_owned()).push(")");
    }
}
