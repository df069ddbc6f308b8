//! The API server's template catalogue: names, ids, tags and per-version metadata in `api_templates`
//! and `api_template_versions`, with each version's content in the engine's `library_templates`
//! (so `ACS::Template` children find templates created through the API). Every write is one
//! `BEGIN IMMEDIATE` transaction over all three tables (statements in [`crate::sql::templates`]).

use sqlx::{AssertSqlSafe, Row, Sqlite, SqliteConnection};

use super::SqliteStore;
use super::audit::commit_audited;
use crate::Result;
use crate::api::TemplateStore;
use crate::model::{NewTemplateVersion, TemplateQuery, TemplateRow};
use crate::sql::templates;

#[async_trait::async_trait]
impl TemplateStore for SqliteStore {
    /// Creates template `new.name` at version 1; `None` when the name is taken.
    async fn create_template(&self, new: &NewTemplateVersion) -> Result<Option<TemplateRow>> {
        let mut tx = self.begin_write().await?;
        let created = templates::insert::<Sqlite>(new).execute(&mut *tx).await?;
        if created.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query(templates::DELETE_CONTENT).bind(&new.name).execute(&mut *tx).await?;
        insert_version(&mut tx, new, 1).await?;
        let created = read_template(&mut tx, &new.name, None).await?;
        commit_audited(tx).await?;
        Ok(created)
    }

    /// Adds a new version to an existing template; `None` when it does not exist.
    async fn update_template(&self, new: &NewTemplateVersion) -> Result<Option<TemplateRow>> {
        let mut tx = self.begin_write().await?;
        let Some(row) = templates::next_version::<Sqlite>(new).fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        let version: i64 = row.try_get(0)?;
        insert_version(&mut tx, new, version).await?;
        let updated = read_template(&mut tx, &new.name, None).await?;
        commit_audited(tx).await?;
        Ok(updated)
    }

    /// Template `name` at `version` (default: the latest), with its content.
    async fn template(&self, name: &str, version: Option<i64>) -> Result<Option<TemplateRow>> {
        read_template(&mut *self.pool.acquire().await?, name, version).await
    }

    /// Every version of `name`, newest first (content left empty).
    async fn template_versions(&self, name: &str) -> Result<Vec<TemplateRow>> {
        Ok(sqlx::query_as(AssertSqlSafe(templates::versions())).bind(name).fetch_all(&self.pool).await?)
    }

    /// The latest versions of the templates matching `query`, one page (content left empty).
    async fn list_templates(&self, query: &TemplateQuery) -> Result<Vec<TemplateRow>> {
        Ok(templates::list::<Sqlite>(query).build_query_as().fetch_all(&self.pool).await?)
    }

    /// Marks template `name` as a favourite or not; false when it does not exist.
    async fn set_template_favorite(&self, name: &str, favorite: bool) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(templates::SET_FAVORITE).bind(name).bind(favorite).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes template `name` with every version; false when it did not exist.
    async fn delete_template(&self, name: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query(templates::DELETE).bind(name).execute(&mut *tx).await?.rows_affected();
        sqlx::query(templates::DELETE_VERSIONS).bind(name).execute(&mut *tx).await?;
        sqlx::query(templates::DELETE_CONTENT).bind(name).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(deleted > 0)
    }
}

/// Template `name` at `version` (default: the latest), as `connection` sees it.
async fn read_template(connection: &mut SqliteConnection, name: &str, version: Option<i64>) -> Result<Option<TemplateRow>> {
    Ok(sqlx::query_as(AssertSqlSafe(templates::at_version())).bind(name).bind(version).fetch_optional(connection).await?)
}

async fn insert_version(connection: &mut SqliteConnection, new: &NewTemplateVersion, version: i64) -> Result<()> {
    templates::insert_content::<Sqlite>(new, version).execute(&mut *connection).await?;
    templates::insert_version::<Sqlite>(new, version).execute(connection).await?;
    Ok(())
}
