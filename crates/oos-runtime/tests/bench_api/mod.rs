//! The bed of the runtime tests: a store of either backend ([`Bed`]: an embedded SQLite data
//! directory or a scratch PostgreSQL database), workers on it, [`on_both!`] to run one generic test
//! on each, and an in-process cloud, service `Bench`, that records every call it answers:
//! `Echo` (returns its parameters, after `DelayMs` if given; fails with `Bench.Failed` when `Fail`
//! is true), `Count` (`{"Count": n}`, the calls with this `Key` so far), `Inc` (`Value` + 1) and
//! `Sum` (sum of `Values`).
#![allow(dead_code, reason = "shared by several test crates, each using a part")]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oos_actions::{ApiCall, CloudApi, CloudError, Executors};
use oos_engine::Mode;
use oos_runtime::{Library, RuntimeConfig, StartRequest, Worker};
use oos_store::postgres::{PgSettings, ScratchDatabase};
use oos_store::sqlite::{Durability, WorkerLock};
use oos_store::{PgStore, SqliteStore, Store};
use serde_json::{Map, Value, json};

/// The environment variable that hands a [`Bed`] to a worker process (the test binary re-run).
pub const BED_ENV: &str = "OOS_RUNTIME_TEST_BED";

/// The leases of workers that will be killed, on PostgreSQL (see [`Bed::mortal`]).
pub const MORTAL_LEASE: Duration = Duration::from_secs(2);

/// Where a test's executions are stored.
pub enum Bed {
    /// An embedded store in a temporary data directory: one worker process at a time.
    Sqlite(tempfile::TempDir),
    /// A scratch PostgreSQL database: any number of workers.
    Postgres(ScratchDatabase),
    /// The bed of the parent test process, named by [`BED_ENV`] (this process does not remove it).
    Inherited(Place),
}

/// Where a bed's store is, whoever owns it.
#[derive(Debug, Clone)]
pub enum Place {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Bed {
    pub fn sqlite() -> Self {
        Self::Sqlite(tempfile::tempdir().expect("a temporary data directory"))
    }

    pub async fn postgres() -> Self {
        Self::Postgres(ScratchDatabase::create().await.expect("a scratch database (PostgreSQL at 127.0.0.1:5432 or OOS_TEST_POSTGRES)"))
    }

    /// A new, empty bed of the same backend.
    pub async fn another(&self) -> Self {
        if self.is_postgres() { Self::postgres().await } else { Self::sqlite() }
    }

    /// The bed a parent process passed with [`Bed::pass_to`].
    pub fn inherited() -> Self {
        let named = std::env::var(BED_ENV).expect("a bed passed by the parent test process");
        Self::Inherited(match named.strip_prefix("sqlite:") {
            Some(dir) => Place::Sqlite(dir.into()),
            None => Place::Postgres(named),
        })
    }

    /// Hands this bed to a worker process.
    pub fn pass_to(&self, command: &mut Command) {
        let named = match self.place() {
            Place::Sqlite(dir) => format!("sqlite:{}", dir.display()),
            Place::Postgres(url) => url,
        };
        command.env(BED_ENV, named);
    }

