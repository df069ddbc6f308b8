//! The audit trail end to end: API requests (success, failed mutation, refused signatures) and the
//! engine's cloud calls against the in-process ECS emulator appear as hash-chained records with the
//! caller, role or user, and no secret (AccessKeySecret, NoEcho value) appears anywhere in the table.

mod api_client;

use api_client::{Backend, Bed, call, client, events, oos, ram, settle, start_on, user};
use oos_cloud::{CloudClient, Credentials};
use oos_emulator::EmulatorHandle;
use oos_server::{OOS_VERSION, Server};
use serde_json::Value;

const TEMPLATE: &str = r#"{
  "FormatVersion": "OOS-2019-06-01",
  "Parameters": {
    "DbPassword": {"Type": "String", "NoEcho": true},
    "Note": {"Type": "String"}
  },
  "Tasks": [{
    "Name": "describe",
    "Action": "ACS::ExecuteAPI",
    "Properties": {"Service": "ECS", "API": "DescribeInstances", "Parameters": {"InstanceName": "{{ DbPassword }}", "Description": "{{ Note }}"}}
  }]
}"#;

const SECRET: &str = "hunter2-noecho-value";

/// A server on `backend` whose executions call the in-process emulator, and the root's key.
async fn start_with_emulator(backend: Backend) -> (Server, CloudClient, Credentials, EmulatorHandle, Bed) {
    let (server, root, emulator, bed) = api_client::start_with_emulator(backend).await;
    let credentials = api_client::root_credentials(bed.path());
    let credentials = Credentials::new(credentials.access_key_id, credentials.access_key_secret);
    (server, root, credentials, emulator, bed)
}

