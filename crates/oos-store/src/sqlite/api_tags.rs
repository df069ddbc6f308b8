//! Tags of API resources (templates, executions, parameters), kept as a JSON object in each resource's
//! own `tags` column: tagging and untagging several resources in one transaction, and the listings of
//! TagResources / ListTagKeys / ListTagValues (queries in [`crate::sql::tags`]).

use sqlx::{AssertSqlSafe, Sqlite};

use super::SqliteStore;
use super::audit::commit_audited;
use crate::Result;
use crate::api::TagStore;
use crate::model::{ResourceTag, TagChange, TaggedKind};
use crate::sql::tags::{self, TagSource};

#[async_trait::async_trait]
impl TagStore for SqliteStore {
    /// Applies `change` to the tags of every resource in `ids`, in one transaction. Returns the ids that
    /// do not exist; when there are any, nothing is written. Executions started outside the API get
    /// their metadata row here.
    async fn retag(&self, kind: TaggedKind, ids: &[String], change: &TagChange) -> Result<Vec<String>> {
        let TagSource { table, key, only } = kind.source();
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
            let tags: Option<String> = sqlx::query_scalar(AssertSqlSafe(select)).bind(id).fetch_optional(&mut *tx).await?;
            match tags {
                Some(tags) => updated.push((id, change.applied_to(&tags))),
                None => missing.push(id.clone()),
            }
        }
        if !missing.is_empty() {
            return Ok(missing);
        }
        for (id, tags) in updated {
            let update = format!("UPDATE {table} AS r SET tags = ?2 WHERE r.{key} = ?1{only}");
            sqlx::query(AssertSqlSafe(update)).bind(id).bind(tags).execute(&mut *tx).await?;
        }
        commit_audited(tx).await?;
        Ok(missing)
    }

    /// Tags of `kind` resources, one row per tag, ordered by resource and key: only of `ids` when given,
    /// only of resources carrying every tag of `having`.
    async fn resource_tags(
        &self,
        kind: TaggedKind,
        ids: &[String],
        having: &[(String, String)],
        offset: i64,
        limit: i64,
    ) -> Result<Vec<ResourceTag>> {
        Ok(tags::resource_tags::<Sqlite>(kind, ids, having, offset, limit).build_query_as().fetch_all(&self.pool).await?)
    }

    /// The distinct tag keys of `kind` resources, in order, one page.
    async fn tag_keys(&self, kind: TaggedKind, offset: i64, limit: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(AssertSqlSafe(tags::keys::<Sqlite>(kind))).bind(limit).bind(offset).fetch_all(&self.pool).await?)
    }

    /// The distinct values of tag `tag_key` on `kind` resources, in order, one page.
    async fn tag_values(&self, kind: TaggedKind, tag_key: &str, offset: i64, limit: i64) -> Result<Vec<String>> {
        let values: Vec<Option<String>> =
            sqlx::query_scalar(AssertSqlSafe(tags::values::<Sqlite>(kind))).bind(tag_key).bind(limit).bind(offset).fetch_all(&self.pool).await?;
        Ok(values.into_iter().map(Option::unwrap_or_default).collect())
    }
}
