//! The step transaction of the SQLite store: fenced execution upserts and batched task upserts.

use sqlx::{AssertSqlSafe, Sqlite, Transaction};

use super::SqliteStore;
use crate::records::{EXECUTION_COLUMNS, TASK_COLUMNS};
use crate::{CrashGuard, ExecutionMeta, ExecutionRecord, Result, StepStore, StepWrite, StoreError, TaskRecord};

/// Task rows per multi-row upsert statement (18 columns each, far below SQLite's variable limit).
const TASK_ROWS_PER_STATEMENT: usize = 64;
const TASK_COLUMN_COUNT: usize = 18;

#[async_trait::async_trait]
impl StepStore for SqliteStore {
    async fn commit(&self, owner: &str, write: &StepWrite) -> Result<()> {
        if write.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        write_rows(&mut tx, Some(owner), write).await?;
        tx.commit().await?;
        self.changes.announce_executions(|| crate::changes::changed_by(write));
        if !write.inbox.is_empty() {
            self.wakeups.announce();
        }
        Ok(())
    }

    async fn create(&self, write: &StepWrite, meta: Option<&ExecutionMeta>) -> Result<Option<String>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(meta) = meta
            && !super::api_executions::insert_execution_meta(&mut tx, meta).await?
        {
            return token_owner(&mut tx, meta).await;
        }
        write_rows(&mut tx, None, write).await?;
        tx.commit().await?;
        self.changes.announce_executions(|| crate::changes::changed_by(write));
        self.wakeups.announce();
        Ok(None)
    }
}

/// The execution that holds `meta`'s ClientToken (the one that kept `meta` from being written).
async fn token_owner(tx: &mut Transaction<'static, Sqlite>, meta: &ExecutionMeta) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT execution_id FROM api_executions WHERE client_token = ?1").bind(&meta.client_token).fetch_optional(&mut **tx).await?)
}

