//! The engine's control-flow case table (`oos-engine/tests/support/control_flow_cases.rs`, the one
//! the engine core's `control_flow.rs` runs with no store) run through the real runtime on a real
//! store, on both backends (embedded SQLite, a scratch PostgreSQL database), in virtual time.
//!
//! What must hold, for every case of the table: the final execution status, the task statuses in
//! order, the execution outputs and the virtual time from creation to the end (in whole seconds,
//! exactly, as the engine test compares it) are what the engine core gives — read back from the
//! store through a handle of its own (as another process would open it) and rebuilt from the rows
//! with [`oos_runtime::load`]. On the way there:
//! - the execution is created by the worker's Starter and claimed from the store;
//! - every wait hands it back to the store (`park_after` zero): a timer (Sleep, WaitFor back-off)
//!   is its row's `wake_ms`, an approval, pause or Debug stop its row's not being runnable, and
//!   the worker loads it back from its rows to go on; once settled it is not held in memory;
//! - the case's NotifyExecution/Cancel events go in one after the other once the execution has
//!   settled (as the engine harness sends them), each as an inbox row with the `Event` JSON that
//!   `NotifyExecution`/`CancelExecution` write (`oos-server` `actions/executions.rs`, `deliver`) —
//!   and, as those refuse, not at all once the execution has finished (the case "Approve when
//!   nothing waits is ignored": the engine ignores the event, the API never hands it over);
//! - a settled execution's row is not runnable and its inbox is empty (every event consumed in a
//!   commit).
//!
//! The cloud is the engine harness's own responder (`support::bench`, included below) behind the
//! product's `Executors` (service `Bench`: `Echo`, `Fail`, `Poll`); it counts the calls of a task
//! per execution and task name where the harness counts per task execution, the same here since no
//! case polls with a task twice in one execution. Webhooks, which the harness answers with `{}`, are
//! answered by it too, in front of the outbound HTTP client (the cases' hook URL is not served).
//!
//! No case of the table is left out. `oos-engine/tests/loops.rs` is not part of the table: its
//! assertions (most iterations running at once after any step, batch numbers) observe the engine
//! core step by step.

mod bench_api;
#[path = "../../oos-engine/tests/support/control_flow_cases.rs"]
mod cases;
#[path = "../../oos-engine/tests/support/mod.rs"]
mod engine_support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bench_api::{Bed, on_both, request, worker};
use cases::Case;
use oos_actions::{ActionError, ActionRequest, Actions, ApiCall, CallKind, CloudApi, CloudError};
use oos_clock::{Clock, VirtualClock};
use oos_engine::{Call, Event, ExecutionStatus};
use oos_runtime::{RuntimeConfig, StartRequest, Worker};
use oos_store::{NewInboxEvent, Store};
use serde_json::{Value, json};

on_both!(the_engine_control_flow_cases_hold_through_the_store);

/// Real time with nothing changing on the clock after which it jumps to the next due wait.
const QUIET: Duration = Duration::from_millis(10);
/// A guard against a hang, not a speed check: real time one settling may take at most.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);

async fn the_engine_control_flow_cases_hold_through_the_store(bed: Bed) {
    let clock = VirtualClock::new(engine_support::T0);
    clock.auto_advance(QUIET);
    // Every wait of the worker is a stop of the virtual clock: poll and renew coarsely. Every
    // execution that waits is handed back to the store at once.
    let config = RuntimeConfig {
        poll_interval: Duration::from_secs(600),
        lease_ttl: Duration::from_secs(3600),
        park_after: Some(Duration::ZERO),
        ..RuntimeConfig::default()
    };
    let (worker, store) = worker(&bed, Arc::new(HarnessCloud::default()), config).await;
    let mut worker = worker.with_clock(Arc::new(clock.clone())).wrap_actions(|actions| Arc::new(HarnessOutbound(actions)));
    let reader = bed.store().await;
    let real = Instant::now();
    let cases = cases::all();
    let count = cases.len();
    let mut differences = Vec::new();
    for case in cases {
        differences.extend(run(&mut worker, store.as_ref(), reader.as_ref(), &clock, case).await);
    }
    let took = real.elapsed();
    eprintln!("{count} control-flow cases on {} in {took:?}", if bed.is_postgres() { "PostgreSQL" } else { "SQLite" });
    assert!(differences.is_empty(), "through the store, unlike the engine core:\n{}", differences.join("\n"));
}

