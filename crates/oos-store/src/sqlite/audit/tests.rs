//! The audit chain: appends, queries, commits with the pending request entry, and tamper detection on
//! the database file itself (raw SQL on a separate connection).

use std::str::FromStr;

use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::*;
use crate::TemplateStore;
use crate::audit::{AuditKind, REDACTED, Tamper, chain_hash, redact, scope};
use crate::sqlite::Durability;
use crate::{NewTemplateVersion, StepStore, StepWrite};

fn entry(n: i64, action: &str, execution_id: &str) -> NewAudit {
    let body = json!({"Principal": format!("acs:ram::1:user/u{}", n % 3), "User": format!("u{}", n % 3), "Action": action, "ExecutionId": execution_id, "N": n});
    let Value::Object(body) = body else { unreachable!() };
    NewAudit { time_ms: 1_000 + n, kind: if n % 2 == 0 { AuditKind::ApiCall } else { AuditKind::CloudCall }, body }
}

async fn store_with(records: i64) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    let entries: Vec<NewAudit> = (1..=records).map(|n| entry(n, if n % 4 == 0 { "StartExecution" } else { "GetTemplate" }, &format!("exec-{}", n % 5))).collect();
    store.append_audit(&entries).await.unwrap();
    (dir, store)
}

/// A connection of its own to the store's database file, as a person editing the file would use.
async fn raw(dir: &tempfile::TempDir) -> SqliteConnection {
    let options = SqliteConnectOptions::from_str("sqlite:").unwrap().filename(dir.path().join("oos.db"));
    SqliteConnection::connect_with(&options).await.unwrap()
}

async fn run(connection: &mut SqliteConnection, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut *connection).await.unwrap();
}

fn broken(verification: &Verification) -> (i64, Tamper) {
    let broken = verification.broken.as_ref().expect("the chain should be reported broken");
    (broken.seq, broken.reason)
}

#[tokio::test]
async fn appends_form_a_dense_chain_that_verifies() {
    let (_dir, store) = store_with(10).await;
    store.append_audit(&[entry(11, "DeleteTemplate", "")]).await.unwrap();
    let all = store.audit_records(&AuditQuery { limit: 100, ..AuditQuery::default() }).await.unwrap();
    assert_eq!(all.iter().map(|r| r.seq).collect::<Vec<_>>(), (1..=11).collect::<Vec<_>>());
    assert_eq!(all[0].prev_hash, GENESIS);
    for pair in all.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    assert_eq!(all[10].hash, chain_hash(&all[9].hash, 11, 1_011, "CloudCall", &all[10].body));
    let verification = store.verify_audit().await.unwrap();
    assert_eq!((verification.records, verification.head_seq, verification.broken), (11, 11, None));
    assert_eq!(verification.head_hash, all[10].hash);
}

#[tokio::test]
async fn queries_filter_by_time_principal_action_execution_and_kind() {
    let (_dir, store) = store_with(40).await;
    let query = |q: AuditQuery| {
        let store = store.clone();
        async move { store.audit_records(&AuditQuery { limit: 100, ..q }).await.unwrap().iter().map(|r| r.seq).collect::<Vec<_>>() }
    };
    assert_eq!(query(AuditQuery { since_ms: Some(1_038), ..AuditQuery::default() }).await, vec![38, 39, 40]);
    assert_eq!(query(AuditQuery { until_ms: Some(1_002), ..AuditQuery::default() }).await, vec![1, 2]);
    assert_eq!(query(AuditQuery { action: Some("StartExecution".into()), until_ms: Some(1_012), ..AuditQuery::default() }).await, vec![4, 8, 12]);
    assert_eq!(query(AuditQuery { principal: Some("u1".into()), until_ms: Some(1_010), ..AuditQuery::default() }).await, vec![1, 4, 7, 10]);
    assert_eq!(query(AuditQuery { principal: Some("acs:ram::1:user/u1".into()), until_ms: Some(1_010), ..AuditQuery::default() }).await, vec![1, 4, 7, 10]);
    assert_eq!(query(AuditQuery { execution_id: Some("exec-2".into()), until_ms: Some(1_020), ..AuditQuery::default() }).await, vec![2, 7, 12, 17]);
    assert_eq!(query(AuditQuery { kind: Some(AuditKind::CloudCall), until_ms: Some(1_006), ..AuditQuery::default() }).await, vec![1, 3, 5]);
    let page = store.audit_records(&AuditQuery { offset: 5, limit: 2, ..AuditQuery::default() }).await.unwrap();
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![6, 7]);
    assert_eq!(query(AuditQuery { action: Some("StartExecution".into()), until_ms: Some(1_012), newest_first: true, ..AuditQuery::default() }).await, vec![12, 8, 4]);
    let newest = store.audit_records(&AuditQuery { newest_first: true, offset: 2, limit: 2, ..AuditQuery::default() }).await.unwrap();
    assert_eq!(newest.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![38, 37], "pages of the newest first");
}

