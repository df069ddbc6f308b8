//! What goes into a step (events) and what comes out of it (effects).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::status::ExecutionStatus;

/// Which executor runs an action call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallKind {
    /// ExecuteAPI, WaitFor and CheckFor: one cloud API call described by the properties.
    CloudApi,
    /// SelectTargets: resolve the target resources.
    SelectTargets,
    /// Notify / Approve: an HTTP POST of `WebHook.Content` to `WebHook.URI`.
    Webhook,
    /// ExecuteHttpRequest: an HTTP request described by the properties.
    HttpRequest,
}

/// A failed action, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ActionError {
    pub code: String,
    pub message: String,
}

impl ActionError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }
}



/// Something that happened to an execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The execution was created and should begin.
    Start,
    /// An action call finished (result or error) for one attempt of a task execution.
    ActionDone { task_execution_id: String, attempt: u32, outcome: Result<Value, ActionError> },
    /// A durable timer (Sleep, WaitFor back-off) of one attempt came due.
    TimerFired { task_execution_id: String, attempt: u32 },
    /// A child execution (ACS::Template, product action) reached a final status.
    ChildFinished {
        task_execution_id: String,
        status: ExecutionStatus,
        outputs: Map<String, Value>,
        message: String,
        /// The child's secrets: its outputs and message may carry them, so the parent masks them too.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        secrets: Vec<String>,
        /// The child's id (a trigger's firings share one task execution).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        child_execution_id: Option<String>,
    },
    /// A child execution could not be started (template not found, invalid parameters).
    ChildNotStarted { task_execution_id: String, code: String, message: String },
    /// CancelExecution.
    Cancel,
    /// The process stopped this many times while the execution was being worked on: fail it
    /// instead of running it again (see the runtime's crash-loop guard).
    Quarantine { crashes: i64 },
    /// NotifyExecution.
    Notify(Notify),
    /// What a waiting `ACS::WaitFor` polls may have changed (a command on a managed instance
    /// finished): every WaitFor waiting out its back-off polls now instead. Harmless when nothing
    /// waits; a poll's timer that fires later finds nothing to do.
    Poke,
    /// A firing, pause or resume of the execution's trigger (an event, an alarm, TriggerExecution,
    /// `oos trigger`). Ignored when the execution has no armed trigger.
    Trigger(TriggerSignal),
}

/// What reaches a trigger execution from outside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TriggerSignal {
    /// Run the rest of the template once, with `payload` as the trigger task's result. `key` names
    /// the firing (an event id, an alarm's de-duplication key): the same key fires once.
    Fire { key: String, source: FireSource, payload: Value },
    /// Stop firing until resumed (ticks that fall due meanwhile are skipped).
    Pause,
    Resume,
}

/// Where a firing came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FireSource {
    /// A TimerTrigger tick.
    Timer,
    /// A cloud event matched by an EventTrigger.
    Event,
    /// An alarm matched by an AlarmTrigger.
    Alarm,
    /// TriggerExecution or `oos trigger fire`.
    Manual,
}

/// One firing of a trigger, carried to the child execution that runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Firing {
    pub key: String,
    pub source: FireSource,
    pub fired_ms: i64,
    /// The trigger task's result in the child (its Outputs select from it).
    pub result: Value,
}

/// The operations of NotifyExecution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotifyType {
    Approve,
    Reject,
    RetryTask,
    SkipTask,
    ExecuteTask,
    CancelTask,
    CompleteExecution,
    /// Continue after `ACS::Pause` or a loop batch pause (OpenOOS extension; `Approve` also works).
    Resume,
}

impl NotifyType {
    /// Parses the API spelling; `Retry`/`Skip` are accepted for `RetryTask`/`SkipTask`.
    pub fn parse(text: &str) -> Option<Self> {
        let all = [
            ("Approve", Self::Approve),
            ("Reject", Self::Reject),
            ("RetryTask", Self::RetryTask),
            ("Retry", Self::RetryTask),
            ("SkipTask", Self::SkipTask),
            ("Skip", Self::SkipTask),
            ("ExecuteTask", Self::ExecuteTask),
            ("CancelTask", Self::CancelTask),
            ("CompleteExecution", Self::CompleteExecution),
            ("Resume", Self::Resume),
        ];
        all.into_iter().find(|(name, _)| name.eq_ignore_ascii_case(text.trim())).map(|(_, v)| v)
    }
}

