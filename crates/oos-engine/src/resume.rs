//! Re-driving an execution loaded from storage: the events and effects that were in flight when the
//! previous process stopped, derived from the committed state alone (the task rows are the outbox).

use oos_template::ActionKind;

use crate::dispatch::{call_for, call_kind, child_start};
use crate::event::{Effect, Event};
use crate::state::Execution;
use crate::status::{ExecutionStatus, TaskStatus};

/// What to feed back into a freshly loaded execution: a `Start` it never got, calls of running
/// attempts (same attempt, same ClientToken), timers still pending, and child starts (the runtime
/// skips children that already exist).
pub fn resume(exec: &Execution) -> (Vec<Event>, Vec<Effect>) {
    if exec.status.is_final() {
        return (Vec::new(), Vec::new());
    }
    if matches!(exec.status, ExecutionStatus::Started | ExecutionStatus::Queued) {
        return (vec![Event::Start], Vec::new());
    }
    let mut effects = Vec::new();
    for (pos, run) in exec.tasks.iter().enumerate() {
        if run.status != TaskStatus::Running || run.state.loop_plan.is_some() {
            continue;
        }
        let action = exec.template.tasks[run.task].action.kind;
        if let Some(at_ms) = run.state.wake_at {
            effects.push(Effect::Timer {
                execution_id: exec.id.clone(),
                task_execution_id: run.id.clone(),
                attempt: run.state.attempt,
                at_ms,
            });
        } else if run.child_execution_id.is_some() {
            if let Ok(start) = child_start(exec, pos) {
                effects.push(Effect::StartChild(start));
            }
        } else if let ActionKind::Atomic(atomic) = action
            && let Some(kind) = call_kind(atomic)
            && run.state.attempt > 0
        {
            effects.push(Effect::Call(call_for(exec, pos, kind)));
        }
    }
    (Vec::new(), effects)
}
