//! `/stream` on PostgreSQL across processes: the work of an execution is done by an `oos server` and
//! an `oos worker` while a third process, an `oos server` started after the execution was taken,
//! serves its stream. The stream hears of each task change through the change feed's notifications
//! (`oos_changes`) and sends the `task` events in order, then `end`.

mod cluster;

use std::time::{Duration, Instant};

use cluster::{Cluster, call, wait_status};
use oos_testkit::event_stream::{EventStream, is_task, task_statuses};

const BOUND: Duration = Duration::from_secs(60);

/// Held by the worker that runs it from start to end (its nap is due long before the worker would
/// hand a waiting execution back, after 30 s).
const APPROVE_THEN_NAP: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: approve, Action: ACS::Approve}
- {Name: nap, Action: ACS::Sleep, Properties: {Duration: PT1S}}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_served_by_one_process_shows_the_work_of_others() {
    let cluster = Cluster::new().await;
    let working = cluster.server("working", &[]);
    let _worker = cluster.worker("w", &[]);
    let root = cluster.root("working");
    let started = call(&working, &root, "StartExecution", &[("TemplateContent", APPROVE_THEN_NAP)]).await;
    let id = started["Execution"]["ExecutionId"].as_str().expect("an execution id").to_owned();
    wait_status(&working, &root, &id, "Waiting", BOUND).await;

    // Started after the execution was taken: this server's worker never holds it.
    let watching = cluster.server("watching", &[]);
    let mut events = EventStream::open(watching.addr(), &root, &id).await;
    let mut seen = events.until(BOUND, |kind, _| kind == "status").await;
    call(&working, &root, "NotifyExecution", &[("ExecutionId", &id), ("NotifyType", "Approve")]).await;
    let approved = Instant::now();
    seen.extend(events.until(BOUND, |kind, data| is_task(kind, data, "approve", "Success")).await);
    println!("approval at one process to its task event at another: {:?}", approved.elapsed());
    seen.extend(events.until(BOUND, |kind, _| kind == "end").await);

    assert_eq!(task_statuses(&seen, "approve").last(), Some(&"Success"), "{seen:?}");
    assert_eq!(task_statuses(&seen, "nap"), ["Running", "Success"], "{seen:?}");
    let (kind, last) = seen.last().expect("events");
    assert_eq!((kind.as_str(), last["Status"].as_str()), ("end", Some("Success")), "{seen:?}");
}
