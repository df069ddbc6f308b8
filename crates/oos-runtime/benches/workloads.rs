//! The peer workloads of `shared/bench/peers/WORKLOADS.md` on the embedded SQLite store, in-process:
//! W1 fan-out (N trivial loop items at concurrency 50 and a final sum), W2 single-task latency
//! (p50/p95 of 50 sequential runs after a warm-up), W3 a 100-task chain. A run counts as complete
//! when `settle` returns: its final state and every task state are committed to SQLite.
//!
//! `cargo bench -p oos-engine --bench workloads -- <w1-1000|w1-10000|w2|w3>`; prints one
//! `BENCH_JSON {...}` line per workload (median and min–max of 3 repetitions) and the peak RSS.

#[path = "../tests/bench_api/mod.rs"]
mod bench_api;

use std::sync::Arc;
use std::time::Instant;

use bench_api::{Bed, Bench, fan_out_template, request, worker};
use oos_runtime::{RuntimeConfig, Worker};
use oos_engine::ExecutionStatus;
use serde_json::{Map, Value, json};


async fn fresh_worker(max_loop_items: usize) -> (Bed, Worker) {
    let bed = Bed::sqlite();
    let (mut worker, _store) = worker(&bed, Arc::new(Bench::default()), RuntimeConfig::default()).await;
    worker.set_max_loop_items(max_loop_items);
    (bed, worker)
}

/// Submit → settled, in seconds; panics unless the execution succeeded.
async fn timed(worker: &mut Worker, template: &str, parameters: Value) -> f64 {
    let started = Instant::now();
    let id = worker.start(request(template, parameters)).await.expect("started");
    let status = worker.settle(&id).await.expect("settled");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(status, ExecutionStatus::Success, "bench execution {id} did not succeed");
    seconds
}

const SINGLE: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: one, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {Value: 1}}, Outputs: {value: {Type: Number, ValueSelector: .Value}}}
Outputs: {result: {Type: Number, Value: '{{ one.value }}'}}
";

fn chain_template(length: usize) -> String {
    let mut text = String::from("FormatVersion: OOS-2019-06-01\nTasks:\n");
    for k in 1..=length {
        let input = if k == 1 { "0".to_owned() } else { format!("'{{{{ t{}.value }}}}'", k - 1) };
        text.push_str(&format!(
            "- {{Name: t{k}, Action: ACS::ExecuteAPI, Properties: {{Service: Bench, API: Inc, Parameters: {{Value: {input}}}}}, Outputs: {{value: {{Type: Number, ValueSelector: .Value}}}}}}\n"
        ));
    }
    text.push_str(&format!("Outputs: {{result: {{Type: Number, Value: '{{{{ t{length}.value }}}}'}}}}\n"));
    text
}

fn summary(samples: &mut [f64]) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples[0], samples[samples.len() - 1])
}

/// Nearest-rank percentile.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

async fn w1(n: usize) -> Map<String, Value> {
    let mut walls = Vec::new();
    for _ in 0..3 {
        let (_dir, mut worker) = fresh_worker(n).await;
        timed(&mut worker, SINGLE, json!({})).await;
        walls.push(timed(&mut worker, &fan_out_template(0), json!({ "count": n })).await);
    }
    let (median, min, max) = summary(&mut walls);
    let tasks = (n + 1) as f64;
    json!({
        "workload": format!("w1-{n}"), "workload_wall_s": median, "min_s": min, "max_s": max,
        "tasks_per_s": tasks / median, "maxrss_mb": peak_rss_mb(),
    })
    .as_object()
    .cloned()
    .unwrap()
}

async fn w2() -> Map<String, Value> {
    let (_dir, mut worker) = fresh_worker(1000).await;
    timed(&mut worker, SINGLE, json!({})).await;
    let mut samples = Vec::new();
    for _ in 0..50 {
        samples.push(timed(&mut worker, SINGLE, json!({})).await * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    json!({
        "workload": "w2", "p50_ms": percentile(&samples, 50.0), "p95_ms": percentile(&samples, 95.0),
        "mean_ms": mean, "min_ms": samples[0], "max_ms": samples[49], "maxrss_mb": peak_rss_mb(),
    })
    .as_object()
    .cloned()
    .unwrap()
}

async fn w3() -> Map<String, Value> {
    let template = chain_template(100);
    let mut walls = Vec::new();
    for _ in 0..3 {
        let (_dir, mut worker) = fresh_worker(1000).await;
        timed(&mut worker, SINGLE, json!({})).await;
        walls.push(timed(&mut worker, &template, json!({})).await);
    }
    let (median, min, max) = summary(&mut walls);
    json!({
        "workload": "w3", "workload_wall_s": median, "min_s": min, "max_s": max, "tasks_per_s": 100.0 / median,
        "maxrss_mb": peak_rss_mb(),
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    for workload in ["w1-1000", "w1-10000", "w2", "w3"] {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == workload) {
            continue;
        }
        let result = runtime.block_on(async {
            match workload {
                "w1-1000" => w1(1000).await,
                "w1-10000" => w1(10_000).await,
                "w2" => w2().await,
                _ => w3().await,
            }
        });
        println!("BENCH_JSON {}", Value::Object(result));
    }
}
