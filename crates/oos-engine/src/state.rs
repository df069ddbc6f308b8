//! The persisted state of one execution: the execution itself, its task executions and the
//! engine's flow cursor, plus the record of what a step changed (written by the runtime).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use oos_template::Template;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::status::{ExecutionStatus, Mode, TaskStatus};

/// Settings of the engine that are not part of a template.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Largest `Loop.Items` list accepted (OOS: 1,000).
    pub max_loop_items: usize,
    /// `ACS::RegionId` when the execution does not say otherwise.
    pub region_id: String,
    /// `ACS::AccountId`.
    pub account_id: String,
    /// `ACS::ExecuteUser`.
    pub execute_user: String,
    /// Most task executions (loop iterations included) of one execution; one more ends it Failed
    /// with `QuotaExceeded.TasksPerExecution`.
    pub max_tasks: usize,
    /// Expression evaluations of one execution that may exceed a budget (steps, time, memory, …);
    /// one more ends it Failed, so a template cannot spend evaluation time without end.
    pub max_budget_failures: u32,
    /// A TimerTrigger's time zone when it names none (IANA name).
    pub default_time_zone: String,
    /// A timer tick more than this late fires once for every tick missed (see `triggers.rs`).
    pub trigger_misfire_ms: i64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            max_loop_items: 1000,
            region_id: "cn-hangzhou".into(),
            account_id: "0".into(),
            execute_user: "oos".into(),
            max_tasks: 100_000,
            max_budget_failures: 3,
            default_time_zone: "UTC".into(),
            trigger_misfire_ms: 60_000,
        }
    }
}

/// Why an execution is `Waiting` for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Waiting {
    /// Debug mode: waits before running `next` (None: the flow reached its end).
    Debug { next: Option<usize> },
    /// FailurePause mode: the task execution failed and waits for RetryTask/SkipTask.
    FailurePause { task_execution_id: String },
    /// ACS::Approve waits for Approve/Reject.
    Approval { task_execution_id: String },
    /// ACS::Pause waits for Resume.
    Pause { task_execution_id: String },
    /// A loop with a batch pause option waits before its next batch.
    BatchPause { task_execution_id: String },
    /// A trigger is armed: each firing runs the rest of the template.
    Trigger { task_execution_id: String },
}

/// The engine's cursor over the template, persisted with the execution.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// The running top-level task execution.
    pub current: Option<String>,
    /// Next task execution sequence number (ids are derived from it).
    pub next_seq: i64,
    /// A task failed in a way that makes the execution end `Failed`.
    pub failed: bool,
    pub waiting: Option<Waiting>,
    pub region_id: String,
    pub account_id: String,
    pub execute_user: String,
    pub ram_role: Option<String>,
    /// StartExecution's `LoopMode`: replaces the `BatchPauseOption` of every batch loop (None: each loop's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_mode: Option<BatchPause>,
    /// StartExecution's `SafetyCheck`; children inherit their parent's.
    #[serde(default, skip_serializing_if = "is_default")]
    pub safety_check: SafetyCheck,
    /// A loop iteration started this execution or one of its ancestors: a high-risk call here cannot
    /// wait for its own decision either (`SafetyCheck.LoopNotConfirmable`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_loop: bool,
    /// How many levels of parents this execution has (0: started directly).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub depth: u32,
    /// Expression evaluations that exceeded a budget so far (see [`EngineConfig::max_budget_failures`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub budget_failures: u32,
    /// Values of the `{{ oos:Name }}` parameters the template references, read once when the execution
    /// was created: later changes in the parameter store do not reach a running execution.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub store_parameters: BTreeMap<String, Value>,
    /// Values of the `{{ oos-secret:Name[:Version] }}` parameters, opened when the execution was
    /// created; kept only in the sealed engine state, never shown.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_parameters: BTreeMap<String, Value>,
    /// Secrets received from the parent (in parameters) or from children (in outputs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherited_secrets: Vec<String>,
    /// The firing this execution runs (its template's trigger task is done with this result).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firing: Option<crate::event::Firing>,
    /// The trace this execution's work belongs to; opaque to the engine (the runtime's spans read it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceLink>,
}

/// Where an execution's spans hang: the W3C `traceparent` of the span that created it (the API
/// request; a trigger's firing), and the execution its trace began with. Children inherit it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceLink {
    pub parent: String,
    pub root_execution_id: String,
}

