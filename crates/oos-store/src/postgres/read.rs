//! Read queries of the PostgreSQL store: executions, tasks, logs and the template library.

use sqlx::AssertSqlSafe;

use super::PgStore;
use crate::records::{EXECUTION_COLUMNS, TASK_COLUMNS};
use crate::{ExecutionFilter, ExecutionRecord, ExecutionStore, LibraryStore, LogRecord, LogStore, NumberedLog, Result, TaskRecord, TaskStore};

#[async_trait::async_trait]
impl ExecutionStore for PgStore {
    async fn execution(&self, id: &str) -> Result<Option<ExecutionRecord>> {
        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = $1");
        Ok(sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?)
    }

    async fn executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> {
        let mut sql = format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE ($1::TEXT IS NULL OR status = $1) \
             AND ($2::TEXT IS NULL OR template_name = $2)"
        );
        match (&filter.parent_execution_id, filter.include_children) {
            (Some(_), _) => sql.push_str(" AND parent_execution_id = $3"),
            (None, false) => sql.push_str(" AND parent_execution_id IS NULL AND $3::TEXT IS NULL"),
            (None, true) => sql.push_str(" AND $3::TEXT IS NULL"),
        }
        sql.push_str(" ORDER BY created_ms DESC, id DESC LIMIT $4");
        Ok(sqlx::query_as(AssertSqlSafe(sql))
            .bind(&filter.status)
            .bind(&filter.template_name)
            .bind(&filter.parent_execution_id)
            .bind(filter.limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn count_open(&self, template_name: Option<&str>) -> Result<i64> {
        // Two statements, each with the partial index's own predicate (a `$1 IS NULL OR …` filter
        // would keep the planner from it), so the count reads the open executions only.
        const OPEN: &str = "SELECT COUNT(*) FROM executions WHERE status NOT IN ('Success', 'Failed', 'Cancelled')";
        let count = match template_name {
            None => sqlx::query_scalar(OPEN).fetch_one(&self.pool).await?,
            Some(name) => sqlx::query_scalar(AssertSqlSafe(format!("{OPEN} AND template_name = $1"))).bind(name).fetch_one(&self.pool).await?,
        };
        Ok(count)
    }
}

#[async_trait::async_trait]
impl TaskStore for PgStore {
    async fn tasks(&self, execution_id: &str) -> Result<Vec<TaskRecord>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM task_executions WHERE execution_id = $1 ORDER BY seq");
        Ok(sqlx::query_as(AssertSqlSafe(sql)).bind(execution_id).fetch_all(&self.pool).await?)
    }

    async fn tasks_updated_since(&self, execution_id: &str, since_ms: i64) -> Result<Vec<TaskRecord>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM task_executions WHERE execution_id = $1 AND updated_ms >= $2 ORDER BY seq");
        Ok(sqlx::query_as(AssertSqlSafe(sql)).bind(execution_id).bind(since_ms).fetch_all(&self.pool).await?)
    }
}

#[async_trait::async_trait]
impl LogStore for PgStore {
    async fn logs(&self, execution_id: &str, task_execution_id: Option<&str>) -> Result<Vec<LogRecord>> {
        Ok(sqlx::query_as(
            "SELECT execution_id, task_execution_id, ts_ms, log_type, message FROM execution_logs \
             WHERE execution_id = $1 AND ($2::TEXT IS NULL OR task_execution_id = $2) ORDER BY id",
        )
        .bind(execution_id)
        .bind(task_execution_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn logs_after(&self, execution_id: &str, after: i64) -> Result<Vec<NumberedLog>> {
        Ok(sqlx::query_as(
            "SELECT id, execution_id, task_execution_id, ts_ms, log_type, message FROM execution_logs \
             WHERE execution_id = $1 AND id > $2 ORDER BY id",
        )
        .bind(execution_id)
        .bind(after)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[async_trait::async_trait]
impl LibraryStore for PgStore {
    async fn library_template(&self, name: &str, version: Option<i64>) -> Result<Option<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT version, content FROM library_templates WHERE name = $1 AND ($2::BIGINT IS NULL OR version = $2) \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(name)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn put_library_template(&self, name: &str, content: &str, now_ms: i64) -> Result<i64> {
        // Concurrent writers of one name: the loser of the primary key retries with the next number.
        loop {
            let inserted = sqlx::query_scalar(
                "INSERT INTO library_templates (name, version, content, created_ms) VALUES ($1, \
                 (SELECT COALESCE(MAX(version), 0) + 1 FROM library_templates WHERE name = $1), $2, $3) \
                 ON CONFLICT (name, version) DO NOTHING RETURNING version",
            )
            .bind(name)
            .bind(content)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(version) = inserted {
                return Ok(version);
            }
        }
    }
}
