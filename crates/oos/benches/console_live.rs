//! The web console's live execution view in a real browser (issue 17), against a real `oos server`
//! on the embedded store, with headless Chromium driven by `benches/console_live/browser.mjs`
//! (Playwright from `oos_testkit::browser`), signed in as a RAM user with a login profile:
//! - latency: the view of an execution of [`chain`] (a warm-up sleep, then `--tasks` sequential
//!   one-second sleeps) is opened as it starts; a MutationObserver in the page records the
//!   wall-clock time each task node first shows Success. Each task's `end_ms` (recorded by the
//!   engine before the turn's commit, read from the SQLite file afterwards) is subtracted: the
//!   figure is an upper bound of commit → browser. Tasks that ended before the view was drawn
//!   are left out. p50 / p95 / max over `--executions` executions.
//! - idle CPU: `--views` executions waiting at an `ACS::Approve` each, one browser context per
//!   view (own connections, as separate users' tabs would have), all views drawn; after
//!   `--settle` seconds, the server process's CPU time (utime + stime of `/proc/<pid>/stat`) over
//!   `--window` seconds, as % of one core; the same window with no view open for reference, and
//!   Chromium's own CPU while the views were open.
//! - with `--prefect <peers>` (a copy of `shared/bench/peers` after `./setup.sh prefect`), the
//!   same two on a Prefect server with its UI: the flow-run page (`/runs/flow-run/<id>`) of a flow
//!   of the same sleeps, its Task Runs tab observed (the graph is a canvas: the arrival of the
//!   graph data that first shows a task Completed is reported too), task ends from its API; and
//!   `--views` flow runs created Paused (waiting for a person), their pages open.
//! - open: the view of a finished `--loop-items`-item loop, timed from navigating to it until its
//!   counts and first page of items are drawn, `--opens` times.
//!
//! `cargo bench -p oos --bench console_live -- [--executions 5] [--tasks 20] [--views 50]
//! [--settle 10] [--window 60] [--loop-items 1000] [--opens 5] [--only latency|idle|open]
//! [--prefect /tmp/peers]`
//! (release; about 8 minutes with the defaults, 25 with `--prefect` on a loaded machine); prints
//! markdown rows and one `BENCH_JSON` line.

#[path = "../tests/cluster/mod.rs"]
mod cluster;
#[path = "console_live/prefect.rs"]
mod prefect;
#[path = "console_live/probe.rs"]
mod probe;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cluster::{call, wait_status};
use oos_acs::Credentials;
use oos_testkit::browser::playwright;
use oos_testkit::wire::Call;
use oos_testkit::{OosProcess, root_credentials};
use prefect::Prefect;
use probe::{browser_result, delays, idle_cpu, latency_cells, percentile};
use serde_json::{Value, json};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

const BINARY: &str = env!("CARGO_BIN_EXE_oos");
const USER: &str = "watcher";
const PASSWORD: &str = "Console-Bench-Passw0rd!";
/// The longest any execution of the bench may take.
const BOUND: Duration = Duration::from_secs(300);

/// A one-task approval nobody gives: the execution waits.
const APPROVE: &str = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"ask","Action":"ACS::Approve","Properties":{"Approvers":["ops"]}}]}"#;

/// `tasks` sequential one-second sleeps named Task01… after a 3-second warm-up that covers the
/// view's opening; the template and the names.
fn chain(tasks: usize) -> (String, Vec<String>) {
    let names: Vec<String> = (1..=tasks).map(|n| format!("Task{n:02}")).collect();
    let sleep = |name: &str, duration: &str| json!({"Name": name, "Action": "ACS::Sleep", "Properties": {"Duration": duration}});
    let steps: Vec<Value> = std::iter::once(sleep("WarmUp", "PT3S")).chain(names.iter().map(|name| sleep(name, "PT1S"))).collect();
    (json!({"FormatVersion": "OOS-2019-06-01", "Tasks": steps}).to_string(), names)
}

