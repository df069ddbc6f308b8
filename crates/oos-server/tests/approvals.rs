//! Approvals through the signed API on both backends: a 2-of-3 ACS::Approve started by one of its
//! approvers (whose own approval is refused), a non-approver refused, an idempotent second approval,
//! a rejection failing the execution, a starter allowed `oos:ApproveOwnExecution`, and every
//! decision in the audit trail with who, the outcome and the code.

mod api_client;

use api_client::{Backend, call, events, oos, ram, settle, start_on, status_once, user};
use oos_cloud::CloudClient;
use oos_server::OOS_VERSION;
use serde_json::{Value, json};

const TWO_OF_THREE: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: approve
  Action: ACS::Approve
  Properties: {Approvers: [alice, bob, carol], MinRequiredApprovals: 2}
";

const ANYONE: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: approve
  Action: ACS::Approve
";

/// Users who may start, list and notify executions (nothing about approving their own).
async fn operators(root: &CloudClient, url: &str, names: &[&str]) -> Vec<CloudClient> {
    let policy = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oos:StartExecution", "oos:NotifyExecution", "oos:ListExecutions"], "Resource": "*"}]});
    ram(root, "CreatePolicy", &[("PolicyName", "operators"), ("PolicyDocument", &policy.to_string())]).await;
    let mut clients = Vec::new();
    for name in names {
        clients.push(user(root, url, name).await);
        ram(root, "AttachPolicyToUser", &[("UserName", name), ("PolicyName", "operators"), ("PolicyType", "Custom")]).await;
    }
    clients
}

/// Starts `template` as `client` and returns the execution id once it waits.
async fn waiting(client: &CloudClient, root: &CloudClient, template: &str) -> String {
    let started = oos(client, "StartExecution", &[("TemplateContent", template)]).await;
    let id = started["Execution"]["ExecutionId"].as_str().unwrap().to_string();
    assert_eq!(status_once(root, &id, &["Waiting"]).await, "Waiting");
    id
}

async fn decide(client: &CloudClient, id: &str, notify_type: &str, note: &str) -> Result<Value, String> {
    call(client, OOS_VERSION, "NotifyExecution", &[("ExecutionId", id), ("NotifyType", notify_type), ("NotifyNote", note)]).await.map_err(|error| error.code)
}

