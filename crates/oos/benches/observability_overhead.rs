//! W1 with observability off and on, through real `oos server` processes on the embedded store, in
//! one run (issue 16: the overhead goal is under 5 %). Arm A ("off"): `oos server --no-metrics` (no
//! recorder, `/metrics` 404) without trace export. Arm B ("on"): metrics recorded and `/metrics`
//! scraped by this bench every second, as Prometheus would; and, when the binary has
//! `--otlp-endpoint`, traces exported over OTLP/HTTP to a sink in this bench that answers 200 to
//! every `POST /v1/traces` (without the flag B is metrics only, and says so). The arms alternate in
//! pairs (A B, then B A, …); each run is a fresh server on a fresh data directory: one untimed
//! one-task warm-up, then W1 — N catalogued `ACS::Sleep` `PT0S` loop items at concurrency 50 (no
//! cloud call) and the sum of the items as the execution's output, checked — timed from the
//! StartExecution request to the ListExecutions (asked every 10 ms) that shows Success.
//!
//! `cargo bench -p oos --bench observability_overhead -- [--pairs 5] [--items 1000,10000] [--no-tracing]`
//! (`--no-tracing`: arm B is metrics only, to tell the two costs apart)
//! (release); prints each run, then a markdown table (median [min–max] per arm, the overhead of the
//! medians and the median of the pairs' ratios) and one `BENCH_JSON` line.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use oos_acs::Credentials;
use oos_testkit::{OosProcess, root_credentials};
use oos_testkit::wire::Call;
use serde_json::{Value, json};
use tokio::net::TcpListener;

const OOS: &str = "2019-06-01";
const BINARY: &str = env!("CARGO_BIN_EXE_oos");
/// How often the bench scrapes `/metrics` in arm B, and asks whether W1 has ended.
const SCRAPE_EVERY: Duration = Duration::from_secs(1);
const POLL_EVERY: Duration = Duration::from_millis(10);
/// The longest one W1 run may take.
const BOUND: Duration = Duration::from_secs(300);

const W1: &str = r"
FormatVersion: OOS-2019-06-01
Parameters:
  items: {Type: List}
Tasks:
- Name: each
  Action: ACS::Sleep
  Loop:
    Items: '{{ items }}'
    RateControl: {Mode: Concurrency, Concurrency: 50, MaxErrors: 0}
  Properties: {Duration: PT0S}
Outputs:
  sum: {Type: Number, Value: {'Fn::Jq': [First, 'add', '{{ items }}']}}
";

const WARM_UP: &str = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"one","Action":"ACS::Sleep","Properties":{"Duration":"PT0S"}}]}"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arm {
    Off,
    On,
}

impl Arm {
    fn name(self) -> &'static str {
        match self {
            Arm::Off => "off",
            Arm::On => "on",
        }
    }
}

/// What arm B exports to and scrapes, counted.
#[derive(Default)]
struct Counts {
    trace_posts: AtomicU64,
    trace_bytes: AtomicU64,
    scrapes: AtomicU64,
}

/// A sink for OTLP/HTTP traces: 200 to every `POST /v1/traces`, counted.
async fn trace_sink(counts: Arc<Counts>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("the sink listens");
    let addr = listener.local_addr().expect("the sink's address");
    let router = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let counts = counts.clone();
            async move {
                counts.trace_posts.fetch_add(1, Ordering::Relaxed);
                counts.trace_bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                ""
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.expect("the sink serves") });
    addr
}

/// Whether the binary under test exports traces (`oos server --otlp-endpoint`).
fn has_otlp_flag() -> bool {
    let help = Command::new(BINARY).args(["server", "--help"]).output().expect("oos server --help runs");
    String::from_utf8_lossy(&help.stdout).contains("--otlp-endpoint")
}

async fn call(server: &OosProcess, root: &Credentials, action: &str, params: &[(&str, &str)]) -> Value {
    let (status, body) = Call::new(root, OOS, action, params).send(server.addr()).await;
    assert_eq!(status, 200, "{action}: {body}\n{}", server.output());
    body
}

