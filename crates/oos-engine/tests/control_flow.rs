//! Table-driven control-flow tests of the engine core in virtual time: each case of the table
//! (`support/control_flow_cases.rs`) is a template, parameters, a mode and NotifyExecution/Cancel
//! events, checked against the final execution status, the task statuses in order, the execution
//! outputs and the virtual time that passed. The runtime runs the same table through a store
//! (`oos-runtime/tests/control_flow_store.rs`).

mod support;
#[path = "support/control_flow_cases.rs"]
mod cases;

use cases::Case;
use serde_json::Value;
use support::{Harness, T0, bench};

fn check(case: Case) {
    let mut harness = Harness::new(bench);
    let id = harness.start(case.template, case.parameters, case.mode);
    for event in case.events {
        harness.send(&id, event);
    }
    let execution = harness.execution(&id);
    assert_eq!(execution.status, case.status, "{}: status ({})", case.name, execution.status_message);
    assert_eq!(harness.task_statuses(&id), case.tasks, "{}: tasks", case.name);
    let outputs = Value::Object(execution.outputs.clone().unwrap_or_default());
    assert_eq!(outputs, case.outputs, "{}: outputs", case.name);
    if let Some(seconds) = case.elapsed_s {
        assert_eq!((harness.now - T0) / 1000, seconds, "{}: virtual time", case.name);
    }
}

#[test]
fn sequential_tasks_pass_outputs_along() {
    cases::sequential_tasks_pass_outputs_along().into_iter().for_each(check);
}

#[test]
fn jumps_when_and_failure_handling() {
    cases::jumps_when_and_failure_handling().into_iter().for_each(check);
}

#[test]
fn timers_and_polling_run_in_virtual_time() {
    cases::timers_and_polling_run_in_virtual_time().into_iter().for_each(check);
}

#[test]
fn approvals_pauses_and_cancel() {
    cases::approvals_pauses_and_cancel().into_iter().for_each(check);
}

#[test]
fn modes_failure_pause_and_debug() {
    cases::modes_failure_pause_and_debug().into_iter().for_each(check);
}
