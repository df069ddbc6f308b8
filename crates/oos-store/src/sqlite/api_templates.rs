//! The API server's template catalogue: names, ids, tags and per-version metadata in `api_templates`
//! and `api_template_versions`, with each version's content in the engine's `library_templates`
//! (so `ACS::Template` children find templates created through the API). Every write is one
//! transaction over all three tables.

use sqlx::{QueryBuilder, Row, Sqlite};
use sqlx::sqlite::SqliteRow;

use super::SqliteStore;
use super::audit::commit_audited;
use crate::Result;
use crate::api::TemplateStore;
use crate::model::{NewTemplateVersion, TemplateQuery, TemplateRow, TemplateSort};

const LATEST_COLUMNS: &str = "t.name, t.template_id, v.version, t.latest_version, v.version_name, v.format, v.hash, \
    v.description, t.tags, t.resource_group_id, t.created_by, t.created_ms, t.updated_by, t.updated_ms, t.is_favorite, \
    (SELECT COUNT(*) FROM executions e WHERE e.template_name = t.name AND e.parent_execution_id IS NULL) AS execution_count";

fn template_from_row(row: &SqliteRow, with_content: bool) -> Result<TemplateRow> {
    Ok(TemplateRow {
        name: row.try_get("name")?,
        template_id: row.try_get("template_id")?,
        version: row.try_get("version")?,
        latest_version: row.try_get("latest_version")?,
        version_name: row.try_get("version_name")?,
        format: row.try_get("format")?,
        hash: row.try_get("hash")?,
        description: row.try_get("description")?,
        content: if with_content { row.try_get("content")? } else { String::new() },
        tags: row.try_get("tags")?,
        resource_group_id: row.try_get("resource_group_id")?,
        created_by: row.try_get("created_by")?,
        created_ms: row.try_get("created_ms")?,
        updated_by: row.try_get("updated_by")?,
        updated_ms: row.try_get("updated_ms")?,
        execution_count: row.try_get("execution_count")?,
        is_favorite: row.try_get("is_favorite")?,
    })
}

