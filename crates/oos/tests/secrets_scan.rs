//! The secrets scan: a template that uses a NoEcho parameter and an `{{ oos-secret:… }}` value runs
//! through every path — a successful cloud call whose answer and outputs carry them, a failed cloud
//! call, a failed webhook, a loop over items holding them, a child template that gets them as plain
//! parameters and returns them, the template's outputs, and the same template in Debug mode — on a
//! real `oos server --sandbox`. Then every table of the database (and its raw files), every line the
//! server logged, every API answer and every CLI answer is searched for both plaintexts: none holds one.

mod attack;

use attack::{Target, tables_holding};
use oos_testkit::repo_root;
use serde_json::{Value, json};

const TOKEN: &str = "nx7Qp2Lr9Zt4";
const SECRET: &str = "sv3Kd8Wm1Hy6";

fn parent() -> Value {
    let fail_next = "ACS::NEXT";
    json!({
        "FormatVersion": "OOS-2019-06-01",
        "Parameters": {"Token": {"Type": "String", "NoEcho": true}},
        "Tasks": [
            {"Name": "describe", "Action": "ACS::ExecuteAPI",
             "Properties": {"Service": "ECS", "API": "DescribeInstances", "Parameters": {"RegionId": "cn-hangzhou", "InstanceName": "{{ Token }}-{{ oos-secret:app/token }}"}},
             "Outputs": {"echo": {"Type": "String", "ValueSelector": "\"{{ Token }}/{{ oos-secret:app/token }}\""}}},
            {"Name": "badCall", "Action": "ACS::ExecuteAPI", "OnError": fail_next,
             "Properties": {"Service": "ECS", "API": "StopInstance", "Parameters": {"RegionId": "cn-hangzhou", "InstanceId": "i-{{ Token }}{{ oos-secret:app/token }}"}}},
            {"Name": "badHook", "Action": "ACS::Notify", "OnError": fail_next,
             "Properties": {"NotifyType": "WebHook", "WebHook": {"URI": "http://127.0.0.1:9/hook?t={{ Token }}&s={{ oos-secret:app/token }}", "Content": {"text": "{{ Token }} {{ oos-secret:app/token }}"}}}},
            {"Name": "each", "Action": "ACS::ExecuteAPI",
             "Loop": {"Items": ["a-{{ Token }}", "b-{{ oos-secret:app/token }}"], "Outputs": {"items": {"AggregateType": "Fn::ListJoin", "AggregateField": "item"}}},
             "Properties": {"Service": "ECS", "API": "DescribeRegions", "Parameters": {"AcceptLanguage": "{{ ACS::TaskLoopItem }}"}},
             "Outputs": {"item": {"Type": "String", "ValueSelector": "\"{{ ACS::TaskLoopItem }}\""}}},
            {"Name": "child", "Action": "ACS::Template",
             "Properties": {"TemplateName": "EchoChild", "Parameters": {"Value": "{{ Token }}", "Other": "{{ oos-secret:app/token }}"}},
             "Outputs": {"back": {"Type": "String", "ValueSelector": ".back"}}}
        ],
        "Outputs": {
            "Leak": {"Type": "String", "Value": "{{ Token }}|{{ oos-secret:app/token }}|{{ describe.echo }}|{{ child.back }}"},
            "Items": {"Type": "List", "Value": "{{ each.items }}"}
        }
    })
}

fn child() -> Value {
    json!({
        "FormatVersion": "OOS-2019-06-01",
        "Parameters": {"Value": {"Type": "String"}, "Other": {"Type": "String"}},
        "Tasks": [{"Name": "look", "Action": "ACS::ExecuteAPI", "Properties": {"Service": "ECS", "API": "DescribeRegions", "Parameters": {"AcceptLanguage": "{{ Value }}"}}}],
        "Outputs": {"back": {"Type": "String", "Value": "{{ Value }}+{{ Other }}"}}
    })
}