fn loop_template(items: usize) -> String {
    json!({"FormatVersion": "OOS-2019-06-01", "Tasks": [{"Name": "Each", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"},
        "Loop": {"Items": (0..items).collect::<Vec<_>>(), "Concurrency": 50}}]})
    .to_string()
}

/// An `oos server` on the embedded store, its data directory, and the console user's sign-in.
struct Bench {
    server: OosProcess,
    data: PathBuf,
    root: Credentials,
    url: String,
    _dir: tempfile::TempDir,
}

impl Bench {
    async fn start(max_loop_items: usize) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        let max_items = max_loop_items.to_string();
        let args = ["server", "--data-dir", data.to_str().expect("a UTF-8 path"), "--listen", "127.0.0.1:0", "--max-loop-items", &max_items];
        let server = OosProcess::spawn_env(BINARY, &args, &[("RUST_LOG", "warn")]).expect("oos server starts");
        let root = root_credentials(&data);
        let url = format!("http://{}", server.endpoint());
        let bench = Self { server, data, root, url, _dir: dir };
        bench.console_user().await;
        bench
    }

    async fn call(&self, action: &str, params: &[(&str, &str)]) -> Value {
        call(&self.server, &self.root, action, params).await
    }

    /// A RAM call as the root; panics unless it answers 200.
    async fn ram(&self, action: &str, params: &[(&str, &str)]) {
        let (status, body) = Call::new(&self.root, "2015-05-01", action, params).send(self.server.addr()).await;
        assert_eq!(status, 200, "{action}: {body}");
    }

    /// The user the browser signs in as: everything allowed, a console password.
    async fn console_user(&self) {
        let everything = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
        self.ram("CreateUser", &[("UserName", USER)]).await;
        self.ram("CreatePolicy", &[("PolicyName", "console-bench"), ("PolicyDocument", everything)]).await;
        self.ram("AttachPolicyToUser", &[("PolicyType", "Custom"), ("PolicyName", "console-bench"), ("UserName", USER)]).await;
        self.ram("CreateLoginProfile", &[("UserName", USER), ("Password", PASSWORD)]).await;
    }

    /// What `browser.mjs` needs to sign in, with `more`.
    fn browser_env<'a>(&'a self, more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        [("CONSOLE_SERVER", self.url.as_str()), ("CONSOLE_USER", USER), ("CONSOLE_PASSWORD", PASSWORD)].into_iter().chain(more.iter().copied()).collect()
    }

    async fn start_execution(&self, template: &str) -> String {
        let body = self.call("StartExecution", &[("TemplateName", template)]).await;
        body["Execution"]["ExecutionId"].as_str().expect("an execution id").to_owned()
    }

    /// Each successful task's `end_ms` in execution `id`, from the store's file.
    async fn end_ms(&self, id: &str) -> BTreeMap<String, i64> {
        let options = SqliteConnectOptions::new().filename(self.data.join(oos_store::sqlite::DATABASE_FILE)).read_only(true);
        let mut db = options.connect().await.expect("the store's file opens");
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT task_name, end_ms FROM task_executions WHERE execution_id = ? AND status = 'Success'")
            .bind(id)
            .fetch_all(&mut db)
            .await
            .expect("task executions");
        db.close().await.expect("closed");
        rows.into_iter().collect()
    }

    fn stop(self) {
        self.server.stop().expect("the server stops");
    }
}

/// The bench's options.
struct Options {
    args: Vec<String>,
    playwright: PathBuf,
}

impl Options {
    fn number(&self, name: &str, default: usize) -> usize {
        self.text(name).map_or(default, |value| value.parse().unwrap_or_else(|_| panic!("{name} N")))
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.args.iter().position(|arg| arg == name).and_then(|at| self.args.get(at + 1)).map(String::as_str)
    }