/// Rate control of one loop, fixed when the loop starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopPlan {
    pub items: Vec<Value>,
    /// Batches in order: `(end item index exclusive, concurrency inside the batch)`.
    pub batches: Vec<(usize, usize)>,
    /// Failed iterations tolerated; one more fails the loop.
    pub max_errors: usize,
    pub pause: BatchPause,
}

/// `BatchPauseOption`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BatchPause {
    Automatic,
    FirstBatchPause,
    EveryBatchPause,
}

impl BatchPause {
    /// `Automatic`, `FirstBatchPause` or `EveryBatchPause` (any case).
    pub fn parse(text: &str) -> Option<BatchPause> {
        [BatchPause::Automatic, BatchPause::FirstBatchPause, BatchPause::EveryBatchPause]
            .into_iter()
            .find(|pause| format!("{pause:?}").eq_ignore_ascii_case(text.trim()))
    }
}

/// StartExecution's `SafetyCheck`: whether high-risk cloud calls wait for a decision first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SafetyCheck {
    /// Every high-risk ExecuteAPI call waits for NotifyExecution Approve (or Reject) before it leaves.
    #[default]
    ConfirmEveryHighRiskAction,
    /// High-risk calls run without waiting (StartExecution allows it with Mode Automatic only).
    Skip,
}

impl SafetyCheck {
    /// `ConfirmEveryHighRiskAction` or `Skip` (any case).
    pub fn parse(text: &str) -> Option<SafetyCheck> {
        [SafetyCheck::ConfirmEveryHighRiskAction, SafetyCheck::Skip].into_iter().find(|check| check.as_str().eq_ignore_ascii_case(text.trim()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SafetyCheck::ConfirmEveryHighRiskAction => "ConfirmEveryHighRiskAction",
            SafetyCheck::Skip => "Skip",
        }
    }
}

/// Counters of a running loop; rebuilt from the iteration rows when an execution is loaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoopProgress {
    /// Items dispatched so far (items `0..next`).
    pub next: usize,
    pub running: usize,
    pub succeeded: usize,
    pub failed: usize,
    /// The batch being run.
    pub batch: usize,
    /// Iteration task execution position, by item index.
    pub children: Vec<Option<usize>>,
}

/// The engine's own per-task state, persisted with the task execution.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskState {
    /// Item index of a loop iteration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_index: Option<usize>,
    /// Current attempt (each API call of a WaitFor poll is one attempt).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempt: u32,
    /// Pending timer of the current attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_at: Option<i64>,
    /// Raw result of a finished top-level task (`{{ task }}` references).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// A Choice's chosen target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_task: Option<String>,
    /// The loop of a loop task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_plan: Option<LoopPlan>,
    /// An Approve whose webhook was sent and which now waits for a decision.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub awaiting_decision: bool,
    /// The approvals counted so far while the task waits for a decision (distinct eligible approvers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// The armed trigger of a trigger task execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<crate::triggers::TriggerState>,
    #[serde(skip)]
    pub progress: Option<LoopProgress>,
}

/// One counted approval of a waiting task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The approver's ARN (approvals are distinct by it).
    pub arn: String,
    /// The RAM user name, else the ARN: how logs and outputs show the approver.
    pub name: String,
    pub at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One task execution: a run of a template task, or one iteration of a loop task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRun {
    pub id: String,
    pub seq: i64,
    /// Index of the task in the template.
    pub task: usize,
    pub name: String,
    /// Canonical action name.
    pub action: String,
    pub status: TaskStatus,
    pub status_message: String,
    pub properties: Option<Value>,
    pub outputs: Option<Map<String, Value>>,
    pub loop_item: Option<Value>,
    pub batch_number: Option<i64>,
    /// Loop task execution this iteration belongs to.
    pub parent: Option<String>,
    pub child_execution_id: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub state: TaskState,
}

/// A log line produced by a step.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub task_execution_id: Option<String>,
    pub ts_ms: i64,
    pub log_type: String,
    pub message: String,
}

/// What a step changed, for the runtime to write.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub execution: bool,
    /// Positions in [`Execution::tasks`].
    pub tasks: BTreeSet<usize>,
    pub logs: Vec<LogLine>,
}

