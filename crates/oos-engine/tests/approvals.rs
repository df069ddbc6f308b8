//! ACS::Approve decisions: only distinct eligible approvers count (`Approvers`, the starter without
//! `oos:ApproveOwnExecution`), the wait ends at `MinRequiredApprovals`, one eligible rejection fails
//! it, and a caller-less notification (a data directory's owner) decides alone.

mod support;

use oos_engine::{Event, ExecutionStatus, Mode, Notifier, Notify, NotifyType, TaskStatus};
use serde_json::{Value, json};
use support::{Harness, bench, new_execution};

const ACCOUNT: &str = "acs:ram::1234:";

/// Three approvers, two of them needed, then a call that echoes.
const TWO_OF_THREE: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: approve
  Action: ACS::Approve
  Properties: {Approvers: [alice, bob, carol], MinRequiredApprovals: 2}
- Name: after
  Action: ACS::ExecuteAPI
  Properties: {Service: Bench, API: Echo, Parameters: {Done: true}}
";

fn user(name: &str) -> Notifier {
    Notifier { arn: format!("{ACCOUNT}user/{name}"), user: Some(name.to_owned()), may_decide_own: false }
}

fn decision(notify_type: NotifyType, by: Option<Notifier>, note: Option<&str>) -> Event {
    Event::Notify(Notify { by, note: note.map(str::to_owned), ..Notify::of(notify_type) })
}

/// Starts `template` as `starter` (an ARN) and runs it until it waits.
fn started_by(h: &mut Harness, template: &str, parameters: Value, starter: &str) -> String {
    let id = "exec-approvals".to_owned();
    let mut request = new_execution(&id, template, parameters, Mode::Automatic);
    request.execute_user = Some(starter.to_owned());
    h.start_with(request).expect("execution created");
    h.run();
    id
}

fn approvals(h: &Harness, id: &str) -> Vec<String> {
    h.execution(id).latest_run("approve").expect("approve ran").state.approvals.iter().map(|approval| approval.name.clone()).collect()
}

fn log_messages(h: &Harness, id: &str) -> Vec<String> {
    h.execution(id).changes.logs.iter().map(|line| line.message.clone()).collect()
}

/// Steps one event and returns the log lines it wrote (the harness otherwise drops them).
fn send_logged(h: &mut Harness, id: &str, event: Event) -> Vec<String> {
    let config = h.config.clone();
    let execution = h.executions.get_mut(id).expect("execution");
    execution.take_changes();
    let effects = oos_engine::step(execution, event, h.now, &config);
    let logs = log_messages(h, id);
    for effect in effects {
        if let oos_engine::Effect::Call(call) = effect {
            let done = Event::ActionDone { task_execution_id: call.task_execution_id.clone(), attempt: call.attempt, outcome: bench(&call, 1) };
            h.send(id, done);
        }
    }
    logs
}

#[test]
fn two_of_three_counts_distinct_eligible_approvers_only() {
    let mut h = Harness::new(bench);
    let alice = user("alice");
    let id = started_by(&mut h, TWO_OF_THREE, json!({}), &alice.arn);
    assert_eq!(h.execution(&id).status, ExecutionStatus::Waiting);

    let logs = send_logged(&mut h, &id, decision(NotifyType::Approve, Some(alice), None));
    assert_eq!(logs, ["approval by alice not counted: the starter of the execution may not decide on it (oos:ApproveOwnExecution)"]);
    let logs = send_logged(&mut h, &id, decision(NotifyType::Approve, Some(user("mallory")), None));
    assert_eq!(logs, ["approval by mallory not counted: not one of the task's Approvers"]);
    let root = Notifier { arn: format!("{ACCOUNT}root"), user: None, may_decide_own: false };
    send_logged(&mut h, &id, decision(NotifyType::Approve, Some(root), None));
    assert!(approvals(&h, &id).is_empty(), "nobody eligible approved yet");

    let logs = send_logged(&mut h, &id, decision(NotifyType::Approve, Some(user("bob")), Some("fine")));
    assert_eq!(logs, ["approved by bob (1 of 2)"]);
    let logs = send_logged(&mut h, &id, decision(NotifyType::Approve, Some(user("bob")), None));
    assert_eq!(logs, ["approval by bob already counted (1 of 2)"]);
    let waiting = h.execution(&id).latest_run("approve").unwrap();
    assert_eq!((h.execution(&id).status, waiting.status), (ExecutionStatus::Waiting, TaskStatus::Waiting));
    assert_eq!(waiting.outputs.as_ref().unwrap()["ApprovedBy"], json!(["bob"]));

    send_logged(&mut h, &id, decision(NotifyType::Approve, Some(user("carol")), None));
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Success, "{}", exec.status_message);
    let approve = exec.latest_run("approve").unwrap();
    assert_eq!(approve.outputs.as_ref().unwrap()["ApprovedBy"], json!(["bob", "carol"]));
    assert_eq!(approve.state.approvals[0].note.as_deref(), Some("fine"));
    assert_eq!(h.task_statuses(&id), ["approve=Success", "after=Success"]);
}