/// Everything the CLI prints for the executions, as a client of the server.
fn cli_answers(target: &Target, ids: &[String]) -> String {
    let endpoint = format!("http://{}", target.addr());
    let mut printed = String::new();
    let mut commands: Vec<Vec<String>> = vec![vec!["execution".into(), "list".into()]];
    for id in ids {
        for sub in ["show", "tasks", "logs"] {
            commands.push(vec!["execution".into(), sub.into(), id.clone()]);
        }
    }
    for command in commands {
        for output in ["json", "table"] {
            let answer = std::process::Command::new(attack::binary())
                .args(&command)
                .args(["--endpoint", &endpoint, "--access-key-id", &target.root.access_key_id, "--access-key-secret", &target.root.access_key_secret, "--output", output])
                .output()
                .expect("the CLI runs");
            assert!(answer.status.success(), "oos {command:?}: {}", String::from_utf8_lossy(&answer.stderr));
            printed.push_str(&String::from_utf8_lossy(&answer.stdout));
            printed.push_str(&String::from_utf8_lossy(&answer.stderr));
        }
    }
    printed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_appear_in_plain_text_on_any_path() {
    let fleet = repo_root().join("examples/sandbox-fleet.yaml");
    let target = Target::start(&["--sandbox", "--fleet", fleet.to_str().unwrap()]);
    target.oos("CreateSecretParameter", &[("Name", "app/token"), ("Value", SECRET)]).await;
    target.oos("CreateTemplate", &[("TemplateName", "EchoChild"), ("Content", &child().to_string())]).await;
    target.oos("CreateTemplate", &[("TemplateName", "Leaky"), ("Content", &parent().to_string())]).await;
    let parameters = json!({"Token": TOKEN}).to_string();
    let started = target.oos("StartExecution", &[("TemplateName", "Leaky"), ("Parameters", &parameters)]).await;
    let automatic = started["Execution"]["ExecutionId"].as_str().unwrap().to_owned();
    let finished = target.finished(&automatic).await;
    assert_eq!(finished["Status"], "Success", "{finished}");
    let outputs: Value = serde_json::from_str(finished["Outputs"].as_str().unwrap()).unwrap();
    assert_eq!(outputs["Leak"], "******|******|******/******|******+******", "the outputs were computed from the real values, then masked");

    let debug = target.oos("StartExecution", &[("TemplateName", "Leaky"), ("Parameters", &parameters), ("Mode", "Debug")]).await;
    let debug = debug["Execution"]["ExecutionId"].as_str().unwrap().to_owned();
    for _ in 0..12 {
        if target.finished(&debug).await["Status"] != "Waiting" {
            break;
        }
        target.oos("NotifyExecution", &[("ExecutionId", &debug), ("NotifyType", "ExecuteTask")]).await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(target.finished(&debug).await["Status"], "Success");

    let listed = target.oos("ListExecutions", &[("IncludeChildExecution", "true"), ("MaxResults", "100")]).await;
    let ids: Vec<String> = listed["Executions"].as_array().unwrap().iter().map(|execution| execution["ExecutionId"].as_str().unwrap().to_owned()).collect();
    assert!(ids.len() >= 4, "two executions and their children: {ids:?}");
    let mut answers = vec![started.to_string(), listed.to_string()];
    for id in &ids {
        answers.push(target.oos("ListTaskExecutions", &[("ExecutionId", id)]).await.to_string());
        answers.push(target.oos("ListExecutionLogs", &[("ExecutionId", id)]).await.to_string());
        answers.push(target.oos("GetExecutionTemplate", &[("ExecutionId", id)]).await.to_string());
    }
    answers.push(target.oos("ListAuditEvents", &[("MaxResults", "100")]).await.to_string());
    answers.push(target.oos("GetSecretParameter", &[("Name", "app/token")]).await.to_string());
    answers.push(cli_answers(&target, &ids));
    answers.push(target.process().output());
    for plaintext in [TOKEN, SECRET] {
        for answer in &answers {
            assert!(!answer.contains(plaintext), "{plaintext} appears in: {answer:.400}");
        }
        assert_eq!(tables_holding(target.dir.path(), plaintext).await, Vec::<String>::new(), "{plaintext} in the database");
    }
    // The scan can fail: the secret parameter's owner sees it when asking for it decrypted.
    let decrypted = target.oos("GetSecretParameter", &[("Name", "app/token"), ("WithDecryption", "true")]).await;
    assert_eq!(decrypted["Parameter"]["Value"], SECRET);
}
