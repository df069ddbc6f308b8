//! A worker that stops between turns, on each backend: the answers of its calls in flight are
//! committed, its leases are released (another worker claims the executions at once), no crash is
//! counted, and the next worker finishes the executions; calls that outlive the grace are abandoned
//! as in a crash.

mod bench_api;

use std::sync::Arc;
use std::time::Duration;

use bench_api::{Bed, Bench, on_both, request, worker};
use oos_engine::ExecutionStatus;
use oos_clock::{Clock, SystemClock};
use oos_runtime::{CALL_TASK, RuntimeConfig};
use oos_store::Store;
use serde_json::json;

const BOUND: Duration = Duration::from_secs(60);

const TEMPLATE: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: slow, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {V: 1, DelayMs: 200, Stall: true}}}
- {Name: nap, Action: ACS::Sleep, Properties: {Duration: PT1S}}
- {Name: last, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {V: 2}}}
";

on_both!(a_stopped_worker_commits_its_answers_and_releases_its_leases, calls_that_outlive_the_grace_are_abandoned_and_made_again);

/// Starts [`TEMPLATE`] on a worker calling `bench` and turns until its first call is in flight.
async fn started_with_a_call_in_flight(bed: &Bed, bench: Bench) -> (oos_runtime::Worker, Arc<dyn Store>, String) {
    let (mut worker, store) = worker(bed, Arc::new(bench), RuntimeConfig::default()).await;
    let id = worker.start(request(TEMPLATE, json!({}))).await.unwrap();
    while worker.tasks().count(Some(CALL_TASK)) == 0 {
        tokio::time::timeout(BOUND, worker.turn()).await.expect("a turn ends").unwrap();
    }
    (worker, store, id)
}

/// Whether a worker of another name can claim `id` a little later (its lease is free; the template's
/// 1 s Sleep, a timer row, may be what it waits for).
async fn claimable(store: &dyn Store, id: &str) -> bool {
    let claimed: Vec<String> = store.claim("another-worker", SystemClock.now_ms() + 2_000, 30_000, 100).await.unwrap().into_iter().map(|claimed| claimed.id).collect();
    store.release("another-worker", &claimed).await.unwrap();
    claimed.iter().any(|claimed| claimed == id)
}

async fn a_stopped_worker_commits_its_answers_and_releases_its_leases(bed: Bed) {
    let (worker, store, id) = started_with_a_call_in_flight(&bed, Bench::default()).await;
    assert!(!claimable(store.as_ref(), &id).await, "the running worker holds the lease");
    let tasks = worker.tasks().clone();
    tokio::time::timeout(BOUND, worker.shutdown(BOUND)).await.expect("the shutdown ends").unwrap();
    assert_eq!(tasks.count(None), 0, "no task of the worker is left: {:?}", tasks.counts());
    let stored = store.tasks(&id).await.unwrap();
    assert_eq!(stored[0].status, "Success", "the answer that came during the shutdown is committed");
    assert!(claimable(store.as_ref(), &id).await, "the lease is released");
    assert_eq!(store.recover(&id).await.unwrap(), 0, "a shutdown is not a crash");
    let (mut next, _) = bench_api::worker(&bed, Arc::new(Bench::default()), RuntimeConfig::default()).await;
    let status = tokio::time::timeout(BOUND, next.settle(&id)).await.expect("the execution settles").unwrap();
    assert_eq!(status, ExecutionStatus::Success);
}

async fn calls_that_outlive_the_grace_are_abandoned_and_made_again(bed: Bed) {
    let (worker, store, id) = started_with_a_call_in_flight(&bed, Bench::stalling()).await;
    let tasks = worker.tasks().clone();
    tokio::time::timeout(BOUND, worker.shutdown(Duration::from_millis(50))).await.expect("the shutdown ends").unwrap();
    assert!(tasks.wait(None, BOUND).await, "the abandoned call is aborted: {:?}", tasks.counts());
    assert_eq!(store.tasks(&id).await.unwrap()[0].status, "Running");
    assert!(claimable(store.as_ref(), &id).await, "the lease is released");
    assert_eq!(store.recover(&id).await.unwrap(), 1, "a call cut in flight counts as a crash");
    let (mut next, _) = bench_api::worker(&bed, Arc::new(Bench::default()), RuntimeConfig::default()).await;
    let status = tokio::time::timeout(BOUND, next.settle(&id)).await.expect("the execution settles").unwrap();
    assert_eq!(status, ExecutionStatus::Success);
}
