//! The step function and the task flow: tasks in list order, jumps (OnSuccess/OnError, Choice),
//! When → Skipped, Debug and FailurePause gates, and the end of an execution.

use oos_template::Jump;
use serde_json::{Map, Value};

use crate::context::EvalContext;
use crate::event::{Effect, Event};
use crate::state::{EngineConfig, Execution, TaskRun, TaskState, Waiting};
use crate::status::{ExecutionStatus, Mode, TaskStatus};
use crate::{approvals, ids, outputs};

/// How an action ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// The raw result (API response, child outputs, …).
    Success(Value),
    Failure(String),
}

/// What starting or finishing something did to the flow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Progress {
    /// Something is running or waiting; nothing more to do in this step.
    Pending,
    /// The top-level task finished; the flow goes on at this task index (None: the end).
    Next(Option<usize>),
    /// An iteration of this loop task execution finished; the loop may dispatch more.
    Iteration(usize),
}

/// Applies one event to an execution at time `now_ms` (unix ms) and returns the effects to run.
/// The execution is updated in place; what changed is recorded in [`Execution::changes`].
/// Deterministic: no I/O, no clock, no randomness.
pub fn step(execution: &mut Execution, event: Event, now_ms: i64, config: &EngineConfig) -> Vec<Effect> {
    let mut step = Step { exec: execution, now: now_ms, config, effects: Vec::new() };
    if step.exec.status.is_final() {
        return Vec::new();
    }
    match event {
        Event::Start => step.start(),
        Event::ActionDone { task_execution_id, attempt, outcome } => {
            step.action_done(&task_execution_id, attempt, outcome)
        }
        Event::TimerFired { task_execution_id, attempt } => step.timer_fired(&task_execution_id, attempt),
        Event::ChildFinished { task_execution_id, status, outputs, message, secrets, child_execution_id } => {
            step.inherit_secrets(secrets);
            step.child_finished(&task_execution_id, child_execution_id.as_deref(), status, outputs, message)
        }
        Event::ChildNotStarted { task_execution_id, code, message } => {
            step.child_finished(&task_execution_id, None, ExecutionStatus::Failed, Map::new(), format!("{code}: {message}"))
        }
        Event::Cancel => step.cancel(),
        Event::Quarantine { crashes } => step.abort(
            ExecutionStatus::Failed,
            format!("Execution.Quarantined: the process stopped {crashes} times while this execution was being run; it is failed instead of being run again"),
        ),
        Event::Notify(notify) => step.notify(notify),
        Event::Poke => step.poke(),
        Event::Trigger(signal) => step.trigger_signal(signal),
    }
    step.effects
}

pub(crate) struct Step<'a> {
    pub exec: &'a mut Execution,
    pub now: i64,
    pub config: &'a EngineConfig,
    pub effects: Vec<Effect>,
}

