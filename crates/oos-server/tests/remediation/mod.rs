//! The remediation proofs' bed: an emulated fleet whose events and alarms reach a server's intake
//! signed with the root's AccessKey, a server acting on that fleet with the product actions, both
//! on the system clock; and the helpers the proofs share (signed intake posts, waiting, counting).
#![allow(dead_code, reason = "each test binary uses a part of these")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use oos_actions::Executors;
use oos_clock::SystemClock;
use oos_cloud::{CloudClient, Credentials};
use oos_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, EmulatorHandle, FleetSeed, HttpEventSink, LateSink};
use oos_runtime::{Library, RuntimeConfig, Worker};
use oos_server::{Server, ServerConfig};
use serde_json::{Value, json};

use crate::api_client::{Backend, Bed, call, client, oos};

/// How long a proof waits for the fleet and the server to get where it expects.
const PATIENCE: Duration = Duration::from_secs(60);


/// The server, its root (client and key), the emulated fleet and an ECS client of it.
pub struct Fleet {
    pub server: Server,
    pub root: CloudClient,
    pub root_key: (String, String),
    pub ecs: CloudClient,
    pub emulator: EmulatorHandle,
    pub url: String,
    _bed: Bed,
}

impl Fleet {
    /// A fleet seeded with `seed` (journal on), whose events go to a new server on `backend`.
    pub async fn start(backend: Backend, seed: &str) -> Fleet {
        let sink = Arc::new(LateSink::default());
        let emulator = Emulator::builder()
            .default_region("cn-hangzhou")
            .seed(FleetSeed::from_yaml(seed).unwrap())
            .journal(true)
            .event_sink(sink.clone())
            .build()
            .unwrap()
            .spawn("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let ecs = || client(&emulator.url(), Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET));
        let bed = Bed::new(backend).await;
        let store = bed.store().await;
        let library = oos_product_actions::WithBuiltins::new(Library::new(Some(store.clone())));
        let actions = Arc::new(Executors::new(Arc::new(ecs()), oos_actions::AddressPolicy::server(Vec::new())));
        let worker = Worker::new(store.clone(), actions, Arc::new(library), RuntimeConfig::default()).with_clock(Arc::new(SystemClock));
        let config = ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), region: "cn-hangzhou".into(), outbound: oos_actions::AddressPolicy::server(Vec::new()), tls: None, limits: Default::default(), audit_command_output: true, metrics: true, cloud: Default::default() };
        let server = Server::start(config, store, &oos_server::KeyFiles::in_dir(bed.path()), worker).await.unwrap();
        let saved: Value = serde_json::from_slice(&std::fs::read(server.root_credentials()).unwrap()).unwrap();
        let root_key = (saved["AccessKeyId"].as_str().unwrap().to_owned(), saved["AccessKeySecret"].as_str().unwrap().to_owned());
        let url = format!("http://{}", server.addr());
        let root = client(&url, Credentials::new(&root_key.0, &root_key.1));
        assert!(sink.set(HttpEventSink::start(&url, &root_key.0, root_key.1.as_bytes()).unwrap()));
        Fleet { server, root, root_key, ecs: ecs(), emulator, url, _bed: bed }
    }

    /// Stores the public corpus template `corpus_name` unmodified as `name` and starts it with
    /// `parameters`; answers the trigger execution's id once its trigger is armed.
    pub async fn start_trigger(&self, corpus_name: &str, name: &str, parameters: Value) -> String {
        let path = oos_testkit::shared_dir().join(format!("corpus/oos-templates/aliyun__oos-templates/PublicTemplates/YAML/{corpus_name}.yml"));
        let content = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        oos(&self.root, "CreateTemplate", &[("TemplateName", name), ("Content", &content)]).await;
        let started = oos(&self.root, "StartExecution", &[("TemplateName", name), ("Parameters", &parameters.to_string())]).await;
        let id = started["Execution"]["ExecutionId"].as_str().unwrap().to_owned();
        self.wait_trigger_status(&id, "Active").await;
        id
    }

    /// The execution `id` as ListExecutions answers it.
    pub async fn execution(&self, id: &str) -> Value {
        oos(&self.root, "ListExecutions", &[("ExecutionId", id)]).await["Executions"][0].clone()
    }

    /// Waits until the trigger of execution `id` has status `wanted` (`Active`, `Paused`).
    pub async fn wait_trigger_status(&self, id: &str, wanted: &str) {
        eventually(&format!("trigger of {id} {wanted}"), || async move { self.execution(id).await["TriggerStatus"] == wanted }).await;
    }

    /// The firings' runs (child executions) of trigger execution `id`, once `count` of them
    /// exist and all have ended.
    pub async fn runs_once(&self, id: &str, count: usize) -> Vec<Value> {
        let ended = |runs: &[Value]| runs.len() >= count && runs.iter().all(|run| ["Success", "Failed", "Cancelled"].contains(&run["Status"].as_str().unwrap_or("")));
        eventually(&format!("{count} ended runs of {id}"), || async move { ended(&self.runs(id).await) }).await;
        self.runs(id).await
    }

    /// The firings' runs (child executions) of trigger execution `id` so far.
    pub async fn runs(&self, id: &str) -> Vec<Value> {
        let listed = oos(&self.root, "ListExecutions", &[("ParentExecutionId", id), ("MaxResults", "50")]).await;
        listed["Executions"].as_array().cloned().unwrap_or_default()
    }

    /// Whether execution `id`'s logs have a message containing `text`, waiting until they do.
    pub async fn wait_log(&self, id: &str, text: &str) {
        eventually(&format!("log {text:?} of {id}"), || async move {
            let logs = oos(&self.root, "ListExecutionLogs", &[("ExecutionId", id), ("MaxResults", "100")]).await;
            logs["ExecutionLogs"].as_array().is_some_and(|logs| logs.iter().any(|log| log["Message"].as_str().is_some_and(|message| message.contains(text))))
        })
        .await;
    }

    /// How often the cloud acted on `action` for `instance_id` (the emulator's journal).
    pub fn acted(&self, action: &str, instance_id: &str) -> usize {
        let wanted = format!("InstanceId={instance_id}");
        self.emulator.emulator().mutations().iter().filter(|mutation| mutation.action == action && mutation.parameters.split('&').any(|pair| pair == wanted)).count()
    }

    /// The status of instance `id` in the fleet.
    pub fn status(&self, id: &str) -> String {
        self.emulator.emulator().instance(id).unwrap().status
    }

    /// Waits until instance `id` has status `wanted`.
    pub async fn wait_instance(&self, id: &str, wanted: &str) {
        eventually(&format!("{id} {wanted}"), || async move { self.status(id) == wanted }).await;
    }

    /// An ECS call to the fleet that must succeed.
    pub async fn ecs(&self, action: &str, instance_id: &str) -> Value {
        call(&self.ecs, "2014-05-26", action, &[("InstanceId", instance_id)]).await.unwrap_or_else(|error| panic!("{action} {instance_id}: {error:?}"))
    }

    /// Posts `body` to the intake at `path` signed with `key` at unix second `timestamp`: the
    /// HTTP status and the answer.
    pub async fn post_signed(&self, path: &str, key: (&str, &str), timestamp: i64, body: &[u8]) -> (u16, Value) {
        answer(self.signed(path, key, timestamp, body)).await
    }

    /// [`Self::post_signed`] for a body the server may refuse before reading it all: `None` when it
    /// closed the connection while the body was still being sent.
    pub async fn post_signed_oversized(&self, path: &str, key: (&str, &str), timestamp: i64, body: &[u8]) -> Option<(u16, Value)> {
        match self.signed(path, key, timestamp, body).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                Some((status, serde_json::from_str(&text).unwrap_or_else(|_| json!({ "Raw": text }))))
            }
            Err(error) if error.is_request() => None,
            Err(error) => panic!("{error}"),
        }
    }

    fn signed(&self, path: &str, key: (&str, &str), timestamp: i64, body: &[u8]) -> reqwest::RequestBuilder {
        let signature = oos_acs::sign_webhook(key.1.as_bytes(), timestamp, body);
        reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .header("x-oos-accesskeyid", key.0)
            .header("x-oos-timestamp", timestamp.to_string())
            .header("x-oos-signature", signature)
            .body(body.to_vec())
    }

    /// Posts an Alertmanager notification to `/alertmanager/v1` with HTTP Basic `user:password`.
    pub async fn post_alertmanager(&self, user: &str, password: &str, body: &Value) -> (u16, Value) {
        answer(reqwest::Client::new().post(format!("{}/alertmanager/v1", self.url)).basic_auth(user, Some(password)).json(body)).await
    }

    /// The root key as a pair of text.
    pub fn root(&self) -> (&str, &str) {
        (&self.root_key.0, &self.root_key.1)
    }
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| json!({ "Raw": text })))
}

/// The unix seconds now.
pub fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Polls `check` until it holds; panics naming `what` when it does not within [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < PATIENCE, "waited too long for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
