//! `oos worker --listen` on PostgreSQL, with real processes: an `oos server` starts the executions
//! and stops (its worker would claim work too), and two workers run them, each serving its own
//! `/metrics`, `/healthz` and `/readyz`. A loop of 200 child executions: the workers' counters sum
//! to the work done, and each counts exactly the children whose lease it held last (the store's
//! `lease_owner`, matched by `oos_worker_info`). A 200-item loop in one execution whose worker is
//! SIGKILLed mid-loop: the other worker's `oos_lease_takeovers_total` rises by one, and every item's
//! call reached the cloud once. A worker's `/readyz` answers 503 while its database refuses
//! connections and 200 again after; `/healthz` answers 200 throughout. Abuse: the listener serves
//! those three paths only (404 otherwise, the API included) and a bounded number of connections.

mod cluster;

use std::collections::HashMap;
use std::time::Duration;

use cluster::{Cluster, call, terminate_connections};
use oos_emulator::Emulator;
use oos_testkit::OosProcess;
use oos_testkit::prometheus::sample;
use oos_testkit::wire::Call;
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::io::AsyncReadExt;

const ITEMS: usize = 200;
/// How long an execution, or a change of readiness, may take.
const BOUND: Duration = Duration::from_secs(180);
/// Leases of 3 s: a dead worker's executions are taken over within a few seconds.
const LEASE: [&str; 2] = ["--lease-ttl", "3"];

/// One child per item: one cloud call.
const ONE: &str = r"
FormatVersion: OOS-2019-06-01
Parameters:
  item: {Type: String}
Tasks:
- Name: look
  Action: ACS::ExecuteAPI
  Properties:
    Service: ECS
    API: DescribeInstances
    Parameters: {RegionId: cn-hangzhou}
";

/// A loop of child executions, after a pause in which the server that started it stops.
const FAN: &str = r"
FormatVersion: OOS-2019-06-01
Parameters:
  items: {Type: List}
Tasks:
- Name: pause
  Action: ACS::Sleep
  Properties: {Duration: PT3S}
- Name: each
  Action: ACS::Template
  Loop:
    Items: '{{ items }}'
    RateControl: {Mode: Concurrency, Concurrency: 20, MaxErrors: 0}
  Properties:
    TemplateName: one
    Parameters: {item: '{{ ACS::TaskLoopItem }}'}
";

/// A loop in one execution: a mutating call (with a ClientToken) per item, after the same pause.
const SNAPSHOTS: &str = r"
FormatVersion: OOS-2019-06-01
Parameters:
  diskId: {Type: String}
  items: {Type: List}
Tasks:
- Name: pause
  Action: ACS::Sleep
  Properties: {Duration: PT3S}
- Name: snapshot
  Action: ACS::ExecuteAPI
  Loop:
    Items: '{{ items }}'
    RateControl: {Mode: Concurrency, Concurrency: 10, MaxErrors: 0}
    Outputs:
      ids: {AggregateType: Fn::ListJoin, AggregateField: id}
  Properties:
    Service: ECS
    API: CreateSnapshot
    Parameters: {DiskId: '{{ diskId }}', SnapshotName: 'item-{{ ACS::TaskLoopItem }}'}
  Outputs: {id: {Type: String, ValueSelector: SnapshotId}}
Outputs:
  ids: {Type: List, Value: '{{ snapshot.ids }}'}
";

/// A worker of `cluster` serving its probes on a free port.
fn worker(cluster: &Cluster, name: &str) -> OosProcess {
    let worker = cluster.worker(name, &[LEASE[0], LEASE[1], "--listen", "127.0.0.1:0"]);
    assert_ne!(worker.addr().port(), 0, "the worker names its listener: {}", worker.output());
    worker
}

async fn get(process: &OosProcess, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://{}{path}", process.addr())).await.expect("the listener answers");
    (response.status().as_u16(), response.text().await.expect("a body"))
}

async fn metrics_page(worker: &OosProcess) -> String {
    let (status, page) = get(worker, "/metrics").await;
    assert_eq!(status, 200, "{page}");
    page
}

