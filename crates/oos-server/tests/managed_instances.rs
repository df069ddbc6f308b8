//! The Cloud Assistant of managed instances through the server, with a scripted agent speaking the
//! agent protocol over a real WebSocket (`scripted_agent`; the real `oos agent` is tested in the `oos` crate):
//! activation limits, registration, RunCommand through the ECS API and from a template, output
//! and outcome recorded and audited, stops, an agent unable to touch another's invocations,
//! timeouts of offline instances, and RAM on instances by id and by tag. Both store backends.

mod api_client;
mod scripted_agent;

use std::time::Duration;

use api_client::{Backend, call, ecs, oos, ram, settle, start_on, user};
use oos_agent_proto::{AgentMessage, FinishStatus, Outcome, ServerMessage};
use oos_cloud::CloudClient;
use futures::StreamExt;
use scripted_agent::{connect, inventory, next, register, send};
use tokio_tungstenite::tungstenite::Message;
use serde_json::{Value, json};

const ECS: &str = "2014-05-26";

fn outcome(invoke_id: &str, status: FinishStatus, exit_code: i32, output: &str) -> AgentMessage {
    AgentMessage::Finished(Outcome { invoke_id: invoke_id.into(), status, exit_code: Some(exit_code), start_ms: 1, finish_ms: 2, output: output.into(), dropped: 0, error_code: (exit_code != 0).then(|| "ExitCodeNonzero".into()), error_info: None })
}

