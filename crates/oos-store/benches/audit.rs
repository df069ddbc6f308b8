//! The audit trail with many writers: concurrent tasks of one process (each as a server's request
//! handler would) append one API-call record per transaction to the one hash chain, for 5 s, on the
//! embedded SQLite store and on PostgreSQL (a scratch database on 127.0.0.1:5432 or
//! `OOS_TEST_POSTGRES`, a pool of 16 connections), in one run; a run ends when every record is in
//! the chain (on PostgreSQL, sealed after the writers' commits). Beside it, the same writers doing a
//! plain one-row write of the same size and no chain (`put_execution_meta`): the difference is what
//! the chain's serialisation costs. The chain is verified after each run.
//!
//! `cargo bench -p oos-store --bench audit [-- sqlite|postgres]` (release); prints markdown rows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oos_store::audit::{AuditKind, AuditQuery, NewAudit};
use oos_store::postgres::{PgSettings, ScratchDatabase};
use oos_store::sqlite::Durability;
use oos_store::{AuditStore, Close, ExecutionApiStore, ExecutionMeta, PgStore, SqliteStore};
use serde_json::json;

const WINDOW: Duration = Duration::from_secs(5);

trait Bench: AuditStore + ExecutionApiStore + Close {}
impl<T: AuditStore + ExecutionApiStore + Close> Bench for T {}

fn record(writer: usize, at: u64) -> NewAudit {
    let body = json!({
        "Principal": "acs:ram::1234567890:root", "User": "root", "Action": "StartExecution",
        "ExecutionId": format!("exec-{writer:04}{at:012}"), "SourceIp": "127.0.0.1", "ResultCode": "Success",
        "RequestId": format!("{writer:08}-{at:016}"),
    });
    NewAudit { time_ms: 1_760_000_000_000 + at as i64, kind: AuditKind::ApiCall, body: body.as_object().cloned().unwrap_or_default() }
}

/// Writes per second by `writers` concurrent tasks over the window; `chained`: audit appends.
async fn run(store: Arc<dyn Bench>, writers: usize, chained: bool) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let begin = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let (store, done) = (Arc::clone(&store), Arc::clone(&done));
            tokio::spawn(async move {
                let mut at = 0u64;
                while begin.elapsed() < WINDOW {
                    if chained {
                        store.append_audit(&[record(writer, at)]).await.expect("appended");
                    } else {
                        let meta = ExecutionMeta { execution_id: format!("exec-{writer:04}{at:012}"), executed_by: "root".into(), tags: r#"{"Action":"StartExecution"}"#.into(), ..ExecutionMeta::default() };
                        store.put_execution_meta(&meta).await.expect("written");
                    }
                    at += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("writer");
    }
    if chained {
        // Until every record is in the chain (on PostgreSQL readers seal what is still in the intake).
        store.audit_records(&AuditQuery { limit: 1, ..AuditQuery::default() }).await.expect("sealed");
    }
    done.load(Ordering::Relaxed) as f64 / begin.elapsed().as_secs_f64()
}

async fn backend(name: &str) {
    for writers in [1, 4, 16] {
        let mut figures = Vec::new();
        for chained in [true, false] {
            let (store, _keep): (Arc<dyn Bench>, Box<dyn std::any::Any>) = if name == "postgres" {
                let database = ScratchDatabase::create().await.expect("a scratch database");
                (Arc::new(PgStore::open(&database.url(), &PgSettings::default()).await.expect("opened")), Box::new(database))
            } else {
                let dir = tempfile::tempdir().expect("a temp dir");
                (Arc::new(SqliteStore::open(dir.path(), Durability::Normal).await.expect("opened")), Box::new(dir))
            };
            figures.push(run(Arc::clone(&store), writers, chained).await);
            if chained {
                let verified = store.verify_audit().await.expect("verified");
                assert!(verified.broken.is_none(), "the chain is intact after {writers} writers: {verified:?}");
            }
            store.close().await;
        }
        println!("| {name} | {writers} | {:.0} | {:.0} | {:.0} % |", figures[0], figures[1], 100.0 * figures[0] / figures[1]);
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let only = std::env::args().skip(1).find(|arg| arg == "sqlite" || arg == "postgres");
    println!("| store | writers | audit appends/s (one record per transaction) | plain one-row writes/s | appends / plain |\n| --- | --- | --- | --- | --- |");
    for name in ["sqlite", "postgres"] {
        if only.as_deref().is_none_or(|only| only == name) {
            backend(name).await;
        }
    }
}
