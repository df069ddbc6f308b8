//! Many workers, one database: three workers in one process, each on a PostgreSQL store handle of
//! its own and calling a bench of its own, run 20 executions started through any of them. Each
//! execution fans out over 8 items, sleeps past the workers' `park_after` (handed back: any worker
//! takes it when due) and sums.
//!
//! What must hold afterwards: every execution ends Success with the outputs of an undisturbed run;
//! every logical call (execution, task, loop item) reached the cloud exactly once, under one
//! ClientToken; and the work was spread: more than one worker's bench was called.
//!
//! PostgreSQL only: on SQLite one worker process holds the data directory (its worker lock), so
//! several workers on one store is not a deployment there.

mod bench_api;
mod fleet;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_api::{Bed, Bench, outputs, request, worker};
use oos_runtime::RuntimeConfig;
use serde_json::{Value, json};

const WORKERS: usize = 3;
const EXECUTIONS: u64 = 20;
const ITEMS: u64 = 8;
const BOUND: Duration = Duration::from_secs(60);

/// Items `10·run … 10·run + 7` echoed two at a time, a 1 s Sleep, then their sum.
const TEMPLATE: &str = r"
FormatVersion: OOS-2019-06-01
Parameters:
  run: {Type: Number}
Tasks:
- Name: items
  Action: ACS::ExecuteAPI
  Properties:
    Service: Bench
    API: Echo
    Parameters: {Items: {'Fn::Jq': [First, '[range(. * 10; . * 10 + 8)]', '{{ run }}']}}
  Outputs: {list: {Type: List, ValueSelector: .Items}}
- Name: fanout
  Action: ACS::ExecuteAPI
  Loop:
    Items: '{{ items.list }}'
    RateControl: {Mode: Concurrency, Concurrency: 2, MaxErrors: 0}
    Outputs:
      values: {AggregateType: Fn::ListJoin, AggregateField: value}
  Properties: {Service: Bench, API: Echo, Parameters: {Value: '{{ ACS::TaskLoopItem }}', DelayMs: 20}}
  Outputs: {value: {Type: Number, ValueSelector: .Value}}
- Name: nap
  Action: ACS::Sleep
  Properties: {Duration: PT1S}
- Name: total
  Action: ACS::ExecuteAPI
  Properties: {Service: Bench, API: Sum, Parameters: {Values: '{{ fanout.values }}'}}
  Outputs: {sum: {Type: Number, ValueSelector: .Sum}}
Outputs:
  sum: {Type: Number, Value: '{{ total.sum }}'}
  values: {Type: List, Value: '{{ fanout.values }}'}
";

/// The outputs of an undisturbed run of [`TEMPLATE`].
fn expected(run: u64) -> Value {
    let values: Vec<u64> = (run * 10..run * 10 + ITEMS).collect();
    json!({ "sum": values.iter().sum::<u64>(), "values": values })
}

fn config(name: String) -> RuntimeConfig {
    RuntimeConfig {
        worker_id: name,
        poll_interval: Duration::from_millis(200),
        park_after: Some(Duration::from_millis(300)),
        ..RuntimeConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_share_a_batch_and_drive_each_call_once() {
    let bed = Bed::postgres().await;
    let mut benches = Vec::new();
    let mut starters = Vec::new();
    let mut running = Vec::new();
    for n in 0..WORKERS {
        let bench = Arc::new(Bench::default());
        let (worker, _) = worker(&bed, bench.clone(), config(format!("worker-{n}"))).await;
        starters.push(worker.starter());
        benches.push(bench);
        running.push(fleet::run(worker));
    }
    let began = Instant::now();
    let mut ids = Vec::new();
    for run in 0..EXECUTIONS {
        let starter = &starters[usize::try_from(run).unwrap() % WORKERS];
        ids.push(starter.start(request(TEMPLATE, json!({ "run": run }))).await.unwrap().id().to_owned());
    }
    let store = bed.store().await;
    for (run, id) in (0..EXECUTIONS).zip(&ids) {
        assert_eq!(fleet::finished(store.as_ref(), id, BOUND).await, "Success", "execution {run}");
        assert_eq!(outputs(store.as_ref(), id).await, expected(run), "execution {run}");
    }
    eprintln!("{EXECUTIONS} executions on {WORKERS} workers in {:?}", began.elapsed());
    for worker in running {
        assert_eq!(worker.failed_turns(), 0, "no turn fails on an undisturbed database");
        worker.stop().await;
    }

    let made: Vec<_> = benches.iter().flat_map(|bench| bench.made()).collect();
    let calls = fleet::by_call(&made);
    let per_execution = 1 + usize::try_from(ITEMS).unwrap() + 1;
    assert_eq!(calls.len(), ids.len() * per_execution, "every task and item of every execution called");
    assert_eq!(fleet::under_several_tokens(&calls), Vec::<&fleet::CallKey>::new(), "each call under one ClientToken");
    let repeated: Vec<_> = calls.iter().filter(|(_, (count, _))| *count != 1).map(|(key, (count, _))| (key, count)).collect();
    assert!(repeated.is_empty(), "undisturbed, each call reaches the cloud once: {repeated:?}");

    let shares: Vec<usize> = benches.iter().map(|bench| bench.made().len()).collect();
    let mut workers_per_execution: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &ids {
        let count = benches.iter().filter(|bench| bench.made().iter().any(|call| &call.execution_id == id)).count();
        workers_per_execution.insert(id, count);
    }
    let handed_over = workers_per_execution.values().filter(|count| **count > 1).count();
    eprintln!("calls per worker: {shares:?}; executions moved on by more than one worker: {handed_over}");
    assert!(shares.iter().filter(|share| **share > 0).count() > 1, "the work is spread over the workers: {shares:?}");
}
