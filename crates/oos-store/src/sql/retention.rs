//! SQL of retention shared by both backends: the finished top-level executions ended before a
//! time (keyset pages in end order), the trees under them with what decides whether they may go,
//! and the deletes of whole trees or of their logs and task outputs.

use sqlx::{Encode, QueryBuilder, Type};

use super::Dialect;
use super::executions::DEPENDENT_TABLES;

/// Top-level executions of `statuses` that ended before `before_ms`, after `cursor` (end, id) in
/// (end, id) order, at most `limit`; columns `end_ms`, `id`.
pub(crate) fn ended_roots<DB: Dialect>(statuses: &[String], before_ms: i64, cursor: &(i64, String), limit: i64) -> QueryBuilder<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new("SELECT end_ms, id FROM executions WHERE parent_execution_id IS NULL AND end_ms IS NOT NULL AND end_ms < ");
    sql.push_bind(before_ms).push(" AND ");
    DB::push_in_ids(&mut sql, "status", statuses);
    sql.push(" AND (end_ms > ").push_bind(cursor.0).push(" OR (end_ms = ").push_bind(cursor.0);
    sql.push(" AND id > ").push_bind(cursor.1.clone());
    sql.push(")) ORDER BY end_ms, id LIMIT ").push_bind(limit);
    sql
}

/// Every execution of the trees under `roots`: columns `root`, `id`, `status`, `lease_owner`,
/// `lease_expires_ms`.
pub(crate) fn trees<DB: Dialect>(roots: &[String]) -> QueryBuilder<DB> {
    let mut sql = QueryBuilder::new("WITH RECURSIVE tree (root, id) AS (SELECT id, id FROM executions WHERE ");
    DB::push_in_ids(&mut sql, "id", roots);
    sql.push(
        " UNION ALL SELECT t.root, e.id FROM executions e JOIN tree t ON e.parent_execution_id = t.id) \
         SELECT t.root, t.id, e.status, e.lease_owner, e.lease_expires_ms FROM tree t JOIN executions e ON e.id = t.id",
    );
    sql
}

/// The state of executions `ids` now, locked until the transaction ends on PostgreSQL (a worker's
/// claim skips them, its commit waits): columns `id`, `status`, `lease_owner`, `lease_expires_ms`.
pub(crate) fn lock<DB: Dialect>(ids: &[String]) -> QueryBuilder<DB> {
    let mut sql = QueryBuilder::new("SELECT id, status, lease_owner, lease_expires_ms FROM executions WHERE ");
    DB::push_in_ids(&mut sql, "id", ids);
    sql.push(DB::FOR_UPDATE);
    sql
}

/// The deletes of executions `ids` and every row hanging off them.
pub(crate) fn delete_executions<DB: Dialect>(ids: &[String]) -> Vec<QueryBuilder<DB>> {
    let targets = std::iter::once(("executions", "id")).chain(DEPENDENT_TABLES.iter().map(|table| (*table, "execution_id")));
    targets
        .map(|(table, column)| {
            let mut sql = QueryBuilder::new(format!("DELETE FROM {table} WHERE "));
            DB::push_in_ids(&mut sql, column, ids);
            sql
        })
        .collect()
}

/// The deletes of the logs and the clearing of the task outputs of executions `ids`.
pub(crate) fn drop_details<DB: Dialect>(ids: &[String]) -> [QueryBuilder<DB>; 2] {
    let mut logs = QueryBuilder::new("DELETE FROM execution_logs WHERE ");
    DB::push_in_ids(&mut logs, "execution_id", ids);
    let mut outputs = QueryBuilder::new("UPDATE task_executions SET outputs = NULL WHERE outputs IS NOT NULL AND ");
    DB::push_in_ids(&mut outputs, "execution_id", ids);
    [logs, outputs]
}