impl Step<'_> {
    fn start(&mut self) {
        if self.exec.status != ExecutionStatus::Started && self.exec.status != ExecutionStatus::Queued {
            return;
        }
        self.exec.status = ExecutionStatus::Running;
        self.exec.start_ms = Some(self.now);
        self.exec.touch(self.now);
        if let Some(firing) = self.exec.flow.firing.clone() {
            return self.run_firing(firing.result);
        }
        let first = (!self.exec.template.tasks.is_empty()).then_some(0);
        self.continue_at(first);
    }

    /// The run of a trigger's firing: the trigger task is done with the firing's result (its
    /// Outputs select from it), and the flow goes on after it.
    fn run_firing(&mut self, result: Value) {
        let pos = self.new_run(0, None, None);
        let id = self.exec.tasks[pos].id.clone();
        self.exec.flow.current = Some(id.clone());
        self.exec.log(Some(&id), self.now, format!("task {} fired", self.exec.tasks[pos].name));
        let progress = self.finish_action(pos, Outcome::Success(result));
        self.after(progress);
    }

    /// Runs the flow from task `target` on, through tasks that finish within this step.
    pub(crate) fn continue_at(&mut self, mut target: Option<usize>) {
        loop {
            if self.exec.status.is_final() {
                return;
            }
            if self.exec.mode == Mode::Debug {
                self.wait(Waiting::Debug { next: target });
                return;
            }
            let Some(index) = target else {
                self.finish_flow();
                return;
            };
            match self.start_top_level(index) {
                Progress::Next(next) => target = next,
                other => return self.after(other),
            }
        }
    }

    pub(crate) fn after(&mut self, progress: Progress) {
        match progress {
            Progress::Next(target) => self.continue_at(target),
            Progress::Iteration(parent) => {
                let progress = self.fill(parent);
                self.after(progress);
            }
            Progress::Pending => {}
        }
    }

    /// Creates a task execution (a top-level run when `parent` is None).
    pub(crate) fn new_run(&mut self, task: usize, parent: Option<String>, item: Option<(usize, Value, i64)>) -> usize {
        let seq = self.exec.flow.next_seq;
        self.exec.flow.next_seq += 1;
        self.exec.touch(self.now);
        let template_task = &self.exec.template.tasks[task];
        let (loop_index, loop_item, batch_number) = match item {
            Some((index, value, batch)) => (Some(index), Some(value), Some(batch)),
            None => (None, None, None),
        };
        let run = TaskRun {
            id: ids::task_execution_id(&self.exec.id, seq),
            seq,
            task,
            name: template_task.name.clone(),
            action: template_task.action.canonical.clone(),
            status: TaskStatus::Running,
            status_message: String::new(),
            properties: None,
            outputs: None,
            loop_item,
            batch_number,
            parent,
            child_execution_id: None,
            created_ms: self.now,
            updated_ms: self.now,
            start_ms: Some(self.now),
            end_ms: None,
            state: TaskState { loop_index, ..TaskState::default() },
        };
        self.exec.push_task(run)
    }

    /// Starts template task `index` as the current top-level task.
    pub(crate) fn start_top_level(&mut self, index: usize) -> Progress {
        if self.tasks_quota_reached() {
            return Progress::Pending;
        }
        let pos = self.new_run(index, None, None);
        let id = self.exec.tasks[pos].id.clone();
        self.exec.flow.current = Some(id.clone());
        if self.exec.status == ExecutionStatus::Waiting {
            self.exec.status = ExecutionStatus::Running;
            self.exec.flow.waiting = None;
        }
        self.exec.log(Some(&id), self.now, format!("task {} started", self.exec.tasks[pos].name));
        let task = &self.exec.template.tasks[index];
        if let Some(when) = &task.when {
            let ctx = EvalContext::new(self.exec, self.now);
            match oos_expr::evaluate_condition(when, &ctx) {
                Ok(true) => {}
                Ok(false) => return self.skip(pos, "When evaluated to false"),
                // A loop task's When may select by `ACS::TaskLoopItem`: each iteration evaluates it.
                Err(_) if task.loop_.is_some() => {}
                Err(error) => return self.finish_action(pos, Outcome::Failure(format!("When: {error}"))),
            }
        }
        if task.loop_.is_some() {
            return self.start_loop(pos);
        }
        match self.start_action(pos) {
            Some(outcome) => self.finish_action(pos, outcome),
            None => Progress::Pending,
        }
    }

    /// Ends run `pos` as `Skipped` with `why`; the flow goes on with the next task in template order.
    pub(crate) fn skip(&mut self, pos: usize, why: &str) -> Progress {
        let run = self.exec.task_mut(pos, self.now);
        run.status = TaskStatus::Skipped;
        run.status_message = why.into();
        run.end_ms = Some(self.now);
        let next = run.task + 1;
        self.exec.flow.current = None;
        Progress::Next((next < self.exec.template.tasks.len()).then_some(next))
    }

    /// Finishes an action of a task execution: computes its outputs on success, then completes it.
    pub(crate) fn finish_action(&mut self, pos: usize, outcome: Outcome) -> Progress {
        let outcome = match outcome {
            Outcome::Success(result) => match outputs::task_outputs(self.exec, pos, &result, self.now) {
                Ok(mut values) => {
                    let run = self.exec.task_mut(pos, self.now);
                    if let Some(names) = approvals::approved_by(run) {
                        values.entry("ApprovedBy").or_insert(names);
                    }
                    run.outputs = Some(values);
                    if run.parent.is_none() {
                        run.state.result = Some(result);
                    }
                    None
                }
                Err(message) => Some(message),
            },
            Outcome::Failure(message) => Some(message),
        };
        self.complete(pos, outcome)
    }

    /// Ends the execution Failed when it already has [`EngineConfig::max_tasks`] task executions;
    /// returns whether it did.
    pub(crate) fn tasks_quota_reached(&mut self) -> bool {
        if self.exec.tasks.len() < self.config.max_tasks {
            return false;
        }
        let message = format!("QuotaExceeded.TasksPerExecution: the execution reached its limit of {} task executions", self.config.max_tasks);
        self.abort(ExecutionStatus::Failed, message);
        true
    }

    /// Counts a failure that exceeded an evaluation budget; ends the execution Failed once there are
    /// more than [`EngineConfig::max_budget_failures`]. Returns whether it did.
    fn budget_exhausted(&mut self, failure: &str) -> bool {
        if !oos_expr::limits::mentions_exceeded(failure) {
            return false;
        }
        self.exec.flow.budget_failures += 1;
        if self.exec.flow.budget_failures <= self.config.max_budget_failures {
            return false;
        }
        let message = format!(
            "QuotaExceeded.EvaluationBudget: {} expression evaluations exceeded their budgets; the last: {failure}",
            self.exec.flow.budget_failures
        );
        self.abort(ExecutionStatus::Failed, message);
        true
    }

    /// Sets the final status of a task execution (`failure` None = Success) and moves the flow on.
    pub(crate) fn complete(&mut self, pos: usize, failure: Option<String>) -> Progress {
        if failure.as_deref().is_some_and(|failure| self.budget_exhausted(failure)) {
            return Progress::Pending;
        }
        let now = self.now;
        let run = self.exec.task_mut(pos, now);
        run.status = if failure.is_some() { TaskStatus::Failed } else { TaskStatus::Success };
        run.status_message = failure.clone().unwrap_or_default();
        run.end_ms = Some(now);
        run.state.wake_at = None;
        let id = run.id.clone();
        let name = run.name.clone();
        if let Some(parent) = run.parent.clone() {
            return self.iteration_done(&parent, failure.is_none());
        }
        let message = match &failure {
            Some(m) => format!("task {name} failed: {m}"),
            None => format!("task {name} succeeded"),
        };
        self.exec.log(Some(&id), now, message);
        self.exec.flow.current = None;
        match failure {
            None => Progress::Next(self.target_after(pos, true)),
            Some(message) if self.exec.mode == Mode::FailurePause => {
                self.exec.status_message = format!("task {name} failed: {message}");
                self.wait(Waiting::FailurePause { task_execution_id: id });
                Progress::Pending
            }
            Some(message) => self.follow_failure(pos, &message),
        }
    }

    /// Applies OnError after a failed task: `ACS::NEXT` forgives the failure, any other target
    /// (a cleanup task or `ACS::END`) makes the execution end `Failed`.
    pub(crate) fn follow_failure(&mut self, pos: usize, message: &str) -> Progress {
        let task = &self.exec.template.tasks[self.exec.tasks[pos].task];
        if task.on_error_or_default() != Jump::Next {
            self.exec.flow.failed = true;
            self.exec.status_message = format!("task {} failed: {message}", task.name);
        }
        Progress::Next(self.target_after(pos, false))
    }

    /// The task index the flow continues at after task execution `pos`.
    pub(crate) fn target_after(&mut self, pos: usize, success: bool) -> Option<usize> {
        let run = &self.exec.tasks[pos];
        let task = &self.exec.template.tasks[run.task];
        let jump = match (&run.state.next_task, success) {
            (Some(chosen), true) => Jump::parse(chosen),
            (_, true) => task.on_success_or_default(),
            (_, false) => task.on_error_or_default(),
        };
        match jump {
            Jump::Next => (run.task + 1 < self.exec.template.tasks.len()).then_some(run.task + 1),
            Jump::End => None,
            Jump::Task(name) => {
                let found = self.exec.template.task_index(&name);
                if found.is_none() {
                    self.exec.flow.failed = true;
                    self.exec.status_message = format!("InvalidTemplate.TaskNotFound: jump target {name} does not exist");
                }
                found
            }
        }
    }

    /// Adds secrets learned from a child (its outputs may carry them) to those this execution masks.
    fn inherit_secrets(&mut self, secrets: Vec<String>) {
        let known = &mut self.exec.flow.inherited_secrets;
        for secret in secrets {
            if !known.contains(&secret) {
                known.push(secret);
                self.exec.changes.execution = true;
            }
        }
    }

    pub(crate) fn wait(&mut self, why: Waiting) {
        self.exec.status = ExecutionStatus::Waiting;
        self.exec.flow.waiting = Some(why);
        self.exec.touch(self.now);
    }

    /// The flow reached its end: Success (with template outputs) unless a task failure stands.
    pub(crate) fn finish_flow(&mut self) {
        if self.exec.flow.failed {
            let message = self.exec.status_message.clone();
            return self.finish(ExecutionStatus::Failed, message);
        }
        match outputs::template_outputs(self.exec, self.now) {
            Ok(values) => {
                self.exec.outputs = Some(values);
                self.finish(ExecutionStatus::Success, String::new());
            }
            Err(message) => self.finish(ExecutionStatus::Failed, message),
        }
    }

    /// Ends the execution with a final status and tells the parent, if any.
    pub(crate) fn finish(&mut self, status: ExecutionStatus, message: String) {
        self.exec.status = status;
        self.exec.status_message = message.clone();
        self.exec.flow.waiting = None;
        self.exec.end_ms = Some(self.now);
        self.exec.touch(self.now);
        self.exec.log(None, self.now, format!("execution {status}"));
        if let (Some(parent), Some(task)) = (&self.exec.parent_execution_id, &self.exec.parent_task_execution_id) {
            self.effects.push(Effect::ToExecution {
                execution_id: parent.clone(),
                event: Event::ChildFinished {
                    task_execution_id: task.clone(),
                    status,
                    outputs: self.exec.outputs.clone().unwrap_or_default(),
                    message,
                    secrets: crate::secrets::secret_texts(self.exec),
                    child_execution_id: Some(self.exec.id.clone()),
                },
            });
        }
    }
}
