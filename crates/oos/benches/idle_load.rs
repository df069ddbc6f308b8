//! The database load of an idle cluster: a real `oos server --database postgres://…` (a scratch
//! database on 127.0.0.1:5432 or `OOS_TEST_POSTGRES`) holding 100 executions that wait — 100 at an
//! `ACS::Approve` (status Waiting) and then 100 in an `ACS::Sleep` of an hour — with no request
//! coming in. Load is counted by PostgreSQL itself: the transactions the scratch database committed
//! and rolled back (`pg_stat_database`; each statement outside a transaction is one), per second,
//! over two windows after the last start: 15–28 s (PostgreSQL reports an idle connection's counts
//! up to 10 s late, so earlier the starts' own transactions would still arrive), and 40–100 s
//! (after `park_after`, 30 s). For comparison, the same windows with no execution at all.
//!
//! `cargo bench -p oos --bench idle_load` (release; about 6 minutes); prints markdown rows.

#[path = "../tests/cluster/mod.rs"]
mod cluster;

use std::time::{Duration, Instant};

use cluster::{Cluster, call};
use oos_acs::Credentials;
use sqlx::{Connection, PgConnection};

const EXECUTIONS: usize = 100;
/// Seconds after the last start: once the starts' counts have arrived, before park_after (30 s).
const EARLY: (u64, u64) = (15, 28);
/// Seconds after the last start: after park_after.
const LATE: (u64, u64) = (40, 100);

const APPROVE: &str = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"ask","Action":"ACS::Approve","Properties":{"Approvers":["ops"]}}]}"#;
const SLEEP: &str = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"nap","Action":"ACS::Sleep","Properties":{"Duration":"PT1H"}}]}"#;

/// Transactions the database has committed and rolled back so far.
async fn transactions(admin: &mut PgConnection, database: &str) -> i64 {
    // A fresh statistics snapshot each time (PostgreSQL otherwise caches it for the transaction).
    sqlx::query("SELECT pg_stat_clear_snapshot()").execute(&mut *admin).await.expect("snapshot cleared");
    sqlx::query_scalar("SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = $1")
        .bind(database)
        .fetch_one(admin)
        .await
        .expect("database statistics")
}

/// Transactions per second over the window `(from, to)` seconds after `since`.
async fn rate(admin: &mut PgConnection, database: &str, since: Instant, (from, to): (u64, u64)) -> f64 {
    tokio::time::sleep_until((since + Duration::from_secs(from)).into()).await;
    let first = transactions(admin, database).await;
    tokio::time::sleep_until((since + Duration::from_secs(to)).into()).await;
    let last = transactions(admin, database).await;
    (last - first) as f64 / (to - from) as f64
}

async fn measure(label: &str, template: Option<&str>) {
    let cluster = Cluster::with_cloud("http://127.0.0.1:9".into()).await;
    let server = cluster.server("a", &[]);
    let root: Credentials = cluster.root("a");
    for _ in 0..template.map_or(0, |_| EXECUTIONS) {
        call(&server, &root, "StartExecution", &[("TemplateContent", template.unwrap_or_default())]).await;
    }
    let since = Instant::now();
    let mut admin = PgConnection::connect(&cluster.database.admin_url()).await.expect("the postgres database");
    let name = cluster.database.name().to_string();
    let early = rate(&mut admin, &name, since, EARLY).await;
    let late = rate(&mut admin, &name, since, LATE).await;
    let listed = call(&server, &root, "ListExecutions", &[("MaxResults", "100")]).await;
    let statuses: Vec<&str> = listed["Executions"].as_array().map(|all| all.iter().filter_map(|e| e["Status"].as_str()).collect()).unwrap_or_default();
    println!(
        "| {label} | {} | {early:.2} | {late:.2} |",
        if statuses.is_empty() { "—".to_string() } else { format!("{} × {}", statuses.len(), statuses[0]) }
    );
    admin.close().await.expect("closed");
    server.stop().expect("the server stops");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "| executions waiting | status | transactions/s, {}–{} s after the starts | transactions/s, {}–{} s after |\n| --- | --- | --- | --- |",
        EARLY.0, EARLY.1, LATE.0, LATE.1
    );
    measure("none", None).await;
    measure("100 at ACS::Approve", Some(APPROVE)).await;
    measure("100 in ACS::Sleep PT1H", Some(SLEEP)).await;
}
