//! The statements on `state_configurations`: creation (once per ClientToken), change, listing and
//! deletion. The invocation applying a configuration is written with [`super::invocations`].

use sqlx::{Database, Encode, QueryBuilder, Type};

use super::assistant::push_ids_or_all;
use super::{Dialect, SortKey, Statement, order_term, push_has_tag};
use crate::model::{StateConfigurationQuery, StateConfigurationRow};

const COLUMNS: &str = "state_configuration_id, region_id, template_name, template_version, template_id, description, parameters, \
    targets, configure_mode, schedule_type, schedule_expression, resource_group_id, tags, inventory_types, next_apply_ms, client_token, created_ms, updated_ms";

/// Records a configuration unless its ClientToken belongs to another one.
pub(crate) fn insert<DB: Database>(row: &StateConfigurationRow) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> Option<&'t str>: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO state_configurations (state_configuration_id, region_id, template_name, template_version, template_id, description, \
         parameters, targets, configure_mode, schedule_type, schedule_expression, resource_group_id, tags, inventory_types, next_apply_ms, \
         client_token, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT (client_token) DO NOTHING",
    )
    .bind(row.state_configuration_id.as_str())
    .bind(row.region_id.as_str())
    .bind(row.template_name.as_str())
    .bind(row.template_version.as_str())
    .bind(row.template_id.as_str())
    .bind(row.description.as_str())
    .bind(row.parameters.as_str())
    .bind(row.targets.as_str())
    .bind(row.configure_mode.as_str())
    .bind(row.schedule_type.as_str())
    .bind(row.schedule_expression.as_str())
    .bind(row.resource_group_id.as_str())
    .bind(row.tags.as_str())
    .bind(row.inventory_types.as_str())
    .bind(row.next_apply_ms)
    .bind(row.client_token.as_deref())
    .bind(row.created_ms)
    .bind(row.updated_ms)
}

/// The configuration created with ClientToken `$1`.
pub(crate) const BY_CLIENT_TOKEN: &str = "SELECT state_configuration_id FROM state_configurations WHERE client_token = $1";

/// Changes what UpdateStateConfiguration may change (its id, template and creation stay).
pub(crate) fn update<DB: Database>(row: &StateConfigurationRow) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "UPDATE state_configurations SET description = $2, parameters = $3, targets = $4, configure_mode = $5, schedule_type = $6, \
         schedule_expression = $7, resource_group_id = $8, tags = $9, inventory_types = $10, updated_ms = $11, next_apply_ms = $12 \
         WHERE state_configuration_id = $1",
    )
    .bind(row.state_configuration_id.as_str())
    .bind(row.description.as_str())
    .bind(row.parameters.as_str())
    .bind(row.targets.as_str())
    .bind(row.configure_mode.as_str())
    .bind(row.schedule_type.as_str())
    .bind(row.schedule_expression.as_str())
    .bind(row.resource_group_id.as_str())
    .bind(row.tags.as_str())
    .bind(row.inventory_types.as_str())
    .bind(row.updated_ms)
    .bind(row.next_apply_ms)
}

/// One page of configurations, newest first.
pub(crate) fn list<DB: Dialect>(query: &StateConfigurationQuery) -> QueryBuilder<DB>
where
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new(format!("SELECT {COLUMNS} FROM state_configurations WHERE "));
    push_ids_or_all(&mut sql, "state_configuration_id", &query.ids);
    for (column, value) in [("template_name", &query.template_name), ("template_version", &query.template_version)] {
        if let Some(value) = value {
            sql.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    }
    for (key, value) in &query.tags {
        push_has_tag(&mut sql, "tags", key, value);
    }
    sql.push(format!(" ORDER BY created_ms DESC, {}", order_term::<DB>("state_configuration_id", SortKey::Text, false)));
    sql.push(" LIMIT ").push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
    sql
}

/// Deletes the configurations with `ids` (their invocations stay, as a record of what ran).
pub(crate) fn delete<DB: Dialect>(ids: &[String]) -> QueryBuilder<DB> {
    let mut sql = QueryBuilder::new("DELETE FROM state_configurations WHERE ");
    DB::push_in_ids(&mut sql, "state_configuration_id", ids);
    sql
}

/// The scheduled configurations due at `now_ms`, most overdue first, at most `limit`.
pub(crate) fn due<DB: Dialect>(now_ms: i64, limit: i64) -> QueryBuilder<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new(format!("SELECT {COLUMNS} FROM state_configurations WHERE next_apply_ms <= "));
    sql.push_bind(now_ms).push(" ORDER BY next_apply_ms LIMIT ").push_bind(limit);
    sql
}

/// Moves configuration `$1`'s next application from `$2` to `$3`: only one writer claims a due
/// application (a second sees `$2` changed and changes nothing).
pub(crate) const CLAIM: &str = "UPDATE state_configurations SET next_apply_ms = $3 WHERE state_configuration_id = $1 AND next_apply_ms = $2";
