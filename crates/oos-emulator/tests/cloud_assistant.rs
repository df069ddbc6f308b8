//! The Cloud Assistant, called in-process: scripted results, statuses on the emulator's clock,
//! encodings, saved commands with parameters, stopping, files, the agent's status, error codes,
//! idempotency and persistence.

mod support;

use std::time::Duration;

use base64::Engine as _;
use oos_emulator::{Emulator, FleetSeed};
use serde_json::Value;
use support::{ManualClock, ecs};

const SEED: &str = r#"
regions: [cn-hangzhou]
instances:
  - ids: [i-web1, i-web2, i-db]
    count: 3
    name: ["web-1", "web-2", "db"]
    region: cn-hangzhou
  - ids: [i-down]
    status: Stopped
    region: cn-hangzhou
commands:
  - match: "uname -a"
    output: "Linux {instance_name} ({instance_id})\n"
  - regex: '^exit\s+(\d+)'
    output: "boom"
    exit_code: 3
  - match: "sleep"
    duration: 30s
  - match: "hang"
    duration: 2h
"#;

fn emulator(delay: Duration) -> (Emulator, ManualClock) {
    let clock = ManualClock::new();
    let builder = Emulator::builder().transition_delay(delay).seed(FleetSeed::from_yaml(SEED).unwrap());
    (clock.install(builder).build().unwrap(), clock)
}

fn decoded(text: &Value) -> String {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text.as_str().unwrap()).unwrap();
    String::from_utf8(bytes).unwrap()
}

fn run(emulator: &Emulator, content: &str, instances: &[&str]) -> String {
    let mut params = vec![("RegionId", "cn-hangzhou"), ("Type", "RunShellScript"), ("CommandContent", content)];
    let keys: Vec<String> = (1..=instances.len()).map(|n| format!("InstanceId.{n}")).collect();
    params.extend(keys.iter().map(String::as_str).zip(instances.iter().copied()));
    let body = ecs(emulator, "RunCommand", &params).unwrap();
    assert!(body["CommandId"].as_str().unwrap().starts_with("c-"), "{body}");
    body["InvokeId"].as_str().unwrap().to_owned()
}

fn invocation(emulator: &Emulator, invoke_id: &str) -> Value {
    let body = ecs(emulator, "DescribeInvocations", &[("RegionId", "cn-hangzhou"), ("InvokeId", invoke_id), ("IncludeOutput", "true")]).unwrap();
    assert_eq!(body["TotalCount"], 1, "{body}");
    body["Invocations"]["Invocation"][0].clone()
}

fn results(emulator: &Emulator, invoke_id: &str) -> Vec<Value> {
    let body = ecs(emulator, "DescribeInvocationResults", &[("RegionId", "cn-hangzhou"), ("InvokeId", invoke_id)]).unwrap();
    body["Invocation"]["InvocationResults"]["InvocationResult"].as_array().unwrap().clone()
}

#[test]
fn scripted_output_comes_back_base64_per_instance() {
    let (emulator, _) = emulator(Duration::ZERO);
    let invoke_id = run(&emulator, "uname -a; df -h", &["i-web1", "i-db"]);
    let found = invocation(&emulator, &invoke_id);
    assert_eq!(found["InvokeStatus"], "Finished");
    assert_eq!(found["InvocationStatus"], "Success");
    assert_eq!(found["CommandType"], "RunShellScript");
    assert_eq!(decoded(&found["CommandContent"]), "uname -a; df -h");
    assert_eq!(found["Username"], "root");
    let instances = found["InvokeInstances"]["InvokeInstance"].as_array().unwrap();
    assert_eq!(decoded(&instances[1]["Output"]), "Linux db (i-db)\n");
    let records = results(&emulator, &invoke_id);
    let outputs: Vec<String> = records.iter().map(|record| decoded(&record["Output"])).collect();
    assert_eq!(outputs, ["Linux web-1 (i-web1)\n", "Linux db (i-db)\n"]);
    assert!(records.iter().all(|record| record["ExitCode"] == 0 && record["InvokeRecordStatus"] == "Finished"));
    assert!(records.iter().all(|record| record["FinishedTime"].as_str().unwrap().ends_with('Z')));

    let unscripted = run(&emulator, "ls /", &["i-web2"]);
    let record = &results(&emulator, &unscripted)[0];
    assert_eq!((record["ExitCode"].as_i64(), record["Output"].as_str()), (Some(0), Some("")));

    let plain = ecs(&emulator, "DescribeInvocationResults", &[("RegionId", "cn-hangzhou"), ("InvokeId", &invoke_id), ("ContentEncoding", "PlainText")]).unwrap();
    assert_eq!(plain["Invocation"]["InvocationResults"]["InvocationResult"][0]["Output"], "Linux web-1 (i-web1)\n");
}

