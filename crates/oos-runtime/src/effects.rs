//! The worker's effects after their commit: each call runs as a task of the worker's
//! [`TaskRegistry`](crate::TaskRegistry) and its outcome comes back to the worker as an event; a
//! timer goes on the worker's own list of due times.

use oos_actions::ActionRequest;
use oos_engine::{Effect, Event};
use tracing::Instrument;

use crate::timers::Due;
use crate::{Worker, audit};

/// Kind of the tasks that run an action (a cloud call, a webhook, an HTTP request).
pub const CALL_TASK: &str = "call";

impl Worker {
    /// Runs a committed effect in the background; its result comes back as an event.
    pub(crate) fn launch(&mut self, effect: Effect) {
        let tx = self.tx.clone();
        match effect {
            Effect::Call(call) => {
                self.guard.launched(&call.execution_id);
                let actions = self.actions.clone();
                let clock = self.clock.clone();
                let live = self.live.get(&call.execution_id);
                let context = live.map(audit::CallContext::of).unwrap_or_default();
                let action = live
                    .and_then(|exec| exec.task(&call.task_execution_id).and_then(|run| exec.template.tasks.get(run.task)).map(|task| task.action.canonical.clone()))
                    .unwrap_or_default();
                let span = crate::spans::call(live, &call, &action);
                let run = async move {
                    let request = ActionRequest {
                        kind: call.kind,
                        properties: call.properties,
                        client_token: call.client_token,
                        execution_id: call.execution_id.clone(),
                        task_name: call.task_name,
                        region_id: call.region_id,
                        ram_role: call.ram_role,
                        executed_by: call.executed_by,
                        action,
                        secrets: context.secrets.clone(),
                    };
                    let outcome = actions.run(&request).await;
                    tracing::Span::current().record("oos.outcome", outcome.as_ref().map_or_else(|error| error.code.as_str(), |_| "Success"));
                    let record = audit::call_record(&request, &call.task_execution_id, &outcome, &context, clock.now_ms());
                    let event = Event::ActionDone { task_execution_id: call.task_execution_id, attempt: call.attempt, outcome };
                    let _ = tx.send((call.execution_id, event, record));
                };
                self.tasks.spawn(CALL_TASK, run.instrument(span));
            }
            Effect::Timer { execution_id, task_execution_id, attempt, at_ms } => {
                self.timers.add(at_ms, Due::Fire { execution_id, task_execution_id, attempt });
            }
            Effect::StartChild(_) | Effect::ToExecution { .. } => {}
        }
    }
}
