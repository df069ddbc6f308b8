//! The step transaction of the PostgreSQL store. Rows go in with one statement per table
//! (`UNNEST` of column arrays) and execution upserts are fenced by the lease; after the commit the
//! audit records are sealed and changes and new work are announced, by the store's background jobs, so no
//! lock is held across writers' commits.

use std::collections::HashSet;

use sqlx::{AssertSqlSafe, Postgres, Transaction};

use super::{PgStore, audit};
use crate::records::{EXECUTION_COLUMNS, TASK_COLUMNS};
use crate::{CrashGuard, ExecutionMeta, ExecutionRecord, LogRecord, Result, StepStore, StepWrite, StoreError, TaskRecord};

#[async_trait::async_trait]
impl StepStore for PgStore {
    async fn commit(&self, owner: &str, write: &StepWrite) -> Result<()> {
        if write.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        write_rows(&mut tx, Some(owner), write).await?;
        tx.commit().await?;
        self.written(write, !write.inbox.is_empty());
        Ok(())
    }

    async fn create(&self, write: &StepWrite, meta: Option<&ExecutionMeta>) -> Result<Option<String>> {
        let mut tx = self.pool.begin().await?;
        // The unique ClientToken first: a concurrent start with the same token waits here for ours
        // to commit or roll back, so there is never a second execution, not even for a moment.
        if let Some(meta) = meta
            && !super::api_executions::insert_execution_meta(&mut tx, meta).await?
        {
            return Ok(sqlx::query_scalar("SELECT execution_id FROM api_executions WHERE client_token = $1")
                .bind(&meta.client_token)
                .fetch_optional(&mut *tx)
                .await?);
        }
        write_rows(&mut tx, None, write).await?;
        tx.commit().await?;
        self.written(write, true);
        Ok(None)
    }
}

impl PgStore {
    /// After `write` committed: its changes announced, its audit records sealed, and (`new_work`)
    /// the workers woken.
    fn written(&self, write: &StepWrite, new_work: bool) {
        self.changed(crate::changes::changed_by(write));
        if !write.audit.is_empty() {
            self.audited();
        }
        if new_work {
            self.announce();
        }
    }
}

/// Every row of `write` within `tx`; executions fenced by `owner`'s lease (none: new and unleased).
async fn write_rows(tx: &mut Transaction<'static, Postgres>, owner: Option<&str>, write: &StepWrite) -> Result<()> {
    upsert_executions(tx, owner, write.lease_expires_ms, &write.executions).await?;
    upsert_tasks(tx, &write.tasks).await?;
    insert_logs(tx, &write.logs).await?;
    super::triggers::upsert_triggers(tx, &write.triggers).await?;
    super::triggers::insert_firings(tx, &write.firings).await?;
    // Fenced like the executions: only events of executions `owner` holds are consumed.
    if !write.consumed_inbox.is_empty() {
        let deleted = sqlx::query("DELETE FROM inbox WHERE id = ANY($1) AND execution_id IN (SELECT id FROM executions WHERE lease_owner = $2)")
            .bind(&write.consumed_inbox)
            .bind(owner)
            .execute(&mut **tx)
            .await?;
        if deleted.rows_affected() < write.consumed_inbox.len() as u64 {
            return Err(StoreError::LeaseLost(format!("the execution of one of inbox events {:?}", write.consumed_inbox)));
        }
    }
    if !write.inbox.is_empty() {
        let c = Columns::of(&write.inbox);
        sqlx::query("INSERT INTO inbox (execution_id, payload, created_ms) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[])")
            .bind(c.text(|e| &e.execution_id))
            .bind(c.text(|e| &e.payload))
            .bind(c.map(|e| e.created_ms))
            .execute(&mut **tx)
            .await?;
    }
    if !write.at_risk.is_empty() {
        sqlx::query("UPDATE executions SET at_risk = 1 WHERE id = ANY($1)").bind(&write.at_risk).execute(&mut **tx).await?;
    }
    if !write.settled.is_empty() {
        sqlx::query("UPDATE executions SET at_risk = 0, crashes = 0 WHERE id = ANY($1) AND (at_risk = 1 OR crashes > 0)")
            .bind(&write.settled)
            .execute(&mut **tx)
            .await?;
    }
    audit::append(tx, &write.audit).await
}

