//! Two `oos server` processes and an `oos worker` on one PostgreSQL database: a client alternating
//! between the servers creates templates, starts, watches, cancels and approves executions, a
//! ClientToken used at both servers starts one execution, a server with another master key is
//! refused, and the official SDK harnesses pass against either server.

mod cluster;

use std::time::Duration;

use cluster::{Cluster, call, status, wait_status};
use oos_testkit::check_sdk_harness;

const BOUND: Duration = Duration::from_secs(60);

const APPROVAL: &str = r"
FormatVersion: OOS-2019-06-01
Parameters:
  who: {Type: String}
Tasks:
- {Name: approve, Action: ACS::Approve}
- Name: describe
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: DescribeInstances, Parameters: {RegionId: cn-hangzhou}}
  Outputs: {count: {Type: Number, ValueSelector: .TotalCount}}
Outputs:
  greeting: {Type: String, Value: 'hello {{ who }}'}
  instances: {Type: Number, Value: '{{ describe.count }}'}
";

const LONG_NAP: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: nap, Action: ACS::Sleep, Properties: {Duration: PT10M}}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_alternating_between_two_servers_sees_one_service() {
    let cluster = Cluster::new().await;
    let a = cluster.server("a", &[]);
    let b = cluster.server("b", &[]);
    let _worker = cluster.worker("w", &[]);
    let root = cluster.root("a");

    call(&a, &root, "CreateTemplate", &[("TemplateName", "approval"), ("Content", APPROVAL)]).await;
    call(&b, &root, "CreateTemplate", &[("TemplateName", "nap"), ("Content", LONG_NAP)]).await;
    let template = call(&b, &root, "GetTemplate", &[("TemplateName", "approval")]).await;
    assert_eq!(template["Template"]["TemplateVersion"], "v1", "a template created at A is served by B: {template}");

    // Start at B, watch at A, approve at B, see the outputs at A.
    let started = call(&b, &root, "StartExecution", &[("TemplateName", "approval"), ("Parameters", r#"{"who":"ops"}"#)]).await;
    let id = started["Execution"]["ExecutionId"].as_str().expect("an execution id").to_string();
    wait_status(&a, &root, &id, "Waiting", BOUND).await;
    call(&b, &root, "NotifyExecution", &[("ExecutionId", &id), ("NotifyType", "Approve")]).await;
    wait_status(&a, &root, &id, "Success", BOUND).await;
    let listed = call(&a, &root, "ListExecutions", &[("ExecutionId", &id)]).await;
    let outputs: serde_json::Value = serde_json::from_str(listed["Executions"][0]["Outputs"].as_str().expect("outputs")).unwrap();
    assert_eq!(outputs, serde_json::json!({"greeting": "hello ops", "instances": 3}), "{listed}");

    // Start at A, cancel at B, watch at A.
    let napping = call(&a, &root, "StartExecution", &[("TemplateName", "nap")]).await;
    let nap = napping["Execution"]["ExecutionId"].as_str().expect("an execution id").to_string();
    wait_status(&b, &root, &nap, "Running", BOUND).await;
    call(&b, &root, "CancelExecution", &[("ExecutionId", &nap)]).await;
    wait_status(&a, &root, &nap, "Cancelled", BOUND).await;

    // One ClientToken at both servers at once: one execution.
    let params = [("TemplateName", "nap"), ("ClientToken", "once-only-token")];
    let (first, second) = tokio::join!(call(&a, &root, "StartExecution", &params), call(&b, &root, "StartExecution", &params));
    let (first, second) = (&first["Execution"]["ExecutionId"], &second["Execution"]["ExecutionId"]);
    assert_eq!(first, second, "both servers answer with the same execution");
    let all = call(&a, &root, "ListExecutions", &[("TemplateName", "nap"), ("MaxResults", "50")]).await;
    assert_eq!(all["Executions"].as_array().map(Vec::len), Some(2), "the nap started once more, not twice: {all}");
    call(&a, &root, "CancelExecution", &[("ExecutionId", first.as_str().unwrap())]).await;
    assert_ne!(status(&b, &root, first.as_str().unwrap()).await, "");

    // The audit trail of both servers is one chain.
    let verified = call(&b, &root, "VerifyAuditTrail", &[]).await;
    assert_eq!(verified["Valid"], true, "{verified}");
    assert!(verified["RecordCount"].as_i64().unwrap_or(0) >= 10, "requests at both servers are in it: {verified}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_another_master_key_is_refused() {
    let cluster = Cluster::new().await;
    let _a = cluster.server("a", &[]);
    let stranger = cluster.data_dir("stranger");
    // Trust authentication ignores the password; the logs must not show it either way.
    let with_password = cluster.database.url().replacen("postgres://postgres@", "postgres://postgres:hunter2-secret@", 1);
    std::fs::create_dir_all(&stranger).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_oos"))
        .args(["server", "--listen", "127.0.0.1:0", "--data-dir", stranger.to_str().unwrap(), "--database", &with_password])
        .output()
        .expect("oos server runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("MasterKey.Mismatch"), "{stderr}");
    assert!(!stderr.contains("hunter2-secret"), "no database password in the output: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdks_pass_against_either_server() {
    let cluster = Cluster::new().await;
    let a = cluster.server("a", &[]);
    let b = cluster.server("b", &[]);
    let root = cluster.root("a");
    let (ak, sk) = (root.access_key_id.clone(), root.access_key_secret.clone());
    tokio::task::spawn_blocking(move || {
        check_sdk_harness(&a, "oos_sdk_check.py", &ak, &sk, &[], 25);
        check_sdk_harness(&b, "oos_sdk_check.py", &ak, &sk, &["--signature", "v1"], 25);
        check_sdk_harness(&b, "oos_core_sdk_check.py", &ak, &sk, &[], 9);
    })
    .await
    .expect("the harnesses ran");
}
