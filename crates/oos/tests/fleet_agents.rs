//! The fleet test of managed instances: five real `oos agent` processes registered with a real
//! `oos server`, each on its own host (a network namespace with its own link and address) when the
//! test may make namespaces, else each a process with its own state directory (the test's standard
//! error says which); the public template `ACS-ECS-BulkyRunCommand`, unmodified, runs
//! `uname -a; df -h` on the instances selected by tag, and its outputs hold every instance's
//! `uname -a` line and `df` header. And a WaitFor on a command polls as soon as the command's
//! outcome is recorded, not after its back-off.

mod fleet;

use std::collections::HashSet;
use std::time::Duration;

use fleet::agents::{Fleet, Mode};
use serde_json::json;

const HOSTS: usize = 5;
/// Bound against hangs: far above what the run takes.
const BOUND: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulky_run_command_runs_unmodified_across_the_fleet() {
    let fleet = Fleet::start(HOSTS, true).await;
    let server = &fleet.server;
    for id in &fleet.instance_ids {
        server.ecs("TagResources", &[("ResourceType", "managedinstance"), ("ResourceId.1", id), ("Tag.1.Key", "fleet"), ("Tag.1.Value", "h13")]).await;
    }
    // One more instance, registered but untagged and never connected: were it selected, its
    // command would wait for it and the execution would not end.
    let untagged = server.register_bare(&server.activation(1).await, "untagged").await;

    // On separate hosts, each instance reports its own address.
    if fleet.mode == Mode::Namespaces {
        let listed = server.ecs("DescribeManagedInstances", &[("Tag.1.Key", "fleet"), ("Tag.1.Value", "h13"), ("PageSize", "50")]).await;
        let addresses: HashSet<String> = listed["Instances"].as_array().expect("instances").iter().map(|instance| instance["IntranetIp"].as_str().unwrap_or_default().to_string()).collect();
        let expected: HashSet<String> = fleet.hosts.iter().map(|host| host.address.to_string()).collect();
        assert_eq!(addresses, expected, "{listed}");
    }

    let parameters = json!({
        "resourceType": "ALIYUN::ECS::ManagedInstance",
        "targets": {"Type": "Tags", "Tags": [{"Key": "fleet", "Value": "h13"}]},
        "commandContent": "uname -a; df -h",
    });
    let id = server.start_execution(&fleet::bulky_run_command(), &parameters).await;
    let execution = server.finished_execution(&id, Duration::from_millis(200), BOUND).await;
    assert_eq!(execution["Status"], "Success", "{execution}\n--- server output ---\n{}", server.process.output());

    let uname = std::process::Command::new("uname").arg("-a").output().expect("uname runs");
    let uname = String::from_utf8_lossy(&uname.stdout).trim().to_string();
    let outputs = fleet::outputs(&execution);
    let outputs = outputs["commandOutputs"].as_array().unwrap_or_else(|| panic!("no commandOutputs list: {execution}"));
    assert_eq!(outputs.len(), HOSTS, "one output per instance: {execution}");
    for output in outputs {
        let text = output.as_str().unwrap_or_default();
        assert!(text.lines().any(|line| line.trim() == uname), "no `uname -a` line ({uname}) in {text:?}");
        assert!(text.lines().any(|line| line.starts_with("Filesystem")), "no df header in {text:?}");
    }
    // Every tagged instance ran it once, and its own result says so; the untagged one ran nothing.
    let invocations = server.ecs("DescribeInvocations", &[("InstanceId", &untagged)]).await;
    assert_eq!(invocations["TotalCount"], 0, "{invocations}");
    for instance in &fleet.instance_ids {
        let invocations = server.ecs("DescribeInvocations", &[("InstanceId", instance)]).await;
        assert_eq!(invocations["TotalCount"], 1, "{invocations}");
        let invoke_id = invocations["Invocations"]["Invocation"][0]["InvokeId"].as_str().unwrap_or_else(|| panic!("no invocation on {instance}: {invocations}"));
        let result = server.final_result(invoke_id, instance, BOUND).await;
        assert_eq!((result["InvocationStatus"].as_str(), result["ExitCode"].as_i64()), (Some("Success"), Some(0)), "{result}");
        assert!(fleet::decoded(&result["Output"]).contains(&uname), "{result}");
    }
}

/// A template whose WaitFor would wait an hour between polls: the first poll finds the command
/// still running, and the execution ends only because the hub pokes it when the outcome is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_for_on_a_command_polls_when_the_command_ends() {
    let fleet = Fleet::start(1, false).await;
    let template = json!({
        "FormatVersion": "OOS-2019-06-01",
        "Tasks": [
            {"Name": "run", "Action": "ACS::ExecuteAPI",
             "Properties": {"Service": "ECS", "API": "RunCommand", "Parameters": {"Type": "RunShellScript", "CommandContent": "sleep 3; echo poked", "InstanceIds": [fleet.instance_ids[0]]}},
             "Outputs": {"invokeId": {"Type": "String", "ValueSelector": "InvokeId"}}},
            {"Name": "wait", "Action": "ACS::WaitFor", "DelayType": "Constant", "Delay": 3600, "Retries": 2,
             "Properties": {"Service": "ECS", "API": "DescribeInvocations", "Parameters": {"InvokeId": "{{ run.invokeId }}"},
                            "DesiredValues": ["Finished"], "StopRetryValues": ["Failed", "Stopped"], "PropertySelector": "Invocations.Invocation[].InvokeStatus"}}
        ]
    });
    let id = fleet.server.start_execution(&template.to_string(), &json!({})).await;
    let execution = fleet.server.finished_execution(&id, Duration::from_millis(200), BOUND).await;
    assert_eq!(execution["Status"], "Success", "{execution}\n--- server output ---\n{}", fleet.server.process.output());
}
