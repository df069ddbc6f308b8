//! What the API tests share: a server on a fresh data directory with the root's client, and signed calls
//! through oos-cloud's client (no retries: each call is one request).

use std::sync::Arc;

use oos_actions::{CloudError, Executors};
use oos_clock::{Clock, SystemClock};
use oos_cloud::{CloudClient, CloudConfig, Credentials, RetryPolicy, simple_call};
use oos_runtime::{Library, RuntimeConfig, Worker};
use oos_server::{ForwardedCloud, OOS_VERSION, Server, ServerConfig};
use serde_json::{Map, Value};

#[path = "../bed/mod.rs"]
mod bed;
pub use bed::{Backend, Bed};

/// A client of the server at `url` that never retries (each case is one request).
pub fn client(url: &str, credentials: Credentials) -> CloudClient {
    let config = CloudConfig { retry: RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }, ..CloudConfig::default() }.with_sandbox(url);
    CloudClient::new(config, credentials).unwrap()
}

pub async fn call(client: &CloudClient, version: &str, action: &str, params: &[(&str, &str)]) -> Result<Value, CloudError> {
    let service = match version {
        OOS_VERSION => "OOS",
        "2014-05-26" => "ECS",
        _ => "RAM",
    };
    let params: Map<String, Value> = params.iter().map(|(k, v)| ((*k).to_owned(), Value::from(*v))).collect();
    let mut request = simple_call(service, action, params);
    request.auto_paging = false;
    client.execute(&request).await
}

pub async fn ram(root: &CloudClient, action: &str, params: &[(&str, &str)]) -> Value {
    call(root, "2015-05-01", action, params).await.unwrap_or_else(|error| panic!("{action} {params:?}: {error:?}"))
}

/// An OOS call that must succeed.
#[allow(dead_code, reason = "each test binary uses a part of these")]
pub async fn oos(client: &CloudClient, action: &str, params: &[(&str, &str)]) -> Value {
    call(client, OOS_VERSION, action, params).await.unwrap_or_else(|error| panic!("{action}: {error:?}"))
}

/// An ECS (2014-05-26) call that must succeed: the Cloud Assistant's actions.
#[allow(dead_code, reason = "each test binary uses a part of these")]
pub async fn ecs(client: &CloudClient, action: &str, params: &[(&str, &str)]) -> Value {
    call(client, "2014-05-26", action, params).await.unwrap_or_else(|error| panic!("{action} {params:?}: {error:?}"))
}