/// Starts `params` and waits until the execution is final; the seconds from the start request to
/// the answer that shows it final, and the execution.
async fn run(server: &OosProcess, root: &Credentials, params: &[(&str, &str)]) -> (f64, Value) {
    let started = Instant::now();
    let body = call(server, root, "StartExecution", params).await;
    let id = body["Execution"]["ExecutionId"].as_str().expect("an execution id").to_owned();
    loop {
        let listed = call(server, root, "ListExecutions", &[("ExecutionId", &id)]).await;
        let execution = listed["Executions"][0].clone();
        if ["Success", "Failed", "Cancelled"].contains(&execution["Status"].as_str().unwrap_or_default()) {
            return (started.elapsed().as_secs_f64(), execution);
        }
        assert!(started.elapsed() < BOUND, "{id} did not end within {BOUND:?}: {execution}");
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// One W1 run of `items` items on a fresh server of `arm`: its seconds.
async fn one_run(arm: Arm, items: usize, otlp: Option<SocketAddr>, counts: &Arc<Counts>) -> f64 {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("data");
    let max_items = items.to_string();
    let endpoint = otlp.map(|addr| format!("http://{addr}"));
    let mut args = vec!["server", "--data-dir", data.to_str().expect("a UTF-8 path"), "--listen", "127.0.0.1:0", "--max-loop-items", &max_items];
    match (arm, &endpoint) {
        (Arm::Off, _) => args.push("--no-metrics"),
        (Arm::On, Some(endpoint)) => args.extend(["--otlp-endpoint", endpoint]),
        (Arm::On, None) => {}
    }
    let server = OosProcess::spawn_env(BINARY, &args, &[("RUST_LOG", "warn")]).expect("oos server starts");
    let root = root_credentials(&data);
    let (_, warm) = run(&server, &root, &[("TemplateContent", WARM_UP)]).await;
    assert_eq!(warm["Status"], "Success", "{warm}");
    call(&server, &root, "CreateTemplate", &[("TemplateName", "w1"), ("Content", W1)]).await;
    let scraper = (arm == Arm::On).then(|| tokio::spawn(scrape(server.addr(), counts.clone())));
    let parameters = json!({"items": (0..items).collect::<Vec<_>>()}).to_string();
    let (seconds, execution) = run(&server, &root, &[("TemplateName", "w1"), ("Parameters", &parameters)]).await;
    if let Some(scraper) = scraper {
        scraper.abort();
    }
    assert_eq!(execution["Status"], "Success", "{execution}");
    let outputs: Value = serde_json::from_str(execution["Outputs"].as_str().expect("outputs")).expect("JSON outputs");
    assert_eq!(outputs["sum"], json!(items * (items - 1) / 2), "the sum of the items: {outputs}");
    server.stop().expect("the server stops");
    seconds
}

/// Scrapes `addr`'s `/metrics` every [`SCRAPE_EVERY`] until aborted; panics unless it answers 200.
async fn scrape(addr: SocketAddr, counts: Arc<Counts>) {
    let client = reqwest::Client::new();
    let mut every = tokio::time::interval(SCRAPE_EVERY);
    loop {
        every.tick().await;
        let response = client.get(format!("http://{addr}/metrics")).send().await.expect("/metrics answers");
        assert_eq!(response.status().as_u16(), 200, "metrics are on");
        response.bytes().await.expect("the page");
        counts.scrapes.fetch_add(1, Ordering::Relaxed);
    }
}

/// Median, min and max.
fn summary(samples: &[f64]) -> (f64, f64, f64) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    let median = if sorted.len() % 2 == 0 { (sorted[middle - 1] + sorted[middle]) / 2.0 } else { sorted[middle] };
    (median, sorted[0], sorted[sorted.len() - 1])
}

fn argument(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|arg| arg == name).and_then(|at| args.get(at + 1)).cloned()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pairs: usize = argument(&args, "--pairs").map_or(5, |pairs| pairs.parse().expect("--pairs N"));
    let sizes: Vec<usize> = argument(&args, "--items").map_or(vec![1000, 10_000], |sizes| sizes.split(',').map(|size| size.parse().expect("--items N,M")).collect());
    let counts = Arc::new(Counts::default());
    let tracing = has_otlp_flag() && !args.iter().any(|arg| arg == "--no-tracing");
    let otlp = if tracing { Some(trace_sink(counts.clone()).await) } else { None };
    let arm_b = if tracing { "metrics scraped every 1 s + traces over OTLP/HTTP" } else { "metrics scraped every 1 s (this binary has no --otlp-endpoint: tracing not measured)" };
    println!("arm A: --no-metrics, no trace export; arm B: {arm_b}; {pairs} pairs");
    let mut rows = Vec::new();
    let mut report = serde_json::Map::new();
    for items in sizes {
        let (mut off, mut on, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for pair in 0..pairs {
            let order = if pair % 2 == 0 { [Arm::Off, Arm::On] } else { [Arm::On, Arm::Off] };
            let mut times = [0.0; 2];
            for arm in order {
                let seconds = one_run(arm, items, otlp, &counts).await;
                println!("W1 {items} pair {} arm {}: {seconds:.3} s ({:.0} tasks/s)", pair + 1, arm.name(), (items + 1) as f64 / seconds);
                times[usize::from(arm == Arm::On)] = seconds;
            }
            off.push(times[0]);
            on.push(times[1]);
            ratios.push(times[1] / times[0] - 1.0);
        }
        let (off_median, off_min, off_max) = summary(&off);
        let (on_median, on_min, on_max) = summary(&on);
        let overhead = (on_median / off_median - 1.0) * 100.0;
        let paired = summary(&ratios).0 * 100.0;
        rows.push(format!(
            "| W1 {items} items | {off_median:.3} s [{off_min:.3}–{off_max:.3}] = {:.0} tasks/s | {on_median:.3} s [{on_min:.3}–{on_max:.3}] = {:.0} tasks/s | {overhead:+.1} % | {paired:+.1} % |",
            (items + 1) as f64 / off_median,
            (items + 1) as f64 / on_median
        ));
        report.insert(format!("w1_{items}"), json!({"off_s": off, "on_s": on, "off_median_s": off_median, "on_median_s": on_median, "overhead_pct": overhead, "paired_overhead_pct": paired}));
    }
    println!("\n| workload ({pairs} pairs) | A: metrics and tracing off | B: {arm_b} | overhead (medians) | overhead (median of pairs) |\n|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    let scrapes = counts.scrapes.load(Ordering::Relaxed);
    let (posts, bytes) = (counts.trace_posts.load(Ordering::Relaxed), counts.trace_bytes.load(Ordering::Relaxed));
    println!("\narm B: {scrapes} scrapes; {posts} trace exports ({bytes} bytes) received");
    if tracing {
        assert!(posts > 0, "tracing was on but no trace reached the sink");
    }
    report.insert("tracing".into(), json!(tracing));
    report.insert("scrapes".into(), json!(scrapes));
    report.insert("trace_posts".into(), json!(posts));
    report.insert("trace_bytes".into(), json!(bytes));
    println!("BENCH_JSON {}", Value::Object(report));
}
