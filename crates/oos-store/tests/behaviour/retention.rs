//! Retention: which executions a pass removes (finished, unleased trees only, whole), logs and task
//! outputs dropped earlier, and the audit trail exported segment by segment before it is cut, with
//! the segments and the remaining chain verified as one chain.

use std::path::Path;

use oos_store::audit::{AuditKind, NewAudit};
use oos_store::retention::segments;
use oos_store::{AuditStore, ExecutionRecord, ExecutionStore, LogRecord, LogStore, RetentionPolicy, RetentionStore, StepStore, StepWrite, TaskStore};
use serde_json::{Map, Value};

use crate::fixtures::{execution, task};

const NOW: i64 = 1_000_000;

/// An execution that ended at `end_ms` (or is unfinished with `None`), under `parent`.
pub fn ended(id: &str, status: &str, end_ms: Option<i64>, parent: Option<&str>) -> ExecutionRecord {
    ExecutionRecord { end_ms, parent_execution_id: parent.map(Into::into), ..execution(id, status, end_ms.is_none()) }
}

/// An audit record at `time_ms`.
pub fn record(time_ms: i64) -> NewAudit {
    let mut body = Map::new();
    body.insert("Action".into(), Value::from(format!("Call{time_ms}")));
    NewAudit { time_ms, kind: AuditKind::ApiCall, body }
}

fn log(execution_id: &str) -> LogRecord {
    LogRecord { execution_id: execution_id.into(), task_execution_id: None, ts_ms: 1, log_type: "Info".into(), message: "hello".into() }
}

async fn exists(store: &impl ExecutionStore, id: &str) -> bool {
    store.execution(id).await.unwrap().is_some()
}

/// Finished trees older than the policy go whole; a tree with an unfinished execution, an unfinished
/// root with finished children, a status the policy keeps and a recent one stay.
async fn prunes_finished_trees_whole<S: StepStore + ExecutionStore + RetentionStore>(store: &S) {
    let executions = vec![
        ended("old-ok", "Success", Some(100), None),
        ended("old-ok-child", "Success", Some(100), Some("old-ok")),
        ended("old-ok-grandchild", "Failed", Some(100), Some("old-ok-child")),
        ended("old-failed", "Failed", Some(200), None),
        ended("old-blocked", "Success", Some(100), None),
        ended("old-blocked-child", "Running", None, Some("old-blocked")),
        ended("old-running", "Running", None, None),
        ended("old-running-child", "Success", Some(100), Some("old-running")),
        ended("old-cancelled", "Cancelled", Some(100), None),
        ended("recent", "Success", Some(NOW - 10), None),
    ];
    store.create(&StepWrite { executions, ..StepWrite::default() }, None).await.unwrap();
    let policy = RetentionPolicy {
        executions_ms: Some(1000),
        statuses: vec!["Success".into(), "Failed".into()],
        batch: 1,
        ..RetentionPolicy::default()
    };
    let report = store.retain(&policy, NOW).await.unwrap().expect("no other pass runs");
    assert_eq!(report.executions, 4, "{report:?}");
    for gone in ["old-ok", "old-ok-child", "old-ok-grandchild", "old-failed"] {
        assert!(!exists(store, gone).await, "{gone} should be pruned");
    }
    for kept in ["old-blocked", "old-blocked-child", "old-running", "old-running-child", "old-cancelled", "recent"] {
        assert!(exists(store, kept).await, "{kept} should be kept");
    }
    // A second pass finds nothing more.
    assert_eq!(store.retain(&policy, NOW).await.unwrap().unwrap().executions, 0);
}

/// Logs and task outputs of old finished trees go; the executions and tasks stay.
async fn drops_logs_and_outputs_earlier<S: StepStore + ExecutionStore + TaskStore + LogStore + RetentionStore>(store: &S) {
    let mut old_task = task("old-task", "old", 1, "Success");
    old_task.outputs = Some("{\"a\":1}".into());
    let mut recent_task = task("recent-task", "recent", 1, "Success");
    recent_task.outputs = Some("{\"a\":1}".into());
    let write = StepWrite {
        executions: vec![ended("old", "Success", Some(100), None), ended("recent", "Success", Some(NOW - 10), None)],
        tasks: vec![old_task, recent_task],
        logs: vec![log("old"), log("recent")],
        ..StepWrite::default()
    };
    store.create(&write, None).await.unwrap();
    let policy = RetentionPolicy { details_ms: Some(1000), ..RetentionPolicy::default() };
    let report = store.retain(&policy, NOW).await.unwrap().unwrap();
    assert_eq!((report.executions, report.details), (0, 2), "{report:?}");
    assert!(exists(store, "old").await);
    assert!(store.logs("old", None).await.unwrap().is_empty());
    assert_eq!(store.tasks("old").await.unwrap()[0].outputs, None);
    assert_eq!(store.logs("recent", None).await.unwrap().len(), 1);
    assert!(store.tasks("recent").await.unwrap()[0].outputs.is_some());
}

