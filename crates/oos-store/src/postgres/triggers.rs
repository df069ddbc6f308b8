//! Trigger executions' rows on PostgreSQL: one statement per table in the step transaction (`UNNEST`
//! of column arrays; a firing already there fails it), read with the shared queries of
//! [`crate::sql::triggers`].

use sqlx::{AssertSqlSafe, Postgres, Transaction};

use super::PgStore;
use super::write::Columns;
use crate::sql::triggers::{self, FIRING_COLUMNS, TRIGGER_COLUMNS};
use crate::{FiringRecord, Result, TriggerQuery, TriggerRecord, TriggerStore};

/// Inserts or updates `records` (the last of each execution only: one statement touches a row once).
pub(super) async fn upsert_triggers(tx: &mut Transaction<'static, Postgres>, records: &[TriggerRecord]) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let c = Columns::last_by_id(records, |t| &t.execution_id);
    let sql = format!(
        "INSERT INTO triggers ({TRIGGER_COLUMNS}) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], \
         $5::BIGINT[], $6::BIGINT[], $7::BIGINT[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::BIGINT[], $12::BIGINT[]) \
         ON CONFLICT (execution_id) DO UPDATE SET kind = excluded.kind, status = excluded.status, \
         properties = excluded.properties, next_ms = excluded.next_ms, fired = excluded.fired, last_ms = excluded.last_ms, \
         last_status = excluded.last_status, last_outputs = excluded.last_outputs, \
         last_child_execution_id = excluded.last_child_execution_id, last_success_ms = excluded.last_success_ms, \
         updated_ms = excluded.updated_ms"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(c.text(|t| &t.execution_id))
        .bind(c.text(|t| &t.kind))
        .bind(c.text(|t| &t.status))
        .bind(c.text(|t| &t.properties))
        .bind(c.map(|t| t.next_ms))
        .bind(c.map(|t| t.fired))
        .bind(c.map(|t| t.last_ms))
        .bind(c.optional(|t| &t.last_status))
        .bind(c.optional(|t| &t.last_outputs))
        .bind(c.optional(|t| &t.last_child_execution_id))
        .bind(c.map(|t| t.last_success_ms))
        .bind(c.map(|t| t.updated_ms))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Inserts `firings`; one whose (execution, key) is taken, in the table or twice in `firings`,
/// fails the statement and with it the caller's transaction.
pub(super) async fn insert_firings(tx: &mut Transaction<'static, Postgres>, firings: &[FiringRecord]) -> Result<()> {
    if firings.is_empty() {
        return Ok(());
    }
    let c = Columns::of(firings);
    let sql = format!(
        "INSERT INTO trigger_firings ({FIRING_COLUMNS}) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[])"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(c.text(|f| &f.execution_id))
        .bind(c.text(|f| &f.fire_key))
        .bind(c.text(|f| &f.source))
        .bind(c.text(|f| &f.child_execution_id))
        .bind(c.map(|f| f.fired_ms))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl TriggerStore for PgStore {
    async fn triggers(&self, query: &TriggerQuery) -> Result<Vec<TriggerRecord>> {
        Ok(triggers::list::<Postgres>(query).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn firings(&self, execution_id: &str, limit: i64) -> Result<Vec<FiringRecord>> {
        Ok(triggers::firings::<Postgres>(execution_id, limit).fetch_all(&self.pool).await?)
    }
}
