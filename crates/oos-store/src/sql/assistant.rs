//! The Cloud Assistant's statements on `activations`, `managed_instances` and `assistant_commands`.
//! Reads of rows a write is about to change end with [`Dialect::FOR_UPDATE`]; the decisions taken on
//! them are in [`super::assistant_rules`]. Invocations and their targets are in [`super::invocations`].

use sqlx::{Database, Encode, QueryBuilder, Type};

use super::{Dialect, SortKey, Statement, order_term, push_has_tag};
use crate::model::{ActivationRow, CommandQuery, CommandRow, ManagedInstanceQuery, ManagedInstanceRow};

const ACTIVATION_COLUMNS: &str = "activation_id, region_id, code_hash, description, instance_name, ip_address_range, usage_limit, \
    usage_count, deregistered_count, created_ms, expires_ms, tags";
const INSTANCE_COLUMNS: &str = "instance_id, region_id, activation_id, secret_hash, instance_name, hostname, os_type, os_name, \
    agent_version, ip_address, inventory, collected, registered_ms, last_seen_ms, connected, sandbox_instance, tags";
const COMMAND_COLUMNS: &str = "command_id, region_id, name, description, command_type, content_base64, working_dir, timeout_secs, \
    enable_parameter, parameter_names, created_ms, tags";
/// Creates an activation unless its id is taken.
pub(crate) fn insert_activation<DB: Database>(row: &ActivationRow) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO activations (activation_id, region_id, code_hash, description, instance_name, ip_address_range, usage_limit, \
         usage_count, deregistered_count, created_ms, expires_ms, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (activation_id) DO NOTHING",
    )
    .bind(row.activation_id.as_str())
    .bind(row.region_id.as_str())
    .bind(row.code_hash.as_str())
    .bind(row.description.as_str())
    .bind(row.instance_name.as_str())
    .bind(row.ip_address_range.as_str())
    .bind(row.usage_limit)
    .bind(row.usage_count)
    .bind(row.deregistered_count)
    .bind(row.created_ms)
    .bind(row.expires_ms)
    .bind(row.tags.as_str())
}

/// The activations with `ids` (every one when empty), newest first.
pub(crate) fn activations<DB: Dialect>(ids: &[String]) -> QueryBuilder<DB> {
    let mut sql = QueryBuilder::new(format!("SELECT {ACTIVATION_COLUMNS} FROM activations WHERE "));
    push_ids_or_all(&mut sql, "activation_id", ids);
    sql.push(format!(" ORDER BY created_ms DESC, {}", order_term::<DB>("activation_id", SortKey::Text, true)));
    sql
}

pub(crate) const DELETE_ACTIVATION: &str = "DELETE FROM activations WHERE activation_id = $1";

/// Usage limit, usage count and expiry of activation `$1` if its code hash is `$2`, to be counted.
pub(crate) fn registration<DB: Dialect>() -> String {
    format!("SELECT usage_limit, usage_count, expires_ms FROM activations WHERE activation_id = $1 AND code_hash = $2{}", DB::FOR_UPDATE)
}

pub(crate) const COUNT_USE: &str = "UPDATE activations SET usage_count = usage_count + 1 WHERE activation_id = $1";

pub(crate) fn insert_instance<DB: Database>(row: &ManagedInstanceRow) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> Option<&'t str>: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO managed_instances (instance_id, region_id, activation_id, secret_hash, instance_name, hostname, os_type, os_name, \
         agent_version, ip_address, inventory, collected, registered_ms, last_seen_ms, connected, sandbox_instance, tags) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(row.instance_id.as_str())
    .bind(row.region_id.as_str())
    .bind(row.activation_id.as_str())
    .bind(row.secret_hash.as_str())
    .bind(row.instance_name.as_str())
    .bind(row.hostname.as_str())
    .bind(row.os_type.as_str())
    .bind(row.os_name.as_str())
    .bind(row.agent_version.as_str())
    .bind(row.ip_address.as_str())
    .bind(row.inventory.as_str())
    .bind(row.collected.as_str())
    .bind(row.registered_ms)
    .bind(row.last_seen_ms)
    .bind(row.connected)
    .bind(row.sandbox_instance.as_deref())
    .bind(row.tags.as_str())
}