/// One NotifyExecution request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notify {
    pub notify_type: NotifyType,
    pub task_name: Option<String>,
    pub task_execution_id: Option<String>,
    /// For CompleteExecution: the final status to set (default Success).
    pub execution_status: Option<ExecutionStatus>,
    pub note: Option<String>,
    /// Who sent it through the API (a server always says). None: the owner of a data directory
    /// (`oos execution notify` without a server), who decides alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Notifier>,
}

impl Notify {
    /// A notification of the given type with no further fields.
    pub fn of(notify_type: NotifyType) -> Self {
        Self { notify_type, task_name: None, task_execution_id: None, execution_status: None, note: None, by: None }
    }
}

/// The authenticated caller of a NotifyExecution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notifier {
    /// The caller's ARN, compared with the execution's starter (`Flow::execute_user`).
    pub arn: String,
    /// The RAM user name when the caller is a RAM user: what `Approvers` lists.
    pub user: Option<String>,
    /// A policy allows the caller to decide on an execution they started (`oos:ApproveOwnExecution`).
    pub may_decide_own: bool,
}

impl Notifier {
    /// How logs and outputs name the caller: the RAM user name, else the ARN.
    pub fn name(&self) -> &str {
        self.user.as_deref().unwrap_or(&self.arn)
    }
}

/// Work the runtime performs on behalf of a step.
///
/// `Call` and `Timer` run only after the step is committed. `StartChild`, `ToExecution` are store
/// writes the runtime puts into the same commit as the step itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Run an action and feed back [`Event::ActionDone`].
    Call(Call),
    /// Feed back [`Event::TimerFired`] at `at_ms`.
    Timer { execution_id: String, task_execution_id: String, attempt: u32, at_ms: i64 },
    /// Create (if it does not exist yet) and start a child execution.
    StartChild(ChildStart),
    /// Deliver an event to another execution (a finished child to its parent, cancel to children).
    ToExecution { execution_id: String, event: Event },
}

/// One action invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub execution_id: String,
    pub task_execution_id: String,
    pub task_name: String,
    pub attempt: u32,
    pub kind: CallKind,
    /// The task's rendered properties.
    pub properties: Value,
    /// Stable across crash re-drives of this attempt.
    pub client_token: String,
    /// The execution's evaluated RamRole, if any.
    pub ram_role: Option<String>,
    /// Who started the execution (`ACS::ExecuteUser`): the calls act as this user when `ram_role` is None.
    pub executed_by: String,
    pub region_id: String,
}

/// What the runtime needs to create a child execution.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildStart {
    pub child_execution_id: String,
    pub parent_execution_id: String,
    pub parent_task_execution_id: String,
    /// `TemplateName`, or the product action name (`ACS::ECS::RunCommand`).
    pub template_name: Option<String>,
    pub template_version: Option<String>,
    /// Inline `TemplateContent` (JSON text), when given instead of a name.
    pub template_content: Option<String>,
    pub parameters: Map<String, Value>,
    pub region_id: String,
    /// The parent's starter and role: a child acts as its parent, whatever its own template's RamRole says.
    pub executed_by: String,
    pub ram_role: Option<String>,
    /// The parent's `SafetyCheck`.
    pub safety_check: crate::state::SafetyCheck,
    /// A loop iteration of the parent (or of an ancestor) starts the child.
    pub in_loop: bool,
    /// The child's nesting depth (its parent's plus one).
    pub depth: u32,
    /// The parent's secrets: the child's parameters may carry them, so the child masks them too.
    pub secrets: Vec<String>,
    /// A trigger's firing: the child runs the parent's own template after its trigger task.
    pub firing: Option<Firing>,
}
