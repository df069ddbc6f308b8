//! `Loop`: items fanned out as iteration task executions under rate control (Concurrency number or
//! percentage, Batch mode with per-batch concurrency and pauses, MaxErrors number or percentage,
//! legacy flat keys), the task's `When` per iteration (with `ACS::TaskLoopItem`), and `Loop.Outputs`
//! aggregation in item order.

use serde_json::{Map, Value};

use crate::context::EvalContext;
use crate::state::{BatchPause, LoopPlan, LoopProgress, Waiting};
use crate::status::{Mode, TaskStatus};
use crate::step::{Outcome, Progress, Step};

/// Concurrency when neither RateControl nor the legacy key sets one (OOS documents 1).
const DEFAULT_CONCURRENCY: usize = 1;
/// Per-batch concurrency when `ConcurrencyInBatches` does not say.
const DEFAULT_CONCURRENCY_IN_BATCH: usize = 20;

impl Step<'_> {
    /// Starts loop task execution `pos`: evaluates Items and RateControl, then dispatches iterations.
    pub(crate) fn start_loop(&mut self, pos: usize) -> Progress {
        let plan = match self.loop_plan(pos) {
            Ok(plan) => plan,
            Err(message) => return self.complete(pos, Some(message)),
        };
        let total = plan.items.len();
        let run = self.exec.task_mut(pos, self.now);
        run.state.loop_plan = Some(plan);
        run.state.progress = Some(LoopProgress { children: vec![None; total], ..LoopProgress::default() });
        self.fill(pos)
    }

    fn loop_plan(&self, pos: usize) -> Result<LoopPlan, String> {
        let task = &self.exec.template.tasks[self.exec.tasks[pos].task];
        let spec = task.loop_.as_ref().ok_or("not a loop task")?;
        let ctx = EvalContext::new(self.exec, self.now);
        let eval = |value: &Value, what: &str| {
            oos_expr::evaluate(value, &ctx).map_err(|e| format!("Loop.{what}: {e}"))
        };
        let items = match eval(&spec.items, "Items")? {
            Some(Value::Array(items)) => items,
            Some(Value::String(text)) => match serde_json::from_str(&text) {
                Ok(Value::Array(items)) => items,
                _ => return Err(format!("Loop.Items must be a list, got {text:?}")),
            },
            None | Some(Value::Null) => Vec::new(),
            Some(other) => return Err(format!("Loop.Items must be a list, got {other}")),
        };
        if items.len() > self.config.max_loop_items {
            return Err(format!(
                "InvalidParameter.LoopItems: {} items exceed the limit of {}",
                items.len(),
                self.config.max_loop_items
            ));
        }
        let rate = match &spec.rate_control {
            Some(value) => match eval(value, "RateControl")? {
                Some(Value::String(text)) => serde_json::from_str(&text).map_err(|_| "Loop.RateControl must be an object")?,
                Some(other) => other,
                None => Value::Null,
            },
            None => Value::Null,
        };
        let legacy = |value: &Option<Value>, what| value.as_ref().map(|v| eval(v, what)).transpose().map(Option::flatten);
        let concurrency = rate.get("Concurrency").cloned().or(legacy(&spec.legacy_concurrency, "Concurrency")?);
        let max_errors = rate.get("MaxErrors").cloned().or(legacy(&spec.legacy_max_errors, "MaxErrors")?);
        let total = items.len();
        let max_errors = match max_errors {
            Some(value) => count_of(&value, total, false).ok_or(format!("Loop MaxErrors {value} is not a number or percentage"))?,
            None => 0,
        };
        let debug = self.exec.mode == Mode::Debug;
        let mode = rate.get("Mode").and_then(Value::as_str).unwrap_or("Concurrency");
        let (batches, pause) = if mode.eq_ignore_ascii_case("Batch") {
            let (batches, pause) = batches(&rate, total, debug)?;
            (batches, self.exec.flow.loop_mode.unwrap_or(pause))
        } else {
            let concurrency = match concurrency {
                Some(value) => count_of(&value, total, true).ok_or(format!("Loop Concurrency {value} is not a number or percentage"))?,
                None => DEFAULT_CONCURRENCY,
            };
            (vec![(total, if debug { 1 } else { concurrency.max(1) })], BatchPause::Automatic)
        };
        Ok(LoopPlan { items, batches, max_errors, pause })
    }

    /// Dispatches iterations up to the batch's concurrency; moves to the next batch (or pauses)
    /// when one is done; completes the loop task when all items ran or MaxErrors was exceeded.
    pub(crate) fn fill(&mut self, pos: usize) -> Progress {
        loop {
            if self.exec.status.is_final() {
                return Progress::Pending;
            }
            let run = &self.exec.tasks[pos];
            let (Some(plan), Some(p)) = (&run.state.loop_plan, &run.state.progress) else { return Progress::Pending };
            let total = plan.items.len();
            let exceeded = p.failed > plan.max_errors;
            let (end, concurrency) = plan.batches.get(p.batch).copied().unwrap_or((total, 1));
            if !exceeded && p.next < end && p.running < concurrency {
                if self.tasks_quota_reached() {
                    return Progress::Pending;
                }
                let run = &self.exec.tasks[pos];
                let (Some(plan), Some(p)) = (&run.state.loop_plan, &run.state.progress) else { return Progress::Pending };
                let index = p.next;
                let item = plan.items[index].clone();
                let batch = i64::try_from(p.batch + 1).unwrap_or(i64::MAX);
                self.progress_mut(pos).next += 1;
                self.progress_mut(pos).running += 1;
                self.dispatch_iteration(pos, index, item, batch);
                continue;
            }
            if p.running > 0 || (!exceeded && p.next < end) {
                return Progress::Pending;
            }
            if exceeded || p.next >= total {
                return self.finish_loop(pos);
            }
            let pause = match plan.pause {
                BatchPause::Automatic => false,
                BatchPause::FirstBatchPause => p.batch == 0,
                BatchPause::EveryBatchPause => true,
            };
            if pause && self.exec.flow.waiting.is_none() {
                let id = self.exec.tasks[pos].id.clone();
                self.exec.log(Some(&id), self.now, format!("batch {} done; waiting for Resume", p.batch + 1));
                self.wait(Waiting::BatchPause { task_execution_id: id });
                return Progress::Pending;
            }
            self.exec.flow.waiting = None;
            self.progress_mut(pos).batch += 1;
        }
    }

    /// Continues a loop paused between batches.
    pub(crate) fn resume_batches(&mut self, pos: usize) -> Progress {
        self.exec.flow.waiting = None;
        self.exec.status = crate::status::ExecutionStatus::Running;
        self.exec.touch(self.now);
        self.progress_mut(pos).batch += 1;
        self.fill(pos)
    }

    fn progress_mut(&mut self, pos: usize) -> &mut LoopProgress {
        self.exec.tasks[pos].state.progress.get_or_insert_with(LoopProgress::default)
    }

    fn dispatch_iteration(&mut self, parent_pos: usize, index: usize, item: Value, batch: i64) {
        let parent_id = self.exec.tasks[parent_pos].id.clone();
        let task = self.exec.tasks[parent_pos].task;
        let pos = self.new_run(task, Some(parent_id.clone()), Some((index, item, batch)));
        self.progress_mut(parent_pos).children[index] = Some(pos);
        match self.iteration_when(pos) {
            Ok(true) => {}
            Ok(false) => {
                let run = self.exec.task_mut(pos, self.now);
                run.status = TaskStatus::Skipped;
                run.status_message = "When evaluated to false".into();
                run.end_ms = Some(self.now);
                self.iteration_done(&parent_id, true);
                return;
            }
            Err(error) => {
                self.finish_action(pos, Outcome::Failure(format!("When: {error}")));
                return;
            }
        }
        if let Some(outcome) = self.start_action(pos) {
            // Finished at once (e.g. a property error): counted; the running `fill` goes on.
            self.finish_action(pos, outcome);
        }
    }

    /// The task's `When` for iteration `pos`, which sees its `ACS::TaskLoopItem`; true without one.
    fn iteration_when(&self, pos: usize) -> Result<bool, String> {
        let run = &self.exec.tasks[pos];
        let Some(when) = &self.exec.template.tasks[run.task].when else { return Ok(true) };
        let ctx = EvalContext { execution: self.exec, now_ms: self.now, loop_item: run.loop_item.as_ref(), task_execution_id: Some(&run.id) };
        oos_expr::evaluate_condition(when, &ctx).map_err(|error| error.to_string())
    }

    /// Counts a finished iteration of loop task execution `parent_id`; the caller refills.
    pub(crate) fn iteration_done(&mut self, parent_id: &str, success: bool) -> Progress {
        let Some(parent_pos) = self.exec.position(parent_id) else { return Progress::Pending };
        let p = self.progress_mut(parent_pos);
        p.running -= 1;
        if success {
            p.succeeded += 1;
        } else {
            p.failed += 1;
        }
        Progress::Iteration(parent_pos)
    }

    fn finish_loop(&mut self, pos: usize) -> Progress {
        let run = &self.exec.tasks[pos];
        let (Some(plan), Some(p)) = (&run.state.loop_plan, &run.state.progress) else { return Progress::Pending };
        if p.failed > plan.max_errors {
            let message = format!(
                "{} of {} loop iterations failed (MaxErrors {})",
                p.failed,
                plan.items.len(),
                plan.max_errors
            );
            return self.complete(pos, Some(message));
        }
        let skipped = |child: &Option<usize>| child.is_some_and(|child| self.exec.tasks[child].status == TaskStatus::Skipped);
        if !p.children.is_empty() && p.children.iter().all(skipped) {
            return self.skip(pos, "When evaluated to false");
        }
        match self.aggregate(pos) {
            Ok(outputs) => {
                self.exec.task_mut(pos, self.now).outputs = Some(outputs);
                self.complete(pos, None)
            }
            Err(message) => self.complete(pos, Some(message)),
        }
    }

    /// `Loop.Outputs`: each AggregateField collected from the iterations in item order.
    fn aggregate(&self, pos: usize) -> Result<Map<String, Value>, String> {
        let run = &self.exec.tasks[pos];
        let task = &self.exec.template.tasks[run.task];
        let Some(spec) = &task.loop_ else { return Ok(Map::new()) };
        let children = run.state.progress.as_ref().map(|p| p.children.as_slice()).unwrap_or_default();
        let mut outputs = Map::new();
        for (name, output) in &spec.outputs {
            let values: Vec<Value> = children
                .iter()
                .flatten()
                .filter_map(|&child| self.exec.tasks[child].outputs.as_ref()?.get(&output.aggregate_field).cloned())
                .collect();
            let value = oos_expr::aggregate(&output.aggregate_type, values)
                .map_err(|e| format!("Loop.Outputs.{name}: {e}"))?;
            outputs.insert(name.clone(), value);
        }
        Ok(outputs)
    }
}

