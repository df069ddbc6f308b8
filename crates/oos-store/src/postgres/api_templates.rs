//! The API server's template catalogue on PostgreSQL (statements in [`crate::sql::templates`]).
//! Concurrent writers of one name are ordered by its `api_templates` row: a creation inserts it with
//! `ON CONFLICT DO NOTHING` (one of two concurrent creations wins, the other waits and finds the name
//! taken), a new version increments its latest version in place (the row lock makes concurrent
//! updates take distinct numbers), and each answers with the row it wrote, read in its transaction.

use sqlx::{AssertSqlSafe, PgConnection, Postgres, Row};

use super::PgStore;
use crate::Result;
use crate::api::TemplateStore;
use crate::model::{NewTemplateVersion, TemplateQuery, TemplateRow};
use crate::sql::templates;

#[async_trait::async_trait]
impl TemplateStore for PgStore {
    /// Creates template `new.name` at version 1; `None` when the name is taken.
    async fn create_template(&self, new: &NewTemplateVersion) -> Result<Option<TemplateRow>> {
        let mut tx = self.pool.begin().await?;
        let created = templates::insert::<Postgres>(new).execute(&mut *tx).await?;
        if created.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query(templates::DELETE_CONTENT).bind(&new.name).execute(&mut *tx).await?;
        insert_version(&mut tx, new, 1).await?;
        let created = read_template(&mut tx, &new.name, None).await?;
        self.commit_audited(tx).await?;
        Ok(created)
    }

    /// Adds a new version to an existing template; `None` when it does not exist.
    async fn update_template(&self, new: &NewTemplateVersion) -> Result<Option<TemplateRow>> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = templates::next_version::<Postgres>(new).fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        let version: i64 = row.try_get(0)?;
        insert_version(&mut tx, new, version).await?;
        let updated = read_template(&mut tx, &new.name, None).await?;
        self.commit_audited(tx).await?;
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
        Ok(templates::list::<Postgres>(query).build_query_as().fetch_all(&self.pool).await?)
    }

    /// Marks template `name` as a favourite or not; false when it does not exist.
    async fn set_template_favorite(&self, name: &str, favorite: bool) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(templates::SET_FAVORITE).bind(name).bind(favorite).execute(&mut *tx).await?;
        self.commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes template `name` with every version; false when it did not exist. Deleting the
    /// template's row first waits for a concurrent new version, whose rows are then deleted too.
    async fn delete_template(&self, name: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let deleted = sqlx::query(templates::DELETE).bind(name).execute(&mut *tx).await?.rows_affected();
        sqlx::query(templates::DELETE_VERSIONS).bind(name).execute(&mut *tx).await?;
        sqlx::query(templates::DELETE_CONTENT).bind(name).execute(&mut *tx).await?;
        self.commit_audited(tx).await?;
        Ok(deleted > 0)
    }
}

/// Template `name` at `version` (default: the latest), as `connection` sees it.
async fn read_template(connection: &mut PgConnection, name: &str, version: Option<i64>) -> Result<Option<TemplateRow>> {
    Ok(sqlx::query_as(AssertSqlSafe(templates::at_version())).bind(name).bind(version).fetch_optional(connection).await?)
}

async fn insert_version(connection: &mut PgConnection, new: &NewTemplateVersion, version: i64) -> Result<()> {
    templates::insert_content::<Postgres>(new, version).execute(&mut *connection).await?;
    templates::insert_version::<Postgres>(new, version).execute(connection).await?;
    Ok(())
}
