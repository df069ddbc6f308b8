//! The tutorial's lab template (`examples/lab-stop-start.json`, verbatim) under `oos run
//! --sandbox`: describe-only, stop/start with instant transitions, and with realistic delays
//! (verbatim fails on StartInstance with IncorrectInstanceStatus; a WaitFor in between fixes it).

mod sandbox_support;

use std::path::PathBuf;

use sandbox_support::{SandboxDir, example};
use serde_json::Value;

const ONE_INSTANCE: &str = "
regions: [cn-hangzhou]
instances:
  - ids: [i-lab]
    name: lab
    region: cn-hangzhou
";

fn lab_parameters(do_stop_start: bool) -> [String; 3] {
    ["RegionId=cn-hangzhou".into(), "InstanceId=i-lab".into(), format!("DoStopStart={do_stop_start}")]
}

fn run_lab(sandbox: &SandboxDir, template: PathBuf, do_stop_start: bool, delay: &str) -> sandbox_support::RunOutcome {
    let parameters = lab_parameters(do_stop_start);
    let parameters: Vec<&str> = parameters.iter().map(String::as_str).collect();
    sandbox.run(&template, &parameters, &["--transition-delay", delay])
}

/// The status of the one instance in a DescribeInstances answer kept as an output.
fn described_status(output: &Value) -> String {
    let answer: Value = match output {
        Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone())),
        other => other.clone(),
    };
    let instances = answer.pointer("/Instances/Instance").and_then(Value::as_array).unwrap_or_else(|| panic!("no Instances.Instance in {answer}"));
    assert_eq!(instances.len(), 1, "one instance described: {answer}");
    instances[0]["Status"].as_str().expect("a Status").to_owned()
}

fn statuses_by_task(outcome: &sandbox_support::RunOutcome) -> Vec<(String, String)> {
    outcome.tasks().iter().map(|t| (t["TaskName"].as_str().unwrap_or_default().to_owned(), t["Status"].as_str().unwrap_or_default().to_owned())).collect()
}

#[test]
fn describe_only_skips_stop_and_start_and_leaves_the_instance_alone() {
    let sandbox = SandboxDir::new(ONE_INSTANCE);
    let outcome = run_lab(&sandbox, example("lab-stop-start.json"), false, "0");
    outcome.assert_success();
    let mut tasks = statuses_by_task(&outcome);
    tasks.sort();
    assert_eq!(
        tasks,
        [("DescribeAfter", "Success"), ("DescribeBefore", "Success"), ("StartInstance", "Skipped"), ("StopInstance", "Skipped")]
            .map(|(n, s)| (n.to_owned(), s.to_owned()))
    );
    let outputs = outcome.outputs();
    assert_eq!(described_status(&outputs["Before"]), "Running");
    assert_eq!(described_status(&outputs["After"]), "Running");
    assert_eq!(sandbox.statuses(), ["Running"]);
    assert!(outcome.stderr.contains("the emulated cloud is unchanged"), "{}", outcome.stderr);
}

#[test]
fn stop_start_with_instant_transitions_stops_then_starts_the_instance() {
    let sandbox = SandboxDir::new(ONE_INSTANCE);
    let before = sandbox_start_time(&sandbox, "0");
    let outcome = run_lab(&sandbox, example("lab-stop-start.json"), true, "0");
    outcome.assert_success();
    let tasks = statuses_by_task(&outcome);
    let expected = ["DescribeBefore", "StopInstance", "StartInstance", "DescribeAfter"].map(|n| (n.to_owned(), "Success".to_owned()));
    assert_eq!(tasks, expected, "the four tasks ran in order");
    let outputs = outcome.outputs();
    assert_eq!(described_status(&outputs["Before"]), "Running");
    assert_eq!(described_status(&outputs["After"]), "Running");
    // StartInstance only succeeds on a Stopped instance, and a start sets a new StartTime.
    assert_eq!(sandbox.statuses(), ["Running"]);
    assert_ne!(sandbox.instances()[0]["start_time"], before, "the instance was restarted");
}

/// Runs the describe-only lab once so the state file exists, then backdates the instance's
/// StartTime (ECS keeps minutes only) so that a restart is visible; returns that StartTime.
fn sandbox_start_time(sandbox: &SandboxDir, delay: &str) -> Value {
    run_lab(sandbox, example("lab-stop-start.json"), false, delay).assert_success();
    let backdated = Value::String("2020-01-01T00:00Z".into());
    sandbox.rewrite_cloud(|cloud| cloud["instances"]["i-lab"]["start_time"] = backdated.clone());
    backdated
}

