//! The API server's per-execution metadata (`api_executions`: caller, tags, ClientToken),
//! DeleteExecutions, and the generic `iam_records` table the IAM identity store is kept in
//! (statements in [`crate::sql::executions`] and [`crate::sql::iam`]).

use std::collections::HashSet;

use sqlx::{AssertSqlSafe, Row, Sqlite};

use super::SqliteStore;
use super::audit::commit_audited;
use crate::Result;
use crate::api::{ExecutionApiStore, IamRecordStore};
use crate::model::{ExecutionMeta, ExecutionQuery, ListedExecution};
use crate::sql::{executions, iam};

#[async_trait::async_trait]
impl ExecutionApiStore for SqliteStore {
    /// Records the API metadata of a new execution. When its ClientToken already belongs to another
    /// execution nothing is written and that execution's id is returned (the token's first user wins).
    async fn put_execution_meta(&self, meta: &ExecutionMeta) -> Result<Option<String>> {
        // The connection goes back to the pool before the lookup takes one.
        let written = insert_execution_meta(&mut *self.pool.acquire().await?, meta).await?;
        match &meta.client_token {
            Some(token) if !written => self.execution_by_client_token(token).await,
            _ => Ok(None),
        }
    }

    /// The API metadata of one execution.
    async fn execution_meta(&self, execution_id: &str) -> Result<Option<ExecutionMeta>> {
        Ok(sqlx::query_as(executions::META).bind(execution_id).fetch_optional(&self.pool).await?)
    }

    /// The execution started earlier with this ClientToken, if any.
    async fn execution_by_client_token(&self, client_token: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(executions::BY_CLIENT_TOKEN).bind(client_token).fetch_optional(&self.pool).await?)
    }

    /// Deletes executions (with their children, tasks, logs, inbox, API metadata, trigger and firings); returns the
    /// requested ids that existed, in the order requested, each once.
    async fn delete_executions(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut tx = self.begin_write().await?;
        let mut removed = HashSet::new();
        let mut pending: Vec<String> = ids.to_vec();
        while let Some(id) = pending.pop() {
            let children = sqlx::query("SELECT id FROM executions WHERE parent_execution_id = ?1").bind(&id).fetch_all(&mut *tx).await?;
            for child in children {
                pending.push(child.try_get("id")?);
            }
            let rows = sqlx::query("DELETE FROM executions WHERE id = ?1").bind(&id).execute(&mut *tx).await?.rows_affected();
            for table in executions::DEPENDENT_TABLES {
                sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE execution_id = ?1"))).bind(&id).execute(&mut *tx).await?;
            }
            if rows > 0 {
                removed.insert(id);
            }
        }
        commit_audited(tx).await?;
        self.changes.announce_executions(|| removed.iter().cloned().collect());
        Ok(ids.iter().filter(|id| removed.remove(*id)).cloned().collect())
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
        let done = sqlx::query(iam::INSERT).bind(kind).bind(key).bind(body).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Replaces an IAM record; false when it does not exist.
    async fn update_iam_record(&self, kind: &str, key: &str, body: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(iam::UPDATE).bind(kind).bind(key).bind(body).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// One IAM record's body.
    async fn iam_record(&self, kind: &str, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(iam::BODY).bind(kind).bind(key).fetch_optional(&self.pool).await?)
    }

    /// Every record body of one kind, ordered by key.
    async fn iam_records(&self, kind: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(AssertSqlSafe(iam::bodies::<Sqlite>())).bind(kind).fetch_all(&self.pool).await?)
    }

    /// Deletes one IAM record; false when it did not exist.
    async fn delete_iam_record(&self, kind: &str, key: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(iam::DELETE).bind(kind).bind(key).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }
}

/// Inserts `meta` unless its ClientToken already belongs to another execution; whether it was written.
pub(crate) async fn insert_execution_meta(connection: &mut sqlx::SqliteConnection, meta: &ExecutionMeta) -> Result<bool> {
    let done = executions::insert_meta::<Sqlite>(meta).execute(connection).await?;
    Ok(done.rows_affected() > 0)
}