/// Every text column of the audit table, as a person reading the database file would see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_requests_and_cloud_calls_are_in_the_trail_with_secrets_redacted_on_sqlite() {
    api_requests_and_cloud_calls_are_in_the_trail_with_secrets_redacted(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_requests_and_cloud_calls_are_in_the_trail_with_secrets_redacted_on_postgres() {
    api_requests_and_cloud_calls_are_in_the_trail_with_secrets_redacted(Backend::Postgres).await;
}

async fn api_requests_and_cloud_calls_are_in_the_trail_with_secrets_redacted(backend: Backend) {
    let (server, root, credentials, _emulator, dir) = start_with_emulator(backend).await;
    oos(&root, "CreateTemplate", &[("TemplateName", "audit-lab"), ("Content", TEMPLATE)]).await;
    let failed = call(&root, OOS_VERSION, "CreateTemplate", &[("TemplateName", "audit-lab"), ("Content", TEMPLATE)]).await.unwrap_err();
    assert_eq!(failed.code, "EntityAlreadyExists.Template");
    let parameters = format!(r#"{{"DbPassword": "{SECRET}", "Note": "visible-note"}}"#);
    let started = oos(&root, "StartExecution", &[("TemplateName", "audit-lab"), ("Parameters", &parameters)]).await;
    let id = started["Execution"]["ExecutionId"].as_str().unwrap().to_string();
    assert_eq!(settle(&root, &id).await, "Success");

    let creates = events(&root, &[("EventAction", "CreateTemplate")]).await;
    assert_eq!(creates.len(), 2, "one record per request, committed once: {creates:?}");
    let newest_first = events(&root, &[("EventAction", "CreateTemplate"), ("SortOrder", "Descending")]).await;
    assert_eq!(newest_first.iter().rev().map(|e| &e["Seq"]).collect::<Vec<_>>(), creates.iter().map(|e| &e["Seq"]).collect::<Vec<_>>(), "SortOrder=Descending lists the newest first");
    let (ok, refused) = (&creates[0]["Event"], &creates[1]["Event"]);
    assert_eq!((ok["ResultCode"].as_str(), ok["HttpStatus"].as_u64()), (Some("Success"), Some(200)));
    assert_eq!((refused["ResultCode"].as_str(), refused["HttpStatus"].as_u64()), (Some("EntityAlreadyExists.Template"), Some(409)));
    assert!(ok["Principal"].as_str().unwrap().ends_with(":root") && ok["User"] == "root", "{ok}");
    assert_eq!(ok["AccessKeyId"].as_str(), Some(credentials.access_key_id.as_str()));
    assert_eq!(ok["SourceIp"], "127.0.0.1");
    assert!(ok["Parameters"]["Content"].as_str().unwrap().starts_with("sha256:"), "{ok}");
    assert!(ok["RequestId"].as_str().is_some_and(|id| !id.is_empty()));

    let trail = events(&root, &[("ExecutionId", &id)]).await;
    let start = trail.iter().find(|e| e["Event"]["Action"] == "StartExecution").expect("StartExecution is in the execution's trail");
    assert_eq!(start["Event"]["Parameters"]["Parameters"]["DbPassword"], "******");
    assert_eq!(start["Event"]["Parameters"]["Parameters"]["Note"], "visible-note");
    let cloud: Vec<&Value> = trail.iter().filter(|e| e["Kind"] == "CloudCall").collect();
    assert_eq!(cloud.len(), 1, "{trail:?}");
    let call_event = &cloud[0]["Event"];
    assert_eq!((call_event["Service"].as_str(), call_event["Action"].as_str(), call_event["ResultCode"].as_str()), (Some("ECS"), Some("DescribeInstances"), Some("Success")));
    assert_eq!(call_event["User"], ok["Principal"], "no RamRole: the call is made as the user who started the execution");
    assert_eq!(call_event["Principal"], ok["Principal"]);
    assert_eq!(call_event["TaskName"], "describe");
    assert_eq!(call_event["Parameters"]["InstanceName"], "******");
    assert_eq!(call_event["Parameters"]["Description"], "visible-note");
    assert!(call_event["RequestId"].as_str().is_some_and(|id| !id.is_empty()), "{call_event}");

    // A call its role may not make is refused before it leaves, and recorded with the role and the code.
    let trust = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["oos.aliyuncs.com"]}}]}"#;
    ram(&root, "CreateRole", &[("RoleName", "AuditStopper"), ("AssumeRolePolicyDocument", trust)]).await;
    let stop_only = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["ecs:StopInstance"], "Resource": "*"}]}"#;
    ram(&root, "CreatePolicy", &[("PolicyName", "StopOnly"), ("PolicyDocument", stop_only)]).await;
    ram(&root, "AttachPolicyToRole", &[("PolicyType", "Custom"), ("PolicyName", "StopOnly"), ("RoleName", "AuditStopper")]).await;
    let with_role = TEMPLATE.replacen(r#""Parameters": {"#, r#""RamRole": "AuditStopper", "Parameters": {"#, 1);
    let started = oos(&root, "StartExecution", &[("TemplateContent", &with_role), ("Parameters", &parameters)]).await;
    let role_id = started["Execution"]["ExecutionId"].as_str().unwrap().to_string();
    assert_eq!(settle(&root, &role_id).await, "Failed");
    let denied = events(&root, &[("ExecutionId", &role_id), ("Kind", "CloudCall")]).await;
    assert_eq!(denied.len(), 1, "{denied:?}");
    let denied = &denied[0]["Event"];
    assert_eq!((denied["Role"].as_str(), denied["Principal"].as_str(), denied["ResultCode"].as_str()), (Some("AuditStopper"), Some("AuditStopper"), Some("Forbidden.RAM")), "{denied}");
    assert_eq!(denied["User"], ok["Principal"]);
    assert_eq!(events(&root, &[("Principal", "AuditStopper")]).await.len(), 1);

    let verified = oos(&root, "VerifyAuditTrail", &[]).await;
    assert_eq!(verified["Valid"], true, "{verified}");
    assert!(verified["RecordCount"].as_i64().unwrap() >= 6, "{verified}");
    let table = dir.audit_text().await;
    assert!(table.contains("DescribeInstances") && table.contains("visible-note"));
    assert!(!table.contains(SECRET), "a NoEcho value reached the audit table");
    assert!(!table.contains(&credentials.access_key_secret), "the root AccessKeySecret reached the audit table");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_are_recorded_and_new_key_secrets_never_are_on_sqlite() {
    refused_requests_are_recorded_and_new_key_secrets_never_are(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_are_recorded_and_new_key_secrets_never_are_on_postgres() {
    refused_requests_are_recorded_and_new_key_secrets_never_are(Backend::Postgres).await;
}

async fn refused_requests_are_recorded_and_new_key_secrets_never_are(backend: Backend) {
    let (server, root, dir) = start_on(backend).await;
    let url = format!("http://{}", server.addr());
    let alice = user(&root, &url, "alice").await;
    let answer = call(&alice, OOS_VERSION, "ListTemplates", &[]).await.unwrap_err();
    assert_eq!(answer.code, "Forbidden.RAM");
    let stranger = client(&url, Credentials::new("LTAIunknownunknownunk", "stranger-secret"));
    assert_eq!(call(&stranger, OOS_VERSION, "ListTemplates", &[]).await.unwrap_err().code, "InvalidAccessKeyId.NotFound");

    let listed = events(&root, &[("EventAction", "ListTemplates")]).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!((listed[0]["Event"]["User"].as_str(), listed[0]["Event"]["ResultCode"].as_str()), (Some("alice"), Some("Forbidden.RAM")));
    assert_eq!((listed[1]["Event"]["Principal"].as_str(), listed[1]["Event"]["AccessKeyId"].as_str()), (Some("anonymous"), Some("LTAIunknownunknownunk")));
    assert_eq!(events(&root, &[("Principal", "alice")]).await.len(), 1);
    ram(&root, "CreateUser", &[("UserName", "bob")]).await;
    let key = ram(&root, "CreateAccessKey", &[("UserName", "bob")]).await;
    let bob_secret = key["AccessKey"]["AccessKeySecret"].as_str().unwrap().to_string();
    let keys = events(&root, &[("EventAction", "CreateAccessKey")]).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.iter().all(|e| e["Event"]["ResultCode"] == "Success"));

    call(&root, OOS_VERSION, "CreateSecretParameter", &[("Name", "db-pw"), ("Value", "param-secret-one")]).await.unwrap();
    call(&root, OOS_VERSION, "UpdateSecretParameter", &[("Name", "db-pw"), ("Value", "param-secret-two")]).await.unwrap();
    let secrets = events(&root, &[("EventAction", "UpdateSecretParameter")]).await;
    assert_eq!((secrets.len(), secrets[0]["Event"]["Parameters"]["Value"].as_str()), (1, Some("******")), "{secrets:?}");

    let table = dir.audit_text().await;
    assert!(!table.contains("stranger-secret") && !table.contains(&bob_secret), "a secret reached the audit table");
    assert!(!table.contains("param-secret-one") && !table.contains("param-secret-two"), "a secret parameter value reached the audit table");
    server.stop();
}