#[test]
fn verbatim_lab_with_realistic_delays_fails_on_start_with_incorrect_instance_status() {
    let sandbox = SandboxDir::new(ONE_INSTANCE);
    let outcome = run_lab(&sandbox, example("lab-stop-start.json"), true, "1s");
    assert!(!outcome.success, "the verbatim lab must fail while the instance is still stopping:\n{}", outcome.stdout);
    let start = outcome.task("StartInstance");
    assert_eq!(start["Status"], "Failed", "{start}");
    let message = start["StatusMessage"].as_str().unwrap_or_default();
    assert!(message.contains("IncorrectInstanceStatus"), "the task shows the cloud's error code: {message}");
    assert!(outcome.stderr.contains("IncorrectInstanceStatus"), "and so does the run's error: {}", outcome.stderr);
    assert_eq!(outcome.task("StopInstance")["Status"], "Success");
    assert_ne!(sandbox.statuses(), ["Running"], "the instance was stopped and not started again");
}

#[test]
fn lab_with_a_wait_for_between_stop_and_start_succeeds_with_realistic_delays() {
    let sandbox = SandboxDir::new(ONE_INSTANCE);
    let outcome = run_lab(&sandbox, example("lab-stop-wait-start.json"), true, "1s");
    outcome.assert_success();
    let tasks = statuses_by_task(&outcome);
    let names: Vec<&str> = tasks.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["DescribeBefore", "StopInstance", "WaitStopped", "StartInstance", "DescribeAfter"]);
    assert!(tasks.iter().all(|(_, status)| status == "Success"), "{tasks:?}");
    assert!(["Starting", "Running"].contains(&described_status(&outcome.outputs()["After"]).as_str()));
}

/// The lab template acting as `EcsOperator`, with the cloud's own answer of who called it.
fn lab_as_a_role(dir: &std::path::Path) -> PathBuf {
    let mut template: Value = serde_json::from_str(&std::fs::read_to_string(example("lab-stop-start.json")).unwrap()).unwrap();
    template["RamRole"] = Value::from("EcsOperator");
    template["Tasks"]["WhoAmI"] = serde_json::json!({"Action": "ACS::ExecuteAPI", "Properties": {"Service": "STS", "API": "GetCallerIdentity", "Parameters": {}},
                                                      "Outputs": {"Arn": {"Type": "String", "ValueSelector": ".Arn"}}});
    template["Outputs"]["Caller"] = serde_json::json!({"Type": "String", "Value": "{{ WhoAmI.Arn }}"});
    let path = dir.join("lab-as-a-role.json");
    std::fs::write(&path, template.to_string()).unwrap();
    path
}

#[test]
fn with_a_ram_role_the_sandbox_sees_the_calls_made_as_that_role_in_the_executions_session() {
    let sandbox = SandboxDir::new(ONE_INSTANCE);
    let template = lab_as_a_role(sandbox.path());
    let outcome = run_lab(&sandbox, template, true, "0");
    outcome.assert_success();
    let account = oos_emulator::DEFAULT_ACCOUNT_ID;
    assert!(outcome.stderr.contains(&format!("roles assumed in account {account}")), "{}", outcome.stderr);
    let caller = outcome.outputs()["Caller"].as_str().unwrap_or_default().to_owned();
    assert_eq!(caller, format!("acs:ram::{account}:assumed-role/EcsOperator/{}", outcome.execution_id));
    assert_eq!(sandbox.statuses(), ["Running"]);
}

/// A template deleting one instance: a Delete* call, high risk by default.
const DELETE: &str = r#"{"FormatVersion":"OOS-2019-06-01","Parameters":{"InstanceId":{"Type":"String"}},
"Tasks":[{"Name":"deleteInstance","Action":"ACS::ExecuteAPI","Properties":{"Service":"ECS","API":"DeleteInstance","Parameters":{"InstanceId":"{{ InstanceId }}","Force":true}}}]}"#;

#[test]
fn oos_run_waits_on_a_high_risk_call_unless_the_safety_check_is_skipped() {
    let sandbox = SandboxDir::new(&std::fs::read_to_string(example("sandbox-fleet.yaml")).unwrap());
    let template = sandbox.path().join("delete.json");
    std::fs::write(&template, DELETE).unwrap();
    let parameters = ["InstanceId=i-quickstart-web1"];
    let waiting = sandbox.run(&template, &parameters, &[]);
    assert!(waiting.stderr.contains("is Waiting"), "the delete waits for a decision: {waiting:?}");
    assert_eq!(sandbox.instances().len(), 2, "nothing was deleted while waiting");
    let refused = sandbox.run(&template, &parameters, &["--safety-check", "Skip", "--mode", "Debug"]);
    assert!(!refused.success && refused.stderr.contains("InvalidParameter.SafetyCheck"), "{}", refused.stderr);
    let skipped = sandbox.run(&template, &parameters, &["--safety-check", "Skip"]);
    assert!(skipped.success, "{}", skipped.stderr);
    assert_eq!(sandbox.instances().len(), 1, "the delete ran straight through");
}
