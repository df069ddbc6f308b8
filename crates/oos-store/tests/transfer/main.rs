//! `oos_store::transfer`: an embedded store copied into an empty PostgreSQL database answers every
//! read of the store traits alike and verifies; a target with rows, a source of another schema or
//! with a broken audit chain, and a copy failing half-way leave the target as it was; a row changed
//! in the target after the copy is named by `verify`.

mod compare;
mod fill;

use std::str::FromStr;

use oos_store::audit::{AuditKind, NewAudit};
use oos_store::postgres::{PgSettings, ScratchDatabase};
use oos_store::sqlite::Durability;
use oos_store::transfer::{self, Progress, TransferError, TransferReport};
use oos_store::{
    AuditStore, Close, ExecutionApiStore, ExecutionFilter, ExecutionMeta, ExecutionStore, IamRecordStore, InboxStore, LeaseStore, LogStore,
    NewInboxEvent, PgStore, SqliteStore, StepStore, StepWrite,
};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use fill::{AUDIT_RECORDS, EXECUTIONS, WORKER, id, populate};

/// Every table, in copy order.
const TABLES: [&str; 24] = [
    "executions",
    "task_executions",
    "execution_logs",
    "inbox",
    "library_templates",
    "api_templates",
    "api_template_versions",
    "api_executions",
    "api_execution_tags",
    "iam_records",
    "parameters",
    "parameter_versions",
    "activations",
    "managed_instances",
    "assistant_commands",
    "invocations",
    "invocation_targets",
    "state_configurations",
    "triggers",
    "trigger_firings",
    "sandbox_inbox",
    "console_sessions",
    "console_sign_in_failures",
    "audit_log",
];

async fn source() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    (dir, store)
}

async fn target() -> (ScratchDatabase, PgStore) {
    let database = ScratchDatabase::create().await.unwrap();
    let store = PgStore::open(&database.url(), &PgSettings::default()).await.unwrap();
    (database, store)
}

/// Migrates `source` into `target` (holding the source's worker lock); the progress events too.
async fn migrate(source: &SqliteStore, target: &PgStore) -> (Result<TransferReport, TransferError>, Vec<Progress>) {
    let lock = source.try_worker_lock().unwrap();
    let mut events = Vec::new();
    let outcome = transfer::migrate(source, &lock, target, &mut |event| events.push(event)).await;
    (outcome, events)
}

async fn verify(source: &SqliteStore, target: &PgStore) -> Result<TransferReport, TransferError> {
    transfer::verify(source, target, &mut |_| {}).await
}

/// Runs statements on the source's database file, beside the store.
async fn sqlite_sql(source: &SqliteStore, statements: &str) {
    let options = SqliteConnectOptions::from_str("sqlite:").unwrap().filename(source.dir().join("oos.db"));
    let mut connection = SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_owned())).execute(&mut connection).await.unwrap();
    connection.close().await.unwrap();
}

async fn pg_sql(target: &PgStore, statements: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_owned())).execute(target.pool()).await.unwrap();
}

/// Rows of every table of the target, and its audit head's seq.
async fn target_rows(target: &PgStore) -> Vec<(String, i64)> {
    let mut rows = Vec::new();
    for table in TABLES.iter().chain(&["audit_head"]) {
        let column = if *table == "audit_head" { "MAX(seq)" } else { "COUNT(*)" };
        let sql = format!("SELECT {column} FROM {table}");
        rows.push((table.to_string(), sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(target.pool()).await.unwrap()));
    }
    rows
}

fn empty_target() -> Vec<(String, i64)> {
    TABLES.iter().chain(&["audit_head"]).map(|table| (table.to_string(), 0)).collect()
}

fn mismatched_tables(error: TransferError) -> Vec<&'static str> {
    match error {
        TransferError::Mismatch(mismatches) => mismatches.iter().map(|m| m.table).collect(),
        other => panic!("expected a mismatch, got {other}"),
    }
}

#[tokio::test]
async fn a_migrated_store_answers_every_read_alike_and_verifies() {
    let (_dir, source) = source().await;
    populate(&source).await;
    let (_database, target) = target().await;
    let (outcome, events) = migrate(&source, &target).await;
    let report = outcome.unwrap_or_else(|error| panic!("{}: {error}", error.code()));

    assert_eq!(report.tables.iter().map(|t| t.table).collect::<Vec<_>>(), TABLES);
    let rows = |name: &str| report.tables.iter().find(|t| t.table == name).map(|t| (t.rows, t.copied)).unwrap();
    assert_eq!(rows("executions"), (EXECUTIONS as i64, true));
    assert_eq!(rows("inbox"), (15, true));
    assert_eq!(rows("audit_log"), (AUDIT_RECORDS as i64, true));
    let (tag_rows, copied) = rows("api_execution_tags");
    assert!(tag_rows > 30 && !copied, "the target's trigger wrote the tag rows: {tag_rows}");
    assert!(report.tables.iter().all(|t| t.rows > 0 && t.digest.len() == 64), "{:?}", report.tables);
    let source_chain = source.verify_audit().await.unwrap();
    assert_eq!(report.audit, source_chain, "the target's chain is the source's");

    let batches: Vec<i64> = events.iter().filter_map(|e| match e { Progress::Copied { table: "audit_log", done, .. } => Some(*done), _ => None }).collect();
    assert_eq!(batches, [1_000, 2_000, 2_600], "audit_log goes over in three batches");
    assert!(events.contains(&Progress::Copying { table: "audit_log", rows: AUDIT_RECORDS as i64 }));
    assert!(!events.iter().any(|e| matches!(e, Progress::Copying { table: "api_execution_tags", .. })), "trigger-filled: not copied");
    let committed = events.iter().position(|e| *e == Progress::Committing).unwrap();
    assert!(events[committed + 1..].iter().all(|e| matches!(e, Progress::Verifying { .. } | Progress::VerifyingAudit)));

    let compared = compare::same_answers(&source, &target).await;
    assert!(compared > 200, "{compared} answers compared");
    continues_on_the_target(&source, &target).await;
    target.close().await;
}

