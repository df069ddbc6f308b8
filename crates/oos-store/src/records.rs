//! Plain row types exchanged with the store; JSON documents are carried as strings.

use serde::{Deserialize, Serialize};

use crate::audit::NewAudit;

/// The columns of [`ExecutionRecord`] in its field order (every backend names them alike).
pub(crate) const EXECUTION_COLUMNS: &str = "id, template_name, template_version, template_content, \
    parameters, mode, status, status_message, outputs, parent_execution_id, parent_task_execution_id, \
    description, engine_state, runnable, wake_ms, created_ms, updated_ms, start_ms, end_ms";

/// The columns of [`TaskRecord`] in its field order.
pub(crate) const TASK_COLUMNS: &str = "id, execution_id, seq, task_name, task_action, status, \
    status_message, properties, outputs, loop_item, loop_batch_number, parent_task_execution_id, \
    child_execution_id, engine_state, created_ms, updated_ms, start_ms, end_ms";

/// One execution row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ExecutionRecord {
    pub id: String,
    pub template_name: String,
    pub template_version: Option<String>,
    pub template_content: String,
    /// JSON object of the execution's parameters (secrets masked by the engine).
    pub parameters: String,
    pub mode: String,
    pub status: String,
    pub status_message: String,
    /// JSON object, set once the execution finished.
    pub outputs: Option<String>,
    pub parent_execution_id: Option<String>,
    pub parent_task_execution_id: Option<String>,
    pub description: String,
    /// The engine's own flow state (JSON), opaque to the store.
    pub engine_state: String,
    /// Whether a worker has something to do without an external event.
    pub runnable: bool,
    /// When a runnable execution's only outstanding work is timers: the first one's due time (a worker
    /// may hand it back and any worker takes it over then). None: runnable now.
    pub wake_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// One task execution row (a top-level task run or one loop iteration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct TaskRecord {
    pub id: String,
    pub execution_id: String,
    /// Creation order within the execution.
    pub seq: i64,
    pub task_name: String,
    pub task_action: String,
    pub status: String,
    pub status_message: String,
    /// JSON object of the rendered properties.
    pub properties: Option<String>,
    /// JSON object of the task's outputs.
    pub outputs: Option<String>,
    /// JSON value of the loop item, for loop iterations.
    pub loop_item: Option<String>,
    pub loop_batch_number: Option<i64>,
    pub parent_task_execution_id: Option<String>,
    pub child_execution_id: Option<String>,
    /// The engine's own per-task state (JSON), opaque to the store.
    pub engine_state: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// One execution log line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct LogRecord {
    pub execution_id: String,
    pub task_execution_id: Option<String>,
    pub ts_ms: i64,
    pub log_type: String,
    pub message: String,
}

/// A log line with its number: numbers grow in the order an execution's lines commit.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NumberedLog {
    pub id: i64,
    #[sqlx(flatten)]
    pub log: LogRecord,
}

/// An event waiting in an execution's inbox.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InboxEvent {
    pub id: i64,
    pub execution_id: String,
    pub payload: String,
}

/// An event to append to an execution's inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInboxEvent {
    pub execution_id: String,
    pub payload: String,
    pub created_ms: i64,
}

/// Everything one commit writes.
#[derive(Debug, Clone, Default)]
pub struct StepWrite {
    /// Executions to insert (new ones get the committing worker's lease) or update.
    pub executions: Vec<ExecutionRecord>,
    /// Task executions to insert or update.
    pub tasks: Vec<TaskRecord>,
    pub logs: Vec<LogRecord>,
    /// Inbox events this step consumed.
    pub consumed_inbox: Vec<i64>,
    /// Events for other executions (e.g. a finished child telling its parent).
    pub inbox: Vec<NewInboxEvent>,
    /// Lease expiry to set on the written executions.
    pub lease_expires_ms: i64,
    /// Audit records of what this commit records (cloud calls whose results it holds, the API request
    /// that started an execution), appended in the same transaction.
    pub audit: Vec<NewAudit>,
    /// Executions whose calls start after this commit: at risk until they settle (see [`crate::CrashGuard`]).
    pub at_risk: Vec<String>,
    /// Executions whose work is committed with no call in flight: no longer at risk, crash count reset.
    pub settled: Vec<String>,
    /// Triggers of trigger executions to insert or update.
    pub triggers: Vec<crate::TriggerRecord>,
    /// Firings to insert: one already there for the same (execution, key) fails the commit.
    pub firings: Vec<crate::FiringRecord>,
}

impl StepWrite {
    pub fn is_empty(&self) -> bool {
        self.at_risk.is_empty()
            && self.settled.is_empty()
            && self.executions.is_empty()
            && self.tasks.is_empty()
            && self.logs.is_empty()
            && self.consumed_inbox.is_empty()
            && self.inbox.is_empty()
            && self.audit.is_empty()
            && self.triggers.is_empty()
            && self.firings.is_empty()
    }
}

/// Filters of `ExecutionStore::executions`; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct ExecutionFilter {
    pub status: Option<String>,
    pub template_name: Option<String>,
    pub parent_execution_id: Option<String>,
    /// Include child executions when no parent filter is given.
    pub include_children: bool,
    pub limit: Option<i64>,
}
