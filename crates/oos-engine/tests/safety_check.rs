//! SafetyCheck: a high-risk ExecuteAPI call (`Risk: High`, or a Delete* API without `Risk: Normal`)
//! waits for a decision before it leaves under ConfirmEveryHighRiskAction; Approve sends it, Reject
//! fails the task without it; Skip runs it straight through; a high-risk loop cannot wait per item.

mod support;

use oos_engine::{Event, ExecutionStatus, Mode, Notifier, Notify, NotifyType, SafetyCheck};
use serde_json::json;
use support::{Harness, bench, new_execution};

fn risky(properties: &str) -> String {
    format!("FormatVersion: OOS-2019-06-01\nTasks:\n- Name: call\n  Action: ACS::ExecuteAPI\n  Properties: {properties}\n")
}

/// Starts `template` with `check` and runs it until it waits or ends.
fn started(h: &mut Harness, template: &str, check: SafetyCheck) -> String {
    let id = "exec-risky".to_owned();
    let mut request = new_execution(&id, template, json!({}), Mode::Automatic);
    request.execute_user = Some("acs:ram::1:user/alice".into());
    h.start_with(request).expect("execution created");
    h.executions.get_mut(&id).unwrap().flow.safety_check = check;
    h.run();
    id
}

fn decision(notify_type: NotifyType, name: &str) -> Event {
    let by = Notifier { arn: format!("acs:ram::1:user/{name}"), user: Some(name.into()), may_decide_own: false };
    Event::Notify(Notify { by: Some(by), note: Some("checked".into()), ..Notify::of(notify_type) })
}

#[test]
fn a_high_risk_call_waits_and_leaves_only_when_approved() {
    let mut h = Harness::new(bench);
    let id = started(&mut h, &risky("{Service: Bench, API: Echo, Risk: High, Parameters: {Value: 1}}"), SafetyCheck::ConfirmEveryHighRiskAction);
    assert_eq!(h.execution(&id).status, ExecutionStatus::Waiting);
    assert!(h.calls.is_empty(), "the call waits for a decision");
    h.send(&id, decision(NotifyType::Approve, "alice"));
    assert!(h.calls.is_empty(), "the starter cannot confirm their own call");
    h.send(&id, decision(NotifyType::Approve, "bob"));
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Success, "{}", exec.status_message);
    assert_eq!(h.calls.len(), 1);
    assert_eq!(exec.latest_run("call").unwrap().outputs.as_ref().unwrap()["ApprovedBy"], json!(["bob"]));
}

#[test]
fn a_rejected_high_risk_call_is_never_made() {
    let mut h = Harness::new(bench);
    let id = started(&mut h, &risky("{Service: Bench, API: DeleteEverything}"), SafetyCheck::ConfirmEveryHighRiskAction);
    assert_eq!(h.execution(&id).status, ExecutionStatus::Waiting, "a Delete* API without Risk is high risk");
    h.send(&id, decision(NotifyType::Reject, "bob"));
    let exec = h.execution(&id);
    assert_eq!((exec.status, exec.latest_run("call").unwrap().status_message.as_str()), (ExecutionStatus::Failed, "rejected by bob: checked"));
    assert!(h.calls.is_empty());
}

#[test]
fn skip_and_risk_normal_run_straight_through() {
    for (properties, check) in [
        ("{Service: Bench, API: Echo, Risk: High}", SafetyCheck::Skip),
        ("{Service: Bench, API: DeleteEverything, Risk: Normal}", SafetyCheck::ConfirmEveryHighRiskAction),
        ("{Service: Bench, API: Echo}", SafetyCheck::ConfirmEveryHighRiskAction),
    ] {
        let mut h = Harness::new(bench);
        let id = started(&mut h, &risky(properties), check);
        let status = h.execution(&id).status;
        assert!(status != ExecutionStatus::Waiting && h.calls.len() == 1, "{properties} {check:?}: {status} after {} calls", h.calls.len());
    }
}

#[test]
fn a_high_risk_loop_fails_instead_of_running_unconfirmed() {
    let template = "FormatVersion: OOS-2019-06-01\nTasks:\n- Name: call\n  Action: ACS::ExecuteAPI\n  Loop: {Items: [1, 2]}\n  Properties: {Service: Bench, API: Echo, Risk: High}\n";
    let mut h = Harness::new(bench);
    let id = started(&mut h, template, SafetyCheck::ConfirmEveryHighRiskAction);
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert!(h.calls.is_empty());
    assert!(exec.tasks.iter().any(|task| task.status_message.starts_with("SafetyCheck.LoopNotConfirmable")), "{}", exec.status_message);
}

/// A high-risk call in a child that a loop iteration started (a product action run per instance)
/// fails the same way: each iteration's child would otherwise wait on its own, unseen from the
/// parent's run; a child started outside a loop still waits for its decision.
#[test]
fn a_high_risk_call_in_a_loop_iterations_child_fails_too() {
    let child = risky("{Service: Bench, API: DeleteEverything}");
    let looped = "FormatVersion: OOS-2019-06-01\nTasks:\n- Name: each\n  Action: ACS::Template\n  Loop: {Items: [1, 2]}\n  Properties: {TemplateName: risky-child}\n";
    let mut h = Harness::new(bench);
    h.library.insert("risky-child".into(), child.clone());
    let id = started(&mut h, looped, SafetyCheck::ConfirmEveryHighRiskAction);
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Failed, "{}", exec.status_message);
    assert!(h.calls.is_empty(), "no call left unconfirmed");
    let children: Vec<_> = h.executions.values().filter(|e| e.parent_execution_id.as_deref() == Some(id.as_str())).collect();
    assert!(!children.is_empty(), "the first iteration's child ran (and, failing, ended the loop)");
    for child in children {
        assert!(child.tasks.iter().any(|task| task.status_message.contains("in a child that a loop iteration started")), "{:?}", child.tasks);
    }

    let single = "FormatVersion: OOS-2019-06-01\nTasks:\n- Name: once\n  Action: ACS::Template\n  Properties: {TemplateName: risky-child}\n";
    let mut h = Harness::new(bench);
    h.library.insert("risky-child".into(), child);
    let id = started(&mut h, single, SafetyCheck::ConfirmEveryHighRiskAction);
    let waiting = h.executions.values().find(|e| e.parent_execution_id.as_deref() == Some(id.as_str())).expect("the child started");
    assert_eq!(waiting.status, ExecutionStatus::Waiting, "outside a loop the child waits for its decision");
}
