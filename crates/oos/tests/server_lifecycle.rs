//! `oos server` as a process among others: its log lines (tracing) on stderr as JSON, filtered by
//! `RUST_LOG`, and the graceful stop on SIGTERM — idle connections closed, new ones refused, leases
//! released, the store closed, exit 0 — after which a restart continues the executions.

mod attack;

use std::path::Path;
use std::time::{Duration, Instant};

use attack::{Target, binary, template};
use oos_testkit::OosProcess;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bound against hangs: far above what any step takes.
const BOUND: Duration = Duration::from_secs(60);

/// The JSON log records in `output` whose message is `message`.
fn logged(output: &str, message: &str) -> Vec<Value> {
    output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|record| record["fields"]["message"] == message)
        .collect()
}

/// Waits (bounded) until `process` has logged `message`.
fn wait_for_log(process: &OosProcess, message: &str) -> Value {
    let deadline = Instant::now() + BOUND;
    loop {
        if let Some(record) = logged(&process.output(), message).pop() {
            return record;
        }
        assert!(Instant::now() < deadline, "no log line {message:?} in:\n{}", process.output());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn server(dir: &Path, extra: &[&str]) -> OosProcess {
    let mut args = vec!["server", "--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()];
    args.extend(extra);
    OosProcess::spawn(binary(), &args).expect("oos server starts")
}

#[test]
fn the_server_logs_json_lines_when_it_starts_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let mut process = server(dir.path(), &["--log-format", "json"]);
    let started = wait_for_log(&process, "OOS API listening");
    assert_eq!(started["level"], "INFO", "{started}");
    assert_eq!(started["target"], "oos_server", "{started}");
    assert_eq!(started["fields"]["addr"], process.addr().to_string(), "{started}");
    process.terminate().unwrap();
    let status = process.wait_exit(BOUND).unwrap();
    assert!(status.success(), "{status}:\n{}", process.output());
    let stopped = logged(&process.output(), "OOS API stopped");
    assert_eq!(stopped.len(), 1, "{}", process.output());
    assert_eq!(stopped[0]["level"], "INFO");
}

#[test]
fn rust_log_selects_the_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let oos = binary();
    // `env` sets RUST_LOG for the server alone and execs it (same process id).
    let args = ["RUST_LOG=info,oos_server=warn", &oos, "server", "--listen", "127.0.0.1:0", "--data-dir", data, "--log-format", "json"];
    let mut process = OosProcess::spawn("env", &args).expect("oos server starts");
    process.terminate().unwrap();
    assert!(process.wait_exit(BOUND).unwrap().success(), "{}", process.output());
    let output = process.output();
    assert!(logged(&output, "OOS API listening").is_empty(), "info lines of oos_server are filtered out:\n{output}");
    assert!(!logged(&output, "worker stopped; leases released").is_empty(), "oos_runtime still logs at info:\n{output}");
}

/// The lease owner and at-risk mark of `id`, read from the data directory of a stopped server.
async fn lease_of(dir: &Path, id: &str) -> (Option<String>, i64) {
    use sqlx::{Connection, Row};
    let url = format!("sqlite://{}", dir.join("oos.db").display());
    let mut connection = sqlx::SqliteConnection::connect(&url).await.expect("the database opens");
    let row = sqlx::query("SELECT lease_owner, at_risk FROM executions WHERE id = ?1").bind(id).fetch_one(&mut connection).await.unwrap();
    let lease = (row.get("lease_owner"), row.get("at_risk"));
    connection.close().await.unwrap();
    lease
}

/// What a connection made after the shutdown began gets: refused, or closed without an answer.
async fn refused_or_closed(addr: std::net::SocketAddr, request: &[u8]) -> Result<(), String> {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return Ok(()) };
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    match tokio::time::timeout(BOUND, stream.read_to_end(&mut answer)).await {
        Err(_) => Err("the server neither answered nor closed the connection".into()),
        Ok(_) if answer.is_empty() => Ok(()),
        Ok(_) => Err(format!("answered after the shutdown began: {}", String::from_utf8_lossy(&answer))),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_gracefully_and_a_restart_continues_its_execution() {
    let fleet = oos_testkit::repo_root().join("examples/sandbox-fleet.yaml");
    let cloud = tempfile::tempdir().unwrap();
    let cloud_file = cloud.path().join("cloud.json");
    let mut target = Target::start(&["--sandbox", "--fleet", fleet.to_str().unwrap(), "--sandbox-state", cloud_file.to_str().unwrap(), "--log-format", "json"]);
    let instance = json!({"InstanceId": "i-quickstart-web1"});
    let runbook = template(json!([
        {"Name": "stop", "Action": "ACS::ExecuteAPI", "Properties": {"Service": "ECS", "API": "StopInstance", "Parameters": instance}},
        {"Name": "nap", "Action": "ACS::Sleep", "Properties": {"Duration": "PT6S"}},
        {"Name": "start", "Action": "ACS::ExecuteAPI", "Properties": {"Service": "ECS", "API": "StartInstance", "Parameters": instance}},
    ]));
    let id = target.run_inline(&runbook, &json!({})).await;
    let deadline = Instant::now() + BOUND;
    while !target.tasks(&id).await.iter().any(|task| task["TaskName"] == "nap" && task["Status"] == "Running") {
        assert!(Instant::now() < deadline, "the nap did not begin: {:?}", target.tasks(&id).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let addr = target.addr();
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    let late_request = oos_testkit::wire::Call::new(&target.root, oos_testkit::wire::OOS, "ListExecutions", &[]).acs3(addr);

    target.process().terminate().unwrap();
    let mut nothing = Vec::new();
    let closed = tokio::time::timeout(BOUND, idle.read_to_end(&mut nothing)).await;
    assert!(closed.is_ok_and(|_| nothing.is_empty()), "an idle connection is closed without an answer");
    wait_for_log(target.process(), "OOS API shutting down: new connections are refused, requests in progress finish");
    refused_or_closed(addr, &late_request).await.unwrap();
    let status = target.process_mut().wait_exit(BOUND).unwrap();
    let output = target.process().output();
    assert_eq!(status.code(), Some(0), "{output}");
    assert_eq!(logged(&output, "worker stopped; leases released").len(), 1, "{output}");
    assert_eq!(logged(&output, "OOS API stopped").len(), 1, "{output}");
    let wal = target.dir.path().join("oos.db-wal");
    assert!(std::fs::metadata(&wal).map_or(true, |file| file.len() == 0), "the store was closed: its WAL checkpointed");
    assert_eq!(lease_of(target.dir.path(), &id).await, (None, 0), "the lease is released, no crash is pending");

    target.restart();
    let finished = target.finished(&id).await;
    assert_eq!(finished["Status"], "Success", "{finished}");
    let tasks = target.tasks(&id).await;
    let statuses: Vec<(&str, &str)> = tasks.iter().map(|task| (task["TaskName"].as_str().unwrap(), task["Status"].as_str().unwrap())).collect();
    assert_eq!(statuses, [("stop", "Success"), ("nap", "Success"), ("start", "Success")], "{tasks:?}");
}
