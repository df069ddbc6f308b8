//! What the API keeps of executions (`api_executions`: caller, tags, ClientToken, role, LoopMode, SafetyCheck) and
//! ListExecutions over the engine's `executions`: one query for the page (the page's ids by index
//! first, then the wide columns, metadata and task summaries for those rows alone) and one for the
//! total count, both served by indexes.

use sqlx::{Database, Encode, QueryBuilder, Type};

use super::{Dialect, SortKey, Statement, order_term};
use crate::model::{ExecutionMeta, ExecutionQuery, ExecutionSort};

/// Records the metadata of an execution unless its ClientToken belongs to another execution.
pub(crate) fn insert_meta<DB: Database>(meta: &ExecutionMeta) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> Option<&'t str>: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO api_executions (execution_id, executed_by, tags, resource_group_id, template_id, client_token, ram_role, \
         loop_mode, safety_check) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (client_token) DO NOTHING",
    )
    .bind(meta.execution_id.as_str())
    .bind(meta.executed_by.as_str())
    .bind(meta.tags.as_str())
    .bind(meta.resource_group_id.as_str())
    .bind(meta.template_id.as_str())
    .bind(meta.client_token.as_deref())
    .bind(meta.ram_role.as_str())
    .bind(meta.loop_mode.as_str())
    .bind(meta.safety_check.as_str())
}

/// The tables of rows hanging off an execution (by their `execution_id`), deleted with it.
pub(crate) const DEPENDENT_TABLES: [&str; 6] = ["task_executions", "execution_logs", "inbox", "api_executions", "triggers", "trigger_firings"];

/// The metadata of execution `$1`.
pub(crate) const META: &str = "SELECT execution_id, executed_by, tags, resource_group_id, template_id, client_token, ram_role, \
    loop_mode, safety_check FROM api_executions WHERE execution_id = $1";

/// The execution started with ClientToken `$1`.
pub(crate) const BY_CLIENT_TOKEN: &str = "SELECT execution_id FROM api_executions WHERE client_token = $1";

/// The columns of a [`crate::model::ListedExecution`] over `e` (the execution) and `m` (its metadata,
/// if any: executions started outside the API show empty fields and no tags) but the task summaries.
const LISTED_COLUMNS: &str = "SELECT e.id, e.template_name, e.template_version, e.parameters, e.mode, e.status, e.status_message, \
    e.outputs, e.parent_execution_id, e.description, e.created_ms, e.updated_ms, e.start_ms, e.end_ms, \
    e.id AS execution_id, COALESCE(m.executed_by, '') AS executed_by, COALESCE(m.tags, '{}') AS tags, \
    COALESCE(m.resource_group_id, '') AS resource_group_id, COALESCE(m.template_id, '') AS template_id, m.client_token, \
    COALESCE(m.ram_role, '') AS ram_role, COALESCE(m.loop_mode, '') AS loop_mode, \
    COALESCE(m.safety_check, '') AS safety_check";

/// How many executions match `query` (column `n`).
pub(crate) fn count<DB: Dialect>(query: &ExecutionQuery) -> QueryBuilder<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new("SELECT COUNT(*) AS n FROM executions e");
    push_filter(&mut sql, query);
    sql
}

/// One page of the executions matching `query`, as [`crate::model::ListedExecution`] rows.
pub(crate) fn page<DB: Dialect>(query: &ExecutionQuery) -> QueryBuilder<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let (column, key) = match query.sort {
        ExecutionSort::StartDate => ("e.created_ms", SortKey::Number),
        ExecutionSort::EndDate => ("e.end_ms", SortKey::NullableNumber),
        ExecutionSort::Status => ("e.status", SortKey::Text),
    };
    let order = |column: &str, id: &str| {
        format!("{}, {}", order_term::<DB>(column, key, query.ascending), order_term::<DB>(id, SortKey::Text, query.ascending))
    };
    let mut sql =
        QueryBuilder::new(format!("{LISTED_COLUMNS}, {} FROM (SELECT e.id AS page_id, {column} AS page_key FROM executions e", DB::TASK_SUMMARY));
    push_filter(&mut sql, query);
    sql.push(format!(" ORDER BY {} LIMIT ", order(column, "e.id")));
    sql.push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
    sql.push(format!(
        ") p JOIN executions e ON e.id = p.page_id LEFT JOIN api_executions m ON m.execution_id = e.id ORDER BY {}",
        order("p.page_key", "p.page_id")
    ));
    sql
}

/// The WHERE clause of both queries; `api_executions` is joined only when a filter reads it.
fn push_filter<DB: Dialect>(sql: &mut QueryBuilder<DB>, query: &ExecutionQuery)
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    if query.executed_by.is_some() {
        sql.push(" JOIN api_executions m ON m.execution_id = e.id");
    }
    sql.push(" WHERE 1 = 1");
    if let Some(id) = &query.execution_id {
        sql.push(" AND e.id = ").push_bind(id.clone());
    }
    if let Some(category) = &query.category {
        super::triggers::push_category(sql, category);
    }
    if let Some(name) = &query.template_name {
        sql.push(format!(" AND {}(e.template_name, ", DB::FIND)).push_bind(name.clone()).push(") > 0");
    }
    if let Some(status) = &query.status {
        sql.push(" AND e.status = ").push_bind(status.clone());
    }
    if let Some(mode) = &query.mode {
        sql.push(" AND e.mode = ").push_bind(mode.clone());
    }
    match &query.parent_execution_id {
        Some(parent) => {
            sql.push(" AND e.parent_execution_id = ").push_bind(parent.clone());
        }
        None if !query.include_children && query.execution_id.is_none() => {
            sql.push(" AND e.parent_execution_id IS NULL");
        }
        None => {}
    }
    if let Some(caller) = &query.executed_by {
        sql.push(" AND m.executed_by = ").push_bind(caller.clone());
    }
    if let Some(text) = &query.description {
        sql.push(format!(" AND {}(e.description, ", DB::FIND)).push_bind(text.clone()).push(") > 0");
    }
    let ranges = [
        ("e.created_ms >= ", query.start_after_ms),
        ("e.created_ms <= ", query.start_before_ms),
        ("e.end_ms >= ", query.end_after_ms),
        ("e.end_ms <= ", query.end_before_ms),
    ];
    for (condition, value) in ranges {
        if let Some(value) = value {
            sql.push(" AND ").push(condition).push_bind(value);
        }
    }
    for (key, value) in &query.tags {
        sql.push(" AND e.id IN (SELECT t.execution_id FROM api_execution_tags t WHERE t.key = ").push_bind(key.clone());
        sql.push(" AND t.value = ").push_bind(value.clone()).push(")");
    }
}