#[test]
fn the_starter_counts_when_a_policy_allows_it() {
    let mut h = Harness::new(bench);
    let alice = Notifier { may_decide_own: true, ..user("alice") };
    let id = started_by(&mut h, TWO_OF_THREE, json!({}), &alice.arn);
    let logs = send_logged(&mut h, &id, decision(NotifyType::Approve, Some(alice), None));
    assert_eq!(logs, ["approved by alice (1 of 2)"]);
}

#[test]
fn one_eligible_rejection_fails_the_task_and_the_execution() {
    let mut h = Harness::new(bench);
    let id = started_by(&mut h, TWO_OF_THREE, json!({}), &user("alice").arn);
    send_logged(&mut h, &id, decision(NotifyType::Approve, Some(user("bob")), None));
    let logs = send_logged(&mut h, &id, decision(NotifyType::Reject, Some(user("mallory")), None));
    assert_eq!(logs, ["rejection by mallory not counted: not one of the task's Approvers"]);
    assert_eq!(h.execution(&id).status, ExecutionStatus::Waiting);

    send_logged(&mut h, &id, decision(NotifyType::Reject, Some(user("carol")), Some(" not today ")));
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Failed);
    let approve = exec.latest_run("approve").unwrap();
    assert_eq!((approve.status, approve.status_message.as_str()), (TaskStatus::Failed, "rejected by carol: not today"));
    assert_eq!(h.task_statuses(&id), ["approve=Failed"]);
}

#[test]
fn without_approvers_any_distinct_callers_count() {
    let template = r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: approve
  Action: ACS::Approve
  Properties: {MinRequiredApprovals: 2}
";
    let mut h = Harness::new(bench);
    let id = started_by(&mut h, template, json!({}), &user("alice").arn);
    let root = Notifier { arn: format!("{ACCOUNT}root"), user: None, may_decide_own: false };
    let logs = send_logged(&mut h, &id, decision(NotifyType::Approve, Some(root.clone()), None));
    assert_eq!(logs, [format!("approved by {ACCOUNT}root (1 of 2)")]);
    send_logged(&mut h, &id, decision(NotifyType::Resume, Some(root), None));
    assert_eq!(h.execution(&id).status, ExecutionStatus::Waiting);
    send_logged(&mut h, &id, decision(NotifyType::Approve, Some(user("dave")), None));
    assert_eq!(h.execution(&id).status, ExecutionStatus::Success);
}

#[test]
fn a_rendered_minimum_above_the_approvers_fails_the_task() {
    let template = r"
FormatVersion: OOS-2019-06-01
Parameters:
  approvers: {Type: List}
Tasks:
- Name: approve
  Action: ACS::Approve
  Properties: {Approvers: '{{ approvers }}', MinRequiredApprovals: 2}
";
    let mut h = Harness::new(bench);
    let id = started_by(&mut h, template, json!({"approvers": ["bob"]}), &user("alice").arn);
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert!(exec.latest_run("approve").unwrap().status_message.starts_with("InvalidTemplate.Approvals:"), "{}", exec.status_message);
}

#[test]
fn a_data_directory_owner_decides_alone() {
    let mut h = Harness::new(bench);
    let id = started_by(&mut h, TWO_OF_THREE, json!({}), &user("alice").arn);
    let logs = send_logged(&mut h, &id, decision(NotifyType::Approve, None, None));
    assert_eq!(logs[0], "approved by the local operator (1 of 1)");
    assert_eq!(h.execution(&id).status, ExecutionStatus::Success);
}
