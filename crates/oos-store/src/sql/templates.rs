//! The template catalogue's statements: `api_templates` (one row per name, with its latest version
//! number), `api_template_versions` (per-version metadata) and each version's content in the engine's
//! `library_templates`.

use sqlx::{Database, Encode, QueryBuilder, Type};

use super::{Dialect, SortKey, Statement, order_term, push_has_tag};
use crate::model::{NewTemplateVersion, TemplateQuery, TemplateSort};

/// The columns of a [`crate::model::TemplateRow`] but its content, over `t` (the template) and `v` (a version).
const COLUMNS: &str = "t.name, t.template_id, v.version, t.latest_version, v.version_name, v.format, v.hash, \
    v.description, t.tags, t.resource_group_id, t.created_by, t.created_ms, t.updated_by, t.updated_ms, t.is_favorite, \
    (SELECT COUNT(*) FROM executions e WHERE e.template_name = t.name AND e.parent_execution_id IS NULL) AS execution_count";

/// Creates template `new.name` at version 1 unless the name is taken.
pub(crate) fn insert<DB: Database>(new: &NewTemplateVersion) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO api_templates (name, template_id, latest_version, tags, resource_group_id, created_by, created_ms, \
         updated_by, updated_ms) VALUES ($1, $2, 1, $3, $4, $5, $6, $5, $6) ON CONFLICT (name) DO NOTHING",
    )
    .bind(new.name.as_str())
    .bind(new.template_id.as_str())
    .bind(new.tags.as_deref().unwrap_or("{}"))
    .bind(new.resource_group_id.as_deref().unwrap_or(""))
    .bind(new.actor.as_str())
    .bind(new.now_ms)
}

/// Moves template `new.name` to its next version and returns the number (tags and resource group
/// replaced when given). The row stays locked until the transaction ends.
pub(crate) fn next_version<DB: Database>(new: &NewTemplateVersion) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> Option<&'t str>: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "UPDATE api_templates SET latest_version = latest_version + 1, tags = COALESCE($2, tags), \
         resource_group_id = COALESCE($3, resource_group_id), updated_by = $4, updated_ms = $5 WHERE name = $1 RETURNING latest_version",
    )
    .bind(new.name.as_str())
    .bind(new.tags.as_deref())
    .bind(new.resource_group_id.as_deref())
    .bind(new.actor.as_str())
    .bind(new.now_ms)
}

/// The content of `new` as version `version` of its name in the engine's library.
pub(crate) fn insert_content<DB: Database>(new: &NewTemplateVersion, version: i64) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    sqlx::query("INSERT INTO library_templates (name, version, content, created_ms) VALUES ($1, $2, $3, $4)")
        .bind(new.name.as_str())
        .bind(version)
        .bind(new.content.as_str())
        .bind(new.now_ms)
}

/// The metadata of `new` as version `version`.
pub(crate) fn insert_version<DB: Database>(new: &NewTemplateVersion, version: i64) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO api_template_versions (name, version, version_name, format, hash, description, created_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new.name.as_str())
    .bind(version)
    .bind(new.version_name.as_str())
    .bind(new.format.as_str())
    .bind(new.hash.as_str())
    .bind(new.description.as_str())
    .bind(new.actor.as_str())
    .bind(new.now_ms)
}

/// Marks template `$1` as a favourite (`$2`) or not.
pub(crate) const SET_FAVORITE: &str = "UPDATE api_templates SET is_favorite = $2 WHERE name = $1";

pub(crate) const DELETE: &str = "DELETE FROM api_templates WHERE name = $1";
pub(crate) const DELETE_VERSIONS: &str = "DELETE FROM api_template_versions WHERE name = $1";
/// Also the library's own versions of the name: a template created through the API starts afresh.
pub(crate) const DELETE_CONTENT: &str = "DELETE FROM library_templates WHERE name = $1";

/// Template `$1` at version `$2` (NULL: the latest), with its content.
pub(crate) fn at_version() -> String {
    format!(
        "SELECT {COLUMNS}, l.content FROM api_templates t \
         JOIN api_template_versions v ON v.name = t.name AND v.version = COALESCE($2, t.latest_version) \
         JOIN library_templates l ON l.name = t.name AND l.version = v.version WHERE t.name = $1"
    )
}

/// Every version of template `$1`, newest first, content left empty.
pub(crate) fn versions() -> String {
    format!(
        "SELECT {COLUMNS}, '' AS content FROM api_templates t JOIN api_template_versions v ON v.name = t.name WHERE t.name = $1 ORDER BY v.version DESC"
    )
}

/// The latest versions of the templates matching `query`, one page, content left empty.
pub(crate) fn list<DB: Dialect>(query: &TemplateQuery) -> QueryBuilder<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new(format!(
        "SELECT {COLUMNS}, '' AS content FROM api_templates t \
         JOIN api_template_versions v ON v.name = t.name AND v.version = t.latest_version WHERE 1 = 1"
    ));
    if let Some(name) = &query.name_contains {
        sql.push(format!(" AND {}(t.name, ", DB::FIND)).push_bind(name.clone()).push(") > 0");
    }
    if let Some((prefix, starts)) = &query.name_prefix {
        let test = if *starts { "=" } else { "<>" };
        sql.push(format!(" AND LOWER(SUBSTR(t.name, 1, {})) {test} ", prefix.chars().count())).push_bind(prefix.to_lowercase());
    }
    if let Some(creator) = &query.created_by {
        sql.push(" AND t.created_by = ").push_bind(creator.clone());
    }
    if let Some(format) = &query.format {
        sql.push(" AND v.format = ").push_bind(format.to_ascii_uppercase());
    }
    if let Some(after) = query.created_after_ms {
        sql.push(" AND t.created_ms >= ").push_bind(after);
    }
    if let Some(before) = query.created_before_ms {
        sql.push(" AND t.created_ms <= ").push_bind(before);
    }
    if let Some(favorite) = query.favorite {
        sql.push(" AND t.is_favorite = ").push_bind(favorite);
    }
    for (key, value) in &query.tags {
        push_has_tag(&mut sql, "t.tags", key, value);
    }
    let (column, key) = match query.sort {
        TemplateSort::CreatedDate => ("t.created_ms", SortKey::Number),
        TemplateSort::UpdatedDate => ("t.updated_ms", SortKey::Number),
        TemplateSort::TemplateName => ("t.name", SortKey::Text),
        TemplateSort::TotalExecutionCount => ("execution_count", SortKey::Number),
    };
    let by_name = order_term::<DB>("t.name", SortKey::Text, query.ascending);
    sql.push(format!(" ORDER BY {}, {by_name} LIMIT ", order_term::<DB>(column, key, query.ascending)));
    sql.push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
    sql
}
