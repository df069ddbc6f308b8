//! Results coming back to a step: action calls, timers and child executions. Results that do not
//! match the current attempt of a running task execution (duplicates after a crash re-drive,
//! timers of an earlier attempt) are ignored.

use oos_template::ActionKind;
use oos_template::catalog::AtomicAction;
use serde_json::{Map, Value};

use crate::event::{ActionError, CallKind};
use crate::polling::{Poll, evaluate_poll, retry_delay_ms};
use crate::status::{ExecutionStatus, TaskStatus};
use crate::step::{Outcome, Step};

impl Step<'_> {
    /// The running task execution `id` whose current attempt is `attempt`.
    fn live(&self, id: &str, attempt: u32) -> Option<usize> {
        let pos = self.exec.position(id)?;
        let run = &self.exec.tasks[pos];
        (run.status == TaskStatus::Running && run.state.attempt == attempt).then_some(pos)
    }

    fn atomic(&self, pos: usize) -> Option<AtomicAction> {
        match self.exec.template.tasks[self.exec.tasks[pos].task].action.kind {
            ActionKind::Atomic(action) => Some(action),
            _ => None,
        }
    }

    pub(crate) fn action_done(&mut self, id: &str, attempt: u32, outcome: Result<Value, ActionError>) {
        let Some(pos) = self.live(id, attempt) else { return };
        let progress = match (self.atomic(pos), outcome) {
            (Some(AtomicAction::WaitFor | AtomicAction::CheckFor), outcome) => self.poll_result(pos, outcome),
            (Some(AtomicAction::Approve), Ok(_)) => match self.await_decision(pos) {
                Some(failure) => self.finish_action(pos, failure),
                None => return,
            },
            (_, Ok(result)) => self.finish_action(pos, Outcome::Success(result)),
            (_, Err(failure)) => self.finish_action(pos, Outcome::Failure(failure_text(&failure))),
        };
        self.after(progress);
    }

    /// WaitFor/CheckFor: match the selected value; WaitFor polls again after a back-off.
    fn poll_result(&mut self, pos: usize, outcome: Result<Value, ActionError>) -> crate::step::Progress {
        let properties = self.exec.tasks[pos].properties.clone().unwrap_or_default();
        let wait_for = self.atomic(pos) == Some(AtomicAction::WaitFor);
        let poll = match &outcome {
            Ok(response) => evaluate_poll(&properties, response),
            Err(failure) => Ok(Poll::NotYet(failure_text(failure))),
        };
        match poll {
            Ok(Poll::Matched) => self.finish_action(pos, Outcome::Success(outcome.unwrap_or_default())),
            Ok(Poll::Stop(message)) | Err(message) => self.finish_action(pos, Outcome::Failure(message)),
            Ok(Poll::NotYet(message)) => {
                let run = &self.exec.tasks[pos];
                let task = &self.exec.template.tasks[run.task];
                match retry_delay_ms(task, run.state.attempt).filter(|_| wait_for) {
                    Some(delay) => {
                        let id = run.id.clone();
                        self.exec.log(Some(&id), self.now, format!("attempt {}: {message}", run.state.attempt));
                        self.arm_timer(pos, delay);
                        crate::step::Progress::Pending
                    }
                    None => self.finish_action(pos, Outcome::Failure(message)),
                }
            }
        }
    }

    pub(crate) fn timer_fired(&mut self, id: &str, attempt: u32) {
        let Some(pos) = self.live(id, attempt) else { return };
        if self.exec.tasks[pos].state.wake_at.is_none() {
            return;
        }
        self.exec.task_mut(pos, self.now).state.wake_at = None;
        if self.exec.tasks[pos].state.trigger.is_some() {
            self.timer_tick(pos);
        } else if self.atomic(pos) == Some(AtomicAction::Sleep) {
            let progress = self.finish_action(pos, Outcome::Success(Value::Object(Map::new())));
            self.after(progress);
        } else {
            self.call(pos, CallKind::CloudApi);
        }
    }

    /// [`Event::Poke`]: each running WaitFor waiting out its back-off polls now.
    pub(crate) fn poke(&mut self) {
        let waiting: Vec<usize> = (0..self.exec.tasks.len())
            .filter(|&pos| {
                self.exec.tasks[pos].status == TaskStatus::Running
                    && self.exec.tasks[pos].state.wake_at.is_some()
                    && self.atomic(pos) == Some(AtomicAction::WaitFor)
            })
            .collect();
        for pos in waiting {
            self.exec.task_mut(pos, self.now).state.wake_at = None;
            self.call(pos, CallKind::CloudApi);
        }
    }

    pub(crate) fn child_finished(&mut self, id: &str, child: Option<&str>, status: ExecutionStatus, outputs: Map<String, Value>, message: String) {
        let Some(pos) = self.exec.position(id) else { return };
        if self.exec.tasks[pos].status != TaskStatus::Running {
            return;
        }
        if self.exec.tasks[pos].state.trigger.is_some() {
            return self.firing_finished(pos, child, status, outputs);
        }
        let outcome = match status {
            ExecutionStatus::Success => Outcome::Success(Value::Object(outputs)),
            other => Outcome::Failure(format!("child execution {other}: {message}")),
        };
        let progress = self.finish_action(pos, outcome);
        self.after(progress);
    }
}

fn failure_text(failure: &ActionError) -> String {
    format!("{}: {}", failure.code, failure.message)
}
