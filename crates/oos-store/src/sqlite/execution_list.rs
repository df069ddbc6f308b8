//! ListExecutions over the engine's `executions` table and the API's `api_executions`: one query for
//! the page (rows with their metadata, task counters and current tasks) and one for `TotalCount`,
//! both served by the indexes of migration 0012, so a page costs the same at 100k executions as at 10.

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::SqliteStore;
use crate::model::{ExecutionMeta, ExecutionQuery, ExecutionSort, ListedExecution};
use crate::Result;

const PAGE_COLUMNS: &str = "SELECT e.id, e.template_name, e.template_version, e.parameters, e.mode, e.status, e.status_message, e.outputs, \
    e.parent_execution_id, e.description, e.created_ms, e.updated_ms, e.start_ms, e.end_ms, \
    m.execution_id, m.executed_by, m.tags, m.resource_group_id, m.template_id, m.client_token, m.ram_role, m.loop_mode, \
    (SELECT json_group_object(status, n) FROM (SELECT t.status, COUNT(*) AS n FROM task_executions t \
        WHERE t.execution_id = e.id AND t.parent_task_execution_id IS NULL GROUP BY t.status)) AS task_counts, \
    (SELECT json_group_array(json_object('TaskName', t.task_name, 'TaskAction', t.task_action, 'TaskExecutionId', t.id)) \
        FROM task_executions t WHERE t.execution_id = e.id AND t.parent_task_execution_id IS NULL AND t.status IN ('Running', 'Waiting')) AS current_tasks";

impl SqliteStore {
    /// One page of executions matching `query`, and the number of matches in all pages.
    pub(super) async fn list_page(&self, query: &ExecutionQuery) -> Result<(Vec<ListedExecution>, i64)> {
        let mut count: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT COUNT(*) AS n FROM executions e");
        push_execution_filter(&mut count, query);
        let total: i64 = count.build().fetch_one(&self.pool).await?.try_get("n")?;
        let (column, direction) = order(query);
        // The page's ids first (index only), then the wide columns and subqueries for those rows alone.
        let mut page: QueryBuilder<Sqlite> = QueryBuilder::new(format!("{PAGE_COLUMNS} FROM (SELECT e.id AS page_id, {column} AS page_key FROM executions e"));
        push_execution_filter(&mut page, query);
        page.push(format!(" ORDER BY {column} {direction}, e.id {direction} LIMIT "));
        page.push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
        page.push(format!(
            ") p JOIN executions e ON e.id = p.page_id LEFT JOIN api_executions m ON m.execution_id = e.id ORDER BY p.page_key {direction}, p.page_id {direction}"
        ));
        let rows = page.build().fetch_all(&self.pool).await?;
        Ok((rows.iter().map(listed_from_row).collect::<Result<_>>()?, total))
    }

    /// One execution as ListExecutions shows it, whatever its parent.
    pub(super) async fn listed_one(&self, execution_id: &str) -> Result<Option<ListedExecution>> {
        let query = ExecutionQuery { execution_id: Some(execution_id.to_string()), limit: 1, ..ExecutionQuery::default() };
        Ok(self.list_page(&query).await?.0.pop())
    }
}

fn order(query: &ExecutionQuery) -> (&'static str, &'static str) {
    let column = match query.sort {
        ExecutionSort::StartDate => "e.created_ms",
        ExecutionSort::EndDate => "e.end_ms",
        ExecutionSort::Status => "e.status",
    };
    (column, if query.ascending { "ASC" } else { "DESC" })
}

fn listed_from_row(row: &SqliteRow) -> Result<ListedExecution> {
    let execution_id: String = row.try_get("id")?;
    let task_counts: Option<String> = row.try_get("task_counts")?;
    let current_tasks: Option<String> = row.try_get("current_tasks")?;
    let meta = match row.try_get::<Option<String>, _>("execution_id")? {
        Some(_) => super::api_executions::meta_from_row(row)?,
        None => ExecutionMeta { execution_id: execution_id.clone(), tags: "{}".into(), ..ExecutionMeta::default() },
    };
    Ok(ListedExecution {
        id: execution_id,
        template_name: row.try_get("template_name")?,
        template_version: row.try_get("template_version")?,
        parameters: row.try_get("parameters")?,
        mode: row.try_get("mode")?,
        status: row.try_get("status")?,
        status_message: row.try_get("status_message")?,
        outputs: row.try_get("outputs")?,
        parent_execution_id: row.try_get("parent_execution_id")?,
        description: row.try_get("description")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
        start_ms: row.try_get("start_ms")?,
        end_ms: row.try_get("end_ms")?,
        meta,
        task_counts: task_counts.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default(),
        current_tasks: current_tasks.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default(),
    })
}

/// The WHERE clause of both queries; `api_executions` is joined only when a filter reads it.
fn push_execution_filter(sql: &mut QueryBuilder<Sqlite>, query: &ExecutionQuery) {
    if query.executed_by.is_some() {
        sql.push(" JOIN api_executions m ON m.execution_id = e.id");
    }
    sql.push(" WHERE 1 = 1");
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
        sql.push(" AND e.id IN (SELECT t.execution_id FROM api_execution_tags t WHERE t.key = ").push_bind(key.clone());
        sql.push(" AND t.value = ").push_bind(value.clone()).push(")");
    }
}
