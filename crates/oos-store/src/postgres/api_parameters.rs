//! The parameter store on PostgreSQL (statements in [`crate::sql::parameters`]). A creation inserts
//! the parameter's row with `ON CONFLICT DO NOTHING` (of two concurrent creations of a name one
//! wins); a change updates the row in place, whose lock orders concurrent changes, so each new value
//! gets a version number of its own. Each write answers with the row it wrote, read in its transaction.

use sqlx::{AssertSqlSafe, FromRow, PgConnection, Postgres, Row};

use super::PgStore;
use crate::Result;
use crate::api::ParameterStore;
use crate::model::{NewParameter, ParameterQuery, ParameterRow, ParameterUpdate, ParameterVersionRow};
use crate::sql::parameters;

#[async_trait::async_trait]
impl ParameterStore for PgStore {
    /// Creates parameter `new.name` at version 1; `None` when the name is taken.
    async fn create_parameter(&self, new: &NewParameter) -> Result<Option<ParameterRow>> {
        let mut tx = self.pool.begin().await?;
        let created = parameters::insert::<Postgres>(new).execute(&mut *tx).await?;
        if created.rows_affected() == 0 {
            return Ok(None);
        }
        parameters::insert_version::<Postgres>(new.secret, &new.name, 1, &new.value, &new.actor, new.now_ms).execute(&mut *tx).await?;
        let created = read_parameter(&mut tx, new.secret, &new.name, None).await?;
        self.commit_audited(tx).await?;
        Ok(created)
    }

    /// Changes an existing parameter (a new version when a value is given); `None` when it does not exist.
    async fn update_parameter(&self, update: &ParameterUpdate) -> Result<Option<ParameterRow>> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = parameters::update::<Postgres>(update).fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        let version: i64 = row.try_get(0)?;
        if let Some(value) = &update.value {
            parameters::insert_version::<Postgres>(update.secret, &update.name, version, value, &update.actor, update.now_ms)
                .execute(&mut *tx)
                .await?;
        }
        let updated = read_parameter(&mut tx, update.secret, &update.name, None).await?;
        self.commit_audited(tx).await?;
        Ok(updated)
    }

    /// Parameter `name` at `version` (default: the latest), with its value.
    async fn parameter(&self, secret: bool, name: &str, version: Option<i64>) -> Result<Option<ParameterRow>> {
        read_parameter(&mut *self.pool.acquire().await?, secret, name, version).await
    }

    /// Every version of `name`, newest first.
    async fn parameter_versions(&self, secret: bool, name: &str) -> Result<Vec<ParameterVersionRow>> {
        Ok(sqlx::query_as(parameters::VERSIONS).bind(secret).bind(name).fetch_all(&self.pool).await?)
    }

    /// The latest versions of the parameters matching `query`, one page, and how many match in all.
    async fn list_parameters(&self, query: &ParameterQuery) -> Result<(Vec<ParameterRow>, i64)> {
        let rows = parameters::list::<Postgres>(query).build().fetch_all(&self.pool).await?;
        let total = match rows.first() {
            Some(row) => row.try_get("total")?,
            None => parameters::total_past_the_end(self, query).await?,
        };
        Ok((rows.iter().map(ParameterRow::from_row).collect::<Result<_, _>>()?, total))
    }

    /// Deletes parameter `name` with every version; false when it did not exist.
    async fn delete_parameter(&self, secret: bool, name: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let deleted = sqlx::query(parameters::DELETE).bind(secret).bind(name).execute(&mut *tx).await?.rows_affected();
        sqlx::query(parameters::DELETE_VERSIONS).bind(secret).bind(name).execute(&mut *tx).await?;
        self.commit_audited(tx).await?;
        Ok(deleted > 0)
    }
}

/// Parameter `name` at `version` (default: the latest), as `connection` sees it.
async fn read_parameter(connection: &mut PgConnection, secret: bool, name: &str, version: Option<i64>) -> Result<Option<ParameterRow>> {
    Ok(sqlx::query_as(AssertSqlSafe(parameters::at_version())).bind(secret).bind(name).bind(version).fetch_optional(connection).await?)
}
