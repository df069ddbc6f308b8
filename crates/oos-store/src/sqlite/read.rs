//! Read queries and row mapping of the SQLite store.

use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row};

use super::SqliteStore;
use crate::{
    ExecutionFilter, ExecutionRecord, ExecutionStore, InboxEvent, LibraryStore, LogRecord, LogStore,
    Result, TaskRecord, TaskStore,
};

pub(super) const EXECUTION_COLUMNS: &str = "id, template_name, template_version, template_content, \
    parameters, mode, status, status_message, outputs, parent_execution_id, parent_task_execution_id, \
    description, engine_state, runnable, created_ms, updated_ms, start_ms, end_ms";

pub(super) const TASK_COLUMNS: &str = "id, execution_id, seq, task_name, task_action, status, \
    status_message, properties, outputs, loop_item, loop_batch_number, parent_task_execution_id, \
    child_execution_id, engine_state, created_ms, updated_ms, start_ms, end_ms";

fn execution_from_row(row: &SqliteRow) -> Result<ExecutionRecord> {
    Ok(ExecutionRecord {
        id: row.try_get("id")?,
        template_name: row.try_get("template_name")?,
        template_version: row.try_get("template_version")?,
        template_content: row.try_get("template_content")?,
        parameters: row.try_get("parameters")?,
        mode: row.try_get("mode")?,
        status: row.try_get("status")?,
        status_message: row.try_get("status_message")?,
        outputs: row.try_get("outputs")?,
        parent_execution_id: row.try_get("parent_execution_id")?,
        parent_task_execution_id: row.try_get("parent_task_execution_id")?,
        description: row.try_get("description")?,
        engine_state: row.try_get("engine_state")?,
        runnable: row.try_get("runnable")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
        start_ms: row.try_get("start_ms")?,
        end_ms: row.try_get("end_ms")?,
    })
}

fn task_from_row(row: &SqliteRow) -> Result<TaskRecord> {
    Ok(TaskRecord {
        id: row.try_get("id")?,
        execution_id: row.try_get("execution_id")?,
        seq: row.try_get("seq")?,
        task_name: row.try_get("task_name")?,
        task_action: row.try_get("task_action")?,
        status: row.try_get("status")?,
        status_message: row.try_get("status_message")?,
        properties: row.try_get("properties")?,
        outputs: row.try_get("outputs")?,
        loop_item: row.try_get("loop_item")?,
        loop_batch_number: row.try_get("loop_batch_number")?,
        parent_task_execution_id: row.try_get("parent_task_execution_id")?,
        child_execution_id: row.try_get("child_execution_id")?,
        engine_state: row.try_get("engine_state")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
        start_ms: row.try_get("start_ms")?,
        end_ms: row.try_get("end_ms")?,
    })
}

#[async_trait::async_trait]
impl ExecutionStore for SqliteStore {
    async fn execution(&self, id: &str) -> Result<Option<ExecutionRecord>> {
        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = ?1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(execution_from_row).transpose()
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
        rows.iter().map(execution_from_row).collect()
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
        rows.iter().map(task_from_row).collect()
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
        rows.iter()
            .map(|row| {
                Ok(LogRecord {
                    execution_id: row.try_get("execution_id")?,
                    task_execution_id: row.try_get("task_execution_id")?,
                    ts_ms: row.try_get("ts_ms")?,
                    log_type: row.try_get("log_type")?,
                    message: row.try_get("message")?,
                })
            })
            .collect()
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

pub(super) fn inbox_from_row(row: &SqliteRow) -> Result<InboxEvent> {
    Ok(InboxEvent {
        id: row.try_get("id")?,
        execution_id: row.try_get("execution_id")?,
        payload: row.try_get("payload")?,
    })
}
