//! `/stream` pushes task changes as they commit, without polling: an execution waiting for an
//! approval and then napping streams its tasks' `task` events in order and its `end`; on
//! PostgreSQL, a stream open on a waiting execution reads nothing from the store while nothing
//! changes (the statistics of the tables it reads stay put), and still hears of the approval.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use oos_acs::Credentials;
use oos_runtime::RuntimeConfig;
use oos_server::transport::Limits;
use oos_testkit::event_stream::{EventStream, StreamEvent, is_task, task_statuses as statuses};
use oos_testkit::wire::{Call, OOS};
use serde_json::Value;
use support::{Backend, exchange, start_front};

const APPROVE_THEN_NAP: &str = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"approve","Action":"ACS::Approve"},{"Name":"nap","Action":"ACS::Sleep","Properties":{"Duration":"PT1S"}}]}"#;
/// The tables a stream reads besides the execution's row (which the worker's claims scan too).
const STREAM_TABLES: [&str; 2] = ["task_executions", "execution_logs"];
const BOUND: Duration = Duration::from_secs(20);

async fn start(addr: SocketAddr, credentials: &Credentials) -> String {
    let (status, body) = exchange(addr, &Call::new(credentials, OOS, "StartExecution", &[("TemplateContent", APPROVE_THEN_NAP)]).acs3(addr)).await;
    assert_eq!(status, 200, "{body}");
    body["Execution"]["ExecutionId"].as_str().unwrap().to_owned()
}

/// Approves `id`; how long the approval's task event took to arrive after the answer.
async fn approve(addr: SocketAddr, credentials: &Credentials, id: &str, events: &mut EventStream) -> (Duration, Vec<StreamEvent>) {
    let (status, body) = exchange(addr, &Call::new(credentials, OOS, "NotifyExecution", &[("ExecutionId", id), ("NotifyType", "Approve")]).acs3(addr)).await;
    assert_eq!(status, 200, "{body}");
    let answered = Instant::now();
    let seen = events.until(BOUND, |kind, data| is_task(kind, data, "approve", "Success")).await;
    (answered.elapsed(), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_changes_stream_in_order_and_the_stream_ends() {
    let (server, credentials, _bed) = start_front(Backend::Sqlite, RuntimeConfig::default(), None, Limits::default()).await;
    let addr = server.addr();
    let id = start(addr, &credentials).await;
    let mut events = EventStream::open(addr, &credentials, &id).await;
    let mut seen = events.until(BOUND, |kind, data| is_task(kind, data, "approve", "Waiting")).await;
    assert_eq!(seen[0].0, "status", "the status first: {seen:?}");
    let (latency, approved) = approve(addr, &credentials, &id, &mut events).await;
    println!("approval to its task event: {latency:?}");
    seen.extend(approved);
    seen.extend(events.until(BOUND, |kind, _| kind == "end").await);

    let approve_statuses = statuses(&seen, "approve");
    assert!(approve_statuses.ends_with(&["Waiting", "Success"]), "{approve_statuses:?}");
    assert_eq!(statuses(&seen, "nap"), ["Running", "Success"], "{seen:?}");
    let position = |name: &str, status: &str| seen.iter().position(|(kind, data)| is_task(kind, data, name, status)).unwrap();
    assert!(position("approve", "Success") < position("nap", "Running"), "in the order they happened: {seen:?}");
    let (_, task) = &seen[position("nap", "Success")];
    for field in ["TaskExecutionId", "ExecutionId", "TaskAction", "StatusMessage", "Properties", "Outputs", "TemplateId", "CreateDate", "UpdateDate", "StartDate", "EndDate"] {
        assert!(task.get(field).is_some(), "{field} in {task}");
    }
    assert_eq!(task["ExecutionId"], id.as_str());
    let (kind, last) = seen.last().unwrap();
    assert_eq!((kind.as_str(), &last["Status"]), ("end", &Value::from("Success")), "{seen:?}");
    let statuses: Vec<&str> = seen.iter().filter(|(kind, _)| kind == "status").map(|(_, data)| data["Status"].as_str().unwrap()).collect();
    assert_eq!(statuses.last(), Some(&"Success"), "{statuses:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_stream_reads_nothing_and_still_hears_of_a_change() {
    let (server, credentials, bed) = start_front(Backend::Postgres, RuntimeConfig::default(), None, Limits::default()).await;
    let addr = server.addr();
    let id = start(addr, &credentials).await;
    let mut events = EventStream::open(addr, &credentials, &id).await;
    events.until(BOUND, |kind, data| is_task(kind, data, "approve", "Waiting")).await;
    // The rest of that read's events (its log lines).
    while events.next(Duration::from_secs(1)).await.is_some() {}
    // PostgreSQL's backends report their table statistics within ten seconds of going idle.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let before = bed.scans(&STREAM_TABLES).await.unwrap();
    let quiet = events.next(Duration::from_secs(6)).await;
    assert!(quiet.is_none(), "nothing changed, nothing is sent: {quiet:?}");
    let after = bed.scans(&STREAM_TABLES).await.unwrap();
    assert_eq!(after, before, "an idle stream read its tasks or logs");

    let (latency, _) = approve(addr, &credentials, &id, &mut events).await;
    println!("approval to its task event (PostgreSQL, one process): {latency:?}");
    let seen = events.until(BOUND, |kind, _| kind == "end").await;
    assert_eq!(statuses(&seen, "nap").last(), Some(&"Success"), "{seen:?}");
    server.shutdown().await;
}
