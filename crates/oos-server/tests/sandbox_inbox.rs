//! The sandbox inbox through the signed API: a server whose worker captures webhooks (the sandbox
//! door over its own store) lists the captured Approve webhook with the command that approves it,
//! one letter by id, filters, and clears; NotifyExecution Approve then finishes the execution; a
//! user without `oos:ListSandboxInbox` is refused, one granted it is not.

mod api_client;

use std::sync::Arc;

use api_client::{Backend, Bed, call, client, oos, ram, settle, status_once, user};
use oos_actions::Executors;
use oos_actions::outbound::SandboxDoor;
use oos_clock::SystemClock;
use oos_cloud::{CloudClient, Credentials};
use oos_runtime::{Library, RuntimeConfig, Worker};
use oos_server::{OOS_VERSION, Server, ServerConfig, StoreInbox};
use serde_json::{Value, json};

const APPROVAL: &str = r#"{
  "FormatVersion": "OOS-2019-06-01",
  "Tasks": [{"Name": "ask", "Action": "ACS::Approve", "Properties": {"NotifyType": "WebHook", "WebHook": {
    "URI": "https://hooks.example.com/approve", "Headers": {"Authorization": "Bearer not-stored"},
    "Content": "approve {{ ACS::ExecutionId }}"}}}]
}"#;

/// A server on `backend` whose worker captures every webhook in the store's sandbox inbox.
async fn sandbox_server(backend: Backend) -> (Server, CloudClient, Bed) {
    let bed = Bed::new(backend).await;
    let store = bed.store().await;
    let door = SandboxDoor::new(
        Arc::new(StoreInbox::new(store.clone(), Arc::new(SystemClock))),
        Vec::new(),
    );
    let cloud = client("http://127.0.0.1:9", Credentials::new("unused", "unused"));
    let actions = Arc::new(
        Executors::new(
            Arc::new(cloud),
            oos_actions::AddressPolicy::server(Vec::new()),
        )
        .with_sandbox(door),
    );
    let worker = Worker::new(
        store.clone(),
        actions,
        Arc::new(Library::new(Some(store.clone()))),
        RuntimeConfig::default(),
    );
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        region: "cn-hangzhou".into(),
        outbound: oos_actions::AddressPolicy::server(Vec::new()),
        tls: None,
        limits: Default::default(),
        audit_command_output: true,
        metrics: true,
        cloud: Default::default(),
    };
    let server = Server::start(
        config,
        store,
        &oos_server::KeyFiles::in_dir(bed.path()),
        worker,
    )
    .await
    .unwrap();
    let root = api_client::root_credentials(bed.path());
    let root = client(
        &format!("http://{}", server.addr()),
        Credentials::new(root.access_key_id, root.access_key_secret),
    );
    (server, root, bed)
}

fn letters(answer: &Value) -> Vec<Value> {
    answer["Letters"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_is_listed_and_cleared_through_the_api_on_sqlite() {
    the_inbox_is_listed_and_cleared_through_the_api(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_is_listed_and_cleared_through_the_api_on_postgres() {
    the_inbox_is_listed_and_cleared_through_the_api(Backend::Postgres).await;
}

async fn the_inbox_is_listed_and_cleared_through_the_api(backend: Backend) {
    let (server, root, _bed) = sandbox_server(backend).await;
    let url = format!("http://{}", server.addr());
    let started = oos(&root, "StartExecution", &[("TemplateContent", APPROVAL)]).await;
    let id = started["Execution"]["ExecutionId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(status_once(&root, &id, &["Waiting"]).await, "Waiting");

    let listed = letters(&oos(&root, "ListSandboxInbox", &[]).await);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let letter = &listed[0];
    assert_eq!(
        (
            letter["Kind"].as_str(),
            letter["ExecutionId"].as_str(),
            letter["TaskName"].as_str()
        ),
        (Some("Approve"), Some(id.as_str()), Some("ask"))
    );
    assert_eq!(letter["Headers"], json!({"Authorization": "******"}));
    assert_eq!(letter["Body"], format!("approve {id}"));
    assert_eq!(
        letter["ApproveCommand"],
        format!("oos execution approve {id}")
    );
    let one = letters(
        &oos(
            &root,
            "ListSandboxInbox",
            &[("LetterId", letter["LetterId"].as_str().unwrap())],
        )
        .await,
    );
    assert_eq!(one, listed);
    assert!(letters(&oos(&root, "ListSandboxInbox", &[("Kind", "Notify")]).await).is_empty());
    assert!(
        letters(&oos(&root, "ListSandboxInbox", &[("ExecutionId", "exec-other")]).await).is_empty()
    );
    let bad = call(
        &root,
        OOS_VERSION,
        "ListSandboxInbox",
        &[("Kind", "Letter")],
    )
    .await
    .unwrap_err();
    assert!(bad.code.starts_with("InvalidParameter"), "{bad:?}");

    let stranger = user(&root, &url, "stranger").await;
    let refused = call(&stranger, OOS_VERSION, "ListSandboxInbox", &[])
        .await
        .unwrap_err();
    assert!(refused.code.starts_with("Forbidden"), "{refused:?}");
    let refused = call(&stranger, OOS_VERSION, "ClearSandboxInbox", &[])
        .await
        .unwrap_err();
    assert!(refused.code.starts_with("Forbidden"), "{refused:?}");
    let policy = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oos:ListSandboxInbox", "Resource": "*"}]});
    ram(
        &root,
        "CreatePolicy",
        &[
            ("PolicyName", "inbox-reader"),
            ("PolicyDocument", &policy.to_string()),
        ],
    )
    .await;
    let reader = user(&root, &url, "reader").await;
    ram(
        &root,
        "AttachPolicyToUser",
        &[
            ("UserName", "reader"),
            ("PolicyName", "inbox-reader"),
            ("PolicyType", "Custom"),
        ],
    )
    .await;
    assert_eq!(
        letters(&oos(&reader, "ListSandboxInbox", &[]).await),
        listed
    );

    oos(
        &root,
        "NotifyExecution",
        &[("ExecutionId", &id), ("NotifyType", "Approve")],
    )
    .await;
    assert_eq!(settle(&root, &id).await, "Success");
    assert_eq!(oos(&root, "ClearSandboxInbox", &[]).await["Cleared"], 1);
    assert!(letters(&oos(&root, "ListSandboxInbox", &[]).await).is_empty());
    server.shutdown().await;
}
