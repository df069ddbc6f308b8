//! What the API reads and writes of executions beyond the engine's rows: per-execution metadata,
//! and the ListExecutions query and its rows.

use std::collections::BTreeMap;

/// What the API knows about an execution beyond the engine's row.
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct ExecutionMeta {
    pub execution_id: String,
    /// The caller's ARN.
    pub executed_by: String,
    /// JSON object.
    pub tags: String,
    pub resource_group_id: String,
    pub template_id: String,
    pub client_token: Option<String>,
    /// The RAM role the execution acts as ('' = the starter's own permissions).
    pub ram_role: String,
    /// StartExecution's LoopMode ('' = not given, i.e. Automatic).
    pub loop_mode: String,
    /// StartExecution's SafetyCheck ('' = not given, i.e. ConfirmEveryHighRiskAction).
    pub safety_check: String,
}

/// How `list_executions` orders its rows.
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
    /// `TimerTrigger`, `EventTrigger`, `AlarmTrigger` (executions with such a trigger) or `Other` (the rest).
    pub category: Option<String>,
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

/// One execution as ListExecutions shows it: the engine's row without its template and state, the
/// API metadata, and its top-level tasks summed up.
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct ListedExecution {
    pub id: String,
    pub template_name: String,
    pub template_version: Option<String>,
    /// JSON object (secrets masked by the engine).
    pub parameters: String,
    pub mode: String,
    pub status: String,
    pub status_message: String,
    pub outputs: Option<String>,
    pub parent_execution_id: Option<String>,
    pub description: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// Empty fields for executions started outside the API (`oos run`).
    #[sqlx(flatten)]
    pub meta: ExecutionMeta,
    /// Top-level task executions per status.
    #[sqlx(json)]
    pub task_counts: BTreeMap<String, i64>,
    /// Top-level tasks running or waiting now, in start order.
    #[sqlx(json)]
    pub current_tasks: Vec<CurrentTask>,
}

/// A task an execution is busy with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CurrentTask {
    pub task_name: String,
    pub task_action: String,
    pub task_execution_id: String,
}

