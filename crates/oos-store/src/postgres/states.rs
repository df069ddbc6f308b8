//! State configurations in PostgreSQL (statements in [`crate::sql::states`]): a configuration and the
//! invocation applying it are one transaction, committed with the request's audit entry.

use sqlx::{Postgres, Transaction};

use super::PgStore;
use crate::Result;
use crate::api::StateConfigurationStore;
use crate::model::{Application, StateConfigurationQuery, StateConfigurationRow};
use crate::sql::invocations::{self, TARGETS_PER_INSERT};
use crate::sql::states as sql;

#[async_trait::async_trait]
impl StateConfigurationStore for PgStore {
    async fn create_state_configuration(&self, row: &StateConfigurationRow, application: Option<Application<'_>>) -> Result<Option<String>> {
        let mut tx = self.pool.begin().await?;
        if sql::insert::<Postgres>(row).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(sqlx::query_scalar(sql::BY_CLIENT_TOKEN).bind(row.client_token.as_deref()).fetch_optional(&mut *tx).await?);
        }
        insert_application(&mut tx, application).await?;
        self.commit_audited(tx).await?;
        Ok(None)
    }

    async fn update_state_configuration(&self, row: &StateConfigurationRow, application: Option<Application<'_>>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        if sql::update::<Postgres>(row).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        insert_application(&mut tx, application).await?;
        self.commit_audited(tx).await?;
        Ok(true)
    }

    async fn state_configurations(&self, query: &StateConfigurationQuery) -> Result<Vec<StateConfigurationRow>> {
        Ok(sql::list::<Postgres>(query).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn delete_state_configurations(&self, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await?;
        let deleted = sql::delete::<Postgres>(ids).build().execute(&mut *tx).await?.rows_affected();
        if deleted > 0 {
            self.commit_audited(tx).await?;
        }
        Ok(deleted)
    }

    async fn due_state_configurations(&self, now_ms: i64, limit: i64) -> Result<Vec<StateConfigurationRow>> {
        Ok(sql::due::<Postgres>(now_ms, limit).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn reapply_state_configuration(&self, id: &str, due_ms: i64, next_ms: i64, application: Option<Application<'_>>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        if sqlx::query(sql::CLAIM).bind(id).bind(due_ms).bind(next_ms).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        insert_application(&mut tx, application).await?;
        self.commit_audited(tx).await?;
        Ok(true)
    }
}

async fn insert_application(tx: &mut Transaction<'static, Postgres>, application: Option<Application<'_>>) -> Result<()> {
    let Some(application) = application else { return Ok(()) };
    invocations::insert_invocation::<Postgres>(application.invocation).execute(&mut **tx).await?;
    for chunk in application.targets.chunks(TARGETS_PER_INSERT) {
        invocations::insert_targets::<Postgres>(chunk).build().execute(&mut **tx).await?;
    }
    Ok(())
}
