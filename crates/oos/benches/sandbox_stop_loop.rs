//! Sandbox benchmark (not in CI): a 1,000-instance DescribeInstances → StopInstance → WaitFor loop
//! at concurrency 50, run by the durable engine (SQLite store) against the in-process ECS emulator
//! over real HTTP with instant transitions. Prints wall time and API calls per second.
//!
//! `cargo bench -p oos --bench sandbox_stop_loop` (figures go to docs/benchmarks.md).

use std::sync::Arc;
use std::time::Instant;

use oos_actions::{CloudApi, Executors};
use oos_cloud::{CloudClient, CloudConfig, Credentials};
use oos_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, FleetSeed};
use oos_runtime::{Library, RuntimeConfig, StartRequest, Worker};
use oos_engine::{EngineConfig, ExecutionStatus, Mode};
use oos_store::{Close, SqliteStore};
use oos_store::sqlite::Durability;

const INSTANCES: usize = 1000;
const CONCURRENCY: usize = 50;

const FLEET: &str = "
regions: [cn-hangzhou]
instances:
  - count: 1000
    name: 'bench-{index:04}'
    region: cn-hangzhou
    status: Running
";

/// Describe the Running fleet (paged), then per instance: StopInstance, and WaitFor Stopped.
const STOP_LOOP: &str = r#"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: describe
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: DescribeInstances, Parameters: {RegionId: cn-hangzhou, Status: Running, PageSize: 100}}
  Outputs: {ids: {Type: List, ValueSelector: 'Instances.Instance[].InstanceId'}}
- Name: stop
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: StopInstance, Parameters: {InstanceId: '{{ ACS::TaskLoopItem }}'}}
  Loop: {Items: '{{ describe.ids }}', RateControl: {Mode: Concurrency, Concurrency: 50, MaxErrors: 0}}
- Name: waitStopped
  Action: ACS::WaitFor
  Properties:
    Service: ECS
    API: DescribeInstances
    Parameters: {RegionId: cn-hangzhou, InstanceIds: '["{{ ACS::TaskLoopItem }}"]'}
    PropertySelector: 'Instances.Instance[0].Status'
    DesiredValues: [Stopped]
  Loop: {Items: '{{ describe.ids }}', RateControl: {Mode: Concurrency, Concurrency: 50, MaxErrors: 0}}
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = FleetSeed::from_yaml(FLEET)?;
    let emulator = Emulator::builder().transition_delay(std::time::Duration::ZERO).seed(seed).build()?;
    let handle = emulator.spawn(([127, 0, 0, 1], 0).into()).await?;
    let config = CloudConfig { default_region: Some("cn-hangzhou".into()), ..CloudConfig::default() }.with_sandbox(handle.url());
    let client = Arc::new(CloudClient::new(config, Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET))?);
    let data = tempfile::tempdir()?;
    let store = SqliteStore::open(data.path(), Durability::Normal).await?;
    let cloud: Arc<dyn CloudApi> = client.clone();
    let engine = EngineConfig { region_id: "cn-hangzhou".into(), ..EngineConfig::default() };
    let mut worker = Worker::new(
        Arc::new(store.clone()),
        Arc::new(Executors::new(cloud, oos_actions::AddressPolicy::open())),
        Arc::new(Library::new(None)),
        RuntimeConfig { engine, ..RuntimeConfig::default() },
    );
    let request = StartRequest {
        template_name: "sandbox-stop-loop".into(),
        template_version: None,
        template: std::sync::Arc::new(oos_template::parse(STOP_LOOP).expect("the benchmark template parses")),
        parameters: serde_json::Map::new(),
        mode: Mode::Automatic,
        description: String::new(),
        region_id: Some("cn-hangzhou".into()),
        audit: Vec::new(),
        meta: None,
        executed_by: None,
        loop_mode: None,
        safety_check: oos_engine::SafetyCheck::default(),
    };
    let started = Instant::now();
    let id = worker.start(request).await?;
    let status = worker.settle(&id).await?;
    let wall = started.elapsed();
    let stats = client.stats();
    let stopped = emulator.instances().iter().filter(|i| i.status == "Stopped").count();
    if status != ExecutionStatus::Success || stopped != INSTANCES {
        return Err(format!("execution {id} ended {status} with {stopped}/{INSTANCES} instances stopped").into());
    }
    println!("sandbox stop loop: {INSTANCES} instances, concurrency {CONCURRENCY}, instant transitions");
    println!("wall time: {:.2} s", wall.as_secs_f64());
    println!("API calls: {} ({} HTTP attempts, {} failed)", stats.calls, stats.attempts, stats.failed_calls);
    println!("API calls/s: {:.0}", stats.calls as f64 / wall.as_secs_f64());
    println!("instances/s: {:.0}", INSTANCES as f64 / wall.as_secs_f64());
    store.close().await;
    handle.shutdown().await?;
    Ok(())
}
