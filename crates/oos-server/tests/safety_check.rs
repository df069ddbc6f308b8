//! SafetyCheck through the signed API on both backends, against the in-process ECS emulator: a
//! `Risk: High` call waits (no CloudCall in the trail), Approve sends it, Reject fails the execution
//! without it, Skip runs straight through, Skip outside Automatic is refused, and ListExecutions
//! shows the value given.

mod api_client;

use api_client::{Backend, call, events, oos, settle, start_with_emulator, status_once};
use oos_cloud::CloudClient;
use oos_server::OOS_VERSION;

const RISKY: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: describe
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: DescribeInstances, Risk: High, Parameters: {RegionId: cn-hangzhou}}
";

async fn start(root: &CloudClient, extra: &[(&str, &str)]) -> String {
    let mut params = vec![("TemplateContent", RISKY)];
    params.extend_from_slice(extra);
    oos(root, "StartExecution", &params).await["Execution"]["ExecutionId"].as_str().unwrap().to_string()
}

async fn cloud_calls(root: &CloudClient, id: &str) -> usize {
    events(root, &[("ExecutionId", id), ("Kind", "CloudCall")]).await.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn high_risk_calls_wait_for_a_decision_on_sqlite() {
    high_risk_calls_wait_for_a_decision(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn high_risk_calls_wait_for_a_decision_on_postgres() {
    high_risk_calls_wait_for_a_decision(Backend::Postgres).await;
}

async fn high_risk_calls_wait_for_a_decision(backend: Backend) {
    let (server, root, _emulator, _bed) = start_with_emulator(backend).await;
    let approved = start(&root, &[]).await;
    assert_eq!(status_once(&root, &approved, &["Waiting"]).await, "Waiting");
    assert_eq!(cloud_calls(&root, &approved).await, 0, "the call waits for a decision");
    oos(&root, "NotifyExecution", &[("ExecutionId", &approved), ("NotifyType", "Approve")]).await;
    assert_eq!(settle(&root, &approved).await, "Success");
    assert_eq!(cloud_calls(&root, &approved).await, 1);

    let rejected = start(&root, &[]).await;
    assert_eq!(status_once(&root, &rejected, &["Waiting"]).await, "Waiting");
    oos(&root, "NotifyExecution", &[("ExecutionId", &rejected), ("NotifyType", "Reject"), ("NotifyNote", "no")]).await;
    assert_eq!(settle(&root, &rejected).await, "Failed");
    assert_eq!(cloud_calls(&root, &rejected).await, 0, "a rejected call never leaves");

    let skipped = start(&root, &[("SafetyCheck", "Skip")]).await;
    assert_eq!(settle(&root, &skipped).await, "Success");
    assert_eq!(cloud_calls(&root, &skipped).await, 1);
    let listed = oos(&root, "ListExecutions", &[("ExecutionId", &skipped)]).await;
    assert_eq!(listed["Executions"][0]["SafetyCheck"], "Skip");
    let listed = oos(&root, "ListExecutions", &[("ExecutionId", &approved)]).await;
    assert_eq!(listed["Executions"][0]["SafetyCheck"], "ConfirmEveryHighRiskAction");

    let refused = call(&root, OOS_VERSION, "StartExecution", &[("TemplateContent", RISKY), ("SafetyCheck", "Skip"), ("Mode", "Debug")]).await.unwrap_err();
    assert_eq!((refused.code.as_str(), refused.http_status), ("InvalidParameter.SafetyCheck", Some(400)), "{refused:?}");
    server.stop();
}
