//! Read queries and row mapping of the SQLite store.

use sqlx::{AssertSqlSafe, FromRow, Row};

use super::SqliteStore;
use crate::{ExecutionFilter, ExecutionRecord, ExecutionStore, LibraryStore, LogRecord, LogStore, NumberedLog, Result, TaskRecord, TaskStore};

use crate::records::{EXECUTION_COLUMNS, TASK_COLUMNS};

#[async_trait::async_trait]
impl ExecutionStore for SqliteStore {
    async fn execution(&self, id: &str) -> Result<Option<ExecutionRecord>> {
        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = ?1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(ExecutionRecord::from_row).transpose()?)
    }

    async fn executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> {
        let mut sql = format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE (?1 IS NULL OR status = ?1) \
             AND (?2 IS NULL OR template_name = ?2)"
        );
        match (&filter.parent_execution_id, filter.include_children) {
            (Some(_), _) => sql.push_str(" AND parent_execution_id = ?3"),
            (None, false) => sql.push_str(" AND parent_execution_id IS NULL AND ?3 IS NULL"),
            (None, true) => sql.push_str(" AND ?3 IS NULL"),
        }
        sql.push_str(" ORDER BY created_ms DESC, id DESC LIMIT ?4");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(&filter.status)
            .bind(&filter.template_name)
            .bind(&filter.parent_execution_id)
            .bind(filter.limit.unwrap_or(-1))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(ExecutionRecord::from_row).collect::<Result<_, _>>()?)
    }

    async fn count_open(&self, template_name: Option<&str>) -> Result<i64> {
        let count = sqlx::query_scalar(
            "SELECT COUNT(*) FROM executions INDEXED BY executions_open \
             WHERE status NOT IN ('Success', 'Failed', 'Cancelled') AND (?1 IS NULL OR template_name = ?1)",
        )
        .bind(template_name)
        .fetch_one(&self.pool)
        .await?;
        Ok(count)
    }
}

#[async_trait::async_trait]
impl TaskStore for SqliteStore {
    async fn tasks(&self, execution_id: &str) -> Result<Vec<TaskRecord>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM task_executions WHERE execution_id = ?1 ORDER BY seq");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(execution_id).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(TaskRecord::from_row).collect::<Result<_, _>>()?)
    }

    async fn tasks_updated_since(&self, execution_id: &str, since_ms: i64) -> Result<Vec<TaskRecord>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM task_executions WHERE execution_id = ?1 AND updated_ms >= ?2 ORDER BY seq");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(execution_id).bind(since_ms).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(TaskRecord::from_row).collect::<Result<_, _>>()?)
    }
}

#[async_trait::async_trait]
impl LogStore for SqliteStore {
    async fn logs(&self, execution_id: &str, task_execution_id: Option<&str>) -> Result<Vec<LogRecord>> {
        let rows = sqlx::query(
            "SELECT execution_id, task_execution_id, ts_ms, log_type, message FROM execution_logs \
             WHERE execution_id = ?1 AND (?2 IS NULL OR task_execution_id = ?2) ORDER BY id",
        )
        .bind(execution_id)
        .bind(task_execution_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(LogRecord::from_row).collect::<Result<_, _>>()?)
    }

    async fn logs_after(&self, execution_id: &str, after: i64) -> Result<Vec<NumberedLog>> {
        let rows = sqlx::query(
            "SELECT id, execution_id, task_execution_id, ts_ms, log_type, message FROM execution_logs \
             WHERE execution_id = ?1 AND id > ?2 ORDER BY id",
        )
        .bind(execution_id)
        .bind(after)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(NumberedLog::from_row).collect::<Result<_, _>>()?)
    }
}

#[async_trait::async_trait]
impl LibraryStore for SqliteStore {
    async fn library_template(&self, name: &str, version: Option<i64>) -> Result<Option<(i64, String)>> {
        let row = sqlx::query(
            "SELECT version, content FROM library_templates WHERE name = ?1 AND (?2 IS NULL OR version = ?2) \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(name)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((row.try_get("version")?, row.try_get("content")?))).transpose()
    }

    async fn put_library_template(&self, name: &str, content: &str, now_ms: i64) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO library_templates (name, version, content, created_ms) VALUES (?1, \
             (SELECT COALESCE(MAX(version), 0) + 1 FROM library_templates WHERE name = ?1), ?2, ?3) \
             RETURNING version",
        )
        .bind(name)
        .bind(content)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("version")?)
    }
}