    fn seconds(&self, name: &str, default: u64) -> Duration {
        Duration::from_secs(self.number(name, default as usize) as u64)
    }
}

/// One markdown row of latency figures.
fn latency_row(label: &str, samples: &mut [i64], missing: usize) -> String {
    format!("| {label} | {} | {missing} |", latency_cells(samples))
}

const LATENCY_HEAD: &str = "| task end → shown in the page | samples | p50 | p95 | max | not shown within 120 s |\n| --- | ---: | ---: | ---: | ---: | ---: |";

async fn latency(options: &Options, report: &mut Value) {
    let (executions, tasks) = (options.number("--executions", 5), options.number("--tasks", 20));
    let bench = Bench::start(1000).await;
    let (template, names) = chain(tasks);
    bench.call("CreateTemplate", &[("TemplateName", "chain"), ("Content", &template)]).await;
    let (mut samples, mut missing) = (Vec::new(), 0);
    for run in 1..=executions {
        let id = bench.start_execution("chain").await;
        let page = format!("{}/console/#/executions/{id}", bench.url);
        let result = browser_result(&options.playwright, "latency", &bench.browser_env(&[("PAGE_URL", &page), ("TASKS", &names.join(","))]));
        wait_status(&bench.server, &bench.root, &id, "Success", BOUND).await;
        let (delays, unseen) = delays(&result, &names, &bench.end_ms(&id).await, "seen");
        println!("OpenOOS execution {run}: {} tasks measured, {unseen} not shown, ms: {delays:?}", delays.len());
        samples.extend(delays);
        missing += unseen;
    }
    let row = latency_row(&format!("OpenOOS execution view, {executions} executions × {tasks} one-second tasks (end_ms, before the commit → data-status Success)"), &mut samples, missing);
    println!("\n{LATENCY_HEAD}\n{row}\n");
    report["latency_ms"] = json!({"samples": samples, "missing": missing});
    bench.stop();
}

async fn prefect_latency(options: &Options, peers: &Path, report: &mut Value) {
    let (executions, tasks) = (options.number("--executions", 5), options.number("--tasks", 20));
    let names: Vec<String> = (1..=tasks).map(|n| format!("Task{n:02}")).collect();
    let prefect = Prefect::start(peers).await;
    let (mut list, mut graph, mut missing) = (Vec::new(), Vec::new(), 0);
    for run in 1..=executions {
        let (id, mut flow) = prefect.start_chain(tasks);
        let page = format!("{}/runs/flow-run/{id}", prefect.url);
        let result = browser_result(&options.playwright, "latency", &[("PAGE_URL", &page), ("PEER", "prefect"), ("TASKS", &names.join(","))]);
        assert!(flow.wait().expect("the flow ends").success(), "the chain flow failed");
        let ended = prefect.task_ends(&id, tasks).await;
        let (shown, unseen) = delays(&result, &names, &ended, "seen");
        let (drawn, _) = delays(&result, &names, &ended, "graph");
        println!("Prefect flow run {run}: {} tasks measured, {unseen} not shown in the list; list ms: {shown:?}; graph data ms: {drawn:?}", shown.len());
        list.extend(shown);
        graph.extend(drawn);
        missing += unseen;
    }
    let rows = [
        latency_row(&format!("Prefect flow-run page, Task Runs tab, {executions} flow runs × {tasks} one-second tasks (end_time → row Completed)"), &mut list, missing),
        latency_row("Prefect flow-run page, graph data (end_time → graph-v2 answer showing COMPLETED arrives; drawn on a canvas)", &mut graph, 0),
    ];
    println!("\n{LATENCY_HEAD}\n{}\n", rows.join("\n"));
    report["prefect_latency_ms"] = json!({"list": list, "graph": graph, "missing": missing});
}

const IDLE_HEAD: &str = "| server | views | no view open | views open | Chromium with the views |\n| --- | ---: | ---: | ---: | ---: |";

