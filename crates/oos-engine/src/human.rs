//! Events from people: CancelExecution and the NotifyExecution operations (Approve, Reject, RetryTask,
//! SkipTask, ExecuteTask, CancelTask, CompleteExecution, Resume).

use crate::event::{Effect, Event, Notify, NotifyType};
use crate::state::Waiting;
use crate::status::{ExecutionStatus, TaskStatus};
use crate::step::{Progress, Step};

impl Step<'_> {
    /// Cancels every unfinished task execution (and child execution) and ends as Cancelled.
    pub(crate) fn cancel(&mut self) {
        self.abort(ExecutionStatus::Cancelled, "cancelled".into());
    }

    /// Cancels every unfinished task execution (and child execution) and ends with `status`.
    pub(crate) fn abort(&mut self, status: ExecutionStatus, message: String) {
        let open: Vec<usize> = (0..self.exec.tasks.len()).filter(|&pos| !self.exec.tasks[pos].status.is_final()).collect();
        for pos in open {
            self.cancel_run(pos);
        }
        self.exec.flow.current = None;
        self.finish(status, message);
    }

    fn cancel_run(&mut self, pos: usize) {
        let now = self.now;
        let run = self.exec.task_mut(pos, now);
        run.status = TaskStatus::Cancelled;
        run.end_ms = Some(now);
        run.state.wake_at = None;
        if let Some(child) = run.child_execution_id.clone() {
            self.effects.push(Effect::ToExecution { execution_id: child, event: Event::Cancel });
        }
    }

    pub(crate) fn notify(&mut self, notify: Notify) {
        let waiting = self.exec.flow.waiting.clone();
        let waiting_task = match &waiting {
            Some(
                Waiting::Approval { task_execution_id }
                | Waiting::Pause { task_execution_id }
                | Waiting::BatchPause { task_execution_id }
                | Waiting::FailurePause { task_execution_id },
            ) => self.exec.position(task_execution_id),
            _ => None,
        };
        let progress = match (notify.notify_type, &waiting, waiting_task) {
            (NotifyType::Approve | NotifyType::Resume | NotifyType::Reject, Some(Waiting::Approval { .. }), Some(pos)) => {
                let approve = notify.notify_type != NotifyType::Reject;
                match self.decide(pos, notify, approve) {
                    Some(progress) => progress,
                    None => return,
                }
            }
            (NotifyType::Approve | NotifyType::Resume, Some(Waiting::Pause { .. }), Some(pos)) => {
                self.resume_running();
                self.finish_action(pos, crate::step::Outcome::Success(serde_json::json!({ "Note": notify.note })))
            }
            (NotifyType::Approve | NotifyType::Resume, Some(Waiting::BatchPause { .. }), Some(pos)) => self.resume_batches(pos),
            (NotifyType::RetryTask, Some(Waiting::FailurePause { .. }), Some(pos)) => {
                self.resume_running();
                self.start_top_level(self.exec.tasks[pos].task)
            }
            (NotifyType::SkipTask, Some(Waiting::FailurePause { .. }), Some(pos)) => {
                self.resume_running();
                let next = self.exec.tasks[pos].task + 1;
                Progress::Next((next < self.exec.template.tasks.len()).then_some(next))
            }
            (NotifyType::Resume, Some(Waiting::FailurePause { .. }), Some(pos)) => {
                self.resume_running();
                let message = self.exec.tasks[pos].status_message.clone();
                self.follow_failure(pos, &message)
            }
            (NotifyType::ExecuteTask, Some(Waiting::Debug { next }), _) => {
                let named = notify.task_name.as_deref().map(|name| self.exec.template.task_index(name));
                match named.unwrap_or(*next) {
                    Some(index) => {
                        self.resume_running();
                        self.start_top_level(index)
                    }
                    None if named.is_some() => return self.ignored(&notify, "no such task"),
                    None => {
                        self.finish_flow();
                        Progress::Pending
                    }
                }
            }
            (NotifyType::SkipTask, Some(Waiting::Debug { next: Some(index) }), _) => {
                let index = *index;
                self.resume_running();
                let pos = self.new_run(index, None, None);
                let id = self.exec.tasks[pos].id.clone();
                self.exec.log(Some(&id), self.now, format!("task {} skipped (Debug mode)", self.exec.tasks[pos].name));
                self.skip(pos, "Skipped in Debug mode")
            }
            (NotifyType::CancelTask, _, _) => {
                let Some(pos) = self.exec.flow.current.clone().and_then(|id| self.exec.position(&id)) else {
                    return self.ignored(&notify, "no task is running");
                };
                let open: Vec<usize> = (0..self.exec.tasks.len())
                    .filter(|&p| !self.exec.tasks[p].status.is_final() && (p == pos || self.exec.tasks[p].parent.as_deref() == Some(&self.exec.tasks[pos].id)))
                    .collect();
                for p in open {
                    self.cancel_run(p);
                }
                self.exec.flow.current = None;
                self.resume_running();
                Progress::Next(self.target_after(pos, false))
            }
            (NotifyType::CompleteExecution, _, _) => {
                let status = notify.execution_status.unwrap_or(ExecutionStatus::Success);
                if !status.is_final() {
                    return self.ignored(&notify, "ExecutionStatus must be Success, Failed or Cancelled");
                }
                let open: Vec<usize> = (0..self.exec.tasks.len()).filter(|&p| !self.exec.tasks[p].status.is_final()).collect();
                for p in open {
                    self.cancel_run(p);
                }
                self.finish(status, notify.note.unwrap_or_default());
                Progress::Pending
            }
            _ => return self.ignored(&notify, "the execution is not waiting for it"),
        };
        self.after(progress);
    }

    pub(crate) fn resume_running(&mut self) {
        self.exec.flow.waiting = None;
        self.exec.status = ExecutionStatus::Running;
        self.exec.touch(self.now);
    }

    fn ignored(&mut self, notify: &Notify, why: &str) {
        self.exec.log(None, self.now, format!("NotifyExecution {:?} ignored: {why}", notify.notify_type));
    }
}