    pub fn place(&self) -> Place {
        match self {
            Self::Sqlite(dir) => Place::Sqlite(dir.path().to_path_buf()),
            Self::Postgres(database) => Place::Postgres(database.url()),
            Self::Inherited(place) => place.clone(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.place(), Place::Postgres(_))
    }

    /// The scratch database of a PostgreSQL bed this process created.
    pub fn database(&self) -> &ScratchDatabase {
        match self {
            Self::Postgres(database) => database,
            _ => panic!("not a PostgreSQL bed of this process"),
        }
    }

    /// A new handle on the store, as another process would open it.
    pub async fn store(&self) -> Arc<dyn Store> {
        match self.place() {
            Place::Sqlite(dir) => Arc::new(SqliteStore::open(&dir, Durability::Normal).await.expect("the SQLite store opens")),
            Place::Postgres(url) => Arc::new(PgStore::open(&url, &PgSettings::default()).await.expect("the PostgreSQL store opens")),
        }
    }

    /// What a new worker process does before it works on the store. On SQLite it takes the data
    /// directory's worker lock (held while the returned value lives) and frees the leases the dead
    /// worker left; on PostgreSQL nothing: a dead worker's executions are taken over when its
    /// leases expire.
    pub async fn take_over(&self) -> Option<WorkerLock> {
        let Place::Sqlite(dir) = self.place() else { return None };
        let store = SqliteStore::open(&dir, Durability::Normal).await.expect("the SQLite store opens");
        let lock = store.try_worker_lock().expect("one worker process at a time");
        store.release_stale_leases(&lock).await.expect("stale leases are freed");
        Some(lock)
    }

    /// `config` for a worker that will die without handing its executions back: on PostgreSQL its
    /// leases are short ([`MORTAL_LEASE`]) and its successors poll often, so that they take over soon.
    pub fn mortal(&self, config: RuntimeConfig) -> RuntimeConfig {
        if self.is_postgres() {
            RuntimeConfig { lease_ttl: MORTAL_LEASE, poll_interval: Duration::from_millis(200), ..config }
        } else {
            config
        }
    }
}

/// Expands generic tests `async fn name(bed: Bed)` into `name::sqlite` and `name::postgres`.
#[allow(unused_macros, reason = "the benches share this module and have no tests")]
macro_rules! on_both {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test($crate::bench_api::Bed::sqlite()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$test($crate::bench_api::Bed::postgres().await).await;
            }
        }
    )*};
}
#[allow(unused_imports, reason = "the benches share this module and have no tests")]
pub(crate) use on_both;

/// A worker on a new handle of `bed`'s store, calling `cloud`; returns the handle too (the one a
/// server's API would share with its worker: what it writes wakes the worker at once).
pub async fn worker(bed: &Bed, cloud: Arc<dyn CloudApi>, config: RuntimeConfig) -> (Worker, Arc<dyn Store>) {
    let store = bed.store().await;
    let library = Library::new(Some(store.clone()));
    let actions = Executors::new(cloud, oos_actions::AddressPolicy::open());
    (Worker::new(store.clone(), Arc::new(actions), Arc::new(library), config), store)
}

/// One call the bench answered.
#[derive(Debug, Clone)]
pub struct Made {
    pub api: String,
    pub execution_id: String,
    pub client_token: String,
    pub parameters: Map<String, Value>,
}

#[derive(Default)]
pub struct Bench {
    /// Calls with a `Stall` parameter never answer (a process that dies mid-call).
    stall: bool,
    made: Mutex<Vec<Made>>,
    counters: Mutex<HashMap<String, u64>>,
}

impl Bench {
    /// A bench whose `Echo` calls with a `Stall` parameter never answer.
    pub fn stalling() -> Self {
        Self { stall: true, ..Self::default() }
    }