/// After the move: leases are free, new log and inbox ids follow the copied ones, the chain goes on.
async fn continues_on_the_target(source: &SqliteStore, target: &PgStore) {
    let runnable = |store_ids: Vec<String>| {
        let mut ids = store_ids;
        ids.sort();
        ids
    };
    assert!(source.claim("worker-2", 10_000, 1_000, 100).await.unwrap().is_empty(), "the source's leases are held by {WORKER}");
    let claimed = runnable(target.claim("worker-2", 10_000, 1_000, 100).await.unwrap());
    // Runnable (Running, Waiting, the odd ones); the finished ones with inbox events (e00, e02 … e08)
    // make no work.
    let expected: Vec<String> = runnable((0..EXECUTIONS).filter(|n| n % 2 == 1).map(id).collect());
    assert_eq!(claimed, expected, "every execution with work is free to claim on the target");

    let max_inbox = source.pending(&[id(9)]).await.unwrap().iter().map(|e| e.id).max().unwrap();
    target.push(NewInboxEvent { execution_id: id(9), payload: "{}".into(), created_ms: 1 }).await.unwrap();
    let newest = target.pending(&[id(9)]).await.unwrap().iter().map(|e| e.id).max().unwrap();
    assert!(newest > max_inbox, "a new inbox event gets a new id: {newest} after {max_inbox}");
    let log = oos_store::LogRecord { execution_id: id(1), task_execution_id: None, ts_ms: 1, log_type: "x".into(), message: "after".into() };
    target.commit("worker-2", &StepWrite { logs: vec![log], ..StepWrite::default() }).await.unwrap();
    assert_eq!(target.logs(&id(1), None).await.unwrap().len(), 6);

    let body = serde_json::json!({"Action": "AfterMove"}).as_object().cloned().unwrap();
    target.append_audit(&[NewAudit { time_ms: 1, kind: AuditKind::ApiCall, body }]).await.unwrap();
    let verified = target.verify_audit().await.unwrap();
    assert!(verified.broken.is_none() && verified.head_seq == AUDIT_RECORDS as i64 + 1, "{verified:?}");
}

#[tokio::test]
async fn a_target_with_rows_is_refused_and_left_unchanged() {
    let (_dir, source) = source().await;
    populate(&source).await;
    let (_database, target) = target().await;
    assert!(target.insert_iam_record("User", "carol", "{}").await.unwrap());
    let before = target_rows(&target).await;
    let (outcome, events) = migrate(&source, &target).await;
    let error = outcome.unwrap_err();
    assert!(matches!(error, TransferError::TargetNotEmpty { table: "iam_records" }), "{error}");
    assert_eq!(error.code(), "MigrateStore.TargetNotEmpty");
    assert!(error.to_string().contains("table iam_records has rows"), "{error}");
    assert!(events.is_empty(), "nothing was copied: {events:?}");
    assert_eq!(target_rows(&target).await, before);
    assert_eq!(target.iam_records("User").await.unwrap(), ["{}"]);

    // A second migration into a migrated database is refused too, and the first copy still verifies.
    let (_database, migrated) = self::target().await;
    migrate(&source, &migrated).await.0.unwrap();
    let copied = target_rows(&migrated).await;
    let error = migrate(&source, &migrated).await.0.unwrap_err();
    assert!(matches!(error, TransferError::TargetNotEmpty { table: "executions" }), "{error}");
    assert_eq!(target_rows(&migrated).await, copied);
    verify(&source, &migrated).await.unwrap();
}

