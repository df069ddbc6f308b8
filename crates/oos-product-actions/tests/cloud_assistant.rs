//! The Cloud Assistant actions (RunCommand, InvokeCommand, SendFile) against the emulator's
//! scripted results, instant and with short realistic delays: decoded output on success, a
//! failure naming the exit code or the agent's error code otherwise.

mod support;

use std::time::Duration;

use oos_acs::RpcRequest;
use oos_engine::ExecutionStatus;
use serde_json::json;
use support::{DELAYS, Harness, Outcome};

const OUTPUT: &[(&str, &str)] = &[("invocationOutput", "String")];

fn failed_with(outcome: &Outcome, needle: &str) {
    assert_eq!(outcome.status, ExecutionStatus::Failed, "{:#?}", outcome.messages);
    assert!(outcome.messages.iter().any(|message| message.contains(needle)), "no {needle:?} in {:#?}", outcome.messages);
}

async fn run_command(delay: Duration) {
    let mut harness = Harness::start(delay).await;
    let parameters = json!({"instanceId": "i-running", "commandType": "RunShellScript", "commandContent": "uname -a"});
    let outcome = harness.run("RunCommand", parameters, OUTPUT).await.succeeded();
    assert_eq!(outcome.outputs["invocationOutput"], "Linux i-running\n");

    let perl = json!({"instanceId": "i-running", "commandType": "RunPerlScript", "commandContent": "#!/usr/bin/perl\n`uname -a`", "timeout": 30});
    harness.run("RunCommand", perl, OUTPUT).await.succeeded();
    let ran = harness.emulator().call(&ecs("DescribeInvocations", &[("ContentEncoding", "PlainText")])).unwrap();
    let latest = &ran["Invocations"]["Invocation"][0];
    assert_eq!((latest["CommandType"].as_str(), latest["Timeout"].as_i64()), (Some("RunShellScript"), Some(30)));

    let failing = json!({"instanceId": "i-running", "commandType": "RunShellScript", "commandContent": "exit 7"});
    failed_with(&harness.run("RunCommand", failing, OUTPUT).await, "Failed (exit code 7, ExitCodeNonzero)");

    let stopped = json!({"instanceId": "i-stopped", "commandType": "RunShellScript", "commandContent": "uname -a"});
    failed_with(&harness.run("RunCommand", stopped, OUTPUT).await, "Aborted (exit code 0, InstanceNotRunning)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_a_script_and_read_its_output() {
    for delay in DELAYS {
        run_command(delay).await;
    }
}

fn ecs(action: &str, extra: &[(&str, &str)]) -> RpcRequest {
    let mut params = vec![("RegionId".to_owned(), "cn-hangzhou".to_owned())];
    params.extend(extra.iter().map(|(key, value)| (key.to_string(), value.to_string())));
    RpcRequest::new(action, oos_emulator::ECS_VERSION, params)
}

async fn invoke_command(delay: Duration) {
    let mut harness = Harness::start(delay).await;
    let create = ecs("CreateCommand", &[
        ("Name", "greet"),
        ("Type", "RunShellScript"),
        ("ContentEncoding", "PlainText"),
        ("CommandContent", "echo {{ who }}"),
        ("EnableParameter", "true"),
    ]);
    let command_id = harness.emulator().call(&create).unwrap()["CommandId"].as_str().unwrap().to_owned();
    let parameters = json!({"commandId": command_id, "instanceId": "i-running", "parameters": {"who": "ops"}});
    let outcome = harness.run("InvokeCommand", parameters, OUTPUT).await.succeeded();
    assert_eq!(outcome.outputs["invocationOutput"], "ops on i-running\n");

    let unknown = json!({"commandId": "c-nothing", "instanceId": "i-running"});
    failed_with(&harness.run("InvokeCommand", unknown, OUTPUT).await, "InvalidCmdId.NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_a_saved_command_with_parameters() {
    for delay in DELAYS {
        invoke_command(delay).await;
    }
}

async fn send_file(delay: Duration) {
    let mut harness = Harness::start(delay).await;
    let file = |overwrite: bool| json!({"instanceId": "i-running", "name": "app.conf", "targetDir": "/etc/app", "content": "port=80", "overwrite": overwrite});
    let outcome = harness.run("SendFile", file(false), &[("invokeId", "String")]).await.succeeded();
    assert!(outcome.outputs["invokeId"].as_str().is_some_and(|id| id.starts_with("f-")), "{:?}", outcome.outputs);
    failed_with(&harness.run("SendFile", file(false), &[]).await, "Failed (FileAlreadyExists)");
    harness.run("SendFile", file(true), &[]).await.succeeded();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_a_file_once_unless_overwriting() {
    for delay in DELAYS {
        send_file(delay).await;
    }
}
