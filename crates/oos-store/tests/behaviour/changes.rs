//! The change feed and the narrow reads of a reader that follows an execution: commits, creations
//! and deletions announce the executions they changed; tasks are read from an update time on and
//! logs after the last one read. On PostgreSQL, another store on the same database (another
//! process) hears of a commit through the notification alone.

use std::time::Duration;

use oos_store::postgres::PgSettings;
use oos_store::{Change, ChangeFeed, ExecutionApiStore, LogRecord, PgStore, StepStore, StepWrite, Store};
use tokio::sync::broadcast;

use crate::fixtures::{execution, task};

on_both!(
    commits_creations_and_deletions_announce_the_executions_they_changed,
    tasks_and_logs_are_read_on_from_where_a_reader_stopped,
);

/// The next announcement, within a bound.
async fn next(changes: &mut broadcast::Receiver<Change>) -> Change {
    tokio::time::timeout(Duration::from_secs(5), changes.recv()).await.expect("an announcement").expect("the feed is open")
}

fn named(ids: &[&str]) -> Change {
    Change::Executions(ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>().into())
}

fn log(execution_id: &str, message: &str) -> LogRecord {
    LogRecord { execution_id: execution_id.into(), task_execution_id: None, ts_ms: 1, log_type: "Info".into(), message: message.into() }
}

async fn commits_creations_and_deletions_announce_the_executions_they_changed(store: &(impl Store + ExecutionApiStore)) {
    let mut changes = store.changes();
    let create = StepWrite { executions: vec![execution("exec-b", "Started", true), execution("exec-a", "Started", true)], ..Default::default() };
    store.create(&create, None).await.unwrap();
    assert_eq!(next(&mut changes).await, named(&["exec-a", "exec-b"]));
    assert_eq!(store.claim("w1", 10, 1_000_000, 10).await.unwrap().len(), 2);
    let step = StepWrite { executions: vec![execution("exec-a", "Running", true)], tasks: vec![task("t0", "exec-a", 0, "Running")], logs: vec![log("exec-a", "hi")], ..Default::default() };
    store.commit("w1", &step).await.unwrap();
    assert_eq!(next(&mut changes).await, named(&["exec-a"]), "one announcement per commit, each execution once");
    assert!(store.commit("w2", &step).await.is_err(), "fenced off");
    store.delete_executions(&["exec-b".into()]).await.unwrap();
    assert_eq!(next(&mut changes).await, named(&["exec-b"]), "a fenced commit announces nothing; a deletion does");
    assert!(named(&["exec-a"]).concerns("exec-a") && !named(&["exec-a"]).concerns("exec-b") && Change::Everything.concerns("exec-b"));
}

async fn tasks_and_logs_are_read_on_from_where_a_reader_stopped(store: &impl Store) {
    let mut early = task("t-early", "exec-1", 0, "Success");
    early.updated_ms = 100;
    let mut late = task("t-late", "exec-1", 1, "Running");
    late.updated_ms = 200;
    let mut elsewhere = task("t-other", "exec-2", 0, "Running");
    elsewhere.updated_ms = 300;
    let logs = vec![log("exec-1", "one"), log("exec-2", "other"), log("exec-1", "two")];
    let first = StepWrite { executions: vec![execution("exec-1", "Running", true), execution("exec-2", "Running", true)], tasks: vec![early, late.clone(), elsewhere], logs, ..Default::default() };
    store.commit("w1", &first).await.unwrap();

    let since = |ms| async move { store.tasks_updated_since("exec-1", ms).await.unwrap().into_iter().map(|t| t.id).collect::<Vec<_>>() };
    assert_eq!(since(0).await, ["t-early", "t-late"]);
    assert_eq!(since(200).await, ["t-late"], "updated at the bound: included");
    assert!(since(201).await.is_empty());

    let read = store.logs_after("exec-1", 0).await.unwrap();
    let messages: Vec<&str> = read.iter().map(|numbered| numbered.log.message.as_str()).collect();
    assert_eq!(messages, ["one", "two"]);
    assert!(read[0].id < read[1].id);
    late.status = "Success".into();
    late.updated_ms = 250;
    let second = StepWrite { executions: vec![execution("exec-1", "Success", false)], tasks: vec![late], logs: vec![log("exec-1", "three")], ..Default::default() };
    store.commit("w1", &second).await.unwrap();
    let after: Vec<String> = store.logs_after("exec-1", read[1].id).await.unwrap().into_iter().map(|numbered| numbered.log.message).collect();
    assert_eq!(after, ["three"], "only the lines after the last one read");
    assert_eq!(store.tasks_updated_since("exec-1", 201).await.unwrap()[0].status, "Success");
}

#[tokio::test]
async fn another_store_on_the_database_hears_of_a_commit_by_its_notification() {
    let (database, writer) = crate::postgres().await;
    let reader = PgStore::open(&database.url(), &PgSettings::default()).await.unwrap();
    let (mut heard, mut own) = (reader.changes(), writer.changes());
    // The reader's listener may still be connecting: commit until it hears.
    let mut commits = 0;
    let change = loop {
        commits += 1;
        let step = StepWrite { executions: vec![execution("exec-far", "Running", true)], ..Default::default() };
        writer.commit("w1", &step).await.unwrap();
        assert_eq!(next(&mut own).await, named(&["exec-far"]), "the writer's process hears at once");
        if let Ok(change) = tokio::time::timeout(Duration::from_millis(500), heard.recv()).await {
            break change.unwrap();
        }
        assert!(commits < 20, "the other store never heard");
    };
    assert_eq!(change, named(&["exec-far"]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(matches!(own.try_recv(), Err(broadcast::error::TryRecvError::Empty)), "the writer skips its own notification");
    oos_store::Close::close(&reader).await;
    oos_store::Close::close(&writer).await;
}
