//! Polling stays cheap: on PostgreSQL, a worker that holds 100 waiting executions (a one-hour
//! Sleep each, kept: no `park_after`) makes the database commit no more transactions per second
//! than when it holds one. Its poll is a fixed number of queries however many executions it holds
//! (claim, the held executions' inbox, a lease renewal now and then); its timers are its own.
//!
//! The transactions are the database's `xact_commit + xact_rollback` in `pg_stat_database`, read
//! from another database, over a few seconds of each. A backend reports its statistics at most
//! once a second, and one that went idle with some unreported reports them 10 s later
//! (`PGSTAT_IDLE_INTERVAL`): the window after 99 starts opens 11 s after them, so that the starts'
//! own transactions (and the worker's loading of the new executions) are not counted in it.
//!
//! What must hold: the rate with 100 executions is at most the rate with one plus a small constant
//! (one query per held execution per poll would add about a thousand a second at this poll
//! interval). Not a speed test: a count comparison. The figures are printed for the benchmark notes.

mod bench_api;
mod fleet;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_api::{Bed, Bench, request, worker};
use oos_runtime::{RuntimeConfig, Starter};
use oos_store::Store;
use serde_json::json;

const SLEEPER: &str = "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: nap, Action: ACS::Sleep, Properties: {Duration: PT1H}}\n";
const POLL: Duration = Duration::from_millis(100);
/// From the last start to the window: after one start a few late transactions do not matter (they
/// would only raise the one-execution rate); after 99, every backend's report must be in.
const SETTLE_ONE: Duration = Duration::from_millis(2_500);
const SETTLE_HUNDRED: Duration = Duration::from_secs(11);
const WINDOW: Duration = Duration::from_secs(4);
const BOUND: Duration = Duration::from_secs(30);
/// Transactions per second the 100-execution rate may exceed the one-execution rate by (the
/// statistics' lag, autovacuum).
const SLACK: f64 = 5.0;

/// Starts `count` sleepers and waits until each sleeps (its Sleep task started, its due time stored).
async fn sleeping(starter: &Starter, store: &dyn Store, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..count {
        ids.push(starter.start(request(SLEEPER, json!({}))).await.unwrap().id().to_owned());
    }
    let began = Instant::now();
    for id in &ids {
        loop {
            let record = store.execution(id).await.unwrap().unwrap();
            if record.wake_ms.is_some() && record.status == "Running" {
                break;
            }
            assert!(began.elapsed() < BOUND, "execution {id} never went to sleep");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    ids
}

/// Transactions per second in the bed's database over [`WINDOW`], after `settle`.
async fn rate(bed: &Bed, settle: Duration) -> f64 {
    tokio::time::sleep(settle).await;
    let before = bed.database().transactions().await.unwrap();
    tokio::time::sleep(WINDOW).await;
    let after = bed.database().transactions().await.unwrap();
    (after - before) as f64 / WINDOW.as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_costs_the_same_with_one_or_a_hundred_held_executions() {
    let bed = Bed::postgres().await;
    let config = RuntimeConfig { worker_id: "holder".into(), poll_interval: POLL, park_after: None, ..RuntimeConfig::default() };
    let (worker, store) = worker(&bed, Arc::new(Bench::default()), config).await;
    let starter = worker.starter();
    let running = fleet::run(worker);

    sleeping(&starter, store.as_ref(), 1).await;
    let one = rate(&bed, SETTLE_ONE).await;
    sleeping(&starter, store.as_ref(), 99).await;
    let hundred = rate(&bed, SETTLE_HUNDRED).await;

    assert_eq!(running.failed_turns(), 0);
    running.stop().await;
    let polls = 1.0 / POLL.as_secs_f64();
    eprintln!(
        "queries (transactions)/s with a poll every {POLL:?}: holding 1 execution {one:.1} ({:.2} per poll), holding 100 {hundred:.1} ({:.2} per poll)",
        one / polls,
        hundred / polls,
    );
    assert!(one >= polls, "the statistics see the worker's polls: {one:.1}/s");
    assert!(hundred <= one + SLACK, "no query per held execution per poll: {hundred:.1}/s with 100, {one:.1}/s with one");
}
