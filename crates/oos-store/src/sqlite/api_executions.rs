//! The API server's per-execution metadata (`api_executions`: caller, tags, ClientToken),
//! DeleteExecutions, and the generic `iam_records` table the IAM identity store is kept in.

use sqlx::Row;

use super::SqliteStore;
use super::audit::commit_audited;
use crate::Result;
use crate::api::{ExecutionApiStore, IamRecordStore};
use crate::model::{ExecutionMeta, ExecutionQuery, ListedExecution};

#[async_trait::async_trait]
impl ExecutionApiStore for SqliteStore {
    /// Records the API metadata of a new execution. When its ClientToken already belongs to another
    /// execution nothing is written and that execution's id is returned (the token's first user wins).
    async fn put_execution_meta(&self, meta: &ExecutionMeta) -> Result<Option<String>> {
        let mut connection = self.pool.acquire().await?;
        let written = insert_execution_meta(&mut connection, meta).await?;
        match &meta.client_token {
            Some(token) if !written => self.execution_by_client_token(token).await,
            _ => Ok(None),
        }
    }

    /// The API metadata of one execution.
    async fn execution_meta(&self, execution_id: &str) -> Result<Option<ExecutionMeta>> {
        let row = sqlx::query("SELECT * FROM api_executions WHERE execution_id = ?1").bind(execution_id).fetch_optional(&self.pool).await?;
        row.map(|row| meta_from_row(&row)).transpose()
    }

    /// The execution started earlier with this ClientToken, if any.
    async fn execution_by_client_token(&self, client_token: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT execution_id FROM api_executions WHERE client_token = ?1").bind(client_token).fetch_optional(&self.pool).await?;
        Ok(row.map(|row| row.try_get("execution_id")).transpose()?)
    }

    /// Deletes executions (with their children, tasks, logs, inbox and API metadata); returns the
    /// ids that existed.
    async fn delete_executions(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut deleted = Vec::new();
        let mut pending: Vec<String> = ids.to_vec();
        while let Some(id) = pending.pop() {
            let children = sqlx::query("SELECT id FROM executions WHERE parent_execution_id = ?1").bind(&id).fetch_all(&mut *tx).await?;
            for child in children {
                pending.push(child.try_get("id")?);
            }
            let removed = sqlx::query("DELETE FROM executions WHERE id = ?1").bind(&id).execute(&mut *tx).await?.rows_affected();
            for table in ["task_executions", "execution_logs", "inbox"] {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE execution_id = ?1"))).bind(&id).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM api_executions WHERE execution_id = ?1").bind(&id).execute(&mut *tx).await?;
            if removed > 0 && ids.contains(&id) {
                deleted.push(id);
            }
        }
        commit_audited(tx).await?;
        Ok(deleted)
    }

    async fn list_executions(&self, query: &ExecutionQuery) -> Result<(Vec<ListedExecution>, i64)> {
        self.list_page(query).await
    }

    async fn listed_execution(&self, execution_id: &str) -> Result<Option<ListedExecution>> {
        self.listed_one(execution_id).await
    }
}

#[async_trait::async_trait]
impl IamRecordStore for SqliteStore {

    /// Inserts an IAM record; false when `(kind, key)` exists.
    async fn insert_iam_record(&self, kind: &str, key: &str, body: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("INSERT OR IGNORE INTO iam_records (kind, key, body) VALUES (?1, ?2, ?3)")
            .bind(kind)
            .bind(key)
            .bind(body)
            .execute(&mut *tx)
            .await?;
        commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Replaces an IAM record; false when it does not exist.
    async fn update_iam_record(&self, kind: &str, key: &str, body: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE iam_records SET body = ?3 WHERE kind = ?1 AND key = ?2").bind(kind).bind(key).bind(body).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// One IAM record's body.
    async fn iam_record(&self, kind: &str, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT body FROM iam_records WHERE kind = ?1 AND key = ?2").bind(kind).bind(key).fetch_optional(&self.pool).await?;
        Ok(row.map(|row| row.try_get("body")).transpose()?)
    }

    /// Every record body of one kind, ordered by key.
    async fn iam_records(&self, kind: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT body FROM iam_records WHERE kind = ?1 ORDER BY key").bind(kind).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|row| row.try_get("body")).collect::<Result<_, _>>()?)
    }

    /// Deletes one IAM record; false when it did not exist.
    async fn delete_iam_record(&self, kind: &str, key: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM iam_records WHERE kind = ?1 AND key = ?2").bind(kind).bind(key).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }
}

pub(crate) fn meta_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<ExecutionMeta> {
    Ok(ExecutionMeta {
        execution_id: row.try_get("execution_id")?,
        executed_by: row.try_get("executed_by")?,
        tags: row.try_get("tags")?,
        resource_group_id: row.try_get("resource_group_id")?,
        template_id: row.try_get("template_id")?,
        client_token: row.try_get("client_token")?,
        ram_role: row.try_get("ram_role")?,
        loop_mode: row.try_get("loop_mode")?,
    })
}

/// Inserts `meta` unless its ClientToken already belongs to another execution; whether it was written.
pub(crate) async fn insert_execution_meta(connection: &mut sqlx::SqliteConnection, meta: &ExecutionMeta) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO api_executions (execution_id, executed_by, tags, resource_group_id, template_id, client_token, ram_role, loop_mode) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (client_token) DO NOTHING",
    )
    .bind(&meta.execution_id)
    .bind(&meta.executed_by)
    .bind(&meta.tags)
    .bind(&meta.resource_group_id)
    .bind(&meta.template_id)
    .bind(&meta.client_token)
    .bind(&meta.ram_role)
    .bind(&meta.loop_mode)
    .execute(connection)
    .await?;
    Ok(done.rows_affected() > 0)
}