async fn idle(options: &Options, report: &mut Value) {
    let views = options.number("--views", 50);
    let bench = Bench::start(1000).await;
    bench.call("CreateTemplate", &[("TemplateName", "approve"), ("Content", APPROVE)]).await;
    let mut urls = Vec::new();
    for _ in 0..views {
        let id = bench.start_execution("approve").await;
        wait_status(&bench.server, &bench.root, &id, "Waiting", BOUND).await;
        urls.push(format!("{}/console/#/executions/{id}", bench.url));
    }
    let selector = r#"#task-graph div.node[data-status="Waiting"]"#;
    let cpu = idle_cpu(bench.server.id(), &options.playwright, &urls, selector, &bench.browser_env(&[]), options.seconds("--settle", 10), options.seconds("--window", 60)).await;
    println!("\n{IDLE_HEAD}\n| `oos server`, executions waiting at ACS::Approve | {views} | {:.2} % | {:.2} % | {:.1} % |\n", cpu[0], cpu[1], cpu[2]);
    report["idle_cpu_percent"] = json!({"views": views, "none": cpu[0], "open": cpu[1], "chromium": cpu[2]});
    bench.stop();
}

async fn prefect_idle(options: &Options, peers: &Path, report: &mut Value) {
    let views = options.number("--views", 50);
    let prefect = Prefect::start(peers).await;
    let urls: Vec<String> = prefect.paused_runs(views).iter().map(|id| format!("{}/runs/flow-run/{id}", prefect.url)).collect();
    let cpu = idle_cpu(prefect.pid(), &options.playwright, &urls, ".state-badge.state--paused", &[], options.seconds("--settle", 10), options.seconds("--window", 60)).await;
    println!("\n{IDLE_HEAD}\n| Prefect server (SQLite), flow runs Paused | {views} | {:.2} % | {:.2} % | {:.1} % |\n", cpu[0], cpu[1], cpu[2]);
    report["prefect_idle_cpu_percent"] = json!({"views": views, "none": cpu[0], "open": cpu[1], "chromium": cpu[2]});
}

async fn open(options: &Options, report: &mut Value) {
    let (items, opens) = (options.number("--loop-items", 1000), options.number("--opens", 5));
    let bench = Bench::start(items).await;
    bench.call("CreateTemplate", &[("TemplateName", "loop"), ("Content", &loop_template(items))]).await;
    let id = bench.start_execution("loop").await;
    wait_status(&bench.server, &bench.root, &id, "Success", BOUND).await;
    let result = browser_result(&options.playwright, "open", &bench.browser_env(&[("EXECUTION", &id), ("RUNS", &opens.to_string())]));
    let times: Vec<i64> = result["ms"].as_array().expect("times").iter().filter_map(Value::as_i64).collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    println!(
        "\n| view of a finished {items}-item loop: navigate → counts and first page of items drawn | runs | median | max | each |\n| --- | ---: | ---: | ---: | --- |\n| OpenOOS | {opens} | {} ms | {} ms | {times:?} |\n",
        percentile(&sorted, 0.5),
        sorted[sorted.len() - 1]
    );
    report["open_ms"] = json!(times);
    bench.stop();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let options = Options { args: std::env::args().collect(), playwright: playwright().expect("the bench needs Chromium") };
    let only = options.text("--only").map(str::to_owned);
    let wanted = |part: &str| only.as_deref().is_none_or(|only| only == part);
    let peers = options.text("--prefect").map(PathBuf::from);
    let mut report = json!({});
    if wanted("open") {
        open(&options, &mut report).await;
    }
    if wanted("latency") {
        latency(&options, &mut report).await;
        if let Some(peers) = &peers {
            prefect_latency(&options, peers, &mut report).await;
        }
    }
    if wanted("idle") {
        idle(&options, &mut report).await;
        if let Some(peers) = &peers {
            prefect_idle(&options, peers, &mut report).await;
        }
    }
    println!("BENCH_JSON {report}");
}