/// Waits until DescribeInvocationResults shows the target of `instance` with a final status (an
/// offline instance's after its timeout and the 15 s report grace).
async fn result_of(root: &CloudClient, invoke_id: &str, instance: &str) -> Value {
    for _ in 0..600 {
        let results = ecs(root, "DescribeInvocationResults", &[("InvokeId", invoke_id), ("InstanceId", instance)]).await;
        let result = results["Invocation"]["InvocationResults"]["InvocationResult"][0].clone();
        if !matches!(result["InvocationStatus"].as_str(), Some("Pending" | "Running" | "Stopping") | None) {
            return result;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("invocation {invoke_id} on {instance} did not end");
}

fn decoded(output: &Value) -> String {
    use base64::Engine;
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(output.as_str().unwrap()).unwrap()).unwrap()
}

async fn run_command_round_trip(backend: Backend) {
    let (server, root, bed) = start_on(backend).await;
    let addr = server.addr();
    let activation = ecs(&root, "CreateActivation", &[("InstanceCount", "2"), ("TimeToLiveInHours", "1")]).await;
    let one = register(addr, &activation, "web-1").await.unwrap();
    let two = register(addr, &activation, "web-2").await.unwrap();
    let refused = register(addr, &activation, "web-3").await.unwrap_err();
    assert_eq!(refused["Code"], "InvalidActivation.UsageExceeded", "{refused}");
    let mut wrong = activation.clone();
    wrong["ActivationCode"] = json!("not-the-code");
    assert_eq!(register(addr, &wrong, "web-4").await.unwrap_err()["Code"], "InvalidActivation.NotFound");
    assert!(one.instance_id.starts_with("mi-") && one.instance_id != two.instance_id);

    assert!(connect(addr, &format!("{}:wrong", one.instance_id)).await.is_err(), "a wrong secret must not connect");
    let mut agent = connect(addr, &format!("{}:{}", one.instance_id, one.secret)).await.unwrap();
    let mut other = connect(addr, &format!("{}:{}", two.instance_id, two.secret)).await.unwrap();

    let started = ecs(&root, "RunCommand", &[("Type", "RunShellScript"), ("CommandContent", "echo {{ who }}"), ("InstanceId.1", &one.instance_id), ("EnableParameter", "true"), ("Parameters", r#"{"who":"ops"}"#), ("Timeout", "30")]).await;
    let invoke_id = started["InvokeId"].as_str().unwrap().to_string();
    let ServerMessage::Run(job) = next(&mut agent).await else { panic!("expected a run") };
    assert_eq!((job.invoke_id.as_str(), job.content.as_str(), job.enable_parameter), (invoke_id.as_str(), "echo {{ who }}", true));
    assert_eq!(job.parameters["who"], "ops");
    let described = ecs(&root, "DescribeInvocations", &[("InvokeId", &invoke_id)]).await;
    assert!(!described.to_string().contains("ops"), "parameter values are never shown: {described}");
    if backend == Backend::Postgres {
        // Beside the server, as another process reads the database: the values are sealed at rest.
        let query = oos_store::InvocationQuery { invoke_id: Some(invoke_id.clone()), ..Default::default() };
        let (stored, _) = oos_store::AssistantStore::invocations(bed.store().await.as_ref(), &query).await.unwrap();
        assert!(stored[0].0.parameters.starts_with("sealed:") && !stored[0].0.parameters.contains("ops"), "{}", stored[0].0.parameters);
    }

    // Another agent reporting on this invocation changes nothing.
    send(&mut other, &outcome(&invoke_id, FinishStatus::Failed, 9, "forged")).await;
    let ServerMessage::Recorded { .. } = next(&mut other).await else { panic!("expected an acknowledgement") };

    send(&mut agent, &AgentMessage::Accepted { invoke_id: invoke_id.clone(), start_ms: 1 }).await;
    send(&mut agent, &AgentMessage::Output { invoke_id: invoke_id.clone(), data: "op".into() }).await;
    send(&mut agent, &outcome(&invoke_id, FinishStatus::Success, 0, "ops\n")).await;
    let ServerMessage::Recorded { invoke_id: recorded } = next(&mut agent).await else { panic!("expected an acknowledgement") };
    assert_eq!(recorded, invoke_id);
    let result = result_of(&root, &invoke_id, &one.instance_id).await;
    assert_eq!((result["InvocationStatus"].as_str(), result["ExitCode"].as_i64()), (Some("Success"), Some(0)), "{result}");
    assert_eq!(decoded(&result["Output"]), "ops\n");
    let described = ecs(&root, "DescribeInvocations", &[("InvokeId", &invoke_id)]).await;
    assert_eq!(described["Invocations"]["Invocation"][0]["InvokeStatus"], "Finished");
    // The same report again (after a reconnection) is acknowledged and changes nothing.
    send(&mut agent, &outcome(&invoke_id, FinishStatus::Failed, 3, "late")).await;
    let ServerMessage::Recorded { .. } = next(&mut agent).await else { panic!("expected an acknowledgement") };
    assert_eq!(decoded(&result_of(&root, &invoke_id, &one.instance_id).await["Output"]), "ops\n");

    // The outcome is in the audit trail, with its output.
    let events = api_client::events(&root, &[]).await;
    assert!(events.iter().any(|event| event.to_string().contains(&invoke_id) && event.to_string().contains("ReportInvocation")), "no audit record of the outcome");

    // A stop reaches the agent.
    let started = ecs(&root, "RunCommand", &[("Type", "RunShellScript"), ("CommandContent", "sleep 100"), ("InstanceId.1", &one.instance_id)]).await;
    let invoke_id = started["InvokeId"].as_str().unwrap().to_string();
    let ServerMessage::Run(_) = next(&mut agent).await else { panic!("expected a run") };
    send(&mut agent, &AgentMessage::Accepted { invoke_id: invoke_id.clone(), start_ms: 1 }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    ecs(&root, "StopInvocation", &[("InvokeId", &invoke_id)]).await;
    let ServerMessage::Stop { invoke_id: stopped } = next(&mut agent).await else { panic!("expected a stop") };
    assert_eq!(stopped, invoke_id);
    send(&mut agent, &outcome(&invoke_id, FinishStatus::Stopped, 137, "")).await;
    assert_eq!(result_of(&root, &invoke_id, &one.instance_id).await["InvocationStatus"], "Stopped");

    // A template on the worker: ExecuteAPI RunCommand, WaitFor, results — served here, not by a cloud.
    let template = json!({
        "FormatVersion": "OOS-2019-06-01",
        "Tasks": [
            {"Name": "run", "Action": "ACS::ExecuteAPI", "Properties": {"Service": "ECS", "API": "RunCommand", "Parameters": {"Type": "RunShellScript", "CommandContent": "uname -a", "InstanceIds": [two.instance_id]}}, "Outputs": {"invokeId": {"Type": "String", "ValueSelector": "InvokeId"}}},
            {"Name": "wait", "Action": "ACS::WaitFor", "Properties": {"Service": "ECS", "API": "DescribeInvocations", "Parameters": {"InvokeId": "{{ run.invokeId }}"}, "DesiredValues": ["Finished"], "StopRetryValues": ["Failed", "Stopped"], "PropertySelector": "Invocations.Invocation[].InvokeStatus"}},
            {"Name": "result", "Action": "ACS::ExecuteAPI", "Properties": {"Service": "ECS", "API": "DescribeInvocationResults", "Parameters": {"InvokeId": "{{ run.invokeId }}"}}, "Outputs": {"output": {"Type": "String", "ValueSelector": "Invocation.InvocationResults.InvocationResult[].Output"}}}
        ],
        "Outputs": {"output": {"Type": "String", "Value": {"Fn::Base64Decode": "{{ result.output }}"}}}
    });
    let started = oos(&root, "StartExecution", &[("TemplateContent", &template.to_string())]).await;
    let execution = started["Execution"]["ExecutionId"].as_str().unwrap().to_string();
    let ServerMessage::Run(job) = next(&mut other).await else { panic!("expected a run") };
    send(&mut other, &AgentMessage::Accepted { invoke_id: job.invoke_id.clone(), start_ms: 1 }).await;
    send(&mut other, &outcome(&job.invoke_id, FinishStatus::Success, 0, "Linux web-2\n")).await;
    assert_eq!(settle(&root, &execution).await, "Success");
    let listed = oos(&root, "ListExecutions", &[("ExecutionId", &execution)]).await;
    let outputs: Value = serde_json::from_str(listed["Executions"][0]["Outputs"].as_str().unwrap()).unwrap();
    assert_eq!(outputs["output"], "Linux web-2\n");

    // Managed instances are listed with their agents' state, and selectable by tag.
    ecs(&root, "TagResources", &[("ResourceType", "managedinstance"), ("ResourceId.1", &two.instance_id), ("Tag.1.Key", "env"), ("Tag.1.Value", "prod")]).await;
    let listed = ecs(&root, "DescribeManagedInstances", &[("Tag.1.Key", "env"), ("Tag.1.Value", "prod")]).await;
    assert_eq!(listed["Instances"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!((listed["Instances"][0]["InstanceId"].as_str(), listed["Instances"][0]["Connected"].as_bool()), (Some(two.instance_id.as_str()), Some(true)));
    let select = json!({
        "FormatVersion": "OOS-2019-06-01",
        "Tasks": [{"Name": "pick", "Action": "ACS::SelectTargets", "Properties": {"ResourceType": "ALIYUN::ECS::ManagedInstance", "Filters": [{"Type": "Tags", "Tags": [{"Key": "env", "Value": "prod"}]}]},
                   "Outputs": {"ids": {"Type": "List", "ValueSelector": "Instances.Instance[].InstanceId"}}}],
        "Outputs": {"ids": {"Type": "List", "Value": "{{ pick.ids }}"}}
    });
    let started = oos(&root, "StartExecution", &[("TemplateContent", &select.to_string())]).await;
    let execution = started["Execution"]["ExecutionId"].as_str().unwrap().to_string();
    assert_eq!(settle(&root, &execution).await, "Success");
    let listed = oos(&root, "ListExecutions", &[("ExecutionId", &execution)]).await;
    let outputs: Value = serde_json::from_str(listed["Executions"][0]["Outputs"].as_str().unwrap()).unwrap();
    assert_eq!(outputs["ids"], json!([two.instance_id]), "SelectTargets picks managed instances by tag");
    drop(agent);
    drop(other);
    server.shutdown().await;
}

#[tokio::test]
async fn run_command_round_trip_sqlite() {
    run_command_round_trip(Backend::Sqlite).await;
}

#[tokio::test]
async fn run_command_round_trip_postgres() {
    run_command_round_trip(Backend::Postgres).await;
}

/// An instance whose agent never takes the command fails it after the timeout, with a clear code.
#[tokio::test]
async fn offline_instance_fails_after_the_timeout() {
    let (server, root, _bed) = start_on(Backend::Sqlite).await;
    let activation = ecs(&root, "CreateActivation", &[]).await;
    let agent = register(server.addr(), &activation, "offline").await.unwrap();
    let started = ecs(&root, "RunCommand", &[("Type", "RunShellScript"), ("CommandContent", "true"), ("InstanceId.1", &agent.instance_id), ("Timeout", "1")]).await;
    let invoke_id = started["InvokeId"].as_str().unwrap();
    let result = result_of(&root, invoke_id, &agent.instance_id).await;
    assert_eq!((result["InvocationStatus"].as_str(), result["ErrorCode"].as_str()), (Some("Failed"), Some("ClientNotResponse")), "{result}");
    server.shutdown().await;
}

/// RAM decides who runs what where: by instance id, and by the instance's tags.
#[tokio::test]
async fn ram_governs_commands_by_instance_and_tag() {
    let (server, root, _bed) = start_on(Backend::Sqlite).await;
    let url = format!("http://{}", server.addr());
    let activation = ecs(&root, "CreateActivation", &[]).await;
    let dev = register(server.addr(), &activation, "dev").await.unwrap();
    let prod = register(server.addr(), &activation, "prod").await.unwrap();
    ecs(&root, "TagResources", &[("ResourceType", "managedinstance"), ("ResourceId.1", &dev.instance_id), ("Tag.1.Key", "env"), ("Tag.1.Value", "dev")]).await;
    ecs(&root, "TagResources", &[("ResourceType", "managedinstance"), ("ResourceId.1", &prod.instance_id), ("Tag.1.Key", "env"), ("Tag.1.Value", "prod")]).await;
    let operator = user(&root, &url, "operator").await;
    let policy = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["ecs:RunCommand"], "Resource": "*", "Condition": {"StringEquals": {"acs:ResourceTag/env": "dev"}}}]});
    ram(&root, "CreatePolicy", &[("PolicyName", "dev-commands"), ("PolicyDocument", &policy.to_string())]).await;
    ram(&root, "AttachPolicyToUser", &[("PolicyType", "Custom"), ("PolicyName", "dev-commands"), ("UserName", "operator")]).await;
    let run = [("Type", "RunShellScript"), ("CommandContent", "id")];
    let allowed = call(&operator, ECS, "RunCommand", &[run[0], run[1], ("InstanceId.1", &dev.instance_id)]).await;
    assert!(allowed.is_ok(), "dev is allowed: {allowed:?}");
    let denied = call(&operator, ECS, "RunCommand", &[run[0], run[1], ("InstanceId.1", &prod.instance_id)]).await.unwrap_err();
    assert!(denied.code.starts_with("Forbidden") || denied.code.contains("NoPermission"), "{denied:?}");
    let denied = call(&operator, ECS, "DescribeInvocationResults", &[]).await.unwrap_err();
    assert!(denied.code.starts_with("Forbidden") || denied.code.contains("NoPermission"), "{denied:?}");
    server.shutdown().await;
}

/// What anyone can send to the agents' door, without a valid credential or with a revoked one:
/// each refused with its code, nothing stored, and a deregistered agent's connection ends.
#[tokio::test]
async fn the_agent_door_refuses_abuse() {
    let (server, root, _bed) = start_on(Backend::Sqlite).await;
    let addr = server.addr();
    let http = reqwest::Client::new();
    let register_url = format!("http://{addr}{}", oos_agent_proto::REGISTER_PATH);
    let refusal = |answer: reqwest::Response| async move { (answer.status().as_u16(), answer.json::<Value>().await.unwrap()["Code"].as_str().unwrap_or_default().to_string()) };

    let huge = json!({"activation_id": "x", "activation_code": "y", "inventory": {"hostname": "h".repeat(100_000)}});
    assert_eq!(refusal(http.post(&register_url).json(&huge).send().await.unwrap()).await, (413, "RequestEntityTooLarge".into()));
    assert_eq!(refusal(http.post(&register_url).body("{not json").send().await.unwrap()).await, (400, "InvalidParameter.body".into()));
    assert_eq!(refusal(http.get(&register_url).send().await.unwrap()).await.0, 405);
    let guessed = json!({"activation_id": "00000000-0000-0000-0000-000000000000", "activation_code": "guess", "inventory": inventory("h")});
    assert_eq!(refusal(http.post(&register_url).json(&guessed).send().await.unwrap()).await, (403, "InvalidActivation.NotFound".into()));
    let listed = ecs(&root, "DescribeManagedInstances", &[]).await;
    assert_eq!(listed["TotalCount"], 0, "a refused registration stores nothing: {listed}");

    let connect_url = format!("http://{addr}{}", oos_agent_proto::CONNECT_PATH);
    assert_eq!(refusal(http.get(&connect_url).send().await.unwrap()).await.0, 400, "a plain GET is not a connection");
    for credential in ["", "mi-1", "mi-1:secret", &format!("mi-{}:{}", "9".repeat(5000), "s"), "i-123:secret"] {
        assert!(connect(addr, credential).await.is_err(), "credential {credential:.40} must not connect");
    }

    // A revoked agent: its credential stops working, and its open connection ends.
    let activation = ecs(&root, "CreateActivation", &[]).await;
    let agent = register(addr, &activation, "leaver").await.unwrap();
    let credential = format!("{}:{}", agent.instance_id, agent.secret);
    let mut socket = connect(addr, &credential).await.unwrap();
    ecs(&root, "DeregisterManagedInstance", &[("InstanceId", &agent.instance_id)]).await;
    send(&mut socket, &AgentMessage::Heartbeat).await;
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "a deregistered agent's connection must end");
    assert!(connect(addr, &credential).await.is_err(), "a deregistered agent must not connect again");
    server.shutdown().await;
}