/// Runs one case on the worker; returns how its stored result differs from the case.
async fn run(worker: &mut Worker, store: &dyn Store, reader: &dyn Store, clock: &VirtualClock, case: Case) -> Vec<String> {
    let name = case.name;
    let start = StartRequest { mode: case.mode, ..request(case.template, case.parameters) };
    let id = worker.start(start).await.unwrap_or_else(|e| panic!("{name}: not started: {e}"));
    settle(worker, &id, name).await;
    for event in &case.events {
        deliver(store, clock, &id, event).await;
        settle(worker, &id, name).await;
    }

    let mut differences = Vec::new();
    let mut differ = |what: &str, got: String, expected: String| differences.push(format!("{name}: {what} {got}, expected {expected}"));
    let record = reader.execution(&id).await.unwrap().unwrap_or_else(|| panic!("{name}: {id} not stored"));
    let tasks = reader.tasks(&id).await.unwrap();
    let execution = oos_runtime::load(record.clone(), tasks, None).unwrap_or_else(|e| panic!("{name}: {id} does not load back: {e}"));
    if execution.status != case.status {
        differ("status", format!("{} ({})", execution.status, execution.status_message), case.status.to_string());
    }
    let statuses: Vec<String> = execution.tasks.iter().filter(|t| t.parent.is_none()).map(|t| format!("{}={}", t.name, t.status)).collect();
    if statuses != case.tasks {
        differ("tasks", format!("{statuses:?}"), format!("{:?}", case.tasks));
    }
    let outputs = Value::Object(execution.outputs.clone().unwrap_or_default());
    if outputs != case.outputs {
        differ("outputs", outputs.to_string(), case.outputs.to_string());
    }
    if let Some(seconds) = case.elapsed_s {
        let elapsed_ms = record.end_ms.unwrap_or(record.updated_ms) - record.created_ms;
        if elapsed_ms / 1000 != seconds {
            differ("virtual time", format!("{elapsed_ms} ms"), format!("{seconds} s"));
        }
    }
    if record.runnable {
        differ("row runnable", "true".into(), "false once settled".into());
    }
    let pending = reader.pending(std::slice::from_ref(&id)).await.unwrap();
    if !pending.is_empty() {
        differ("inbox", format!("{} events left", pending.len()), "every event consumed".into());
    }
    if worker.live(&id).is_some() {
        differ("worker", "still holds it in memory".into(), "handed back to the store".into());
    }
    differences
}

/// Runs the worker until execution `id` has finished or waits for a person.
async fn settle(worker: &mut Worker, id: &str, name: &str) {
    match tokio::time::timeout(SETTLE_LIMIT, worker.settle(id)).await {
        Ok(settled) => {
            settled.unwrap_or_else(|e| panic!("{name}: the worker failed: {e}"));
        }
        Err(_) => panic!("{name}: not settled in {SETTLE_LIMIT:?} of real time"),
    }
}

/// Puts `event` in the inbox of execution `id` as `NotifyExecution`/`CancelExecution` do: refused
/// (nothing written) once the execution has finished.
async fn deliver(store: &dyn Store, clock: &VirtualClock, id: &str, event: &Event) {
    let record = store.execution(id).await.unwrap().expect("the execution exists");
    if ExecutionStatus::parse(&record.status).is_some_and(ExecutionStatus::is_final) {
        return;
    }
    let payload = serde_json::to_string(event).unwrap();
    store.push(NewInboxEvent { execution_id: id.to_owned(), payload, created_ms: clock.now_ms() }).await.unwrap();
}

/// The engine call `support::bench` answers for an action the worker runs (what it reads of it:
/// the kind and the properties).
fn engine_call(kind: CallKind, properties: Value, execution_id: &str, task_name: &str) -> Call {
    Call {
        execution_id: execution_id.to_owned(),
        task_execution_id: String::new(),
        task_name: task_name.to_owned(),
        attempt: 0,
        kind,
        properties,
        client_token: String::new(),
        ram_role: None,
        executed_by: String::new(),
        region_id: String::new(),
    }
}

/// The worker's cloud: the engine harness's responder, the `n` of a call counted per execution and
/// task name.
#[derive(Default)]
struct HarnessCloud {
    calls: Mutex<HashMap<(String, String), u32>>,
}

#[async_trait::async_trait]
impl CloudApi for HarnessCloud {
    async fn call(&self, call: &ApiCall) -> Result<Value, CloudError> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            let n = calls.entry((call.execution_id.clone(), call.task_name.clone())).or_default();
            *n += 1;
            *n
        };
        let properties = json!({ "Service": call.service, "API": call.api, "Parameters": call.parameters });
        engine_support::bench(&engine_call(CallKind::CloudApi, properties, &call.execution_id, &call.task_name), n)
            .map_err(|e| CloudError { code: e.code, message: e.message, http_status: None, request_id: None })
    }
}

/// In front of the product's actions: webhooks and HTTP requests are answered by the engine
/// harness's responder instead of the outbound client; cloud calls go on to the `Executors`.
struct HarnessOutbound(Arc<dyn Actions>);

#[async_trait::async_trait]
impl Actions for HarnessOutbound {
    async fn run(&self, request: &ActionRequest) -> Result<Value, ActionError> {
        match request.kind {
            CallKind::Webhook | CallKind::HttpRequest => {
                engine_support::bench(&engine_call(request.kind, request.properties.clone(), &request.execution_id, &request.task_name), 1)
            }
            CallKind::CloudApi | CallKind::SelectTargets => self.0.run(request).await,
        }
    }
}