/// One execution and everything the engine knows about it. `Debug` masks its secrets (it shows what
/// the API would show, not the engine state; see `secrets.rs`).
#[derive(Clone)]
pub struct Execution {
    pub id: String,
    pub template: Arc<Template>,
    pub template_name: String,
    pub template_version: Option<String>,
    /// Evaluated parameters (what expressions see).
    pub parameters: Map<String, Value>,
    pub mode: Mode,
    pub status: ExecutionStatus,
    pub status_message: String,
    pub outputs: Option<Map<String, Value>>,
    pub parent_execution_id: Option<String>,
    pub parent_task_execution_id: Option<String>,
    pub description: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub flow: Flow,
    pub tasks: Vec<TaskRun>,
    /// Position of each task execution by id (derived: see [`Execution::reindex`]).
    pub by_id: HashMap<String, usize>,
    /// Latest top-level run of each task name.
    pub latest: HashMap<String, usize>,
    pub changes: Changes,
}

impl Execution {
    /// The task execution with this id.
    pub fn task(&self, id: &str) -> Option<&TaskRun> {
        self.by_id.get(id).map(|&pos| &self.tasks[pos])
    }

    /// The latest top-level task execution of a template task.
    pub fn latest_run(&self, name: &str) -> Option<&TaskRun> {
        self.latest.get(name).map(|&pos| &self.tasks[pos])
    }

    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Adds a task execution and indexes it.
    pub(crate) fn push_task(&mut self, run: TaskRun) -> usize {
        let pos = self.tasks.len();
        self.by_id.insert(run.id.clone(), pos);
        if run.parent.is_none() {
            self.latest.insert(run.name.clone(), pos);
        }
        self.tasks.push(run);
        self.changes.tasks.insert(pos);
        pos
    }

    /// Marks a task execution as changed and returns it for editing.
    pub(crate) fn task_mut(&mut self, pos: usize, now: i64) -> &mut TaskRun {
        self.changes.tasks.insert(pos);
        let run = &mut self.tasks[pos];
        run.updated_ms = now;
        run
    }

    pub(crate) fn touch(&mut self, now: i64) {
        self.changes.execution = true;
        self.updated_ms = now;
    }

    pub(crate) fn log(&mut self, task_execution_id: Option<&str>, now: i64, message: String) {
        self.changes.logs.push(LogLine {
            task_execution_id: task_execution_id.map(str::to_owned),
            ts_ms: now,
            log_type: "Info".into(),
            message,
        });
    }

    /// Takes the accumulated changes (the runtime writes them, then they are gone).
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    /// Rebuilds the indexes and loop counters after loading tasks from storage.
    pub fn reindex(&mut self) {
        self.by_id = self.tasks.iter().enumerate().map(|(pos, t)| (t.id.clone(), pos)).collect();
        self.latest.clear();
        for (pos, run) in self.tasks.iter().enumerate() {
            if run.parent.is_none() {
                self.latest.insert(run.name.clone(), pos);
            }
        }
        let mut progress: HashMap<usize, LoopProgress> = HashMap::new();
        for (pos, run) in self.tasks.iter().enumerate() {
            let (Some(parent), Some(index)) = (&run.parent, run.state.loop_index) else { continue };
            let Some(&parent_pos) = self.by_id.get(parent) else { continue };
            let entry = progress.entry(parent_pos).or_default();
            if entry.children.len() <= index {
                entry.children.resize(index + 1, None);
            }
            entry.children[index] = Some(pos);
            entry.next = entry.next.max(index + 1);
            match run.status {
                TaskStatus::Success | TaskStatus::Skipped => entry.succeeded += 1,
                TaskStatus::Failed | TaskStatus::Cancelled => entry.failed += 1,
                _ => entry.running += 1,
            }
        }
        for (pos, run) in self.tasks.iter_mut().enumerate() {
            if let Some(plan) = &run.state.loop_plan {
                let mut p = progress.remove(&pos).unwrap_or_default();
                p.children.resize(plan.items.len(), None);
                let last_dispatched = p.next.saturating_sub(1);
                p.batch = plan.batches.iter().position(|&(end, _)| last_dispatched < end).unwrap_or(0);
                run.state.progress = Some(p);
            }
        }
    }
}
