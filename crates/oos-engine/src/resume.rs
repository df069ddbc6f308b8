//! Re-driving an execution loaded from storage: the events and effects that were in flight when the
//! previous process stopped, derived from the committed state alone (the task rows are the outbox);
//! and when an execution next needs a worker at all ([`wake`]).

use oos_template::ActionKind;

use crate::dispatch::{call_for, call_kind, child_start};
use crate::event::{CallKind, Effect, Event};
use crate::state::Execution;
use crate::status::{ExecutionStatus, TaskStatus};

/// What a running task execution is waiting for.
enum Outstanding {
    /// A timer (Sleep, WaitFor back-off) due at this time.
    Timer(i64),
    /// Its child execution (which tells it through the inbox), or an event for its armed trigger.
    Child,
    /// A call of its current attempt.
    Call(CallKind),
    /// Something the worker is in the middle of.
    Other,
}

/// The running leaf task executions (loop parents aside) and what each waits for.
fn outstanding(exec: &Execution) -> impl Iterator<Item = (usize, Outstanding)> + '_ {
    exec.tasks.iter().enumerate().filter(|(_, run)| run.status == TaskStatus::Running && run.state.loop_plan.is_none()).map(|(pos, run)| {
        let action = exec.template.tasks[run.task].action.kind;
        let waits = if let Some(at_ms) = run.state.wake_at {
            Outstanding::Timer(at_ms)
        } else if run.child_execution_id.is_some() || run.state.trigger.is_some() {
            Outstanding::Child
        } else if let ActionKind::Atomic(atomic) = action
            && let Some(kind) = call_kind(atomic)
            && run.state.attempt > 0
        {
            Outstanding::Call(kind)
        } else {
            Outstanding::Other
        };
        (pos, waits)
    })
}

/// When an unfinished execution next needs a worker without an external event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// It has work now (a start, a call in flight, a step in progress).
    Now,
    /// Its only work is timers; the first is due then.
    At(i64),
    /// Only an event moves it on: a decision, a child finishing, a cancel (or it is finished).
    Event,
}

/// When `exec` next needs a worker (what the store's `runnable` and `wake_ms` columns say).
pub fn wake(exec: &Execution) -> Wake {
    let armed = matches!(exec.flow.waiting, Some(crate::state::Waiting::Trigger { .. }));
    if exec.status.is_final() || (exec.status == ExecutionStatus::Waiting && !armed) {
        return Wake::Event;
    }
    if matches!(exec.status, ExecutionStatus::Started | ExecutionStatus::Queued) {
        return Wake::Now;
    }
    let mut wake = None;
    for (_, waits) in outstanding(exec) {
        wake = match (wake, waits) {
            (_, Outstanding::Call(_) | Outstanding::Other) => return Wake::Now,
            (Some(Wake::At(first)), Outstanding::Timer(at_ms)) => Some(Wake::At(first.min(at_ms))),
            (_, Outstanding::Timer(at_ms)) => Some(Wake::At(at_ms)),
            (None, Outstanding::Child) => Some(Wake::Event),
            (kept, Outstanding::Child) => kept,
        };
    }
    wake.unwrap_or(Wake::Now)
}

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
    let effects = outstanding(exec)
        .filter_map(|(pos, waits)| {
            let run = &exec.tasks[pos];
            match waits {
                Outstanding::Timer(at_ms) => Some(Effect::Timer {
                    execution_id: exec.id.clone(),
                    task_execution_id: run.id.clone(),
                    attempt: run.state.attempt,
                    at_ms,
                }),
                Outstanding::Child if run.state.trigger.is_some() => None,
                Outstanding::Child => child_start(exec, pos).ok().map(Effect::StartChild),
                Outstanding::Call(kind) => Some(Effect::Call(call_for(exec, pos, kind))),
                Outstanding::Other => None,
            }
        })
        .collect();
    (Vec::new(), effects)
}
