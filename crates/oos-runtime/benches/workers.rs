//! Many workers on one store: W1's 10,000 trivial loop items, as one execution and spread over 8
//! executions of 1,250 items, run by 1, 2 and 4 workers in this process — each with its own store
//! handle and connection pool, as separate `oos worker` processes have — on PostgreSQL (a scratch
//! database on 127.0.0.1:5432 or `OOS_TEST_POSTGRES`) and, with one worker (the embedded store's
//! only deployment), on SQLite, in one run. A run is complete when every execution's final state
//! and every task row are committed; the clock starts before the executions are created.
//!
//! `cargo bench -p oos-runtime --bench workers [-- sqlite|postgres]` (release); prints one markdown
//! row per case: median of 3 repetitions [min–max], each on a fresh store.

#[path = "../tests/bench_api/mod.rs"]
mod bench_api;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_api::{Bed, Bench, fan_out_template, request, worker};
use oos_runtime::RuntimeConfig;
use oos_store::Store;
use serde_json::json;

const ITEMS: usize = 10_000;
const REPETITIONS: usize = 3;

/// How the items are cut into executions.
#[derive(Clone, Copy)]
struct Shape {
    executions: usize,
    items_each: usize,
}

/// One repetition: seconds from the first start until every execution succeeded.
async fn once(bed: &Bed, workers: usize, shape: Shape) -> f64 {
    let mut handles = Vec::new();
    let mut starter = None;
    for _ in 0..workers {
        let config = RuntimeConfig { park_after: None, ..RuntimeConfig::default() };
        let (mut worker, _store) = worker(bed, Arc::new(Bench::default()), config).await;
        worker.set_max_loop_items(ITEMS);
        starter.get_or_insert_with(|| worker.starter());
        handles.push(worker);
    }
    let starter = starter.expect("at least one worker");
    let running: Vec<_> = handles.into_iter().map(|mut worker| tokio::spawn(async move { worker.run().await })).collect();
    let observer = bed.store().await;
    let template = fan_out_template(0);
    let begin = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..shape.executions {
        let started = starter.start(request(&template, json!({ "count": shape.items_each }))).await.expect("started");
        ids.push(started.id().to_owned());
    }
    wait_all_succeeded(observer.as_ref(), &ids).await;
    let seconds = begin.elapsed().as_secs_f64();
    for task in running {
        task.abort();
    }
    seconds
}

/// Returns when every execution of `ids` is Success; panics on another final status.
async fn wait_all_succeeded(store: &dyn Store, ids: &[String]) {
    let mut left: Vec<&String> = ids.iter().collect();
    while !left.is_empty() {
        let mut still = Vec::new();
        for id in left {
            let record = store.execution(id).await.expect("readable").expect("created");
            match record.status.as_str() {
                "Success" => {}
                "Failed" | "Cancelled" => panic!("bench execution {id} ended {}: {}", record.status, record.status_message),
                _ => still.push(id),
            }
        }
        left = still;
        if !left.is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn case(backend: &str, workers: usize, shape: Shape) {
    let mut samples = Vec::new();
    for _ in 0..REPETITIONS {
        let bed = if backend == "postgres" { Bed::postgres().await } else { Bed::sqlite() };
        samples.push(once(&bed, workers, shape).await);
    }
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    let tasks = (shape.executions * (shape.items_each + 1)) as f64;
    println!(
        "| {backend} | {workers} | {} × {} items | {median:.3} s [{:.3}–{:.3}] | {:.0} tasks/s |",
        shape.executions,
        shape.items_each,
        samples[0],
        samples[samples.len() - 1],
        tasks / median
    );
}

fn main() {
    let only: Vec<String> = std::env::args().skip(1).filter(|arg| arg == "sqlite" || arg == "postgres").collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let one = Shape { executions: 1, items_each: ITEMS };
    let spread = Shape { executions: 8, items_each: ITEMS / 8 };
    println!("| store | workers | executions | wall, median [min–max] | durable tasks/s |\n| --- | --- | --- | --- | --- |");
    runtime.block_on(async {
        if only.is_empty() || only.iter().any(|name| name == "sqlite") {
            case("sqlite", 1, one).await;
            case("sqlite", 1, spread).await;
        }
        if only.is_empty() || only.iter().any(|name| name == "postgres") {
            for workers in [1, 2, 4] {
                case("postgres", workers, one).await;
                case("postgres", workers, spread).await;
            }
        }
    });
}
