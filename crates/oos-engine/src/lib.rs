//! The OOS execution engine.
//!
//! The core is deterministic: [`step`] applies one [`Event`] to an [`Execution`] at an injected time
//! and returns [`Effect`]s; it does no I/O and reads no clock. One module per transition family:
//! [`step`](mod@step) (task flow, jumps, When, modes, the end), `dispatch` (starting actions),
//! `results` (call/timer/child results), `polling` (WaitFor/CheckFor), `loops` (Loop and rate
//! control), `human` (Cancel and NotifyExecution), `approvals` (who decides on a waiting approval,
//! and when it is decided), `outputs`, `triggers` (trigger executions and their firings).
//!
//! The runtime that drives the core against a store and actions lives in `oos-runtime`: it commits
//! each step's state before running the step's effects.

mod approvals;
mod context;
mod create;
mod dispatch;
mod event;
mod human;
pub mod ids;
mod loops;
mod outputs;
mod polling;
mod resume;
pub mod risk;
mod results;
pub mod secrets;
mod state;
mod status;
mod step;
mod triggers;

pub use approvals::{ApprovalRule, Refusal};
pub use create::{CreateError, NewExecution, create};
pub use event::{ActionError, Call, CallKind, ChildStart, Effect, Event, FireSource, Firing, Notifier, Notify, NotifyType, TriggerSignal};
pub use triggers::{LastFiring, TriggerKind, TriggerState};
pub use state::{Approval, BatchPause, SafetyCheck, Changes, EngineConfig, Execution, Flow, LogLine, LoopPlan, LoopProgress, TaskRun, TaskState, TraceLink, Waiting};
pub use status::{ExecutionStatus, Mode, TaskStatus};
pub use resume::{Wake, resume, wake};
pub use step::step;