#[async_trait::async_trait]
impl CrashGuard for PgStore {
    async fn mark_at_risk(&self, owner: &str, execution_ids: &[String]) -> Result<()> {
        if execution_ids.is_empty() {
            return Ok(());
        }
        sqlx::query("UPDATE executions SET at_risk = 1 WHERE id = ANY($1) AND lease_owner = $2")
            .bind(execution_ids)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn recover(&self, execution_id: &str) -> Result<i64> {
        let crashes = sqlx::query_scalar("UPDATE executions SET crashes = crashes + at_risk, at_risk = 0 WHERE id = $1 RETURNING crashes")
            .bind(execution_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(crashes.unwrap_or(0))
    }
}

/// Inserts or updates executions. New rows get `owner`'s lease (none: free for any worker to claim);
/// an update is written only while `owner` holds the lease, else the whole transaction fails with
/// [`StoreError::LeaseLost`].
pub(super) async fn upsert_executions(
    tx: &mut Transaction<'static, Postgres>,
    owner: Option<&str>,
    lease_expires_ms: i64,
    executions: &[ExecutionRecord],
) -> Result<()> {
    if executions.is_empty() {
        return Ok(());
    }
    let c = Columns::last_by_id(executions, |e| &e.id);
    let sql = format!(
        "INSERT INTO executions ({EXECUTION_COLUMNS}, lease_owner, lease_expires_ms) \
         SELECT *, $20::TEXT, $21::BIGINT FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
         $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::TEXT[], $12::TEXT[], $13::TEXT[], \
         $14::BOOLEAN[], $15::BIGINT[], $16::BIGINT[], $17::BIGINT[], $18::BIGINT[], $19::BIGINT[]) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, status_message = excluded.status_message, \
         outputs = excluded.outputs, engine_state = excluded.engine_state, runnable = excluded.runnable, \
         wake_ms = excluded.wake_ms, updated_ms = excluded.updated_ms, start_ms = excluded.start_ms, \
         end_ms = excluded.end_ms, parameters = excluded.parameters, lease_expires_ms = excluded.lease_expires_ms, \
         crashes = 0 WHERE executions.lease_owner = excluded.lease_owner RETURNING id"
    );
    let written: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(c.text(|e| &e.id))
        .bind(c.text(|e| &e.template_name))
        .bind(c.optional(|e| &e.template_version))
        .bind(c.text(|e| &e.template_content))
        .bind(c.text(|e| &e.parameters))
        .bind(c.text(|e| &e.mode))
        .bind(c.text(|e| &e.status))
        .bind(c.text(|e| &e.status_message))
        .bind(c.optional(|e| &e.outputs))
        .bind(c.optional(|e| &e.parent_execution_id))
        .bind(c.optional(|e| &e.parent_task_execution_id))
        .bind(c.text(|e| &e.description))
        .bind(c.text(|e| &e.engine_state))
        .bind(c.map(|e| e.runnable))
        .bind(c.map(|e| e.wake_ms))
        .bind(c.map(|e| e.created_ms))
        .bind(c.map(|e| e.updated_ms))
        .bind(c.map(|e| e.start_ms))
        .bind(c.map(|e| e.end_ms))
        .bind(owner)
        .bind(lease_expires_ms)
        .fetch_all(&mut **tx)
        .await?;
    if written.len() < c.len() {
        let written: HashSet<&str> = written.iter().map(String::as_str).collect();
        let lost = executions.iter().find(|e| !written.contains(e.id.as_str())).map(|e| e.id.clone()).unwrap_or_default();
        return Err(StoreError::LeaseLost(lost));
    }
    Ok(())
}

async fn upsert_tasks(tx: &mut Transaction<'static, Postgres>, tasks: &[TaskRecord]) -> Result<()> {
    if tasks.is_empty() {
        return Ok(());
    }
    let c = Columns::last_by_id(tasks, |t| &t.id);
    let sql = format!(
        "INSERT INTO task_executions ({TASK_COLUMNS}) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[], \
         $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::BIGINT[], \
         $12::TEXT[], $13::TEXT[], $14::TEXT[], $15::BIGINT[], $16::BIGINT[], $17::BIGINT[], $18::BIGINT[]) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, status_message = excluded.status_message, \
         properties = excluded.properties, outputs = excluded.outputs, \
         child_execution_id = excluded.child_execution_id, engine_state = excluded.engine_state, \
         updated_ms = excluded.updated_ms, start_ms = excluded.start_ms, end_ms = excluded.end_ms"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(c.text(|t| &t.id))
        .bind(c.text(|t| &t.execution_id))
        .bind(c.map(|t| t.seq))
        .bind(c.text(|t| &t.task_name))
        .bind(c.text(|t| &t.task_action))
        .bind(c.text(|t| &t.status))
        .bind(c.text(|t| &t.status_message))
        .bind(c.optional(|t| &t.properties))
        .bind(c.optional(|t| &t.outputs))
        .bind(c.optional(|t| &t.loop_item))
        .bind(c.map(|t| t.loop_batch_number))
        .bind(c.optional(|t| &t.parent_task_execution_id))
        .bind(c.optional(|t| &t.child_execution_id))
        .bind(c.text(|t| &t.engine_state))
        .bind(c.map(|t| t.created_ms))
        .bind(c.map(|t| t.updated_ms))
        .bind(c.map(|t| t.start_ms))
        .bind(c.map(|t| t.end_ms))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_logs(tx: &mut Transaction<'static, Postgres>, logs: &[LogRecord]) -> Result<()> {
    if logs.is_empty() {
        return Ok(());
    }
    let c = Columns::of(logs);
    sqlx::query(
        "INSERT INTO execution_logs (execution_id, task_execution_id, ts_ms, log_type, message) \
         SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[])",
    )
    .bind(c.text(|l| &l.execution_id))
    .bind(c.optional(|l| &l.task_execution_id))
    .bind(c.map(|l| l.ts_ms))
    .bind(c.text(|l| &l.log_type))
    .bind(c.text(|l| &l.message))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Column arrays of a batch of rows, borrowed (bound as PostgreSQL arrays).
pub(super) struct Columns<'a, T>(Vec<&'a T>);

impl<'a, T> Columns<'a, T> {
    pub(super) fn of(rows: &'a [T]) -> Self {
        Self(rows.iter().collect())
    }

    /// The rows with the last of each id only: one upsert statement may touch a row once.
    pub(super) fn last_by_id(rows: &'a [T], id: impl Fn(&T) -> &str) -> Self {
        let mut seen = HashSet::new();
        let mut kept: Vec<&T> = rows.iter().rev().filter(|row| seen.insert(id(row).to_owned())).collect();
        kept.reverse();
        Self(kept)
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn map<V>(&self, field: impl Fn(&'a T) -> V) -> Vec<V> {
        self.0.iter().map(|row| field(row)).collect()
    }

    pub(super) fn text(&self, field: impl Fn(&'a T) -> &'a String) -> Vec<&'a str> {
        self.0.iter().map(|row| field(row).as_str()).collect()
    }

    pub(super) fn optional(&self, field: impl Fn(&'a T) -> &'a Option<String>) -> Vec<Option<&'a str>> {
        self.0.iter().map(|row| field(row).as_deref()).collect()
    }
}
