//! Failed commits never leave an execution stuck: the worker loads it again from the store.
//!
//! On PostgreSQL, every connection to the database (the worker's pool and its wakeup listener) is
//! cut (`pg_terminate_backend`), again and again at random moments, while a worker runs a 600-item
//! loop, until two of its turns have failed (not every cut fails one: the pool replaces the
//! connections it finds closed before it hands them out).
//! On each backend, a worker whose lease lapsed while its call was in flight finds its commit
//! fenced off by the worker that took the execution over, and lets it go.
//!
//! What must hold afterwards: the execution ends Success with the outputs of an undisturbed run,
//! one iteration row per item, and no call reached the cloud under two different ClientTokens for
//! the same item (a call re-driven after a failed commit is the same attempt, same token); the
//! fenced-off worker's turn fails with `LeaseLost`, it no longer holds the execution, does not load
//! it again, and made no call after the takeover.

mod bench_api;
mod fleet;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_api::{Bed, Bench, fan_out_outputs, fan_out_template, iterations, on_both, outputs, request, worker};
use oos_runtime::{CALL_TASK, RuntimeConfig, RuntimeError};
use oos_store::StoreError;
use serde_json::json;

const BOUND: Duration = Duration::from_secs(60);
const ITEMS: u64 = 600;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loop_survives_every_connection_cut_twice() {
    let bed = Bed::postgres().await;
    let bench = Arc::new(Bench::default());
    let config = RuntimeConfig { worker_id: "cut".into(), poll_interval: Duration::from_millis(200), ..RuntimeConfig::default() };
    let (mut worker, store) = worker(&bed, bench.clone(), config).await;
    // 600 items at concurrency 50, 600 ms each: about twelve waves of calls over ~7 s, cut in the
    // middle (a cut fails a turn only when it hits a statement in flight; with 300 items a loaded CI
    // machine once saw 111 cuts miss every one before the loop ended).
    let id = worker.start(request(&fan_out_template(600), json!({"count": ITEMS}))).await.unwrap();
    let running = fleet::run(worker);
    let began = Instant::now();
    // Cut until two turns failed (or the loop ended: then the assertion below tells).
    let mut cuts = 0;
    while running.failed_turns() < 2 && store.execution(&id).await.unwrap().unwrap().end_ms.is_none() {
        assert!(began.elapsed() < BOUND, "no cut hit a statement in flight");
        tokio::time::sleep(Duration::from_millis(rand::random_range(5..40))).await;
        bed.database().cut_connections().await.unwrap();
        cuts += 1;
    }
    assert_eq!(fleet::finished(store.as_ref(), &id, BOUND).await, "Success");
    eprintln!("{cuts} cuts; {} turns failed; finished in {:?}", running.failed_turns(), began.elapsed());
    assert!(running.failed_turns() > 0, "a cut failed a turn: its executions were loaded again from the store");
    running.stop().await;

    assert_eq!(outputs(store.as_ref(), &id).await, fan_out_outputs(ITEMS));
    let rows = iterations(store.as_ref(), &id).await;
    let mut expected: Vec<String> = (0..ITEMS).map(|item| format!("{item}=Success")).collect();
    expected.sort();
    assert_eq!(rows, expected, "one iteration row per item, each Success");
    let calls = fleet::by_call(&bench.made());
    assert_eq!(calls.len(), usize::try_from(ITEMS).unwrap() + 2, "every item called");
    assert!(fleet::under_several_tokens(&calls).is_empty(), "no item called under two ClientTokens: {:?}", fleet::under_several_tokens(&calls));
}

on_both!(a_commit_fenced_off_after_a_takeover_lets_the_execution_go);

const SLOW_THEN_FAST: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: slow, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {V: 1, DelayMs: 1500}}, Outputs: {v: {Type: Number, ValueSelector: .V}}}
- {Name: fast, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Inc, Parameters: {Value: '{{ slow.v }}'}}, Outputs: {v: {Type: Number, ValueSelector: .Value}}}
Outputs: {v: {Type: Number, Value: '{{ fast.v }}'}}
";

async fn a_commit_fenced_off_after_a_takeover_lets_the_execution_go(bed: Bed) {
    // The first worker's lease lasts 1 s; it stops turning (a stalled process) with its slow call
    // in flight, so the lease lapses and the second worker takes the execution over.
    let stalled_bench = Arc::new(Bench::default());
    let config = RuntimeConfig { worker_id: "stalled".into(), lease_ttl: Duration::from_secs(1), poll_interval: Duration::from_millis(100), park_after: None, ..RuntimeConfig::default() };
    let (mut stalled, store) = worker(&bed, stalled_bench.clone(), config).await;
    let id = stalled.start(request(SLOW_THEN_FAST, json!({}))).await.unwrap();
    while stalled.tasks().count(Some(CALL_TASK)) == 0 {
        tokio::time::timeout(BOUND, stalled.turn()).await.expect("a turn ends").unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let next_bench = Arc::new(Bench::default());
    let config = RuntimeConfig { worker_id: "next".into(), poll_interval: Duration::from_millis(100), ..RuntimeConfig::default() };
    let (next, _) = worker(&bed, next_bench.clone(), config).await;
    let next = fleet::run(next);
    let began = Instant::now();
    while next_bench.made().is_empty() {
        assert!(began.elapsed() < BOUND, "the second worker never took the lapsed execution over");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The stalled worker wakes up: its call answers, and its commit is fenced off.
    let began = Instant::now();
    let failed = loop {
        assert!(stalled.live(&id).is_some(), "the stalled worker holds the execution until its commit fails");
        if let Err(error) = tokio::time::timeout(BOUND, stalled.turn()).await.expect("a turn ends") {
            break error;
        }
        assert!(began.elapsed() < BOUND, "the stalled worker's answer never came");
    };
    assert!(matches!(&failed, RuntimeError::Store(StoreError::LeaseLost(lost)) if *lost == id), "{failed:?}");
    assert!(stalled.live(&id).is_none(), "a worker that lost the lease lets the execution go");
    tokio::time::timeout(BOUND, stalled.turn()).await.expect("a turn ends").unwrap();
    assert!(stalled.live(&id).is_none(), "and does not load it again");

    assert_eq!(fleet::finished(store.as_ref(), &id, BOUND).await, "Success");
    assert_eq!(outputs(store.as_ref(), &id).await, json!({"v": 2}));
    assert_eq!(next.failed_turns(), 0);
    next.stop().await;
    let apis = |bench: &Bench| bench.made().iter().map(|call| call.api.clone()).collect::<Vec<_>>();
    assert_eq!(apis(&stalled_bench), ["Echo"], "the stalled worker made the slow call and nothing after");
    assert_eq!(apis(&next_bench), ["Echo", "Inc"], "the next worker made the slow call again, then the next one");
    let made: Vec<_> = stalled_bench.made().into_iter().chain(next_bench.made()).collect();
    assert!(fleet::under_several_tokens(&fleet::by_call(&made)).is_empty(), "the slow call again under the same ClientToken");
}
