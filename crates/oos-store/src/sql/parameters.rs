//! The parameter store's statements: `parameters` (one row per name and kind, common or secret, with
//! the latest version number and the metadata) and `parameter_versions` (each version's value).

use sqlx::{Database, Encode, QueryBuilder, Type};

use super::{Dialect, SortKey, Statement, order_term, push_has_tag};
use crate::Result;
use crate::api::ParameterStore;
use crate::model::{NewParameter, ParameterQuery, ParameterSort, ParameterUpdate};

/// The columns of a [`crate::model::ParameterRow`] over `p` (the parameter) and `v` (a version), the
/// value last.
const COLUMNS: &str = "p.name, p.id, p.type AS kind, v.version, p.latest_version, p.description, p.constraints, p.key_id, \
    p.tags, p.resource_group_id, p.created_by, p.created_ms, p.updated_by, p.updated_ms";

/// Creates parameter `new.name` at version 1 (its value is [`insert_version`]'s) unless the name is taken.
pub(crate) fn insert<DB: Database>(new: &NewParameter) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO parameters (secret, name, id, type, latest_version, description, constraints, key_id, tags, \
         resource_group_id, created_by, created_ms, updated_by, updated_ms) \
         VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $11, $10, $11) ON CONFLICT (secret, name) DO NOTHING",
    )
    .bind(new.secret)
    .bind(new.name.as_str())
    .bind(new.id.as_str())
    .bind(new.kind.as_str())
    .bind(new.description.as_str())
    .bind(new.constraints.as_str())
    .bind(new.key_id.as_str())
    .bind(new.tags.as_deref().unwrap_or("{}"))
    .bind(new.resource_group_id.as_deref().unwrap_or(""))
    .bind(new.actor.as_str())
    .bind(new.now_ms)
}

/// Changes parameter `update.name` and returns its latest version number, one more when the change
/// brings a value (whose version [`insert_version`] then writes). The row stays locked until the
/// transaction ends.
pub(crate) fn update<DB: Database>(update: &ParameterUpdate) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> Option<&'t str>: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "UPDATE parameters SET latest_version = latest_version + $3, description = COALESCE($4, description), \
         tags = COALESCE($5, tags), resource_group_id = COALESCE($6, resource_group_id), updated_by = $7, updated_ms = $8 \
         WHERE secret = $1 AND name = $2 RETURNING latest_version",
    )
    .bind(update.secret)
    .bind(update.name.as_str())
    .bind(i64::from(update.value.is_some()))
    .bind(update.description.as_deref())
    .bind(update.tags.as_deref())
    .bind(update.resource_group_id.as_deref())
    .bind(update.actor.as_str())
    .bind(update.now_ms)
}

/// Version `version` of a parameter with its value, written by `actor` at `now_ms`.
pub(crate) fn insert_version<DB: Database>(secret: bool, name: &str, version: i64, value: &str, actor: &str, now_ms: i64) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    sqlx::query("INSERT INTO parameter_versions (secret, name, version, value, updated_by, updated_ms) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(secret)
        .bind(name)
        .bind(version)
        .bind(value)
        .bind(actor)
        .bind(now_ms)
}

/// Every version of parameter `$2` (secret: `$1`), newest first.
pub(crate) const VERSIONS: &str =
    "SELECT version, value, updated_by, updated_ms FROM parameter_versions WHERE secret = $1 AND name = $2 ORDER BY version DESC";

pub(crate) const DELETE: &str = "DELETE FROM parameters WHERE secret = $1 AND name = $2";
pub(crate) const DELETE_VERSIONS: &str = "DELETE FROM parameter_versions WHERE secret = $1 AND name = $2";

/// Parameter `$2` (secret: `$1`) at version `$3` (NULL: the latest), with its value.
pub(crate) fn at_version() -> String {
    format!(
        "SELECT {COLUMNS}, v.value FROM parameters p JOIN parameter_versions v ON v.secret = p.secret AND v.name = p.name \
         AND v.version = COALESCE($3, p.latest_version) WHERE p.secret = $1 AND p.name = $2"
    )
}

/// The latest versions of the parameters matching `query`, one page, each row with the number of
/// matches in all pages (column `total`); the values only when `query.with_values`.
pub(crate) fn list<DB: Dialect>(query: &ParameterQuery) -> QueryBuilder<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let value = if query.with_values { "v.value" } else { "'' AS value" };
    let mut sql = QueryBuilder::new(format!(
        "SELECT {COLUMNS}, {value}, COUNT(*) OVER () AS total FROM parameters p JOIN parameter_versions v ON v.secret = p.secret \
         AND v.name = p.name AND v.version = p.latest_version WHERE p.secret = "
    ));
    sql.push_bind(query.secret);
    if let Some(name) = &query.name_contains {
        sql.push(format!(" AND {}(p.name, ", DB::FIND)).push_bind(name.clone()).push(") > 0");
    }
    if let Some(path) = &query.path {
        push_path(&mut sql, path.trim_matches('/'), query.recursive);
    }
    if let Some(kind) = &query.kind {
        sql.push(" AND p.type = ").push_bind(kind.clone());
    }
    if let Some(group) = &query.resource_group_id {
        sql.push(" AND p.resource_group_id = ").push_bind(group.clone());
    }
    for (key, value) in &query.tags {
        push_has_tag(&mut sql, "p.tags", key, value);
    }
    let (column, key) = match query.sort {
        ParameterSort::CreatedDate => ("p.created_ms", SortKey::Number),
        ParameterSort::Name => ("p.name", SortKey::Text),
    };
    let by_name = order_term::<DB>("p.name", SortKey::Text, query.ascending);
    sql.push(format!(" ORDER BY {}, {by_name} LIMIT ", order_term::<DB>(column, key, query.ascending)));
    sql.push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
    sql
}

/// Parameters under `path` (no leading or trailing `/`; names compared without their leading `/`):
/// all of them when `recursive`, else only those with no further `/`.
fn push_path<DB: Dialect>(sql: &mut QueryBuilder<DB>, path: &str, recursive: bool)
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let characters = path.chars().count() as i64;
    if !path.is_empty() {
        let prefix = format!("{path}/");
        sql.push(" AND substr(ltrim(p.name, '/'), 1, CAST(").push_bind(characters + 1).push(" AS INTEGER)) = ").push_bind(prefix);
    }
    if !recursive {
        let rest_from = if path.is_empty() { 1 } else { characters + 2 };
        sql.push(format!(" AND {}(substr(ltrim(p.name, '/'), CAST(", DB::FIND)).push_bind(rest_from).push(" AS INTEGER)), '/') = 0");
    }
}

/// The match count of `query` when its page came back empty (the count rides on the page's rows):
/// the same query's first row from offset 0.
pub(crate) async fn total_past_the_end(store: &dyn ParameterStore, query: &ParameterQuery) -> Result<i64> {
    if query.offset == 0 {
        return Ok(0);
    }
    let first = ParameterQuery { offset: 0, limit: 1, with_values: false, ..query.clone() };
    Ok(store.list_parameters(&first).await?.1)
}
