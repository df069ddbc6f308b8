//! The API server's per-execution metadata (`api_executions`: caller, tags, ClientToken), the
//! ListExecutions query over the engine's `executions` table, DeleteExecutions, and the generic
//! `iam_records` table the IAM identity store is kept in.

use sqlx::{QueryBuilder, Row, Sqlite};

use super::SqliteStore;
use super::audit::commit_audited;
use crate::Result;

/// What the API knows about an execution beyond the engine's row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecutionMeta {
    pub execution_id: String,
    /// The caller's ARN.
    pub executed_by: String,
    /// JSON object.
    pub tags: String,
    pub resource_group_id: String,
    pub template_id: String,
    pub client_token: Option<String>,
}

/// How `list_execution_ids` orders its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExecutionSort {
    #[default]
    StartDate,
    EndDate,
    Status,
}

/// Filters and paging of ListExecutions; every given field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct ExecutionQuery {
    pub execution_id: Option<String>,
    /// Substring of the template name.
    pub template_name: Option<String>,
    pub status: Option<String>,
    pub mode: Option<String>,
    pub parent_execution_id: Option<String>,
    pub include_children: bool,
    pub executed_by: Option<String>,
    pub description: Option<String>,
    pub start_after_ms: Option<i64>,
    pub start_before_ms: Option<i64>,
    pub end_after_ms: Option<i64>,
    pub end_before_ms: Option<i64>,
    pub tags: Vec<(String, String)>,
    pub sort: ExecutionSort,
    pub ascending: bool,
    pub offset: i64,
    pub limit: i64,
}

impl SqliteStore {
    /// Records the API metadata of a new execution.
    pub async fn put_execution_meta(&self, meta: &ExecutionMeta) -> Result<()> {
        sqlx::query(
            "INSERT OR REPLACE INTO api_executions (execution_id, executed_by, tags, resource_group_id, template_id, client_token) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&meta.execution_id)
        .bind(&meta.executed_by)
        .bind(&meta.tags)
        .bind(&meta.resource_group_id)
        .bind(&meta.template_id)
        .bind(&meta.client_token)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The API metadata of one execution.
    pub async fn execution_meta(&self, execution_id: &str) -> Result<Option<ExecutionMeta>> {
        let row = sqlx::query("SELECT * FROM api_executions WHERE execution_id = ?1").bind(execution_id).fetch_optional(&self.pool).await?;
        row.map(|row| meta_from_row(&row)).transpose()
    }

    /// The execution started earlier with this ClientToken, if any.
    pub async fn execution_by_client_token(&self, client_token: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT execution_id FROM api_executions WHERE client_token = ?1").bind(client_token).fetch_optional(&self.pool).await?;
        Ok(row.map(|row| row.try_get("execution_id")).transpose()?)
    }

    /// Ids of one page of executions matching `query`, and the number of matches in all pages.
    pub async fn list_execution_ids(&self, query: &ExecutionQuery) -> Result<(Vec<String>, i64)> {
        let mut count: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT COUNT(*) AS n");
        push_execution_filter(&mut count, query);
        let total: i64 = count.build().fetch_one(&self.pool).await?.try_get("n")?;
        let mut page: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT e.id");
        push_execution_filter(&mut page, query);
        let column = match query.sort {
            ExecutionSort::StartDate => "e.created_ms",
            ExecutionSort::EndDate => "e.end_ms",
            ExecutionSort::Status => "e.status",
        };
        let direction = if query.ascending { "ASC" } else { "DESC" };
        page.push(format!(" ORDER BY {column} {direction}, e.id {direction} LIMIT "));
        page.push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
        let rows = page.build().fetch_all(&self.pool).await?;
        let ids = rows.iter().map(|row| row.try_get("id")).collect::<Result<Vec<String>, _>>()?;
        Ok((ids, total))
    }

    /// Deletes executions (with their children, tasks, logs, inbox and API metadata); returns the
    /// ids that existed.
    pub async fn delete_executions(&self, ids: &[String]) -> Result<Vec<String>> {
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

    /// Inserts an IAM record; false when `(kind, key)` exists.
    pub async fn insert_iam_record(&self, kind: &str, key: &str, body: &str) -> Result<bool> {
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
    pub async fn update_iam_record(&self, kind: &str, key: &str, body: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE iam_records SET body = ?3 WHERE kind = ?1 AND key = ?2").bind(kind).bind(key).bind(body).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// One IAM record's body.
    pub async fn iam_record(&self, kind: &str, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT body FROM iam_records WHERE kind = ?1 AND key = ?2").bind(kind).bind(key).fetch_optional(&self.pool).await?;
        Ok(row.map(|row| row.try_get("body")).transpose()?)
    }

    /// Every record body of one kind, ordered by key.
    pub async fn iam_records(&self, kind: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT body FROM iam_records WHERE kind = ?1 ORDER BY key").bind(kind).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|row| row.try_get("body")).collect::<Result<_, _>>()?)
    }

    /// Deletes one IAM record; false when it did not exist.
    pub async fn delete_iam_record(&self, kind: &str, key: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM iam_records WHERE kind = ?1 AND key = ?2").bind(kind).bind(key).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(done.rows_affected() > 0)
    }
}

fn meta_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<ExecutionMeta> {
    Ok(ExecutionMeta {
        execution_id: row.try_get("execution_id")?,
        executed_by: row.try_get("executed_by")?,
        tags: row.try_get("tags")?,
        resource_group_id: row.try_get("resource_group_id")?,
        template_id: row.try_get("template_id")?,
        client_token: row.try_get("client_token")?,
    })
}

fn push_execution_filter(sql: &mut QueryBuilder<Sqlite>, query: &ExecutionQuery) {
    sql.push(" FROM executions e LEFT JOIN api_executions m ON m.execution_id = e.id WHERE 1 = 1");
    if let Some(id) = &query.execution_id {
        sql.push(" AND e.id = ").push_bind(id.clone());
    }
    if let Some(name) = &query.template_name {
        sql.push(" AND instr(e.template_name, ").push_bind(name.clone()).push(") > 0");
    }
    if let Some(status) = &query.status {
        sql.push(" AND e.status = ").push_bind(status.clone());
    }
    if let Some(mode) = &query.mode {
        sql.push(" AND e.mode = ").push_bind(mode.clone());
    }
    match &query.parent_execution_id {
        Some(parent) => {
            sql.push(" AND e.parent_execution_id = ").push_bind(parent.clone());
        }
        None if !query.include_children && query.execution_id.is_none() => {
            sql.push(" AND e.parent_execution_id IS NULL");
        }
        None => {}
    }
    if let Some(caller) = &query.executed_by {
        sql.push(" AND m.executed_by = ").push_bind(caller.clone());
    }
    if let Some(text) = &query.description {
        sql.push(" AND instr(e.description, ").push_bind(text.clone()).push(") > 0");
    }
    let ranges = [
        ("e.created_ms >= ", query.start_after_ms),
        ("e.created_ms <= ", query.start_before_ms),
        ("e.end_ms >= ", query.end_after_ms),
        ("e.end_ms <= ", query.end_before_ms),
    ];
    for (condition, value) in ranges {
        if let Some(value) = value {
            sql.push(" AND ").push(condition).push_bind(value);
        }
    }
    for (key, value) in &query.tags {
        sql.push(" AND json_extract(m.tags, ").push_bind(format!("$.\"{}\"", key.replace('"', ""))).push(") = ").push_bind(value.clone());
    }
}