/// The worker name (its `lease_owner`) a `/metrics` page shows.
fn worker_name(page: &str) -> String {
    let name = page.lines().find_map(|line| line.strip_prefix("oos_worker_info{worker=\"")?.split_once('"').map(|(name, _)| name.to_owned()));
    name.unwrap_or_else(|| panic!("no oos_worker_info in:\n{page}"))
}

/// A counter's value on a page (0 before its first increment).
fn counter(page: &str, series: &str) -> f64 {
    sample(page, series).unwrap_or(0.0)
}

/// Starts `template` with `parameters` on a server of `cluster` (after creating `templates`), and
/// stops the server: the execution's first task is a pause, so the workers alone run the rest.
async fn start_alone(cluster: &Cluster, templates: &[(&str, &str)], template: &str, parameters: &Value) -> String {
    let server = cluster.server("api", &LEASE);
    let root = cluster.root("api");
    for (name, content) in templates {
        call(&server, &root, "CreateTemplate", &[("TemplateName", name), ("Content", content)]).await;
    }
    let started = call(&server, &root, "StartExecution", &[("TemplateName", template), ("Parameters", &parameters.to_string())]).await;
    server.stop().expect("the server stops");
    started["Execution"]["ExecutionId"].as_str().expect("an id").to_owned()
}

