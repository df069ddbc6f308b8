//! Least privilege for executions, end to end through the signed API against the in-process ECS
//! emulator: PassRole at StartExecution, every cloud call checked against the execution's role (or its
//! starter's policies) before it leaves and made as that role (assumed through the emulator's STS),
//! GenerateExecutionPolicy, LoopMode and TemplateURL.

#[allow(dead_code)] // not every helper of the shared module is used here
mod api_client;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use api_client::{call, client, ram, user};
use oos_actions::{ApiCall, CloudApi, CloudError, Executors};
use oos_cloud::{AssumeRoleConfig, CloudClient, CloudConfig, Credentials, RetryPolicy};
use oos_emulator::{Caller, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, EmulatorHandle};
use oos_runtime::{Library, RuntimeConfig, Worker};
use oos_iam::service::oos_trust_policy;
use oos_server::{OOS_VERSION, Server, ServerConfig};
use oos_store::SqliteStore;
use oos_store::sqlite::Durability;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The emulator client, remembering the API of every call that reached it.
struct Recording {
    cloud: CloudClient,
    apis: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl CloudApi for Recording {
    async fn call(&self, call: &ApiCall) -> Result<Value, CloudError> {
        self.apis.lock().unwrap().push(call.api.clone());
        self.cloud.call(call).await
    }
}

struct Lab {
    server: Server,
    url: String,
    root: CloudClient,
    emulator: EmulatorHandle,
    cloud: Arc<Recording>,
    _dir: tempfile::TempDir,
}

/// The lab template (examples/lab-stop-start.json) acting as `{{ OOSAssumeRole }}`, as OOS templates do.
fn lab_template() -> String {
    let path = oos_testkit::repo_root().join("examples/lab-stop-start.json");
    let mut template: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    template["Parameters"]["OOSAssumeRole"] = json!({"Type": "String", "Default": ""});
    template["RamRole"] = json!("{{ OOSAssumeRole }}");
    template.to_string()
}

/// The worker's client of the emulator: roles of executions are assumed through its STS, in its account.
fn role_assuming_client(emulator: &EmulatorHandle) -> CloudClient {
    let assume_role = AssumeRoleConfig { account_id: emulator.emulator().account_id().to_owned(), duration_secs: 3600 };
    let retry = RetryPolicy { max_attempts: 1, ..RetryPolicy::default() };
    let config = CloudConfig { retry, assume_role: Some(assume_role), ..CloudConfig::default() }.with_sandbox(emulator.url());
    CloudClient::new(config, Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)).unwrap()
}

/// A server on the emulator (journal on) with the lab template, roles `EcsReader` (`ecs:Describe*`),
/// `EcsOperator` (`ecs:*`) and `Untrusting` (`ecs:*`, trusting nobody), all trusting OOS but the last;
/// executions' roles are assumed through the emulator's STS.
async fn lab() -> Lab {
    let emulator = Emulator::builder().default_region("cn-hangzhou").journal(true).build().unwrap().spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let cloud = Arc::new(Recording { cloud: role_assuming_client(&emulator), apis: Mutex::default() });
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    let library = Library::new(Some(Arc::new(store.clone())));
    let worker = Worker::new(Arc::new(store.clone()), Arc::new(Executors::new(cloud.clone(), oos_actions::AddressPolicy::server(Vec::new()))), Arc::new(library), RuntimeConfig::default());
    // TemplateURL tests serve templates on loopback: allow-listed, as an operator would.
    let outbound = oos_actions::AddressPolicy::server(vec!["127.0.0.1".parse().unwrap()]);
    let config = ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), region: "cn-hangzhou".into(), outbound, tls: None, limits: Default::default(), audit_command_output: true, metrics: true, cloud: Default::default() };
    let server = Server::start(config, std::sync::Arc::new(store), &oos_server::KeyFiles::in_dir(dir.path()), worker).await.unwrap();
    let saved: Value = serde_json::from_slice(&std::fs::read(server.root_credentials()).unwrap()).unwrap();
    let url = format!("http://{}", server.addr());
    let root = client(&url, Credentials::new(saved["AccessKeyId"].as_str().unwrap(), saved["AccessKeySecret"].as_str().unwrap()));
    oos(&root, "CreateTemplate", &[("TemplateName", "lab"), ("Content", &lab_template())]).await;
    let nobody = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["ecs.aliyuncs.com"]}}]}).to_string();
    for (role, actions, trust) in [("EcsReader", "ecs:Describe*", oos_trust_policy()), ("EcsOperator", "ecs:*", oos_trust_policy()), ("Untrusting", "ecs:*", nobody)] {
        ram(&root, "CreateRole", &[("RoleName", role), ("AssumeRolePolicyDocument", &trust)]).await;
        let document = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": [actions], "Resource": "*"}]}).to_string();
        ram(&root, "CreatePolicy", &[("PolicyName", &format!("{role}Policy")), ("PolicyDocument", &document)]).await;
        ram(&root, "AttachPolicyToRole", &[("PolicyType", "Custom"), ("PolicyName", &format!("{role}Policy")), ("RoleName", role)]).await;
    }
    Lab { server, url, root, emulator, cloud, _dir: dir }
}