#[tokio::test]
async fn verify_names_the_table_changed_after_the_copy() {
    let (_dir, source) = source().await;
    populate(&source).await;
    let (_database, target) = target().await;
    migrate(&source, &target).await.0.unwrap();
    let changes: [(&str, &str, &[&str]); 6] = [
        ("UPDATE parameters SET description = '' WHERE name = 'db/port'", "UPDATE parameters SET description = 'about db/port' WHERE name = 'db/port'", &["parameters"]),
        ("UPDATE api_templates SET is_favorite = NOT is_favorite WHERE name = 'rotate'", "UPDATE api_templates SET is_favorite = FALSE WHERE name = 'rotate'", &["api_templates"]),
        (
            "UPDATE invocation_targets SET output = 'hel' WHERE invoke_id = 't-0' AND instance_id = 'mi-0'",
            "UPDATE invocation_targets SET output = 'hél' WHERE invoke_id = 't-0' AND instance_id = 'mi-0'",
            &["invocation_targets"],
        ),
        ("UPDATE task_executions SET outputs = '' WHERE id = 'e02-t2'", "UPDATE task_executions SET outputs = NULL WHERE id = 'e02-t2'", &["task_executions"]),
        ("DELETE FROM api_execution_tags WHERE execution_id = 'e03' AND key = 'owner'", "INSERT INTO api_execution_tags VALUES ('e03', 'owner', 'ops')", &["api_execution_tags"]),
        (
            "UPDATE audit_log SET body = replace(body, 'Act3', 'Act4') WHERE seq = 998",
            "UPDATE audit_log SET body = replace(body, 'Act4', 'Act3') WHERE seq = 998",
            &["audit_log", "audit_log"],
        ),
    ];
    for (change, restore, named) in changes {
        pg_sql(&target, change).await;
        let error = verify(&source, &target).await.expect_err(change);
        assert_eq!(error.code(), "MigrateStore.VerificationFailed");
        assert_eq!(mismatched_tables(error), named, "{change}");
        pg_sql(&target, restore).await;
        verify(&source, &target).await.unwrap_or_else(|error| panic!("restored after {change}: {error}"));
    }
    // e01 has no outputs (it is running): NULL and '' differ.
    pg_sql(&target, "UPDATE executions SET outputs = '' WHERE id = 'e01'").await;
    assert_eq!(mismatched_tables(verify(&source, &target).await.unwrap_err()), ["executions"]);
    pg_sql(&target, "UPDATE executions SET outputs = NULL WHERE id = 'e01'; UPDATE audit_head SET seq = seq - 1").await;
    assert_eq!(mismatched_tables(verify(&source, &target).await.unwrap_err()), ["audit_head"]);
}

#[tokio::test]
async fn a_copy_failing_half_way_leaves_the_target_empty() {
    let (_dir, source) = source().await;
    populate(&source).await;
    // SQLite keeps tags that are not JSON (its trigger skips them); PostgreSQL's trigger refuses them.
    let meta = ExecutionMeta { execution_id: id(20), executed_by: "x".into(), tags: "not json".into(), ..ExecutionMeta::default() };
    assert_eq!(source.put_execution_meta(&meta).await.unwrap(), None);
    let (_database, target) = target().await;
    let (outcome, events) = migrate(&source, &target).await;
    let error = outcome.unwrap_err();
    assert!(matches!(error, TransferError::Copy { table: "api_executions", .. }), "{error}");
    assert_eq!(error.code(), "MigrateStore.Database");
    assert!(events.contains(&Progress::Copied { table: "executions", done: EXECUTIONS as i64, rows: EXECUTIONS as i64 }), "executions went first");
    assert_eq!(target_rows(&target).await, empty_target(), "the transaction rolled back");
    let filter = ExecutionFilter { include_children: true, limit: Some(100), ..ExecutionFilter::default() };
    assert!(target.executions(&filter).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_source_of_another_schema_or_with_a_broken_chain_is_refused() {
    let (_dir, source) = source().await;
    populate(&source).await;
    let (_database, target) = target().await;

    sqlite_sql(&source, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)").await;
    let error = migrate(&source, &target).await.0.unwrap_err();
    assert_eq!(error.code(), "MigrateStore.SchemaMismatch", "{error}");
    assert!(error.to_string().contains("table notes is not one the transfer copies"), "{error}");
    sqlite_sql(&source, "DROP TABLE notes; ALTER TABLE iam_records ADD COLUMN extra TEXT").await;
    let error = migrate(&source, &target).await.0.unwrap_err();
    assert!(error.to_string().contains("table iam_records: column extra is not one the transfer copies"), "{error}");
    sqlite_sql(&source, "ALTER TABLE iam_records DROP COLUMN extra").await;

    sqlite_sql(&source, "UPDATE audit_log SET time_ms = time_ms + 1 WHERE seq = 7").await;
    let error = migrate(&source, &target).await.0.unwrap_err();
    assert!(matches!(error, TransferError::SourceAuditBroken { seq: 7, .. }), "{error}");
    assert_eq!(error.code(), "MigrateStore.SourceAuditBroken");
    assert_eq!(target_rows(&target).await, empty_target());

    sqlite_sql(&source, "UPDATE audit_log SET time_ms = time_ms - 1 WHERE seq = 7; UPDATE api_templates SET is_favorite = 2").await;
    let error = migrate(&source, &target).await.0.unwrap_err();
    assert_eq!(error.code(), "MigrateStore.InvalidValue", "{error}");
    assert!(error.to_string().contains("api_templates, column is_favorite: 2 is not a boolean"), "{error}");
    assert_eq!(target_rows(&target).await, empty_target());
}