#[test]
fn a_nonzero_exit_finishes_with_a_failed_record() {
    let (emulator, _) = emulator(Duration::ZERO);
    let invoke_id = run(&emulator, "exit 3", &["i-web1"]);
    let found = invocation(&emulator, &invoke_id);
    assert_eq!((found["InvokeStatus"].as_str(), found["InvocationStatus"].as_str()), (Some("Finished"), Some("Failed")));
    let record = &results(&emulator, &invoke_id)[0];
    assert_eq!(record["ExitCode"], 3);
    assert_eq!(record["InvocationStatus"], "Failed");
    assert_eq!(record["ErrorCode"], "ExitCodeNonzero");
    assert_eq!(decoded(&record["Output"]), "boom");
}

#[test]
fn commands_run_on_the_emulators_clock_and_time_out() {
    let (emulator, clock) = emulator(Duration::from_secs(2));
    let quick = run(&emulator, "uname -a", &["i-web1"]);
    let slow = run(&emulator, "sleep 30", &["i-web1"]);
    let hung = run(&emulator, "hang", &["i-web1"]);
    for invoke_id in [&quick, &slow, &hung] {
        let found = invocation(&emulator, invoke_id);
        assert_eq!(found["InvokeStatus"], "Running", "{found}");
        assert_eq!(found["InvokeInstances"]["InvokeInstance"][0]["Output"], "");
    }
    clock.advance(Duration::from_secs(2));
    assert_eq!(invocation(&emulator, &quick)["InvokeStatus"], "Finished");
    assert_eq!(invocation(&emulator, &slow)["InvokeStatus"], "Running");
    clock.advance(Duration::from_secs(28));
    assert_eq!(invocation(&emulator, &slow)["InvokeStatus"], "Finished");
    assert_eq!(invocation(&emulator, &hung)["InvokeStatus"], "Running");
    clock.advance(Duration::from_secs(60));
    let timed_out = invocation(&emulator, &hung);
    assert_eq!(timed_out["InvokeStatus"], "Failed", "the default timeout is 60 s");
    let instance = &timed_out["InvokeInstances"]["InvokeInstance"][0];
    assert_eq!((instance["InvocationStatus"].as_str(), instance["ErrorCode"].as_str()), (Some("Timeout"), Some("ExecutionTimeout")));
}

#[test]
fn stopped_and_unknown_instances() {
    let (emulator, _) = emulator(Duration::ZERO);
    let invoke_id = run(&emulator, "uname -a", &["i-web1", "i-down"]);
    let found = invocation(&emulator, &invoke_id);
    assert_eq!(found["InvokeStatus"], "PartialFailed");
    let down = &found["InvokeInstances"]["InvokeInstance"][1];
    assert_eq!((down["InvocationStatus"].as_str(), down["ErrorCode"].as_str()), (Some("Aborted"), Some("InstanceNotRunning")));

    let params = [("RegionId", "cn-hangzhou"), ("Type", "RunShellScript"), ("CommandContent", "ls"), ("InstanceId.1", "i-nowhere")];
    let error = ecs(&emulator, "RunCommand", &params).unwrap_err();
    assert_eq!((&*error.code, error.status), ("InvalidInstance.NotFound", 404));
    let error = ecs(&emulator, "RunCommand", &[("RegionId", "cn-hangzhou"), ("Type", "RunShellScript"), ("CommandContent", "ls")]).unwrap_err();
    assert_eq!(error.code, "MissingParameter.InstanceId");
    let error = ecs(&emulator, "RunCommand", &[("RegionId", "cn-hangzhou"), ("Type", "RunPerl"), ("CommandContent", "ls"), ("InstanceId.1", "i-web1")]).unwrap_err();
    assert_eq!(error.code, "InvalidParameter.Type");
    let huge = "x".repeat(20_000);
    let error = ecs(&emulator, "RunCommand", &[("RegionId", "cn-hangzhou"), ("Type", "RunShellScript"), ("CommandContent", &huge), ("InstanceId.1", "i-web1")]).unwrap_err();
    assert_eq!((&*error.code, error.status), ("CmdContent.ExceedLimit", 403));
    let error = ecs(&emulator, "StopInvocation", &[("RegionId", "cn-hangzhou"), ("InvokeId", "t-nothing")]).unwrap_err();
    assert_eq!((&*error.code, error.status), ("InvalidInvokeId.NotFound", 404));
}