    /// Every call answered (or stalled) so far, in arrival order.
    pub fn made(&self) -> Vec<Made> {
        self.made.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl CloudApi for Bench {
    async fn call(&self, call: &ApiCall) -> Result<Value, CloudError> {
        self.made.lock().unwrap().push(Made {
            api: call.api.clone(),
            execution_id: call.execution_id.clone(),
            client_token: call.client_token.clone(),
            parameters: call.parameters.clone(),
        });
        let params = Value::Object(call.parameters.clone());
        let failure = |code: &str, message: &str| CloudError { code: code.into(), message: message.into(), http_status: None, request_id: None };
        match call.api.as_str() {
            "Echo" if self.stall && params.get("Stall").is_some() => std::future::pending().await,
            "Echo" => {
                if let Some(ms) = params.get("DelayMs").and_then(Value::as_u64) {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                if params.get("Fail") == Some(&Value::Bool(true)) {
                    return Err(failure("Bench.Failed", "asked to fail"));
                }
                Ok(params)
            }
            "Count" => {
                let key = params.get("Key").map(Value::to_string).unwrap_or_default();
                let mut counters = self.counters.lock().unwrap();
                let count = counters.entry(key).or_default();
                *count += 1;
                Ok(json!({ "Count": *count }))
            }
            "Inc" => Ok(json!({ "Value": params.get("Value").and_then(Value::as_i64).unwrap_or(0) + 1 })),
            "Sum" => {
                let values = params.get("Values").and_then(Value::as_array).cloned().unwrap_or_default();
                Ok(json!({ "Sum": values.iter().filter_map(Value::as_i64).sum::<i64>() }))
            }
            other => Err(failure("Bench.UnknownApi", other)),
        }
    }
}

/// W1: `count` items echoed at concurrency 50, then summed.
pub fn fan_out_template(delay_ms: u64) -> String {
    format!(
        r"
FormatVersion: OOS-2019-06-01
Parameters:
  count: {{Type: Number, Default: 10}}
Tasks:
- Name: items
  Action: ACS::ExecuteAPI
  Properties:
    Service: Bench
    API: Echo
    Parameters: {{Items: {{'Fn::Jq': [First, '[range(0; .)]', '{{{{ count }}}}']}}}}
  Outputs: {{list: {{Type: List, ValueSelector: .Items}}}}
- Name: fanout
  Action: ACS::ExecuteAPI
  Loop:
    Items: '{{{{ items.list }}}}'
    RateControl: {{Mode: Concurrency, Concurrency: 50, MaxErrors: 0}}
    Outputs:
      values: {{AggregateType: Fn::ListJoin, AggregateField: value}}
  Properties: {{Service: Bench, API: Echo, Parameters: {{Value: '{{{{ ACS::TaskLoopItem }}}}', DelayMs: {delay_ms}}}}}
  Outputs: {{value: {{Type: Number, ValueSelector: .Value}}}}
- Name: total
  Action: ACS::ExecuteAPI
  Properties: {{Service: Bench, API: Sum, Parameters: {{Values: '{{{{ fanout.values }}}}'}}}}
  Outputs: {{sum: {{Type: Number, ValueSelector: .Sum}}}}
Outputs:
  sum: {{Type: Number, Value: '{{{{ total.sum }}}}'}}
  values: {{Type: List, Value: '{{{{ fanout.values }}}}'}}
"
    )
}

/// The outputs of [`fan_out_template`] over `count` items.
pub fn fan_out_outputs(count: u64) -> Value {
    json!({ "sum": count * count.saturating_sub(1) / 2, "values": (0..count).collect::<Vec<_>>() })
}

/// A start request for `template` with `parameters` (a JSON object), in Automatic mode.
pub fn request(template: &str, parameters: Value) -> StartRequest {
    StartRequest {
        template_name: "test".into(),
        template_version: None,
        template: Arc::new(oos_template::parse(template).expect("the test template parses")),
        parameters: parameters.as_object().cloned().unwrap_or_default(),
        mode: Mode::Automatic,
        description: String::new(),
        region_id: None,
        audit: Vec::new(),
        meta: None,
        executed_by: None,
        loop_mode: None,
        safety_check: oos_engine::SafetyCheck::default(),
    }
}

/// The stored outputs of execution `id` (`{}` while it has none).
pub async fn outputs(store: &dyn Store, id: &str) -> Value {
    let record = store.execution(id).await.unwrap().expect("the execution exists");
    serde_json::from_str(record.outputs.as_deref().unwrap_or("{}")).unwrap()
}

/// `item=Status` of every loop iteration of execution `id`, sorted.
pub async fn iterations(store: &dyn Store, id: &str) -> Vec<String> {
    let mut items: Vec<String> = store
        .tasks(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|task| task.parent_task_execution_id.is_some())
        .map(|task| format!("{}={}", task.loop_item.unwrap_or_default(), task.status))
        .collect();
    items.sort();
    items
}
