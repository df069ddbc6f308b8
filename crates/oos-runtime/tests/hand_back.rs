//! Hand-back across workers, on each backend: a worker hands back (parks) an execution that only
//! waits — for a Sleep due later than its `park_after`, or for a NotifyExecution — and dies; a
//! second worker on another store handle takes it when it is due (or when the event arrives, put in
//! the inbox through the store as the API does) and finishes it.
//!
//! What must hold afterwards: the first worker no longer holds the execution and its lease is free
//! (another owner can claim it at its due time), although that worker's own lease would last ten
//! minutes; the second worker finishes it with the outputs of an undisturbed run, making the calls
//! after the wait (and only those); each call is made once, under one ClientToken.
//!
//! On SQLite several workers of one process on one data directory work (claims are `BEGIN
//! IMMEDIATE` transactions); only the worker *process* is one at a time. The second worker does not
//! take the data directory over (that would free every lease): it finds the lease freed by the hand-back.

mod bench_api;
mod fleet;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_api::{Bed, Bench, on_both, outputs, request, worker};
use oos_clock::{Clock, SystemClock};
use oos_engine::{Event, ExecutionStatus, Notify, NotifyType};
use oos_runtime::RuntimeConfig;
use oos_store::{NewInboxEvent, Store};
use serde_json::json;

const BOUND: Duration = Duration::from_secs(30);

on_both!(a_sleeping_execution_handed_back_is_finished_by_another_worker, an_execution_waiting_for_approval_handed_back_is_finished_by_another_worker);

const SLEEPER: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: before, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {V: 1}}, Outputs: {v: {Type: Number, ValueSelector: .V}}}
- {Name: nap, Action: ACS::Sleep, Properties: {Duration: PT3S}}
- {Name: after, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Inc, Parameters: {Value: '{{ before.v }}'}}, Outputs: {v: {Type: Number, ValueSelector: .Value}}}
Outputs: {v: {Type: Number, Value: '{{ after.v }}'}}
";

const APPROVAL: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: before, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {V: 1}}, Outputs: {v: {Type: Number, ValueSelector: .V}}}
- {Name: gate, Action: ACS::Approve}
- {Name: after, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Inc, Parameters: {Value: '{{ before.v }}'}}, Outputs: {v: {Type: Number, ValueSelector: .Value}}}
Outputs: {v: {Type: Number, Value: '{{ after.v }}'}}
";

/// The first worker: hands back what waits longer than 500 ms; its leases last ten minutes, so only
/// a hand-back frees them while the test runs.
fn parking(name: &str) -> RuntimeConfig {
    RuntimeConfig {
        worker_id: name.into(),
        lease_ttl: Duration::from_secs(600),
        park_after: Some(Duration::from_millis(500)),
        poll_interval: Duration::from_millis(100),
        ..RuntimeConfig::default()
    }
}

/// Whether an owner other than the workers can claim `id` at `at_ms` (then gives it back).
async fn claimable_at(store: &dyn Store, id: &str, at_ms: i64) -> bool {
    let claimed: Vec<String> = store.claim("probe", at_ms, 1_000, 100).await.unwrap().into_iter().map(|claimed| claimed.id).collect();
    store.release("probe", &claimed).await.unwrap();
    claimed.iter().any(|claimed| claimed == id)
}

/// Runs `id` on a parking worker until it has handed it back; the worker is then dropped (dies).
async fn handed_back_by_a_worker_that_dies(bed: &Bed, bench: Arc<Bench>, template: &str) -> String {
    let (mut first, store) = worker(bed, bench, parking("first")).await;
    let id = first.start(request(template, json!({}))).await.unwrap();
    let began = Instant::now();
    loop {
        tokio::time::timeout(BOUND, first.turn()).await.expect("a turn ends").unwrap();
        let before_done = store.tasks(&id).await.unwrap().len() >= 2;
        if before_done && first.live(&id).is_none() {
            break;
        }
        assert!(began.elapsed() < BOUND, "the first worker never handed the execution back");
    }
    id
}