#[tokio::test]
async fn a_modified_body_is_named_by_its_seq() {
    let (dir, store) = store_with(20).await;
    let mut file = raw(&dir).await;
    run(&mut file, "UPDATE audit_log SET body = replace(body, 'GetTemplate', 'ListTemplates') WHERE seq = 7").await;
    let verification = store.verify_audit().await.unwrap();
    assert_eq!(broken(&verification), (7, Tamper::Modified));
    assert_eq!(verification.records, 6);
}

#[tokio::test]
async fn a_deleted_record_is_named_by_its_seq() {
    let (dir, store) = store_with(20).await;
    let mut file = raw(&dir).await;
    run(&mut file, "DELETE FROM audit_log WHERE seq = 12").await;
    assert_eq!(broken(&store.verify_audit().await.unwrap()), (12, Tamper::Deleted));
    // Renumbering the rest to hide the gap breaks the link instead.
    run(&mut file, "UPDATE audit_log SET seq = seq - 1 WHERE seq > 12").await;
    assert_eq!(broken(&store.verify_audit().await.unwrap()), (12, Tamper::Deleted));
}

#[tokio::test]
async fn swapped_records_are_reported_as_reordered() {
    let (dir, store) = store_with(20).await;
    let mut file = raw(&dir).await;
    run(&mut file, "UPDATE audit_log SET seq = -1 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = 9; UPDATE audit_log SET seq = 9 WHERE seq = -1").await;
    assert_eq!(broken(&store.verify_audit().await.unwrap()), (5, Tamper::Reordered));

    let (dir, store) = store_with(20).await;
    let mut file = raw(&dir).await;
    run(&mut file, "UPDATE audit_log SET seq = -1 WHERE seq = 14; UPDATE audit_log SET seq = 14 WHERE seq = 15; UPDATE audit_log SET seq = 15 WHERE seq = -1").await;
    assert_eq!(broken(&store.verify_audit().await.unwrap()), (14, Tamper::Reordered));
}

#[tokio::test]
async fn the_pending_entry_commits_with_the_write_it_records_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    let template = NewTemplateVersion { name: "t1".into(), template_id: "t-1".into(), content: "{}".into(), format: "JSON".into(), ..NewTemplateVersion::default() };
    let (created, committed) = scope(entry(2, "CreateTemplate", ""), store.create_template(&template)).await;
    assert!(created.unwrap().is_some() && committed);
    // The name is taken: nothing is written, so the entry is not committed either.
    let (again, committed) = scope(entry(4, "CreateTemplate", ""), store.create_template(&template)).await;
    assert!(again.unwrap().is_none() && !committed);
    // A write outside any request scope appends nothing.
    store.commit("w", &StepWrite::default()).await.unwrap();
    let actions: Vec<String> = store.audit_records(&AuditQuery { limit: 10, ..AuditQuery::default() }).await.unwrap().iter().map(|r| r.body.clone()).collect();
    assert_eq!(actions.len(), 1);
    assert!(actions[0].contains("CreateTemplate"));
    // Engine commits carry their own records.
    store.commit("w", &StepWrite { audit: vec![entry(5, "StopInstance", "exec-1")], ..StepWrite::default() }).await.unwrap();
    assert_eq!(store.verify_audit().await.unwrap().records, 2);
}

#[test]
fn redaction_masks_secret_names_and_secret_values_at_any_depth() {
    let mut value = json!({"AccessKeySecret": "s1", "Signature": "sig", "Parameters": {"DbPassword": "p", "Note": "uses hunter2 inside", "List": ["hunter2", "ok"]}, "Name": "n"});
    redact(&mut value, &["hunter2".to_string(), String::new()]);
    assert_eq!(
        value,
        json!({"AccessKeySecret": REDACTED, "Signature": REDACTED, "Parameters": {"DbPassword": REDACTED, "Note": REDACTED, "List": [REDACTED, "ok"]}, "Name": "n"})
    );
}

/// 100,000 records verify in well under a few seconds (release build); run with `--ignored`.
#[tokio::test]
#[ignore = "size benchmark; run in release with --ignored --nocapture"]
async fn verify_100k_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    for chunk in 0..100 {
        let entries: Vec<NewAudit> = (1..=1_000).map(|n| entry(chunk * 1_000 + n, "GetTemplate", "exec-1")).collect();
        store.append_audit(&entries).await.unwrap();
    }
    let started = std::time::Instant::now();
    let verification = store.verify_audit().await.unwrap();
    println!("verified {} records in {:?}", verification.records, started.elapsed());
    assert_eq!((verification.records, verification.broken), (100_000, None));
}
