//! The API server's per-execution metadata on PostgreSQL (`api_executions`: caller, tags,
//! ClientToken; `api_execution_tags` follows the tags by trigger, migration 0003), DeleteExecutions,
//! and the `iam_records` table the IAM identity store is kept in (statements in
//! [`crate::sql::executions`] and [`crate::sql::iam`]).

use std::collections::HashSet;

use sqlx::{AssertSqlSafe, Postgres, Transaction};

use super::PgStore;
use crate::Result;
use crate::api::{ExecutionApiStore, IamRecordStore};
use crate::model::{ExecutionMeta, ExecutionQuery, ListedExecution};
use crate::sql::{executions, iam};

#[async_trait::async_trait]
impl ExecutionApiStore for PgStore {
    /// Records the API metadata of a new execution. When its ClientToken already belongs to another
    /// execution nothing is written and that execution's id is returned (the token's first user wins;
    /// a concurrent insert of the same token waits for the first one to commit).
    async fn put_execution_meta(&self, meta: &ExecutionMeta) -> Result<Option<String>> {
        let mut tx = self.pool.begin().await?;
        let written = insert_execution_meta(&mut tx, meta).await?;
        tx.commit().await?;
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

    /// Deletes executions (with their descendants, tasks, logs, inbox, API metadata, trigger and firings); returns the
    /// requested ids that existed, in the order requested, each once.
    async fn delete_executions(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut tx = self.pool.begin().await?;
        let tree: Vec<String> = sqlx::query_scalar(
            "WITH RECURSIVE tree (id) AS (SELECT UNNEST($1::TEXT[]) \
             UNION SELECT e.id FROM executions e JOIN tree t ON e.parent_execution_id = t.id) SELECT id FROM tree",
        )
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?;
        let removed: Vec<String> =
            sqlx::query_scalar("DELETE FROM executions WHERE id = ANY($1) RETURNING id").bind(&tree).fetch_all(&mut *tx).await?;
        for table in executions::DEPENDENT_TABLES {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE execution_id = ANY($1)"))).bind(&tree).execute(&mut *tx).await?;
        }
        self.commit_audited(tx).await?;
        self.changed(removed.clone());
        let mut removed: HashSet<String> = removed.into_iter().collect();
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
impl IamRecordStore for PgStore {
    /// Inserts an IAM record; false when `(kind, key)` exists (also when a concurrent insert of it commits first).
    async fn insert_iam_record(&self, kind: &str, key: &str, body: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(iam::INSERT).bind(kind).bind(key).bind(body).execute(&mut *tx).await?;
        self.commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Replaces an IAM record; false when it does not exist.
    async fn update_iam_record(&self, kind: &str, key: &str, body: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(iam::UPDATE).bind(kind).bind(key).bind(body).execute(&mut *tx).await?;
        self.commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// One IAM record's body.
    async fn iam_record(&self, kind: &str, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(iam::BODY).bind(kind).bind(key).fetch_optional(&self.pool).await?)
    }

    /// Every record body of one kind, ordered by key.
    async fn iam_records(&self, kind: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(AssertSqlSafe(iam::bodies::<Postgres>())).bind(kind).fetch_all(&self.pool).await?)
    }

    /// Deletes one IAM record; false when it did not exist.
    async fn delete_iam_record(&self, kind: &str, key: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(iam::DELETE).bind(kind).bind(key).execute(&mut *tx).await?;
        self.commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }
}

/// Inserts `meta`; whether it was written (false: its ClientToken belongs to another execution).
pub(crate) async fn insert_execution_meta(tx: &mut Transaction<'static, Postgres>, meta: &ExecutionMeta) -> Result<bool> {
    let done = executions::insert_meta::<Postgres>(meta).execute(&mut **tx).await?;
    Ok(done.rows_affected() > 0)
}