/// Waits (at most [`BOUND`]) until execution `id` is final; its status and outputs.
async fn finished(db: &mut sqlx::PgConnection, id: &str, workers: &[&OosProcess]) -> (String, Option<String>) {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let (status, outputs): (String, Option<String>) = sqlx::query_as("SELECT status, outputs FROM executions WHERE id = $1").bind(id).fetch_one(&mut *db).await.expect("the execution");
        if ["Success", "Failed", "Cancelled"].contains(&status.as_str()) {
            return (status, outputs);
        }
        let output: Vec<String> = workers.iter().map(|worker| worker.output()).collect();
        assert!(tokio::time::Instant::now() < deadline, "{id} is {status} after {BOUND:?}\n{}", output.join("\n---\n"));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits (at most [`BOUND`]) until `/readyz` of `worker` answers `status`; `/healthz` answers 200 on the way.
async fn readiness(worker: &OosProcess, status: u16) -> Value {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        assert_eq!(get(worker, "/healthz").await, (200, json!({"status": "alive"}).to_string()), "the worker lives");
        let (now, body) = get(worker, "/readyz").await;
        if now == status {
            return serde_json::from_str(&body).expect("a JSON body");
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz still answers {now} {body}, not {status}\n{}", worker.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_worker_reports_its_own_work_and_readiness() {
    // 40 requests a second: the 200-item loop lasts a few seconds, long enough to kill its worker mid-way.
    let emulator = Emulator::builder().journal(true).throttle_rps(40.0).build().expect("the emulator builds");
    let disk = emulator.with_cloud(|cloud| cloud.disks.keys().next().cloned()).expect("a seeded disk");
    let handle = emulator.spawn("127.0.0.1:0".parse().unwrap()).await.expect("the emulator listens");
    let cluster = Cluster::with_cloud(handle.url()).await;
    let mut db = sqlx::PgConnection::connect(&cluster.database.url()).await.expect("a connection to the cluster's database");
    // The first server migrates the database; the workers start on it.
    cluster.server("api", &LEASE).stop().expect("the first server stops");
    let workers = [worker(&cluster, "w1"), worker(&cluster, "w2")];
    for worker in &workers {
        let ready = readiness(worker, 200).await;
        assert_eq!(ready["failed"], json!([]), "{ready}");
    }

    // Child executions: any worker claims each.
    let items: Vec<String> = (0..ITEMS).map(|item| item.to_string()).collect();
    let fan = start_alone(&cluster, &[("one", ONE), ("fan", FAN)], "fan", &json!({"items": items})).await;
    assert_eq!(finished(&mut db, &fan, &[&workers[0], &workers[1]]).await.0, "Success");
    let pages = [metrics_page(&workers[0]).await, metrics_page(&workers[1]).await];
    let names = [worker_name(&pages[0]), worker_name(&pages[1])];
    assert_ne!(names[0], names[1], "each worker has its own name");
    let children = "oos_executions_finished_total{template=\"one\",status=\"Success\",category=\"Other\"}";
    let calls = "oos_cloud_calls_total{service=\"ECS\",api=\"DescribeInstances\",outcome=\"success\"}";
    let tasks = "oos_task_duration_seconds_count{action=\"ACS::ExecuteAPI\",status=\"Success\"}";
    for series in [children, calls, tasks] {
        let counts = [counter(&pages[0], series), counter(&pages[1], series)];
        assert_eq!(counts[0] + counts[1], ITEMS as f64, "{series}: {counts:?} sum to the work done");
    }
    let fans = "oos_executions_finished_total{template=\"fan\",status=\"Success\",category=\"Other\"}";
    assert_eq!(counter(&pages[0], fans) + counter(&pages[1], fans), 1.0, "the loop finished once");
    let owners: Vec<(Option<String>, i64)> =
        sqlx::query_as("SELECT lease_owner, COUNT(*) FROM executions WHERE parent_execution_id = $1 GROUP BY lease_owner").bind(&fan).fetch_all(&mut db).await.expect("the children's owners");
    let by_owner: HashMap<Option<String>, i64> = owners.into_iter().collect();
    for (name, page) in names.iter().zip(&pages) {
        let held = by_owner.get(&Some(name.clone())).copied().unwrap_or(0);
        assert_eq!(counter(page, children), held as f64, "{name} counts the children it finished: {by_owner:?}");
        assert_eq!(counter(page, "oos_lease_takeovers_total"), 0.0, "no worker died yet:\n{page}");
        for gauge in ["oos_db_pool_max_connections", "process_resident_memory_bytes", "process_cpu_seconds_total", "oos_queue_depth"] {
            assert!(sample(page, gauge).is_some(), "no {gauge} in:\n{page}");
        }
        assert!(!page.contains("oos_api_requests_total") && !page.contains("oos_agents_connected"), "a worker serves no API and holds no agents:\n{page}");
    }
    println!("children per worker: {:?}", [counter(&pages[0], children), counter(&pages[1], children)]);

    // One execution's loop; its worker is killed mid-loop.
    let snapshots = start_alone(&cluster, &[("snapshots", SNAPSHOTS)], "snapshots", &json!({"diskId": disk, "items": items})).await;
    let created = || emulator.mutations().iter().filter(|mutation| mutation.action == "CreateSnapshot").count();
    let deadline = tokio::time::Instant::now() + BOUND;
    while created() < ITEMS / 5 {
        assert!(tokio::time::Instant::now() < deadline, "the loop did not start: {} calls", created());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let holder: Option<String> = sqlx::query_scalar("SELECT lease_owner FROM executions WHERE id = $1").bind(&snapshots).fetch_one(&mut db).await.expect("the holder");
    let victim = names.iter().position(|name| Some(name) == holder.as_ref()).unwrap_or_else(|| panic!("the loop is held by {holder:?}, not by {names:?}"));
    let [first, second] = workers;
    let (killed, survivor) = if victim == 0 { (first, second) } else { (second, first) };
    let before = counter(&metrics_page(&survivor).await, "oos_lease_takeovers_total");
    let at_kill = created();
    killed.kill();
    assert!(at_kill < ITEMS, "killed mid-loop: {at_kill} of {ITEMS} calls made");
    let (status, outputs) = finished(&mut db, &snapshots, &[&survivor]).await;
    assert_eq!(status, "Success", "{outputs:?}");
    let page = metrics_page(&survivor).await;
    assert_eq!(counter(&page, "oos_lease_takeovers_total"), before + 1.0, "the survivor took the loop over:\n{page}");
    let outputs: Value = serde_json::from_str(&outputs.expect("outputs")).expect("JSON outputs");
    assert_eq!(outputs["ids"].as_array().map(Vec::len), Some(ITEMS), "{outputs}");
    let mut tokens_of: HashMap<String, Vec<Option<String>>> = HashMap::new();
    for mutation in emulator.mutations().into_iter().filter(|mutation| mutation.action == "CreateSnapshot") {
        tokens_of.entry(mutation.parameters).or_default().push(mutation.client_token);
    }
    assert_eq!(tokens_of.len(), ITEMS, "every item's snapshot was created");
    let repeated: Vec<_> = tokens_of.iter().filter(|(_, tokens)| tokens.len() != 1 || tokens[0].is_none()).take(5).collect();
    assert!(repeated.is_empty(), "items whose call reached the cloud twice or without a ClientToken: {repeated:?}");
    println!("killed at {at_kill} of {ITEMS} calls; takeovers on the survivor {before} -> {}", counter(&page, "oos_lease_takeovers_total"));

    // The database away and back.
    let mut admin = sqlx::PgConnection::connect(&cluster.database.admin_url()).await.expect("an admin connection");
    let allow = |on: bool| format!("ALTER DATABASE {} ALLOW_CONNECTIONS {on}", cluster.database.name());
    db.close().await.expect("closed");
    sqlx::query(sqlx::AssertSqlSafe(allow(false))).execute(&mut admin).await.expect("refusing connections");
    assert!(terminate_connections(&cluster).await > 0, "the worker had connections to cut");
    let unready = readiness(&survivor, 503).await;
    assert_eq!(unready["status"], "unready", "{unready}");
    assert!(unready["failed"].as_array().is_some_and(|failed| failed.contains(&Value::from("database"))), "{unready}");
    assert_eq!(get(&survivor, "/metrics").await.0, 200, "metrics answer without the database");
    sqlx::query(sqlx::AssertSqlSafe(allow(true))).execute(&mut admin).await.expect("taking connections again");
    let back = readiness(&survivor, 200).await;
    assert_eq!(back["failed"], json!([]), "{back}");
    survivor.stop().expect("the worker stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_listener_serves_its_three_paths_to_a_bounded_number_of_connections() {
    let cluster = Cluster::with_cloud("http://127.0.0.1:9".into()).await;
    let server = cluster.server("api", &[]);
    let root = cluster.root("api");
    let worker = worker(&cluster, "w1");
    readiness(&worker, 200).await;
    for path in ["/", "/metrics/x", "/stream", "/events/v1", "/agent/v1/register", "/?Action=ListTemplates&Version=2019-06-01"] {
        let (status, body) = get(&worker, path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(body.contains("InvalidPath.NotFound"), "{path}: {body}");
    }
    // A signed API call finds no API on a worker.
    let (status, body) = Call::new(&root, cluster::OOS, "ListTemplates", &[]).send(worker.addr()).await;
    assert_eq!((status, body["Code"].as_str()), (404, Some("InvalidPath.NotFound")), "{body}");
    let posted = reqwest::Client::new().post(format!("http://{}/metrics", worker.addr())).body("x").send().await.expect("an answer");
    assert_eq!(posted.status().as_u16(), 405, "the probe paths are read with GET");

    // Connections beyond the listener's cap are refused at once; the server's API is untouched.
    let cap = oos_server::probes::PROBE_LIMITS.max_connections;
    let mut held = Vec::new();
    for _ in 0..cap {
        held.push(tokio::net::TcpStream::connect(worker.addr()).await.expect("a connection"));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The refusal is written as soon as the connection is accepted, before any request.
    let mut refused = tokio::net::TcpStream::connect(worker.addr()).await.expect("a connection");
    let mut answer = String::new();
    tokio::time::timeout(BOUND, refused.read_to_string(&mut answer)).await.expect("an answer in time").expect("a readable answer");
    assert!(answer.starts_with("HTTP/1.1 503 ") && answer.contains("ServiceUnavailable.TooManyConnections"), "{answer}");
    drop(held);
    readiness(&worker, 200).await;
    call(&server, &root, "ListTemplates", &[]).await;
    worker.stop().expect("the worker stops");
    server.stop().expect("the server stops");
}