impl Lab {
    /// A user allowed every OOS action and, when `pass_roles`, `ram:PassRole` on every role.
    async fn operator(&self, name: &str, pass_roles: bool) -> CloudClient {
        let client = user(&self.root, &self.url, name).await;
        let mut statements = vec![json!({"Effect": "Allow", "Action": "oos:*", "Resource": "*"})];
        if pass_roles {
            statements.push(json!({"Effect": "Allow", "Action": "ram:PassRole", "Resource": "acs:ram::*:role/*"}));
        }
        let document = json!({"Version": "1", "Statement": statements}).to_string();
        ram(&self.root, "CreatePolicy", &[("PolicyName", &format!("{name}Policy")), ("PolicyDocument", &document)]).await;
        ram(&self.root, "AttachPolicyToUser", &[("PolicyType", "Custom"), ("PolicyName", &format!("{name}Policy")), ("UserName", name)]).await;
        client
    }

    fn instance(&self) -> (String, String) {
        let instance = self.emulator.emulator().instances().into_iter().next().unwrap();
        (instance.instance_id, instance.status)
    }

    fn status_of(&self, id: &str) -> String {
        self.emulator.emulator().instance(id).unwrap().status
    }

    fn cloud_calls(&self) -> Vec<String> {
        self.cloud.apis.lock().unwrap().clone()
    }
}

async fn oos(client: &CloudClient, action: &str, params: &[(&str, &str)]) -> Value {
    call(client, OOS_VERSION, action, params).await.unwrap_or_else(|error| panic!("{action}: {error:?}"))
}

fn lab_parameters(instance: &str, role: &str) -> String {
    json!({"RegionId": "cn-hangzhou", "InstanceId": instance, "DoStopStart": true, "OOSAssumeRole": role}).to_string()
}

