//! One audit chain however many store handles (processes) append to it at once, and, on PostgreSQL,
//! records committed but not yet sealed when their process died are sealed by the next store.

use std::collections::BTreeSet;
use std::sync::Arc;

use oos_store::audit::{AuditKind, AuditQuery, NewAudit};
use oos_store::postgres::PgSettings;
use oos_store::sqlite::Durability;
use oos_store::{AuditStore, Close, PgStore, SqliteStore};
use serde_json::{Map, Value};
use sqlx::Connection;

const HANDLES: usize = 3;
const WRITERS: usize = 8;
const EACH: usize = 40;

fn entry(writer: usize, at: usize) -> NewAudit {
    let body: Map<String, Value> = [("Action".to_string(), Value::from("Append")), ("RequestId".to_string(), Value::from(format!("{writer}-{at}")))].into_iter().collect();
    NewAudit { time_ms: i64::try_from(at).unwrap(), kind: AuditKind::ApiCall, body }
}

/// `WRITERS` tasks over `HANDLES` handles append `EACH` records each (one or two per transaction);
/// afterwards the chain is intact and holds every record exactly once.
async fn one_chain(handles: Vec<Arc<dyn AuditStore>>) {
    let tasks: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = Arc::clone(&handles[writer % handles.len()]);
            tokio::spawn(async move {
                let mut at = 0;
                while at < EACH {
                    let batch: Vec<_> = (at..EACH.min(at + 1 + at % 2)).map(|at| entry(writer, at)).collect();
                    store.append_audit(&batch).await.unwrap();
                    at += batch.len();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let verified = handles[0].verify_audit().await.unwrap();
    assert!(verified.broken.is_none(), "{verified:?}");
    assert_eq!(verified.records, i64::try_from(WRITERS * EACH).unwrap());
    let records = handles[1].audit_records(&AuditQuery { limit: 10_000, ..AuditQuery::default() }).await.unwrap();
    let ids: BTreeSet<String> = records.iter().map(|record| serde_json::from_str::<Value>(&record.body).unwrap()["RequestId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), WRITERS * EACH, "every record once");
    assert!(records.windows(2).all(|pair| pair[1].seq == pair[0].seq + 1 && pair[1].prev_hash == pair[0].hash), "one chain, in seq order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_handles_append_to_one_chain_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut handles: Vec<Arc<dyn AuditStore>> = Vec::new();
    for _ in 0..HANDLES {
        handles.push(Arc::new(SqliteStore::open(dir.path(), Durability::Normal).await.unwrap()));
    }
    one_chain(handles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_handles_append_to_one_chain_on_postgres() {
    let (database, first) = crate::postgres().await;
    let mut stores = vec![first];
    for _ in 1..HANDLES {
        stores.push(PgStore::open(&database.url(), &PgSettings::default()).await.unwrap());
    }
    one_chain(stores.iter().map(|store| Arc::new(store.clone()) as Arc<dyn AuditStore>).collect()).await;
    for store in &stores {
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_a_dead_process_left_unsealed_are_sealed_by_the_next_store() {
    let (database, store) = crate::postgres().await;
    store.append_audit(&[entry(0, 0)]).await.unwrap();
    store.close().await;
    // A process committed two records and died before sealing them.
    let mut connection = sqlx::PgConnection::connect(&database.url()).await.unwrap();
    sqlx::query("INSERT INTO audit_intake (time_ms, kind, body) VALUES (1, 'ApiCall', '{\"RequestId\":\"0-1\"}'), (2, 'CloudCall', '{\"RequestId\":\"0-2\"}')")
        .execute(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
    let next = PgStore::open(&database.url(), &PgSettings::default()).await.unwrap();
    let verified = next.verify_audit().await.unwrap();
    assert!(verified.broken.is_none() && verified.records == 3, "{verified:?}");
    let records = next.audit_records(&AuditQuery { limit: 10, ..AuditQuery::default() }).await.unwrap();
    assert_eq!(records.iter().map(|record| (record.seq, record.kind.as_str())).collect::<Vec<_>>(), [(1, "ApiCall"), (2, "ApiCall"), (3, "CloudCall")]);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_intake").fetch_one(next.pool()).await.unwrap();
    assert_eq!(left, 0, "the intake is empty once sealed");
    next.close().await;
}
