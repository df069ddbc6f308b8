//! Trigger executions' rows on SQLite: written row by row in the step transaction (a firing already
//! there fails it), read with the shared queries of [`crate::sql::triggers`].

use sqlx::{AssertSqlSafe, Sqlite, Transaction};

use super::SqliteStore;
use crate::sql::triggers::{self, FIRING_COLUMNS, TRIGGER_COLUMNS};
use crate::{FiringRecord, Result, StepWrite, TriggerQuery, TriggerRecord, TriggerStore};

/// Upserts the triggers of `write` and inserts its firings; a firing whose (execution, key) is
/// taken fails the statement, and with it the caller's transaction.
pub(super) async fn write_triggers(tx: &mut Transaction<'static, Sqlite>, write: &StepWrite) -> Result<()> {
    for trigger in &write.triggers {
        let sql = format!(
            "INSERT INTO triggers ({TRIGGER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
             ON CONFLICT (execution_id) DO UPDATE SET kind = excluded.kind, status = excluded.status, \
             properties = excluded.properties, next_ms = excluded.next_ms, fired = excluded.fired, last_ms = excluded.last_ms, \
             last_status = excluded.last_status, last_outputs = excluded.last_outputs, \
             last_child_execution_id = excluded.last_child_execution_id, last_success_ms = excluded.last_success_ms, \
             updated_ms = excluded.updated_ms"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(&trigger.execution_id)
            .bind(&trigger.kind)
            .bind(&trigger.status)
            .bind(&trigger.properties)
            .bind(trigger.next_ms)
            .bind(trigger.fired)
            .bind(trigger.last_ms)
            .bind(&trigger.last_status)
            .bind(&trigger.last_outputs)
            .bind(&trigger.last_child_execution_id)
            .bind(trigger.last_success_ms)
            .bind(trigger.updated_ms)
            .execute(&mut **tx)
            .await?;
    }
    for firing in &write.firings {
        sqlx::query(AssertSqlSafe(format!("INSERT INTO trigger_firings ({FIRING_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)")))
            .bind(&firing.execution_id)
            .bind(&firing.fire_key)
            .bind(&firing.source)
            .bind(&firing.child_execution_id)
            .bind(firing.fired_ms)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl TriggerStore for SqliteStore {
    async fn triggers(&self, query: &TriggerQuery) -> Result<Vec<TriggerRecord>> {
        Ok(triggers::list::<Sqlite>(query).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn firings(&self, execution_id: &str, limit: i64) -> Result<Vec<FiringRecord>> {
        Ok(triggers::firings::<Sqlite>(execution_id, limit).fetch_all(&self.pool).await?)
    }
}
