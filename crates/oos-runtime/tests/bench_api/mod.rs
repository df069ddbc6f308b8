//! An in-process cloud for runtime tests: service `Bench` with `Echo` (returns its parameters, after
//! `DelayMs` if given), `Inc` (`Value` + 1) and `Sum` (sum of `Values`).
#![allow(dead_code, reason = "shared by several test crates, each using a part")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oos_actions::{ApiCall, CloudApi, CloudError, Executors};
use oos_engine::Mode;
use oos_runtime::{Library, RuntimeConfig, StartRequest, Worker};
use oos_store::SqliteStore;
use oos_store::sqlite::Durability;
use serde_json::{Value, json};

#[derive(Default)]
pub struct Bench {
    pub calls: AtomicUsize,
    /// Calls with a `Stall` parameter never answer (a process that dies mid-call).
    pub stall: bool,
}

#[async_trait::async_trait]
impl CloudApi for Bench {
    async fn call(&self, call: &ApiCall) -> Result<Value, CloudError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let params = Value::Object(call.parameters.clone());
        match call.api.as_str() {
            "Echo" if self.stall && params.get("Stall").is_some() => std::future::pending().await,
            "Echo" => {
                if let Some(ms) = params.get("DelayMs").and_then(Value::as_u64) {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                Ok(params)
            }
            "Inc" => Ok(json!({ "Value": params.get("Value").and_then(Value::as_i64).unwrap_or(0) + 1 })),
            "Sum" => {
                let values = params.get("Values").and_then(Value::as_array).cloned().unwrap_or_default();
                Ok(json!({ "Sum": values.iter().filter_map(Value::as_i64).sum::<i64>() }))
            }
            other => Err(CloudError { code: "Bench.UnknownApi".into(), message: other.into(), http_status: None, request_id: None }),
        }
    }
}

/// A worker on the SQLite store in `dir`, calling `bench`.
pub async fn worker(dir: &std::path::Path, bench: Arc<Bench>) -> (Worker, SqliteStore) {
    worker_with(dir, bench, RuntimeConfig::default()).await
}

/// [`worker`] with its own settings.
pub async fn worker_with(dir: &std::path::Path, bench: Arc<Bench>, config: RuntimeConfig) -> (Worker, SqliteStore) {
    let store = SqliteStore::open(dir, Durability::Normal).await.expect("store opens");
    let library = Library::new(Some(Arc::new(store.clone())), &[]);
    let worker = Worker::new(Arc::new(store.clone()), Arc::new(Executors::new(bench, oos_actions::AddressPolicy::open())), Arc::new(library), config);
    (worker, store)
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

/// A start request for `template` with `parameters` (a JSON object), in Automatic mode.
pub fn request(template: &str, parameters: Value) -> StartRequest {
    StartRequest {
        template_name: "test".into(),
        template_version: None,
        template: std::sync::Arc::new(oos_template::parse(template).expect("the test template parses")),
        parameters: parameters.as_object().cloned().unwrap_or_default(),
        mode: Mode::Automatic,
        description: String::new(),
        region_id: None,
        audit: Vec::new(),
        meta: None,
        executed_by: None,
        loop_mode: None,
    }
}
