//! Runs product actions the way a user template does: a parent execution with one
//! `ACS::ECS::<Name>` task, on a real SQLite store, resolved through `WithBuiltins`, calling the
//! emulator in-process over HTTP.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use oos_actions::Executors;
use oos_cloud::{CloudClient, CloudConfig, Credentials};
use oos_emulator::{Emulator, EmulatorHandle, FleetSeed};
use oos_runtime::{Library, RuntimeConfig, StartRequest, Worker};
use oos_engine::{ExecutionStatus, Mode};
use oos_product_actions::WithBuiltins;
use oos_store::sqlite::Durability;
use oos_store::{ExecutionStore, SqliteStore, TaskStore};
use serde_json::{Map, Value};

const AK: &str = "products-test-ak";
const SK: &str = "products-test-sk";

/// The fleet every scenario starts from.
const SEED: &str = r#"
security_groups:
- {id: sg-products, name: products}
instances:
- {ids: [i-running], status: Running, data_disks: [40], security_group: sg-products}
- {ids: [i-stopped], status: Stopped, data_disks: [20], security_group: sg-products}
images:
- {ids: [m-base], name: base}
commands:
- {match: 'echo ops', output: "ops on {instance_id}\n"}
- {match: 'uname -a', output: "Linux {instance_id}\n"}
- {match: 'exit 7', output: "disk full\n", exit_code: 7}
"#;

/// Transition delays every scenario runs with: instant, and short but realistic.
pub const DELAYS: [Duration; 2] = [Duration::ZERO, Duration::from_millis(300)];

/// An emulator, a store and a worker whose library falls back to the embedded actions.
pub struct Harness {
    pub handle: EmulatorHandle,
    pub store: SqliteStore,
    worker: Worker,
    _dir: tempfile::TempDir,
}

/// How one action run ended: its status, its outputs and every failure message seen.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExecutionStatus,
    pub outputs: Map<String, Value>,
    pub messages: Vec<String>,
}

impl Outcome {
    /// Panics with the messages unless the run succeeded.
    pub fn succeeded(self) -> Self {
        assert_eq!(self.status, ExecutionStatus::Success, "{:#?}", self.messages);
        self
    }
}

impl Harness {
    pub async fn start(delay: Duration) -> Self {
        let emulator = Emulator::builder()
            .access_key(AK, SK)
            .transition_delay(delay)
            .default_region("cn-hangzhou")
            .seed(FleetSeed::from_yaml(SEED).expect("seed parses"))
            .build()
            .expect("emulator builds");
        let handle = emulator.spawn("127.0.0.1:0".parse().unwrap()).await.expect("emulator starts");
        let config = CloudConfig { default_region: Some("cn-hangzhou".into()), ..CloudConfig::default() }.with_sandbox(handle.url());
        let client = CloudClient::new(config, Credentials::new(AK, SK)).expect("client builds");
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path(), Durability::Normal).await.expect("store opens");
        let library = WithBuiltins::new(Library::new(Some(Arc::new(store.clone()))));
        let worker = Worker::new(
            Arc::new(store.clone()),
            Arc::new(Executors::new(Arc::new(client), oos_actions::AddressPolicy::open())),
            Arc::new(library),
            RuntimeConfig::default(),
        );
        Self { handle, store, worker, _dir: dir }
    }

    pub fn emulator(&self) -> &Emulator {
        self.handle.emulator()
    }

    /// Runs `ACS::ECS::<action>` with `parameters` (a JSON object) from a parent template that
    /// passes through the named outputs (`(name, Type)`).
    pub async fn run(&mut self, action: &str, parameters: Value, outputs: &[(&str, &str)]) -> Outcome {
        let template = parent_template(action, &parameters, outputs);
        let request = StartRequest {
            template_name: format!("calls-{action}"),
            template_version: None,
            template: std::sync::Arc::new(oos_template::parse(&template).expect("the parent template parses")),
            parameters: Map::new(),
            mode: Mode::Automatic,
            description: String::new(),
            region_id: None,
            audit: Vec::new(),
            meta: None,
            executed_by: None,
            loop_mode: None,
            safety_check: oos_engine::SafetyCheck::default(),
        };
        let id = self.worker.start(request).await.expect("execution starts");
        let status = self.worker.settle(&id).await.expect("execution settles");
        let record = self.store.execution(&id).await.unwrap().expect("execution recorded");
        let outputs = serde_json::from_str(record.outputs.as_deref().unwrap_or("{}")).unwrap();
        Outcome { status, outputs, messages: self.messages(&id).await }
    }

    /// The status messages of the execution, its tasks and its child executions' tasks.
    async fn messages(&self, id: &str) -> Vec<String> {
        let mut messages = Vec::new();
        let mut pending = vec![id.to_owned()];
        while let Some(id) = pending.pop() {
            if let Some(record) = self.store.execution(&id).await.unwrap() {
                messages.push(format!("{id}: {} {}", record.status, record.status_message));
            }
            for task in self.store.tasks(&id).await.unwrap() {
                messages.push(format!("  {}: {} {}", task.task_name, task.status, task.status_message));
                pending.extend(task.child_execution_id.clone());
            }
        }
        messages
    }
}

fn parent_template(action: &str, parameters: &Value, outputs: &[(&str, &str)]) -> String {
    let task_outputs: Vec<String> =
        outputs.iter().map(|(name, ty)| format!("{name}: {{Type: {ty}, ValueSelector: .{name}}}")).collect();
    let template_outputs: Vec<String> =
        outputs.iter().map(|(name, ty)| format!("{name}: {{Type: {ty}, Value: '{{{{ act.{name} }}}}'}}")).collect();
    format!(
        "FormatVersion: OOS-2019-06-01\nTasks:\n- Name: act\n  Action: ACS::ECS::{action}\n  Properties: {parameters}\n  Outputs: {{{}}}\nOutputs: {{{}}}\n",
        task_outputs.join(", "),
        template_outputs.join(", "),
    )
}

/// The id of the first data disk attached to `instance_id`.
pub fn data_disk_of(emulator: &Emulator, instance_id: &str) -> String {
    emulator.with_cloud(|cloud| {
        cloud
            .disks
            .values()
            .find(|disk| disk.instance_id == instance_id && disk.disk_type == "data")
            .map(|disk| disk.disk_id.clone())
            .expect("the seed gives the instance a data disk")
    })
}
