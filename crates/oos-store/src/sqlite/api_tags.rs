//! Tags of API resources (templates, executions, parameters), kept as a JSON object in each resource's
//! own `tags` column: tagging and untagging several resources in one transaction, and the listings of
//! TagResources / ListTagKeys / ListTagValues.

use serde_json::{Map, Value};
use sqlx::{QueryBuilder, Row, Sqlite};

use super::SqliteStore;
use super::audit::commit_audited;
use crate::Result;
use crate::api::TagStore;
use crate::model::{ResourceTag, TagChange, TaggedKind};

impl TaggedKind {
    /// Table, key column and the extra condition (on alias `r`) that select this kind's rows.
    fn source(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Template => ("api_templates", "name", ""),
            Self::Execution => ("api_executions", "execution_id", ""),
            Self::Parameter => ("parameters", "name", " AND r.secret = 0"),
            Self::SecretParameter => ("parameters", "name", " AND r.secret = 1"),
        }
    }
}

#[async_trait::async_trait]
impl TagStore for SqliteStore {
    /// Applies `change` to the tags of every resource in `ids`, in one transaction. Returns the ids that
    /// do not exist; when there are any, nothing is written.
    async fn retag(&self, kind: TaggedKind, ids: &[String], change: &TagChange) -> Result<Vec<String>> {
        let (table, key, only) = kind.source();
        let mut tx = self.begin_write().await?;
        if kind == TaggedKind::Execution {
            for id in ids {
                sqlx::query("INSERT OR IGNORE INTO api_executions (execution_id, executed_by) SELECT id, '' FROM executions WHERE id = ?1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let mut missing = Vec::new();
        let mut updated = Vec::new();
        for id in ids {
            let select = format!("SELECT r.tags FROM {table} r WHERE r.{key} = ?1{only}");
            let Some(row) = sqlx::query(sqlx::AssertSqlSafe(select)).bind(id).fetch_optional(&mut *tx).await? else {
                missing.push(id.clone());
                continue;
            };
            let text: String = row.try_get("tags")?;
            let mut tags: Map<String, Value> = if change.remove_all { Map::new() } else { serde_json::from_str(&text).unwrap_or_default() };
            for removed in &change.remove {
                tags.remove(removed);
            }
            tags.extend(change.set.clone());
            updated.push((id, Value::Object(tags).to_string()));
        }
        if !missing.is_empty() {
            return Ok(missing);
        }
        for (id, tags) in updated {
            let update = format!("UPDATE {table} AS r SET tags = ?2 WHERE r.{key} = ?1{only}");
            sqlx::query(sqlx::AssertSqlSafe(update)).bind(id).bind(tags).execute(&mut *tx).await?;
        }
        commit_audited(tx).await?;
        Ok(missing)
    }

    /// Tags of `kind` resources, one row per tag, ordered by resource and key: only of `ids` when given,
    /// only of resources carrying every tag of `having`.
    async fn resource_tags(&self, kind: TaggedKind, ids: &[String], having: &[(String, String)], offset: i64, limit: i64) -> Result<Vec<ResourceTag>> {
        let (table, key, only) = kind.source();
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "SELECT r.{key} AS resource_id, j.key AS tag_key, CAST(j.value AS TEXT) AS tag_value FROM {table} r, json_each(r.tags) j WHERE 1 = 1{only}"
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
            sql.push(" AND json_extract(r.tags, ").push_bind(format!("$.\"{}\"", tag.replace('"', ""))).push(") = ").push_bind(value.clone());
        }
        sql.push(format!(" ORDER BY r.{key}, j.key LIMIT ")).push_bind(limit).push(" OFFSET ").push_bind(offset);
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| Ok(ResourceTag { resource_id: row.try_get("resource_id")?, key: row.try_get("tag_key")?, value: row.try_get::<Option<String>, _>("tag_value")?.unwrap_or_default() }))
            .collect()
    }

    /// The distinct tag keys of `kind` resources, in order, one page.
    async fn tag_keys(&self, kind: TaggedKind, offset: i64, limit: i64) -> Result<Vec<String>> {
        let (table, _, only) = kind.source();
        let sql = format!("SELECT DISTINCT j.key AS tag FROM {table} r, json_each(r.tags) j WHERE 1 = 1{only} ORDER BY tag LIMIT ?1 OFFSET ?2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|row| row.try_get("tag")).collect::<Result<_, _>>()?)
    }

    /// The distinct values of tag `tag_key` on `kind` resources, in order, one page.
    async fn tag_values(&self, kind: TaggedKind, tag_key: &str, offset: i64, limit: i64) -> Result<Vec<String>> {
        let (table, _, only) = kind.source();
        let sql = format!(
            "SELECT DISTINCT CAST(j.value AS TEXT) AS tag FROM {table} r, json_each(r.tags) j WHERE j.key = ?1{only} ORDER BY tag LIMIT ?2 OFFSET ?3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tag_key).bind(limit).bind(offset).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|row| row.try_get::<Option<String>, _>("tag").map(Option::unwrap_or_default)).collect::<Result<_, _>>()?)
    }
}
