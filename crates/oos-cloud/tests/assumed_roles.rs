//! Execution roles against the emulator's STS: each call of an execution with a `RamRole` is made as
//! that role in a session named after the execution; the session's credentials are reused until
//! (lifetime − renewal margin) on the injected clock, then assumed again.

use std::sync::Arc;
use std::time::Duration;

use oos_actions::CloudApi;
use oos_clock::{Clock, VirtualClock};
use oos_cloud::{AssumeRoleConfig, CloudClient, CloudConfig, Credentials, RetryPolicy, simple_call};
use oos_emulator::{Caller, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, EmulatorHandle};
use serde_json::json;

const START_MS: i64 = 1_893_456_000_000; // 2030-01-01T00:00:00Z

async fn emulator(clock: &VirtualClock) -> EmulatorHandle {
    let time = clock.clone();
    let emulator = Emulator::builder().journal(true).clock(move || time.timestamp()).build().unwrap();
    emulator.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn client(handle: &EmulatorHandle, clock: &VirtualClock) -> CloudClient {
    let mut config = CloudConfig::default().with_sandbox(handle.url());
    config.retry = RetryPolicy { max_attempts: 1, ..RetryPolicy::default() };
    config.assume_role = Some(AssumeRoleConfig { account_id: handle.emulator().account_id().to_owned(), duration_secs: 900 });
    let credentials = Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET);
    CloudClient::new(config, credentials).unwrap().with_clock(Arc::new(clock.clone()))
}

async fn describe(client: &CloudClient, execution: &str, role: Option<&str>) {
    let mut call = simple_call("ECS", "DescribeRegions", json!({}).as_object().cloned().unwrap());
    call.execution_id = execution.into();
    call.ram_role = role.map(str::to_owned);
    client.call(&call).await.unwrap();
}

/// The emulator's record: (action, role ARN, session name) of each call.
fn record(handle: &EmulatorHandle) -> Vec<(String, Option<String>, Option<String>)> {
    let calls = handle.emulator().calls();
    calls.iter().map(|call| (call.action.clone(), call.caller.role_arn().map(str::to_owned), call.caller.session_name().map(str::to_owned))).collect()
}

#[tokio::test]
async fn a_role_session_is_reused_within_its_lifetime_and_renewed_before_it_ends() {
    let clock = VirtualClock::new(START_MS);
    let handle = emulator(&clock).await;
    let client = client(&handle, &clock);
    let arn = format!("acs:ram::{}:role/EcsOperator", handle.emulator().account_id());
    let as_role = |session: &str| (Some(arn.clone()), Some(session.to_owned()));

    describe(&client, "exec-00000000000000a1", Some("EcsOperator")).await;
    describe(&client, "exec-00000000000000a1", Some("EcsOperator")).await;
    clock.advance(Duration::from_secs(599)); // the credentials last 900 s, renewed 300 s before
    describe(&client, "exec-00000000000000a1", Some("EcsOperator")).await;
    let assumes = |handle: &EmulatorHandle| record(handle).iter().filter(|(action, ..)| action == "AssumeRole").count();
    assert_eq!(assumes(&handle), 1, "{:?}", record(&handle));
    clock.advance(Duration::from_secs(2));
    describe(&client, "exec-00000000000000a1", Some("EcsOperator")).await;
    assert_eq!(assumes(&handle), 2, "assumed again within the renewal margin");

    describe(&client, "exec-00000000000000b2", Some(&arn)).await;
    describe(&client, "exec-00000000000000b2", None).await;
    let seen = record(&handle);
    let expected: Vec<(String, Option<String>, Option<String>)> = [
        ("AssumeRole", (None, None)),
        ("DescribeRegions", as_role("exec-00000000000000a1")),
        ("DescribeRegions", as_role("exec-00000000000000a1")),
        ("DescribeRegions", as_role("exec-00000000000000a1")),
        ("AssumeRole", (None, None)),
        ("DescribeRegions", as_role("exec-00000000000000a1")),
        ("AssumeRole", (None, None)),
        ("DescribeRegions", as_role("exec-00000000000000b2")),
        ("DescribeRegions", (None, None)),
    ]
    .into_iter()
    .map(|(action, (role, session))| (action.to_owned(), role, session))
    .collect();
    assert_eq!(seen, expected);
    let base = Caller::AccessKey { access_key_id: DEFAULT_ACCESS_KEY_ID.into() };
    assert_eq!(handle.emulator().calls().last().unwrap().caller, base, "no role: the base AccessKey");
}

#[tokio::test]
async fn a_role_the_cloud_does_not_have_fails_the_call_with_the_sts_code() {
    let clock = VirtualClock::new(START_MS);
    let time = clock.clone();
    let emulator = Emulator::builder().only_roles(["EcsOperator"]).clock(move || time.timestamp()).build().unwrap();
    let handle = emulator.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = client(&handle, &clock);
    let mut call = simple_call("ECS", "DescribeRegions", serde_json::Map::new());
    call.execution_id = "exec-1".into();
    call.ram_role = Some("Missing".into());
    call.task_name = "Describe".into();
    let error = client.call(&call).await.unwrap_err();
    assert_eq!(error.code, "EntityNotExist.Role");
    assert!(error.message.contains("role/Missing") && error.message.contains("task `Describe`"), "{error:?}");
}

#[tokio::test]
async fn concurrent_calls_of_one_execution_assume_its_role_once() {
    let clock = VirtualClock::new(START_MS);
    let handle = emulator(&clock).await;
    let client = client(&handle, &clock);
    let batch = (0..8).map(|_| describe(&client, "exec-00000000000000d4", Some("EcsOperator")));
    futures::future::join_all(batch).await;
    let actions: Vec<String> = record(&handle).into_iter().map(|(action, ..)| action).collect();
    assert_eq!(actions.iter().filter(|action| *action == "AssumeRole").count(), 1, "{actions:?}");
    assert_eq!(actions.len(), 9);
}