/// Waits for the execution to end; returns its status and tasks.
async fn finished(client: &CloudClient, id: &str) -> (String, Vec<Value>) {
    for _ in 0..400 {
        let listed = oos(client, "ListExecutions", &[("ExecutionId", id)]).await;
        let status = listed["Executions"][0]["Status"].as_str().unwrap_or_default().to_string();
        if ["Success", "Failed", "Cancelled"].contains(&status.as_str()) {
            let tasks = oos(client, "ListTaskExecutions", &[("ExecutionId", id)]).await;
            return (status, tasks["TaskExecutions"].as_array().cloned().unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("execution {id} did not finish");
}

fn task<'a>(tasks: &'a [Value], name: &str) -> &'a Value {
    tasks.iter().find(|task| task["TaskName"] == name).unwrap_or_else(|| panic!("no task {name} in {tasks:?}"))
}

async fn start_lab(client: &CloudClient, parameters: &str) -> Result<String, CloudError> {
    let answer = call(client, OOS_VERSION, "StartExecution", &[("TemplateName", "lab"), ("Parameters", parameters)]).await?;
    Ok(answer["Execution"]["ExecutionId"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_describe_only_role_cannot_stop_the_instance() {
    let lab = lab().await;
    let alice = lab.operator("alice", true).await;
    let (instance, before) = lab.instance();
    assert_eq!(before, "Running");
    let id = start_lab(&alice, &lab_parameters(&instance, "EcsReader")).await.unwrap();
    let (status, tasks) = finished(&alice, &id).await;
    assert_eq!(status, "Failed");
    assert_eq!(task(&tasks, "DescribeBefore")["Status"], "Success");
    let stop = task(&tasks, "StopInstance");
    assert_eq!(stop["Status"], "Failed");
    let message = stop["StatusMessage"].as_str().unwrap();
    assert!(message.contains("Forbidden.RAM"), "{message}");
    assert!(message.contains("ecs:StopInstance"), "{message}");
    assert!(message.contains(&format!("acs:ecs:cn-hangzhou:")) && message.contains(&format!(":instance/{instance}")), "{message}");
    assert!(message.contains("role EcsReader"), "{message}");
    assert_eq!(lab.status_of(&instance), "Running", "the instance was not touched");
    assert_eq!(lab.cloud_calls(), ["DescribeInstances"], "only the allowed call reached the cloud");
    let listed = oos(&lab.root, "ListExecutions", &[("ExecutionId", &id)]).await;
    assert!(listed["Executions"][0]["ExecutedBy"].as_str().unwrap().ends_with(":user/alice"), "{listed}");
    lab.server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ecs_role_runs_the_lab_and_pass_role_is_required() {
    let lab = lab().await;
    let alice = lab.operator("alice", true).await;
    let (instance, _) = lab.instance();
    let id = start_lab(&alice, &lab_parameters(&instance, "EcsOperator")).await.unwrap();
    let (status, tasks) = finished(&alice, &id).await;
    assert_eq!(status, "Success", "{tasks:?}");
    assert_eq!(lab.cloud_calls(), ["DescribeInstances", "StopInstance", "StartInstance", "DescribeInstances"]);

    let bob = lab.operator("bob", false).await;
    let refused = start_lab(&bob, &lab_parameters(&instance, "EcsOperator")).await.unwrap_err();
    assert_eq!(refused.code, "Forbidden.RAM", "{refused:?}");
    assert!(refused.message.contains("ram:PassRole") && refused.message.contains("role/EcsOperator"), "{refused:?}");
    assert_eq!(start_lab(&alice, &lab_parameters(&instance, "Missing")).await.unwrap_err().code, "EntityNotExist.Role");
    assert_eq!(start_lab(&alice, &lab_parameters(&instance, "Untrusting")).await.unwrap_err().code, "InvalidRamRole.NotTrusted");
    let all = oos(&lab.root, "ListExecutions", &[]).await;
    assert_eq!(all["Executions"].as_array().unwrap().len(), 1, "refused starts store nothing: {all}");
    lab.server.stop();
}

/// What the emulator recorded of each call: the action, and the role and session it was made as.
fn cloud_record(lab: &Lab) -> Vec<(String, Option<String>, Option<String>)> {
    let calls = lab.emulator.emulator().calls();
    calls.iter().map(|call| (call.action.clone(), call.caller.role_arn().map(str::to_owned), call.caller.session_name().map(str::to_owned))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloud_sees_every_call_of_the_lab_made_as_its_role_in_a_session_named_after_the_execution() {
    let lab = lab().await;
    let alice = lab.operator("alice", true).await;
    let (instance, _) = lab.instance();
    let id = start_lab(&alice, &lab_parameters(&instance, "EcsOperator")).await.unwrap();
    let (status, tasks) = finished(&alice, &id).await;
    assert_eq!(status, "Success", "{tasks:?}");
    let role = format!("acs:ram::{}:role/EcsOperator", lab.emulator.emulator().account_id());
    let as_role = |action: &str, execution: &str| (action.to_owned(), Some(role.clone()), Some(execution.to_owned()));
    let assumed = ("AssumeRole".to_owned(), None, None);
    let lab_calls = |execution: &str| {
        ["DescribeInstances", "StopInstance", "StartInstance", "DescribeInstances"].map(|action| as_role(action, execution)).to_vec()
    };
    let mut expected = vec![assumed.clone()];
    expected.extend(lab_calls(&id));
    assert_eq!(cloud_record(&lab), expected, "one AssumeRole, then every call as the role");
    let base = Caller::AccessKey { access_key_id: DEFAULT_ACCESS_KEY_ID.into() };
    assert_eq!(lab.emulator.emulator().calls()[0].caller, base, "the role is assumed with the server's own AccessKey");

    let second = start_lab(&alice, &lab_parameters(&instance, "EcsOperator")).await.unwrap();
    assert_eq!(finished(&alice, &second).await.0, "Success");
    expected.push(assumed);
    expected.extend(lab_calls(&second));
    assert_eq!(cloud_record(&lab), expected, "another execution is another session");
    lab.server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_role_calls_are_made_with_the_starters_own_permissions() {
    let lab = lab().await;
    let carol = lab.operator("carol", false).await;
    let (instance, _) = lab.instance();
    let id = start_lab(&carol, &lab_parameters(&instance, "")).await.unwrap();
    let (status, tasks) = finished(&carol, &id).await;
    assert_eq!(status, "Failed");
    let message = task(&tasks, "DescribeBefore")["StatusMessage"].as_str().unwrap().to_string();
    assert!(message.contains("Forbidden.RAM") && message.contains("user carol") && message.contains("ecs:DescribeInstances"), "{message}");
    assert!(lab.cloud_calls().is_empty());

    let id = start_lab(&lab.root, &lab_parameters(&instance, "")).await.unwrap();
    assert_eq!(finished(&lab.root, &id).await.0, "Success", "root needs no policy");
    let base = Caller::AccessKey { access_key_id: DEFAULT_ACCESS_KEY_ID.into() };
    assert!(lab.emulator.emulator().calls().iter().all(|call| call.caller == base), "no role, no STS: the server's AccessKey");
    lab.server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_execution_policy_lists_the_apis_of_the_lab() {
    let lab = lab().await;
    let answer = oos(&lab.root, "GenerateExecutionPolicy", &[("TemplateName", "lab"), ("RamRole", "EcsReader")]).await;
    let policy: Value = serde_json::from_str(answer["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Action"], json!(["ecs:DescribeInstances", "ecs:StartInstance", "ecs:StopInstance"]), "{policy}");
    assert_eq!(policy["Statement"].as_array().unwrap().len(), 1);
    let missing: Value = serde_json::from_str(answer["MissingPolicy"].as_str().unwrap()).unwrap();
    assert_eq!(missing["Statement"][0]["Action"], json!(["ecs:StartInstance", "ecs:StopInstance"]), "{missing}");

    let child = json!({"FormatVersion": "OOS-2019-06-01", "Tasks": [
        {"Name": "lab", "Action": "ACS::Template", "Properties": {"TemplateName": "lab", "Parameters": {}}},
        {"Name": "reboot", "Action": "ACS::ExecuteAPI", "Properties": {"Service": "ECS", "API": "RebootInstance", "Parameters": {}}}
    ]})
    .to_string();
    let answer = oos(&lab.root, "GenerateExecutionPolicy", &[("TemplateContent", &child)]).await;
    let policy: Value = serde_json::from_str(answer["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Action"], json!(["ecs:DescribeInstances", "ecs:RebootInstance", "ecs:StartInstance", "ecs:StopInstance"]));
    let missing: Value = serde_json::from_str(answer["MissingPolicy"].as_str().unwrap()).unwrap();
    assert_eq!(missing["Statement"], json!([]), "root lacks nothing");
    lab.server.stop();
}

/// Serves `body` once over HTTP on a free port; returns the URL.
async fn serve_once(body: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/templates/lab-stop-start.json", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0; 4096];
        let _ = socket.read(&mut request).await;
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(body.as_bytes()).await.unwrap();
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loop_mode_and_template_url_are_checked() {
    let lab = lab().await;
    let (instance, _) = lab.instance();
    let describe_only = json!({"RegionId": "cn-hangzhou", "InstanceId": instance}).to_string();
    let refused = call(&lab.root, OOS_VERSION, "StartExecution", &[("TemplateName", "lab"), ("Parameters", &describe_only), ("LoopMode", "Sometimes")]).await.unwrap_err();
    assert_eq!(refused.code, "InvalidParameter.LoopMode");
    let started = oos(&lab.root, "StartExecution", &[("TemplateName", "lab"), ("Parameters", &describe_only), ("LoopMode", "FirstBatchPause")]).await;
    assert_eq!(finished(&lab.root, started["Execution"]["ExecutionId"].as_str().unwrap()).await.0, "Success");

    let url = serve_once(lab_template()).await;
    let started = oos(&lab.root, "StartExecution", &[("TemplateURL", &url), ("Parameters", &describe_only)]).await;
    assert_eq!(started["Execution"]["TemplateName"], "lab-stop-start");
    assert_eq!(finished(&lab.root, started["Execution"]["ExecutionId"].as_str().unwrap()).await.0, "Success");
    let bad_scheme = call(&lab.root, OOS_VERSION, "StartExecution", &[("TemplateURL", "file:///etc/passwd")]).await.unwrap_err();
    assert_eq!(bad_scheme.code, "InvalidParameter.TemplateURL");
    let closed = call(&lab.root, OOS_VERSION, "StartExecution", &[("TemplateURL", "http://127.0.0.1:9/t.json")]).await.unwrap_err();
    assert_eq!(closed.code, "InvalidTemplateURL.FetchFailed");
    let large = serve_once("x".repeat(600 * 1024)).await;
    assert_eq!(call(&lab.root, OOS_VERSION, "StartExecution", &[("TemplateURL", &large)]).await.unwrap_err().code, "InvalidTemplateURL.TooLarge");
    lab.server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_named_by_the_parameter_store_is_resolved_like_the_engine_does() {
    let lab = lab().await;
    oos(&lab.root, "CreateParameter", &[("Name", "LabRole"), ("Type", "String"), ("Value", "EcsReader")]).await;
    let mut template: Value = serde_json::from_str(&lab_template()).unwrap();
    template["Parameters"]["OOSAssumeRole"]["Default"] = json!("{{ oos:LabRole }}");
    oos(&lab.root, "CreateTemplate", &[("TemplateName", "lab-stored-role"), ("Content", &template.to_string())]).await;
    let (instance, _) = lab.instance();
    let parameters = json!({"RegionId": "cn-hangzhou", "InstanceId": instance, "DoStopStart": true}).to_string();
    let bob = lab.operator("bob", false).await;
    let refused = call(&bob, OOS_VERSION, "StartExecution", &[("TemplateName", "lab-stored-role"), ("Parameters", &parameters)]).await.unwrap_err();
    assert_eq!(refused.code, "Forbidden.RAM");
    assert!(refused.message.contains("role/EcsReader"), "{refused:?}");
    let alice = lab.operator("alice", true).await;
    // The execution acts as EcsReader, so the role must be allowed to read the parameter too.
    let refused = call(&alice, OOS_VERSION, "StartExecution", &[("TemplateName", "lab-stored-role"), ("Parameters", &parameters)]).await.unwrap_err();
    assert_eq!(refused.code, "Forbidden.RAM");
    assert!(refused.message.contains("role/EcsReader may not read parameter LabRole"), "{refused:?}");
    let read = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oos:GetParameter", "Resource": "acs:oos:*:*:parameter/LabRole"}]}).to_string();
    ram(&lab.root, "CreatePolicy", &[("PolicyName", "ReadLabRole"), ("PolicyDocument", &read)]).await;
    ram(&lab.root, "AttachPolicyToRole", &[("PolicyType", "Custom"), ("PolicyName", "ReadLabRole"), ("RoleName", "EcsReader")]).await;
    let started = oos(&alice, "StartExecution", &[("TemplateName", "lab-stored-role"), ("Parameters", &parameters)]).await;
    let (status, tasks) = finished(&alice, started["Execution"]["ExecutionId"].as_str().unwrap()).await;
    assert_eq!(status, "Failed");
    assert!(task(&tasks, "StopInstance")["StatusMessage"].as_str().unwrap().contains("role EcsReader"), "{tasks:?}");
    assert_eq!(lab.status_of(&instance), "Running");
    lab.server.stop();
}
