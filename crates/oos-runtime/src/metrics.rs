//! The worker's metrics, recorded through the `metrics` facade (nothing happens without a recorder,
//! as under `oos run`): executions started and finished, task durations, timer lag and lease
//! takeovers. What a turn did is noted while its changes are written and recorded only after its
//! commit, so a turn whose commit fails (and is applied again later) is counted once. Labels are
//! bounded: a template's name (no version, no id), a status, a category, an action of the catalog.

use oos_engine::{Changes, Execution, TriggerKind};

/// Executions started (their first step ran), by template and category (counter).
pub const EXECUTIONS_STARTED: &str = "oos_executions_started_total";
/// Executions finished, by template, final status and category (counter).
pub const EXECUTIONS_FINISHED: &str = "oos_executions_finished_total";
/// How long finished task executions (loop iterations included) took, by action and status (histogram).
pub const TASK_SECONDS: &str = "oos_task_duration_seconds";
/// How late the worker fired its executions' timers (Sleep, WaitFor and retry delays) (histogram).
pub const TIMER_LAG_SECONDS: &str = "oos_timer_lag_seconds";
/// Executions claimed whose lease had expired under another worker (counter): it died, was cut off
/// from the database, or stopped renewing; on SQLite, the process before a restart.
pub const LEASE_TAKEOVERS: &str = "oos_lease_takeovers_total";

/// Describes the worker's metrics to the installed recorder.
pub fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(EXECUTIONS_STARTED, "Executions started, by template and category");
    describe_counter!(EXECUTIONS_FINISHED, "Executions finished, by template, status and category");
    describe_histogram!(TASK_SECONDS, Unit::Seconds, "Duration of finished task executions (loop iterations included), by action and status");
    describe_histogram!(TIMER_LAG_SECONDS, Unit::Seconds, "How late the worker fired execution timers");
    describe_counter!(LEASE_TAKEOVERS, "Executions claimed whose lease had expired under another worker");
}

/// What one turn did, recorded after its commit.
#[derive(Debug, Default)]
pub(crate) struct Turn {
    samples: Vec<Sample>,
}

#[derive(Debug)]
enum Sample {
    Started { template: String, category: &'static str },
    Finished { template: String, status: &'static str, category: &'static str },
    Task { action: String, status: &'static str, seconds: f64 },
}

impl Turn {
    /// Notes what `changes` of `exec` show happened in the turn stepped at `now` (ms).
    pub(crate) fn note(&mut self, exec: &Execution, changes: &Changes, now: i64) {
        let category = || TriggerKind::of_template(&exec.template).map_or("Other", TriggerKind::category);
        if changes.execution && exec.start_ms == Some(now) {
            self.samples.push(Sample::Started { template: exec.template_name.clone(), category: category() });
        }
        if changes.execution && exec.status.is_final() && exec.end_ms == Some(now) {
            self.samples.push(Sample::Finished { template: exec.template_name.clone(), status: exec.status.as_str(), category: category() });
        }
        for run in changes.tasks.iter().filter_map(|&position| exec.tasks.get(position)) {
            if run.status.is_final() && run.end_ms == Some(now) {
                let seconds = (now - run.start_ms.unwrap_or(now)).max(0) as f64 / 1000.0;
                self.samples.push(Sample::Task { action: run.action.clone(), status: run.status.as_str(), seconds });
            }
        }
    }

    /// Records the noted samples (the turn committed).
    pub(crate) fn record(self) {
        for sample in self.samples {
            match sample {
                Sample::Started { template, category } => {
                    metrics::counter!(EXECUTIONS_STARTED, "template" => template, "category" => category).increment(1);
                }
                Sample::Finished { template, status, category } => {
                    metrics::counter!(EXECUTIONS_FINISHED, "template" => template, "status" => status, "category" => category).increment(1);
                }
                Sample::Task { action, status, seconds } => {
                    metrics::histogram!(TASK_SECONDS, "action" => action, "status" => status).record(seconds);
                }
            }
        }
    }
}

/// Records how late a timer due at `due_ms` fired at `now_ms`.
pub(crate) fn timer_fired(due_ms: i64, now_ms: i64) {
    metrics::histogram!(TIMER_LAG_SECONDS).record((now_ms - due_ms).max(0) as f64 / 1000.0);
}

/// Counts an execution claimed whose lease had expired under another worker.
pub(crate) fn taken_over() {
    metrics::counter!(LEASE_TAKEOVERS).increment(1);
}
