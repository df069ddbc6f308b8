//! Reading resource tags, which live as a JSON object in each tagged resource's own `tags` column:
//! the tags of resources (TagResources' listing), and the distinct keys and values of one kind.

use sqlx::{Encode, QueryBuilder, Type};

use super::{Dialect, push_has_tag};
use crate::model::TaggedKind;

/// Where the resources of one kind are: table, key column, and the condition (on alias `r`) that
/// selects this kind's rows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TagSource {
    pub table: &'static str,
    pub key: &'static str,
    pub only: &'static str,
}

impl TaggedKind {
    /// The rows of this kind of resource.
    pub(crate) fn source(self) -> TagSource {
        let (table, key, only) = match self {
            Self::Template => ("api_templates", "name", ""),
            Self::Execution => ("api_executions", "execution_id", ""),
            Self::Parameter => ("parameters", "name", " AND r.secret = FALSE"),
            Self::SecretParameter => ("parameters", "name", " AND r.secret = TRUE"),
            Self::ManagedInstance => ("managed_instances", "instance_id", ""),
            Self::Command => ("assistant_commands", "command_id", ""),
            Self::Activation => ("activations", "activation_id", ""),
        };
        TagSource { table, key, only }
    }
}

/// The tags of `kind` resources as rows (`resource_id`, `key`, `value`), ordered by resource and key,
/// one page: only of `ids` when given, only of resources carrying every tag of `having`.
pub(crate) fn resource_tags<DB: Dialect>(kind: TaggedKind, ids: &[String], having: &[(String, String)], offset: i64, limit: i64) -> QueryBuilder<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let TagSource { table, key, only } = kind.source();
    let mut sql = QueryBuilder::new(format!(
        "SELECT {} AS resource_id, {} AS key, COALESCE({}, '') AS value FROM {table} r, {} WHERE 1 = 1{only}",
        DB::bytewise(&format!("r.{key}")),
        DB::bytewise("j.key"),
        DB::TAG_VALUE,
        DB::EACH_TAG,
    ));
    if !ids.is_empty() {
        sql.push(format!(" AND r.{key} IN ("));
        let mut list = sql.separated(", ");
        for id in ids {
            list.push_bind(id.clone());
        }
        sql.push(")");
    }
    for (tag, value) in having {
        push_has_tag(&mut sql, "r.tags", tag, value);
    }
    sql.push(" ORDER BY resource_id, key LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
    sql
}

/// The distinct tag keys (column `tag`) of `kind` resources in order, page `$1` rows from `$2`.
pub(crate) fn keys<DB: Dialect>(kind: TaggedKind) -> String {
    let TagSource { table, only, .. } = kind.source();
    format!("SELECT DISTINCT {} AS tag FROM {table} r, {} WHERE 1 = 1{only} ORDER BY tag LIMIT $1 OFFSET $2", DB::bytewise("j.key"), DB::EACH_TAG)
}

/// The distinct values (column `tag`, NULL for a JSON null) of tag `$1` on `kind` resources in order,
/// page `$2` rows from `$3`.
pub(crate) fn values<DB: Dialect>(kind: TaggedKind) -> String {
    let TagSource { table, only, .. } = kind.source();
    format!("SELECT DISTINCT {} AS tag FROM {table} r, {} WHERE j.key = $1{only} ORDER BY tag LIMIT $2 OFFSET $3", DB::TAG_VALUE, DB::EACH_TAG)
}
