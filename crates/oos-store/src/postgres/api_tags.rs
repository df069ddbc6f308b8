//! Tags of API resources on PostgreSQL, a JSON object in each resource's own `tags` column (queries in
//! [`crate::sql::tags`]). A retag locks the resources' rows (`FOR UPDATE`, in key order, so two
//! retags of overlapping resources queue instead of deadlocking) before it reads their tags, so
//! concurrent changes of one resource apply one after the other and none is lost.

use std::collections::HashMap;

use sqlx::{AssertSqlSafe, Postgres};

use super::PgStore;
use crate::Result;
use crate::api::TagStore;
use crate::model::{ResourceTag, TagChange, TaggedKind};
use crate::sql::tags::{self, TagSource};

#[async_trait::async_trait]
impl TagStore for PgStore {
    /// Applies `change` to the tags of every resource in `ids`, in one transaction. Returns the ids that
    /// do not exist; when there are any, nothing is written. Executions started outside the API get
    /// their metadata row here.
    async fn retag(&self, kind: TaggedKind, ids: &[String], change: &TagChange) -> Result<Vec<String>> {
        let TagSource { table, key, only } = kind.source();
        let mut tx = self.pool.begin().await?;
        if kind == TaggedKind::Execution {
            // In id order, like the locks below: concurrent retags of the same executions queue.
            sqlx::query(
                "INSERT INTO api_executions (execution_id, executed_by) SELECT id, '' FROM executions WHERE id = ANY($1) \
                 ORDER BY id ON CONFLICT (execution_id) DO NOTHING",
            )
            .bind(ids)
            .execute(&mut *tx)
            .await?;
        }
        let select = format!("SELECT r.{key}, r.tags FROM {table} r WHERE r.{key} = ANY($1){only} ORDER BY r.{key} FOR UPDATE");
        let current: HashMap<String, String> = sqlx::query_as(AssertSqlSafe(select)).bind(ids).fetch_all(&mut *tx).await?.into_iter().collect();
        let missing: Vec<String> = ids.iter().filter(|id| !current.contains_key(*id)).cloned().collect();
        if !missing.is_empty() {
            return Ok(missing);
        }
        let (keys, retagged): (Vec<&str>, Vec<String>) = current.iter().map(|(id, tags)| (id.as_str(), change.applied_to(tags))).unzip();
        let update = format!("UPDATE {table} r SET tags = u.tags FROM UNNEST($1::TEXT[], $2::TEXT[]) u (id, tags) WHERE r.{key} = u.id{only}");
        sqlx::query(AssertSqlSafe(update)).bind(keys).bind(retagged).execute(&mut *tx).await?;
        self.commit_audited(tx).await?;
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
        Ok(tags::resource_tags::<Postgres>(kind, ids, having, offset, limit).build_query_as().fetch_all(&self.pool).await?)
    }

    /// The distinct tag keys of `kind` resources, in order, one page.
    async fn tag_keys(&self, kind: TaggedKind, offset: i64, limit: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(AssertSqlSafe(tags::keys::<Postgres>(kind))).bind(limit).bind(offset).fetch_all(&self.pool).await?)
    }

    /// The distinct values of tag `tag_key` on `kind` resources, in order, one page.
    async fn tag_values(&self, kind: TaggedKind, tag_key: &str, offset: i64, limit: i64) -> Result<Vec<String>> {
        let values: Vec<Option<String>> =
            sqlx::query_scalar(AssertSqlSafe(tags::values::<Postgres>(kind))).bind(tag_key).bind(limit).bind(offset).fetch_all(&self.pool).await?;
        Ok(values.into_iter().map(Option::unwrap_or_default).collect())
    }
}