/// The managed instances matching every filter of `query`, newest registration first.
pub(crate) fn managed_instances<DB: Dialect>(query: &ManagedInstanceQuery) -> QueryBuilder<DB>
where
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new(format!("SELECT {INSTANCE_COLUMNS} FROM managed_instances m WHERE "));
    push_ids_or_all(&mut sql, "m.instance_id", &query.ids);
    for (column, value) in [("m.activation_id", &query.activation_id), ("m.instance_name", &query.instance_name), ("m.sandbox_instance", &query.sandbox_instance)] {
        if let Some(value) = value {
            sql.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    }
    for (key, value) in &query.tags {
        push_has_tag(&mut sql, "m.tags", key, value);
    }
    sql.push(format!(" ORDER BY m.registered_ms DESC, {}", order_term::<DB>("m.instance_id", SortKey::Text, true)));
    sql
}

/// Managed instance `$1`.
pub(crate) fn instance() -> String {
    format!("SELECT {INSTANCE_COLUMNS} FROM managed_instances WHERE instance_id = $1")
}

/// Deletes managed instance `$1`, answering its activation.
pub(crate) const DEREGISTER: &str = "DELETE FROM managed_instances WHERE instance_id = $1 RETURNING activation_id";
pub(crate) const COUNT_DEREGISTERED: &str = "UPDATE activations SET deregistered_count = deregistered_count + 1 WHERE activation_id = $1";
/// Instance `$1` was seen at `$2`, connected (`$3`) or not, with host inventory `$4` (NULL: unchanged).
pub(crate) const SEEN: &str =
    "UPDATE managed_instances SET last_seen_ms = $2, connected = $3, inventory = COALESCE($4, inventory) WHERE instance_id = $1";

/// The collected inventory of instance `$1`, to be merged into.
pub(crate) fn collected<DB: Dialect>() -> String {
    format!("SELECT collected FROM managed_instances WHERE instance_id = $1{}", DB::FOR_UPDATE)
}

pub(crate) const SET_COLLECTED: &str = "UPDATE managed_instances SET collected = $2 WHERE instance_id = $1";

/// Saves a command unless its id is taken.
pub(crate) fn insert_command<DB: Database>(row: &CommandRow) -> Statement<DB>
where
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO assistant_commands (command_id, region_id, name, description, command_type, content_base64, working_dir, \
         timeout_secs, enable_parameter, parameter_names, created_ms, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (command_id) DO NOTHING",
    )
    .bind(row.command_id.as_str())
    .bind(row.region_id.as_str())
    .bind(row.name.as_str())
    .bind(row.description.as_str())
    .bind(row.command_type.as_str())
    .bind(row.content_base64.as_str())
    .bind(row.working_dir.as_str())
    .bind(row.timeout_secs)
    .bind(row.enable_parameter)
    .bind(row.parameter_names.as_str())
    .bind(row.created_ms)
    .bind(row.tags.as_str())
}

/// The saved commands matching every filter of `query`, newest first.
pub(crate) fn commands<DB: Dialect>(query: &CommandQuery) -> QueryBuilder<DB>
where
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new(format!("SELECT {COMMAND_COLUMNS} FROM assistant_commands WHERE 1 = 1"));
    for (column, value) in [("command_id", &query.command_id), ("name", &query.name), ("command_type", &query.command_type)] {
        if let Some(value) = value {
            sql.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    }
    sql.push(format!(" ORDER BY created_ms DESC, {}", order_term::<DB>("command_id", SortKey::Text, true)));
    sql
}

pub(crate) const DELETE_COMMAND: &str = "DELETE FROM assistant_commands WHERE command_id = $1";

/// Pushes "`column` is one of `ids`", or a condition always true when there are none.
pub(crate) fn push_ids_or_all<DB: Dialect>(sql: &mut QueryBuilder<DB>, column: &str, ids: &[String]) {
    if ids.is_empty() {
        sql.push("1 = 1");
    } else {
        DB::push_in_ids(sql, column, ids);
    }
}