/// The status of execution `id` once it is one of `wanted` (or the last seen after ten seconds).
#[allow(dead_code, reason = "each test binary uses a part of these")]
pub async fn status_once(client: &CloudClient, id: &str, wanted: &[&str]) -> String {
    let mut status = String::new();
    for _ in 0..200 {
        let listed = oos(client, "ListExecutions", &[("ExecutionId", id)]).await;
        status = listed["Executions"][0]["Status"].as_str().unwrap_or_default().to_string();
        if wanted.contains(&status.as_str()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    status
}

/// The status of execution `id` once it is Success or Failed (or after ten seconds).
#[allow(dead_code, reason = "each test binary uses a part of these")]
pub async fn settle(client: &CloudClient, id: &str) -> String {
    status_once(client, id, &["Success", "Failed"]).await
}

/// The events of one ListAuditEvents page with these filters.
#[allow(dead_code, reason = "each test binary uses a part of these")]
pub async fn events(client: &CloudClient, filters: &[(&str, &str)]) -> Vec<Value> {
    let mut params = vec![("MaxResults", "100")];
    params.extend_from_slice(filters);
    oos(client, "ListAuditEvents", &params).await["AuditEvents"].as_array().cloned().unwrap_or_default()
}

/// A user with a key created through the API, and its client.
#[allow(dead_code, reason = "each test binary uses a part of these")]
pub async fn user(root: &CloudClient, url: &str, name: &str) -> CloudClient {
    client(url, user_credentials(root, url, name).await)
}

/// A user with a key created through the API, and the key.
pub async fn user_credentials(root: &CloudClient, _url: &str, name: &str) -> Credentials {
    ram(root, "CreateUser", &[("UserName", name)]).await;
    let key = ram(root, "CreateAccessKey", &[("UserName", name)]).await;
    Credentials::new(key["AccessKey"]["AccessKeyId"].as_str().unwrap(), key["AccessKey"]["AccessKeySecret"].as_str().unwrap())
}

/// The root key written to a data directory on first start.
#[allow(dead_code, reason = "each test binary uses a part of these")]
pub fn root_credentials(dir: &std::path::Path) -> oos_acs::Credentials {
    let saved: Value = serde_json::from_slice(&std::fs::read(dir.join("root-credentials.json")).unwrap()).unwrap();
    oos_acs::Credentials::new(saved["AccessKeyId"].as_str().unwrap(), saved["AccessKeySecret"].as_str().unwrap())
}

/// A server on the embedded store, with the root's client.
#[allow(dead_code, reason = "each test binary uses a part of these")]
pub async fn start() -> (Server, CloudClient, Bed) {
    start_on(Backend::Sqlite).await
}

/// A server on `backend` whose executions make no cloud calls, with the root's client.
pub async fn start_on(backend: Backend) -> (Server, CloudClient, Bed) {
    // A client of a closed port refuses any cloud call.
    start_calling(backend, client("http://127.0.0.1:9", Credentials::new("unused", "unused"))).await
}

/// A server on `backend` whose executions call an in-process ECS emulator (journal on), with the root's client.
#[allow(dead_code, reason = "each test binary uses a part of these")]
pub async fn start_with_emulator(backend: Backend) -> (Server, CloudClient, oos_emulator::EmulatorHandle, Bed) {
    let emulator = oos_emulator::Emulator::builder().default_region("cn-hangzhou").journal(true).build().unwrap().spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let cloud = client(&emulator.url(), Credentials::new(oos_emulator::DEFAULT_ACCESS_KEY_ID, oos_emulator::DEFAULT_ACCESS_KEY_SECRET));
    let (server, root, bed) = start_calling(backend, cloud).await;
    (server, root, emulator, bed)
}

/// A server on `backend` whose executions call `cloud`, with the root's client.
pub async fn start_calling(backend: Backend, cloud: CloudClient) -> (Server, CloudClient, Bed) {
    start_timed(backend, cloud, RuntimeConfig::default(), Arc::new(SystemClock)).await
}

/// A server on `backend` whose worker (settings `runtime`) calls `cloud` and runs on `clock`, with
/// the root's client on the same clock (its signatures are dated by it).
pub async fn start_timed(backend: Backend, cloud: CloudClient, runtime: RuntimeConfig, clock: Arc<dyn Clock>) -> (Server, CloudClient, Bed) {
    start_served(backend, cloud, runtime, clock, None).await
}

/// [`start_timed`], over TLS when `tls` is given.
pub async fn start_served(backend: Backend, cloud: CloudClient, runtime: RuntimeConfig, clock: Arc<dyn Clock>, tls: Option<oos_server::transport::tls::TlsSource>) -> (Server, CloudClient, Bed) {
    let bed = Bed::new(backend).await;
    let store = bed.store().await;
    let library = Library::new(Some(store.clone()));
    let cloud = Arc::new(cloud);
    let actions = Arc::new(Executors::new(cloud.clone(), oos_actions::AddressPolicy::server(Vec::new())));
    let worker = Worker::new(store.clone(), actions, Arc::new(library), runtime).with_clock(clock.clone());
    let config = ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), region: "cn-hangzhou".into(), outbound: oos_actions::AddressPolicy::server(Vec::new()), tls, limits: Default::default(), audit_command_output: true, metrics: true, cloud: ForwardedCloud::new(cloud) };
    let server = Server::start(config, store, &oos_server::KeyFiles::in_dir(bed.path()), worker).await.unwrap();
    let saved: Value = serde_json::from_slice(&std::fs::read(server.root_credentials()).unwrap()).unwrap();
    let root = Credentials::new(saved["AccessKeyId"].as_str().unwrap(), saved["AccessKeySecret"].as_str().unwrap());
    let root = client(&format!("http://{}", server.addr()), root).with_clock(clock);
    (server, root, bed)
}

