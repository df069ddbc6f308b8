//! The statements on `invocations` and `invocation_targets` (one row per instance an invocation runs
//! on): creation, the listing, the hub's deliveries, a target's change and expiry. A target read
//! before a change ends with [`Dialect::FOR_UPDATE`]; the change itself is decided in
//! [`super::assistant_rules`].

use std::collections::HashMap;

use sqlx::{Database, Encode, QueryBuilder, Type};

use super::assistant_rules::{DEREGISTERED, NOT_TAKEN, TIMED_OUT};
use super::{Dialect, SortKey, Statement, order_term};
use crate::model::{InvocationQuery, InvocationRow, InvocationTarget};

/// The statuses of a target that is not final, as an SQL list.
macro_rules! unfinished {
    () => {
        "('Pending', 'Running', 'Stopping')"
    };
}

/// The columns of an [`InvocationRow`] over `i`.
const INVOCATION_COLUMNS: &str = "i.invoke_id, i.region_id, i.kind, i.command_id, i.command_name, i.command_type, i.content_base64, \
    i.working_dir, i.timeout_secs, i.username, i.enable_parameter, i.parameters, i.file, i.created_ms, i.creator, i.client_token, i.tags, \
    i.traceparent";
/// The columns of an [`InvocationTarget`] over `t` but its `invoke_id` (which its invocation's row has too).
const TARGET_STATE: &str =
    "t.instance_id, t.status, t.exit_code, t.output, t.dropped, t.error_code, t.error_info, t.start_ms, t.finish_ms, t.deadline_ms";

/// Records an invocation unless its ClientToken belongs to another one.
pub(crate) fn insert_invocation<DB: Database>(row: &InvocationRow) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> Option<&'t str>: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO invocations (invoke_id, region_id, kind, command_id, command_name, command_type, content_base64, working_dir, \
         timeout_secs, username, enable_parameter, parameters, file, created_ms, creator, client_token, tags, \
         traceparent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT (client_token) DO NOTHING",
    )
    .bind(row.invoke_id.as_str())
    .bind(row.region_id.as_str())
    .bind(row.kind.as_str())
    .bind(row.command_id.as_deref())
    .bind(row.command_name.as_str())
    .bind(row.command_type.as_str())
    .bind(row.content_base64.as_str())
    .bind(row.working_dir.as_str())
    .bind(row.timeout_secs)
    .bind(row.username.as_str())
    .bind(row.enable_parameter)
    .bind(row.parameters.as_str())
    .bind(row.file.as_str())
    .bind(row.created_ms)
    .bind(row.creator.as_str())
    .bind(row.client_token.as_deref())
    .bind(row.tags.as_str())
    .bind(row.traceparent.as_deref())
}

/// The invocation made with ClientToken `$1`.
pub(crate) const BY_CLIENT_TOKEN: &str = "SELECT invoke_id FROM invocations WHERE client_token = $1";

/// Targets per INSERT statement (11 bound values each, within every backend's limit).
pub(crate) const TARGETS_PER_INSERT: usize = 500;

/// Inserts `targets` (at most [`TARGETS_PER_INSERT`]) in one statement.
pub(crate) fn insert_targets<DB: Database>(targets: &[InvocationTarget]) -> QueryBuilder<DB>
where
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new(
        "INSERT INTO invocation_targets (invoke_id, instance_id, status, exit_code, output, dropped, error_code, error_info, \
         start_ms, finish_ms, deadline_ms) ",
    );
    sql.push_values(targets, |mut row, target| {
        row.push_bind(target.invoke_id.clone())
            .push_bind(target.instance_id.clone())
            .push_bind(target.status.clone())
            .push_bind(target.exit_code)
            .push_bind(target.output.clone())
            .push_bind(target.dropped)
            .push_bind(target.error_code.clone())
            .push_bind(target.error_info.clone())
            .push_bind(target.start_ms)
            .push_bind(target.finish_ms)
            .push_bind(target.deadline_ms);
    });
    sql
}

/// How many invocations match `query`.
pub(crate) fn count_invocations<DB: Dialect>(query: &InvocationQuery) -> QueryBuilder<DB>
where
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new("SELECT COUNT(*) FROM invocations i WHERE 1 = 1");
    push_invocation_filters(&mut sql, query);
    sql
}

/// The page of invocations `query` asks for, newest first.
pub(crate) fn invocation_page<DB: Dialect>(query: &InvocationQuery) -> QueryBuilder<DB>
where
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new(format!("SELECT {INVOCATION_COLUMNS} FROM invocations i WHERE 1 = 1"));
    push_invocation_page(&mut sql, query);
    sql
}

/// The targets of the invocations of [`invocation_page`] (only of `query.instance_id` when given),
/// by invocation and instance.
pub(crate) fn page_targets<DB: Dialect>(query: &InvocationQuery) -> QueryBuilder<DB>
where
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new(format!(
        "SELECT t.invoke_id, {TARGET_STATE} FROM invocation_targets t WHERE t.invoke_id IN (SELECT i.invoke_id FROM invocations i WHERE 1 = 1"
    ));
    push_invocation_page(&mut sql, query);
    sql.push(")");
    if let Some(instance_id) = &query.instance_id {
        sql.push(" AND t.instance_id = ").push_bind(instance_id.clone());
    }
    sql.push(format!(
        " ORDER BY {}, {}",
        order_term::<DB>("t.invoke_id", SortKey::Text, true),
        order_term::<DB>("t.instance_id", SortKey::Text, true)
    ));
    sql
}