/// The execution's log messages once one of them is `line` (or after ten seconds).
async fn logged(root: &CloudClient, id: &str, line: &str) -> Vec<String> {
    let mut messages = Vec::new();
    for _ in 0..200 {
        let logs = oos(root, "ListExecutionLogs", &[("ExecutionId", id)]).await;
        messages = logs["ExecutionLogs"].as_array().unwrap().iter().map(|log| log["Message"].as_str().unwrap_or_default().to_string()).collect();
        if messages.iter().any(|message| message == line) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    messages
}

/// The approve task's `Outputs` (a JSON string on the wire) and status.
async fn approve_task(root: &CloudClient, id: &str) -> (Value, String) {
    let tasks = oos(root, "ListTaskExecutions", &[("ExecutionId", id)]).await;
    let task = &tasks["TaskExecutions"][0];
    (serde_json::from_str(task["Outputs"].as_str().unwrap()).unwrap(), task["Status"].as_str().unwrap().to_string())
}

/// The NotifyExecution records of execution `id`: `(User, ResultCode, NotifyType, Approval.Outcome, Approval.Approvals)`.
async fn decisions(root: &CloudClient, id: &str) -> Vec<(String, String, String, Value, Value)> {
    let trail = events(root, &[("ExecutionId", id), ("EventAction", "NotifyExecution")]).await;
    trail
        .iter()
        .map(|record| {
            let event = &record["Event"];
            let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
            (text(&event["User"]), text(&event["ResultCode"]), text(&event["Parameters"]["NotifyType"]), event["Approval"]["Outcome"].clone(), event["Approval"]["Approvals"].clone())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_three_without_the_starter_on_sqlite() {
    two_of_three_without_the_starter(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_three_without_the_starter_on_postgres() {
    two_of_three_without_the_starter(Backend::Postgres).await;
}

async fn two_of_three_without_the_starter(backend: Backend) {
    let (server, root, _bed) = start_on(backend).await;
    let url = format!("http://{}", server.addr());
    let [alice, bob, carol, mallory]: [CloudClient; 4] = operators(&root, &url, &["alice", "bob", "carol", "mallory"]).await.try_into().ok().unwrap();
    let id = waiting(&alice, &root, TWO_OF_THREE).await;

    assert_eq!(decide(&alice, &id, "Approve", "mine").await.unwrap_err(), "Forbidden.SelfApproval");
    assert_eq!(decide(&mallory, &id, "Approve", "me too").await.unwrap_err(), "Forbidden.NotApprover");
    decide(&bob, &id, "Approve", "looks fine").await.unwrap();
    let log = logged(&root, &id, "approved by bob (1 of 2)").await;
    assert!(log.contains(&"approved by bob (1 of 2)".to_string()), "{log:?}");
    decide(&bob, &id, "Approve", "again").await.unwrap();
    let log = logged(&root, &id, "approval by bob already counted (1 of 2)").await;
    assert!(log.contains(&"approval by bob already counted (1 of 2)".to_string()), "{log:?}");
    assert_eq!(status_once(&root, &id, &["Success", "Failed"]).await, "Waiting", "one approval of two leaves it waiting");
    assert_eq!(approve_task(&root, &id).await, (json!({"ApprovedBy": ["bob"]}), "Waiting".to_string()));

    decide(&carol, &id, "Approve", "ok").await.unwrap();
    assert_eq!(settle(&root, &id).await, "Success");
    assert_eq!(approve_task(&root, &id).await, (json!({"ApprovedBy": ["bob", "carol"]}), "Success".to_string()));
    assert!(logged(&root, &id, "approved by carol (2 of 2)").await.contains(&"approved by carol (2 of 2)".to_string()));

    let row = |user: &str, code: &str, outcome: Value, approvals: Value| (user.to_string(), code.to_string(), "Approve".to_string(), outcome, approvals);
    assert_eq!(
        decisions(&root, &id).await,
        [
            row("alice", "Forbidden.SelfApproval", Value::Null, Value::Null),
            row("mallory", "Forbidden.NotApprover", Value::Null, Value::Null),
            row("bob", "Success", json!("Counted"), json!(1)),
            row("bob", "Success", json!("AlreadyCounted"), json!(1)),
            row("carol", "Success", json!("Approved"), json!(2)),
        ]
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_fails_and_an_allowed_starter_approves_on_sqlite() {
    a_rejection_fails_and_an_allowed_starter_approves(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_fails_and_an_allowed_starter_approves_on_postgres() {
    a_rejection_fails_and_an_allowed_starter_approves(Backend::Postgres).await;
}

async fn a_rejection_fails_and_an_allowed_starter_approves(backend: Backend) {
    let (server, root, _bed) = start_on(backend).await;
    let url = format!("http://{}", server.addr());
    let [alice, carol]: [CloudClient; 2] = operators(&root, &url, &["alice", "carol"]).await.try_into().ok().unwrap();
    let rejected = waiting(&alice, &root, TWO_OF_THREE).await;
    assert_eq!(decide(&root, &rejected, "Reject", "root is no approver").await.unwrap_err(), "Forbidden.NotApprover");
    decide(&carol, &rejected, "Reject", "not today").await.unwrap();
    assert_eq!(settle(&root, &rejected).await, "Failed");
    let listed = oos(&root, "ListExecutions", &[("ExecutionId", &rejected)]).await;
    assert!(listed["Executions"][0]["StatusMessage"].as_str().unwrap().contains("rejected by carol: not today"), "{listed}");
    let recorded = decisions(&root, &rejected).await;
    assert_eq!(recorded[1], ("carol".into(), "Success".into(), "Reject".into(), json!("Rejected"), json!(0)));

    let own = waiting(&alice, &root, ANYONE).await;
    assert_eq!(decide(&alice, &own, "Approve", "").await.unwrap_err(), "Forbidden.SelfApproval");
    let policy = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oos:ApproveOwnExecution", "Resource": "*"}]});
    ram(&root, "CreatePolicy", &[("PolicyName", "own"), ("PolicyDocument", &policy.to_string())]).await;
    ram(&root, "AttachPolicyToUser", &[("UserName", "alice"), ("PolicyName", "own"), ("PolicyType", "Custom")]).await;
    decide(&alice, &own, "Approve", "allowed now").await.unwrap();
    assert_eq!(settle(&root, &own).await, "Success");

    let root_own = waiting(&root, &root, ANYONE).await;
    decide(&root, &root_own, "Approve", "oos:* covers it").await.unwrap();
    assert_eq!(settle(&root, &root_own).await, "Success");
    server.stop();
}