#[test]
fn saved_commands_take_parameters() {
    let (emulator, _) = emulator(Duration::ZERO);
    let content = base64::engine::general_purpose::STANDARD.encode("echo {{ who }} on {{ACS::InstanceId}}; uname -a");
    let created = ecs(&emulator, "CreateCommand", &[("RegionId", "cn-hangzhou"), ("Name", "greet"), ("Type", "RunShellScript"), ("CommandContent", &content), ("EnableParameter", "true")]).unwrap();
    let command_id = created["CommandId"].as_str().unwrap();
    let listed = ecs(&emulator, "DescribeCommands", &[("RegionId", "cn-hangzhou"), ("Name", "greet")]).unwrap();
    let command = &listed["Commands"]["Command"][0];
    assert_eq!(command["ParameterNames"]["ParameterName"], serde_json::json!(["who"]));
    assert_eq!(decoded(&command["CommandContent"]), "echo {{ who }} on {{ACS::InstanceId}}; uname -a");

    let invoke = |parameters: &str| {
        ecs(&emulator, "InvokeCommand", &[("RegionId", "cn-hangzhou"), ("CommandId", command_id), ("InstanceId.1", "i-web2"), ("Parameters", parameters)])
    };
    let invoke_id = invoke(r#"{"who":"ops"}"#).unwrap()["InvokeId"].as_str().unwrap().to_owned();
    let found = invocation(&emulator, &invoke_id);
    assert_eq!(found["Parameters"], r#"{"who":"ops"}"#);
    assert_eq!(found["CommandName"], "greet");
    assert_eq!(decoded(&found["InvokeInstances"]["InvokeInstance"][0]["Output"]), "Linux web-2 (i-web2)\n");
    assert_eq!(invoke(r#"{"whom":"ops"}"#).unwrap_err().code, "Parameter.NotMatched");
    let listed = ecs(&emulator, "DescribeCommands", &[("RegionId", "cn-hangzhou"), ("CommandId", command_id)]).unwrap();
    assert_eq!(listed["Commands"]["Command"][0]["InvokeTimes"], 1);

    ecs(&emulator, "DeleteCommand", &[("RegionId", "cn-hangzhou"), ("CommandId", command_id)]).unwrap();
    let error = invoke(r#"{"who":"ops"}"#).unwrap_err();
    assert_eq!((&*error.code, error.status), ("InvalidCmdId.NotFound", 404));
    assert_eq!(invocation(&emulator, &invoke_id)["CommandId"], command_id, "past invocations stay");
}

#[test]
fn public_commands_are_invoked_by_name() {
    let (emulator, _) = emulator(Duration::ZERO);
    let params = [("RegionId", "cn-hangzhou"), ("CommandId", "ACS-ECS-GenerateRsaKeypair-linux.sh"), ("InstanceId.1", "i-web1"), ("Parameters", r#"{"any":"value"}"#)];
    let invoke_id = ecs(&emulator, "InvokeCommand", &params).unwrap()["InvokeId"].as_str().unwrap().to_owned();
    let found = invocation(&emulator, &invoke_id);
    assert_eq!((found["CommandName"].as_str(), found["InvokeStatus"].as_str()), (Some("ACS-ECS-GenerateRsaKeypair-linux.sh"), Some("Finished")));
    let error = ecs(&emulator, "InvokeCommand", &[("RegionId", "cn-hangzhou"), ("CommandId", "c-unknown"), ("InstanceId.1", "i-web1")]).unwrap_err();
    assert_eq!(error.code, "InvalidCmdId.NotFound");
}

#[test]
fn stop_invocation_terminates_running_targets() {
    let (emulator, clock) = emulator(Duration::from_secs(1));
    let invoke_id = run(&emulator, "sleep 30", &["i-web1", "i-web2"]);
    ecs(&emulator, "StopInvocation", &[("RegionId", "cn-hangzhou"), ("InvokeId", &invoke_id), ("InstanceId.1", "i-web1")]).unwrap();
    clock.advance(Duration::from_secs(1));
    let found = invocation(&emulator, &invoke_id);
    let statuses: Vec<&str> = found["InvokeInstances"]["InvokeInstance"].as_array().unwrap().iter().map(|i| i["InvocationStatus"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["Terminated", "Running"]);
    ecs(&emulator, "StopInvocation", &[("RegionId", "cn-hangzhou"), ("InvokeId", &invoke_id)]).unwrap();
    assert_eq!(invocation(&emulator, &invoke_id)["InvokeStatus"], "Stopped");
}

#[test]
fn a_client_token_runs_the_command_once() {
    let (emulator, _) = emulator(Duration::ZERO);
    let params = [("RegionId", "cn-hangzhou"), ("Type", "RunShellScript"), ("CommandContent", "uname -a"), ("InstanceId.1", "i-web1"), ("ClientToken", "once")];
    let first = ecs(&emulator, "RunCommand", &params).unwrap();
    assert_eq!(ecs(&emulator, "RunCommand", &params).unwrap(), first);
    let all = ecs(&emulator, "DescribeInvocations", &[("RegionId", "cn-hangzhou")]).unwrap();
    assert_eq!(all["TotalCount"], 1);
}

#[test]
fn send_file_records_deliveries() {
    let (emulator, _) = emulator(Duration::ZERO);
    let send = |overwrite: &str| {
        let params = [("RegionId", "cn-hangzhou"), ("Name", "app.conf"), ("TargetDir", "/etc/app"), ("Content", "port=80"), ("Overwrite", overwrite), ("InstanceId.1", "i-web1"), ("InstanceId.2", "i-down")];
        ecs(&emulator, "SendFile", &params).unwrap()["InvokeId"].as_str().unwrap().to_owned()
    };
    let first = send("false");
    let describe = |invoke_id: &str| {
        let body = ecs(&emulator, "DescribeSendFileResults", &[("RegionId", "cn-hangzhou"), ("InvokeId", invoke_id)]).unwrap();
        body["Invocations"]["Invocation"][0].clone()
    };
    let found = describe(&first);
    assert_eq!((found["InvocationStatus"].as_str(), found["VmCount"].as_i64(), found["Overwrite"].as_str()), (Some("PartialFailed"), Some(2), Some("false")));
    let again = describe(&send("false"));
    assert_eq!(again["InvokeInstances"]["InvokeInstance"][0]["ErrorCode"], "FileAlreadyExists");
    assert_eq!(describe(&send("true"))["InvokeInstances"]["InvokeInstance"][0]["InvocationStatus"], "Success");
}

#[test]
fn the_agent_answers_on_running_instances() {
    let (emulator, _) = emulator(Duration::ZERO);
    run(&emulator, "uname -a", &["i-web1"]);
    let body = ecs(&emulator, "DescribeCloudAssistantStatus", &[("RegionId", "cn-hangzhou"), ("InstanceId.1", "i-web1"), ("InstanceId.2", "i-down")]).unwrap();
    let set = body["InstanceCloudAssistantStatusSet"]["InstanceCloudAssistantStatus"].as_array().unwrap();
    assert_eq!((set[0]["CloudAssistantStatus"].as_str(), set[0]["InvocationCount"].as_i64()), (Some("true"), Some(1)));
    assert_eq!(set[1]["CloudAssistantStatus"], "false");
    ecs(&emulator, "InstallCloudAssistant", &[("RegionId", "cn-hangzhou"), ("InstanceId.1", "i-web1")]).unwrap();
}

#[test]
fn invocations_and_scripts_survive_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let state = directory.path().join("cloud.json");
    let first = Emulator::builder().seed(FleetSeed::from_yaml(SEED).unwrap()).state_file(&state).build().unwrap();
    let invoke_id = run(&first, "uname -a", &["i-db"]);
    first.save().unwrap();
    let second = Emulator::builder().state_file(&state).build().unwrap();
    assert_eq!(decoded(&results(&second, &invoke_id)[0]["Output"]), "Linux db (i-db)\n");
    let again = run(&second, "uname -a", &["i-web1"]);
    assert_eq!(decoded(&results(&second, &again)[0]["Output"]), "Linux web-1 (i-web1)\n", "the scripts were kept");
}

#[test]
fn bad_scripts_are_named_in_the_seed_error() {
    let seed = FleetSeed::from_yaml("commands:\n  - {output: x}\n").unwrap();
    let error = Emulator::builder().seed(seed).build().unwrap_err().to_string();
    assert!(error.contains("commands[0]") && error.contains("`match`"), "{error}");
}