/// Targets of `instance_ids` to deliver (`Pending`) or stop (`Stopping`) with their invocations,
/// oldest invocation first: rows of [`InvocationRow`]'s columns and [`InvocationTarget`]'s.
pub(crate) fn deliveries<DB: Dialect>(instance_ids: &[String]) -> QueryBuilder<DB> {
    let mut sql = QueryBuilder::new(format!(
        "SELECT {INVOCATION_COLUMNS}, {TARGET_STATE} FROM invocation_targets t JOIN invocations i ON i.invoke_id = t.invoke_id \
         WHERE t.status IN ('Pending', 'Stopping') AND "
    ));
    DB::push_in_ids(&mut sql, "t.instance_id", instance_ids);
    sql.push(format!(
        " ORDER BY i.created_ms, {}, {}",
        order_term::<DB>("t.invoke_id", SortKey::Text, true),
        order_term::<DB>("t.instance_id", SortKey::Text, true)
    ));
    sql
}

/// Target (`$1`, `$2`), to be changed.
pub(crate) fn target<DB: Dialect>() -> String {
    format!("SELECT t.invoke_id, {TARGET_STATE} FROM invocation_targets t WHERE t.invoke_id = $1 AND t.instance_id = $2{}", DB::FOR_UPDATE)
}

/// Writes every changing column of `target`.
pub(crate) fn update_target<DB: Database>(target: &InvocationTarget) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "UPDATE invocation_targets SET status = $3, exit_code = $4, output = $5, dropped = $6, error_code = $7, error_info = $8, \
         start_ms = $9, finish_ms = $10 WHERE invoke_id = $1 AND instance_id = $2",
    )
    .bind(target.invoke_id.as_str())
    .bind(target.instance_id.as_str())
    .bind(target.status.as_str())
    .bind(target.exit_code)
    .bind(target.output.as_str())
    .bind(target.dropped)
    .bind(target.error_code.as_str())
    .bind(target.error_info.as_str())
    .bind(target.start_ms)
    .bind(target.finish_ms)
}

/// Fails every unfinished target whose deadline is before `now_ms`, at `now_ms`: never accepted
/// ([`NOT_TAKEN`]) or run too long ([`TIMED_OUT`]).
pub(crate) fn expire<DB: Database>(now_ms: i64) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(concat!(
        "UPDATE invocation_targets SET error_code = CASE WHEN status = 'Pending' THEN $2 ELSE $4 END, ",
        "error_info = CASE WHEN status = 'Pending' THEN $3 ELSE $5 END, status = 'Failed', finish_ms = $1 ",
        "WHERE deadline_ms < $1 AND status IN ",
        unfinished!()
    ))
    .bind(now_ms)
    .bind(NOT_TAKEN.0)
    .bind(NOT_TAKEN.1)
    .bind(TIMED_OUT.0)
    .bind(TIMED_OUT.1)
}

/// Each invocation of a page with its targets (`targets` in any order).
pub(crate) fn with_targets(page: Vec<InvocationRow>, targets: Vec<InvocationTarget>) -> Vec<(InvocationRow, Vec<InvocationTarget>)> {
    let mut by_invocation: HashMap<String, Vec<InvocationTarget>> = HashMap::new();
    for target in targets {
        by_invocation.entry(target.invoke_id.clone()).or_default().push(target);
    }
    page.into_iter()
        .map(|invocation| {
            let targets = by_invocation.remove(&invocation.invoke_id).unwrap_or_default();
            (invocation, targets)
        })
        .collect()
}


/// Fails the unfinished targets of a deregistered instance at `now_ms`.
pub(crate) fn fail_targets_of_instance<DB: Database>(instance_id: &str, now_ms: i64) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(concat!(
        "UPDATE invocation_targets SET status = 'Failed', error_code = $3, error_info = $4, finish_ms = $2 ",
        "WHERE instance_id = $1 AND status IN ",
        unfinished!()
    ))
    .bind(instance_id)
    .bind(now_ms)
    .bind(DEREGISTERED.0)
    .bind(DEREGISTERED.1)
}

/// The filters of `query` on invocations `i`.
fn push_invocation_filters<DB: Dialect>(sql: &mut QueryBuilder<DB>, query: &InvocationQuery)
where
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    for (column, value) in [("i.invoke_id", &query.invoke_id), ("i.command_id", &query.command_id), ("i.creator", &query.creator), ("i.kind", &query.kind)] {
        if let Some(value) = value {
            sql.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    }
    if let Some(instance_id) = &query.instance_id {
        sql.push(" AND EXISTS (SELECT 1 FROM invocation_targets o WHERE o.invoke_id = i.invoke_id AND o.instance_id = ")
            .push_bind(instance_id.clone())
            .push(")");
    }
}

/// The filters, order and page of `query` on invocations `i` (a limit of 0 or less: no limit).
fn push_invocation_page<DB: Dialect>(sql: &mut QueryBuilder<DB>, query: &InvocationQuery)
where
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    push_invocation_filters(sql, query);
    let limit = if query.limit > 0 { query.limit } else { i64::MAX };
    sql.push(format!(" ORDER BY i.created_ms DESC, {} LIMIT ", order_term::<DB>("i.invoke_id", SortKey::Text, true)));
    sql.push_bind(limit).push(" OFFSET ").push_bind(query.offset.max(0));
}