#[async_trait::async_trait]
impl TemplateStore for SqliteStore {
    /// Creates template `new.name` at version 1; `None` when the name is taken.
    async fn create_template(&self, new: &NewTemplateVersion) -> Result<Option<TemplateRow>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let taken = sqlx::query("SELECT 1 FROM api_templates WHERE name = ?1").bind(&new.name).fetch_optional(&mut *tx).await?;
        if taken.is_some() {
            return Ok(None);
        }
        sqlx::query("DELETE FROM library_templates WHERE name = ?1").bind(&new.name).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO api_templates (name, template_id, latest_version, tags, resource_group_id, created_by, \
             created_ms, updated_by, updated_ms) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?5, ?6)",
        )
        .bind(&new.name)
        .bind(&new.template_id)
        .bind(new.tags.as_deref().unwrap_or("{}"))
        .bind(new.resource_group_id.as_deref().unwrap_or(""))
        .bind(&new.actor)
        .bind(new.now_ms)
        .execute(&mut *tx)
        .await?;
        insert_version(&mut tx, new, 1).await?;
        commit_audited(tx).await?;
        self.template(&new.name, None).await
    }

    /// Adds a new version to an existing template; `None` when it does not exist.
    async fn update_template(&self, new: &NewTemplateVersion) -> Result<Option<TemplateRow>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let Some(row) = sqlx::query("SELECT latest_version FROM api_templates WHERE name = ?1").bind(&new.name).fetch_optional(&mut *tx).await?
        else {
            return Ok(None);
        };
        let version: i64 = row.try_get::<i64, _>("latest_version")? + 1;
        sqlx::query(
            "UPDATE api_templates SET latest_version = ?2, tags = COALESCE(?3, tags), \
             resource_group_id = COALESCE(?4, resource_group_id), updated_by = ?5, updated_ms = ?6 WHERE name = ?1",
        )
        .bind(&new.name)
        .bind(version)
        .bind(&new.tags)
        .bind(&new.resource_group_id)
        .bind(&new.actor)
        .bind(new.now_ms)
        .execute(&mut *tx)
        .await?;
        insert_version(&mut tx, new, version).await?;
        commit_audited(tx).await?;
        self.template(&new.name, None).await
    }

    /// Template `name` at `version` (default: the latest), with its content.
    async fn template(&self, name: &str, version: Option<i64>) -> Result<Option<TemplateRow>> {
        let sql = format!(
            "SELECT {LATEST_COLUMNS}, l.content FROM api_templates t \
             JOIN api_template_versions v ON v.name = t.name AND v.version = COALESCE(?2, t.latest_version) \
             JOIN library_templates l ON l.name = t.name AND l.version = v.version WHERE t.name = ?1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).bind(version).fetch_optional(&self.pool).await?;
        row.map(|row| template_from_row(&row, true)).transpose()
    }

    /// Every version of `name`, newest first (content left empty).
    async fn template_versions(&self, name: &str) -> Result<Vec<TemplateRow>> {
        let sql = format!(
            "SELECT {LATEST_COLUMNS} FROM api_templates t JOIN api_template_versions v ON v.name = t.name \
             WHERE t.name = ?1 ORDER BY v.version DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(&self.pool).await?;
        rows.iter().map(|row| template_from_row(row, false)).collect()
    }

    /// The latest versions of the templates matching `query`, one page (content left empty).
    async fn list_templates(&self, query: &TemplateQuery) -> Result<Vec<TemplateRow>> {
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "SELECT {LATEST_COLUMNS} FROM api_templates t \
             JOIN api_template_versions v ON v.name = t.name AND v.version = t.latest_version WHERE 1 = 1"
        ));
        if let Some(name) = &query.name_contains {
            sql.push(" AND instr(t.name, ").push_bind(name.clone()).push(") > 0");
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
            sql.push(" AND json_extract(t.tags, ").push_bind(format!("$.\"{}\"", key.replace('"', ""))).push(") = ").push_bind(value.clone());
        }
        let column = match query.sort {
            TemplateSort::CreatedDate => "t.created_ms",
            TemplateSort::UpdatedDate => "t.updated_ms",
            TemplateSort::TemplateName => "t.name",
            TemplateSort::TotalExecutionCount => "execution_count",
        };
        let direction = if query.ascending { "ASC" } else { "DESC" };
        sql.push(format!(" ORDER BY {column} {direction}, t.name {direction} LIMIT "));
        sql.push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(|row| template_from_row(row, false)).collect()
    }

    /// Marks template `name` as a favourite or not; false when it does not exist.
    async fn set_template_favorite(&self, name: &str, favorite: bool) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE api_templates SET is_favorite = ?2 WHERE name = ?1").bind(name).bind(favorite).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes template `name` with every version; false when it did not exist.
    async fn delete_template(&self, name: &str) -> Result<bool> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let deleted = sqlx::query("DELETE FROM api_templates WHERE name = ?1").bind(name).execute(&mut *tx).await?.rows_affected();
        sqlx::query("DELETE FROM api_template_versions WHERE name = ?1").bind(name).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM library_templates WHERE name = ?1").bind(name).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(deleted > 0)
    }
}

async fn insert_version(tx: &mut sqlx::Transaction<'_, Sqlite>, new: &NewTemplateVersion, version: i64) -> Result<()> {
    sqlx::query("INSERT INTO library_templates (name, version, content, created_ms) VALUES (?1, ?2, ?3, ?4)")
        .bind(&new.name)
        .bind(version)
        .bind(&new.content)
        .bind(new.now_ms)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO api_template_versions (name, version, version_name, format, hash, description, created_by, created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(&new.name)
    .bind(version)
    .bind(&new.version_name)
    .bind(&new.format)
    .bind(&new.hash)
    .bind(&new.description)
    .bind(&new.actor)
    .bind(new.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