/// The fault `segments::verify` reports for `dir`, if any.
pub async fn segment_fault(store: &impl AuditStore, dir: &Path) -> Option<&'static str> {
    segments::verify(store, dir).await.unwrap().fault.map(|fault| fault.code)
}

/// The old records are written to segment files before they are deleted; the files and the chain
/// left verify as one chain (also after more appends), and an edited, removed or cut file does not.
async fn audit_segments_verify_across<S: AuditStore + RetentionStore>(store: &S) {
    store.append_audit(&(1..=50).map(record).collect::<Vec<_>>()).await.unwrap();
    assert!(store.verify_audit().await.unwrap().broken.is_none(), "sealed and intact");
    let dir = tempfile::tempdir().unwrap();
    let policy = RetentionPolicy { audit_ms: Some(NOW - 41), audit_dir: Some(dir.path().to_owned()), segment_records: 15, ..RetentionPolicy::default() };
    let report = store.retain(&policy, NOW).await.unwrap().unwrap();
    assert_eq!((report.audit_records, report.segments.len()), (40, 3), "{report:?}");
    let chain = store.verify_audit().await.unwrap();
    assert_eq!((chain.first_seq, chain.records, chain.head_seq, chain.broken), (41, 10, 50, None));
    let outcome = segments::verify(store, dir.path()).await.unwrap();
    assert_eq!((outcome.segments, outcome.exported_records, outcome.fault), (3, 40, None));

    // Everything old: all but the newest record (the head new records link to) goes.
    let policy = RetentionPolicy { audit_ms: Some(0), ..policy };
    assert_eq!(store.retain(&policy, NOW).await.unwrap().unwrap().audit_records, 9);
    store.append_audit(&[record(60)]).await.unwrap();
    assert_eq!(segment_fault(store, dir.path()).await, None);
    assert_eq!(store.verify_audit().await.unwrap().records, 2);

    let second = report.segments[1].clone();
    let original = std::fs::read_to_string(&second).unwrap();
    std::fs::write(&second, original.replacen("Call20", "Call99", 1)).unwrap();
    assert_eq!(segment_fault(store, dir.path()).await, Some("AuditSegment.Modified"));
    let mut lines: Vec<&str> = original.lines().collect();
    lines.remove(3);
    std::fs::write(&second, lines.join("\n")).unwrap();
    assert_eq!(segment_fault(store, dir.path()).await, Some("AuditSegment.Gap"));
    std::fs::remove_file(&second).unwrap();
    assert_eq!(segment_fault(store, dir.path()).await, Some("AuditSegment.Missing"));
    std::fs::write(&second, "not json").unwrap();
    assert_eq!(segment_fault(store, dir.path()).await, Some("AuditSegment.Unreadable"));
    std::fs::write(&second, original).unwrap();
    assert_eq!(segment_fault(store, dir.path()).await, None);
    std::fs::remove_file(report.segments.last().unwrap()).unwrap();
    assert_eq!(segment_fault(store, dir.path()).await, Some("AuditSegment.Missing"), "the last segment before the database's chain");
}

crate::on_both!(prunes_finished_trees_whole, drops_logs_and_outputs_earlier, audit_segments_verify_across);

/// One pass at a time on PostgreSQL: while another session holds the lock, a pass does nothing.
#[tokio::test]
async fn one_pass_at_a_time_on_postgres() {
    let (database, store) = crate::postgres().await;
    let mut other = <sqlx::PgConnection as sqlx::Connection>::connect(&database.url()).await.unwrap();
    let lock = oos_store::postgres::RETENTION_LOCK;
    assert!(sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)").bind(lock).fetch_one(&mut other).await.unwrap());
    assert_eq!(store.retain(&RetentionPolicy::default(), NOW).await.unwrap(), None);
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(lock).execute(&mut other).await.unwrap();
    assert!(store.retain(&RetentionPolicy::default(), NOW).await.unwrap().is_some(), "the lock is free again");
    oos_store::Close::close(&store).await;
}