/// Every row of `write` within `tx`; executions fenced by `owner`'s lease (none: new and unleased).
async fn write_rows(tx: &mut Transaction<'static, Sqlite>, owner: Option<&str>, write: &StepWrite) -> Result<()> {
    for execution in &write.executions {
        upsert_execution(tx, owner, write.lease_expires_ms, execution).await?;
    }
    for chunk in write.tasks.chunks(TASK_ROWS_PER_STATEMENT) {
        upsert_tasks(tx, chunk).await?;
    }
    for log in &write.logs {
        sqlx::query(
            "INSERT INTO execution_logs (execution_id, task_execution_id, ts_ms, log_type, message) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&log.execution_id)
        .bind(&log.task_execution_id)
        .bind(log.ts_ms)
        .bind(&log.log_type)
        .bind(&log.message)
        .execute(&mut **tx)
        .await?;
    }
    // Fenced like the executions: only events of executions `owner` holds are consumed.
    for id in &write.consumed_inbox {
        let deleted = sqlx::query("DELETE FROM inbox WHERE id = ?1 AND execution_id IN (SELECT id FROM executions WHERE lease_owner = ?2)")
            .bind(id)
            .bind(owner)
            .execute(&mut **tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::LeaseLost(format!("the execution of inbox event {id}")));
        }
    }
    for event in &write.inbox {
        sqlx::query("INSERT INTO inbox (execution_id, payload, created_ms) VALUES (?1, ?2, ?3)")
            .bind(&event.execution_id)
            .bind(&event.payload)
            .bind(event.created_ms)
            .execute(&mut **tx)
            .await?;
    }
    for id in &write.at_risk {
        sqlx::query("UPDATE executions SET at_risk = 1 WHERE id = ?1").bind(id).execute(&mut **tx).await?;
    }
    for id in &write.settled {
        sqlx::query("UPDATE executions SET at_risk = 0, crashes = 0 WHERE id = ?1 AND (at_risk = 1 OR crashes > 0)")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    super::triggers::write_triggers(tx, write).await?;
    super::audit::append(tx, &write.audit).await
}

#[async_trait::async_trait]
impl CrashGuard for SqliteStore {
    async fn mark_at_risk(&self, owner: &str, execution_ids: &[String]) -> Result<()> {
        if execution_ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for id in execution_ids {
            sqlx::query("UPDATE executions SET at_risk = 1 WHERE id = ?1 AND lease_owner = ?2").bind(id).bind(owner).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn recover(&self, execution_id: &str) -> Result<i64> {
        let crashes = sqlx::query_scalar("UPDATE executions SET crashes = crashes + at_risk, at_risk = 0 WHERE id = ?1 RETURNING crashes")
            .bind(execution_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(crashes.unwrap_or(0))
    }
}

async fn upsert_execution(
    tx: &mut Transaction<'static, Sqlite>,
    owner: Option<&str>,
    lease_expires_ms: i64,
    e: &ExecutionRecord,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO executions ({EXECUTION_COLUMNS}, lease_owner, lease_expires_ms) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) \
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, status_message = excluded.status_message, \
         outputs = excluded.outputs, engine_state = excluded.engine_state, runnable = excluded.runnable, wake_ms = excluded.wake_ms, \
         updated_ms = excluded.updated_ms, start_ms = excluded.start_ms, end_ms = excluded.end_ms, \
         parameters = excluded.parameters, lease_expires_ms = excluded.lease_expires_ms, crashes = 0 \
         WHERE executions.lease_owner = excluded.lease_owner"
    );
    let done = sqlx::query(AssertSqlSafe(sql))
        .bind(&e.id)
        .bind(&e.template_name)
        .bind(&e.template_version)
        .bind(&e.template_content)
        .bind(&e.parameters)
        .bind(&e.mode)
        .bind(&e.status)
        .bind(&e.status_message)
        .bind(&e.outputs)
        .bind(&e.parent_execution_id)
        .bind(&e.parent_task_execution_id)
        .bind(&e.description)
        .bind(&e.engine_state)
        .bind(e.runnable)
        .bind(e.wake_ms)
        .bind(e.created_ms)
        .bind(e.updated_ms)
        .bind(e.start_ms)
        .bind(e.end_ms)
        .bind(owner)
        .bind(lease_expires_ms)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::LeaseLost(e.id.clone()));
    }
    Ok(())
}

async fn upsert_tasks(tx: &mut Transaction<'static, Sqlite>, tasks: &[TaskRecord]) -> Result<()> {
    // Anonymous `?` placeholders: SQLite resolves numbered ones (`?NNN`) by a linear search per
    // parameter, which made large multi-row statements quadratic.
    let row = format!("({})", vec!["?"; TASK_COLUMN_COUNT].join(","));
    let mut sql = format!("INSERT INTO task_executions ({TASK_COLUMNS}) VALUES ");
    sql.push_str(&vec![row; tasks.len()].join(","));
    sql.push_str(
        " ON CONFLICT(id) DO UPDATE SET status = excluded.status, status_message = excluded.status_message, \
         properties = excluded.properties, outputs = excluded.outputs, \
         child_execution_id = excluded.child_execution_id, engine_state = excluded.engine_state, \
         updated_ms = excluded.updated_ms, start_ms = excluded.start_ms, end_ms = excluded.end_ms",
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for t in tasks {
        query = query
            .bind(&t.id)
            .bind(&t.execution_id)
            .bind(t.seq)
            .bind(&t.task_name)
            .bind(&t.task_action)
            .bind(&t.status)
            .bind(&t.status_message)
            .bind(&t.properties)
            .bind(&t.outputs)
            .bind(&t.loop_item)
            .bind(t.loop_batch_number)
            .bind(&t.parent_task_execution_id)
            .bind(&t.child_execution_id)
            .bind(&t.engine_state)
            .bind(t.created_ms)
            .bind(t.updated_ms)
            .bind(t.start_ms)
            .bind(t.end_ms);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}