/// A count written as a number (`10`, `"10"`) or a percentage of `total` (`"10%"`). Percentages of
/// concurrency round up (at least 1), of error budgets round down.
fn count_of(value: &Value, total: usize, round_up: bool) -> Option<usize> {
    let text = match value {
        Value::Number(n) => return n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Value::String(text) => text.trim(),
        _ => return None,
    };
    match text.strip_suffix('%') {
        Some(percent) => {
            let percent: f64 = percent.trim().parse().ok()?;
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let share = total as f64 * percent / 100.0;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(if round_up { (share.ceil() as usize).max(1) } else { share.floor() as usize })
        }
        None => text.parse().ok(),
    }
}

/// Batch mode: `Batch` sizes (numbers or percentages; the last size repeats until the items are
/// used up), `ConcurrencyInBatches` per batch (the last repeats; default 20), `BatchPauseOption`.
fn batches(rate: &Value, total: usize, debug: bool) -> Result<(Vec<(usize, usize)>, BatchPause), String> {
    let sizes: Vec<usize> = match rate.get("Batch") {
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .map(|v| count_of(v, total, true).filter(|&n| n > 0).ok_or(format!("Loop Batch size {v} is invalid")))
            .collect::<Result<_, _>>()?,
        Some(single @ (Value::Number(_) | Value::String(_))) => {
            vec![count_of(single, total, true).filter(|&n| n > 0).ok_or(format!("Loop Batch {single} is invalid"))?]
        }
        _ => return Err("Loop RateControl Mode Batch needs a Batch list".into()),
    };
    let concurrencies: Vec<usize> = match rate.get("ConcurrencyInBatches") {
        Some(Value::Array(list)) => list.iter().map(|v| count_of(v, total, true).unwrap_or(1).max(1)).collect(),
        _ => Vec::new(),
    };
    let mut result = Vec::new();
    let mut end = 0;
    while end < total {
        let i = result.len();
        let size = sizes.get(i).or(sizes.last()).copied().unwrap_or(total);
        let concurrency = concurrencies.get(i).or(concurrencies.last()).copied().unwrap_or(DEFAULT_CONCURRENCY_IN_BATCH);
        end = (end + size).min(total);
        result.push((end, if debug { 1 } else { concurrency }));
    }
    if result.is_empty() {
        result.push((0, 1));
    }
    let pause = rate.get("BatchPauseOption").and_then(Value::as_str).and_then(BatchPause::parse).unwrap_or(BatchPause::Automatic);
    Ok((result, pause))
}