async fn a_sleeping_execution_handed_back_is_finished_by_another_worker(bed: Bed) {
    let first_bench = Arc::new(Bench::default());
    let id = handed_back_by_a_worker_that_dies(&bed, first_bench.clone(), SLEEPER).await;
    let store = bed.store().await;
    let record = store.execution(&id).await.unwrap().unwrap();
    let due = record.wake_ms.expect("a handed-back sleeper has its due time in the store");
    assert!(record.runnable && record.status == "Running", "{} runnable={}", record.status, record.runnable);
    assert!(!claimable_at(store.as_ref(), &id, due - 1).await, "not claimable before it is due");
    assert!(claimable_at(store.as_ref(), &id, due).await, "the dead worker's lease is free: claimable when due");

    let second_bench = Arc::new(Bench::default());
    let (second, _) = worker(&bed, second_bench.clone(), RuntimeConfig { worker_id: "second".into(), poll_interval: Duration::from_millis(100), ..RuntimeConfig::default() }).await;
    let second = fleet::run(second);
    assert_eq!(fleet::finished(store.as_ref(), &id, BOUND).await, "Success");
    let ended = store.execution(&id).await.unwrap().unwrap().end_ms.unwrap();
    assert!(ended >= due, "finished at {ended}, before its Sleep was due at {due}");
    assert_eq!(outputs(store.as_ref(), &id).await, json!({"v": 2}));
    assert_calls(&first_bench, &second_bench);
    assert_eq!(second.failed_turns(), 0);
    second.stop().await;
}

async fn an_execution_waiting_for_approval_handed_back_is_finished_by_another_worker(bed: Bed) {
    let first_bench = Arc::new(Bench::default());
    let id = handed_back_by_a_worker_that_dies(&bed, first_bench.clone(), APPROVAL).await;
    let api = bed.store().await;
    let record = api.execution(&id).await.unwrap().unwrap();
    assert_eq!(record.status, "Waiting");

    let second_bench = Arc::new(Bench::default());
    let (second, _) = worker(&bed, second_bench.clone(), RuntimeConfig { worker_id: "second".into(), poll_interval: Duration::from_millis(100), ..RuntimeConfig::default() }).await;
    let second = fleet::run(second);
    // Nothing to do until the approval comes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(second_bench.made().is_empty());
    assert_eq!(api.execution(&id).await.unwrap().unwrap().status, "Waiting");
    // NotifyExecution as the server delivers it: the event in the execution's inbox, on the API's
    // own store handle.
    let approve = Event::Notify(Notify { task_name: Some("gate".into()), ..Notify::of(NotifyType::Approve) });
    let payload = serde_json::to_string(&approve).unwrap();
    api.push(NewInboxEvent { execution_id: id.clone(), payload, created_ms: SystemClock.now_ms() }).await.unwrap();
    assert_eq!(fleet::finished(api.as_ref(), &id, BOUND).await, ExecutionStatus::Success.as_str());
    assert_eq!(outputs(api.as_ref(), &id).await, json!({"v": 2}));
    assert!(api.pending(std::slice::from_ref(&id)).await.unwrap().is_empty(), "the approval is consumed");
    assert_calls(&first_bench, &second_bench);
    assert_eq!(second.failed_turns(), 0);
    second.stop().await;
}

/// The first worker made the call before the wait, the second the one after; each once.
fn assert_calls(first: &Bench, second: &Bench) {
    let apis = |bench: &Bench| bench.made().iter().map(|call| call.api.clone()).collect::<Vec<_>>();
    assert_eq!(apis(first), ["Echo"], "the first worker called before the wait and nothing after");
    assert_eq!(apis(second), ["Inc"], "the second worker made the call after the wait, and did not repeat the one before");
    let made: Vec<_> = first.made().into_iter().chain(second.made()).collect();
    assert!(fleet::under_several_tokens(&fleet::by_call(&made)).is_empty());
}
