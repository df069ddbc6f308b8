//! `/healthz` and `/readyz` of a real `oos server`, over HTTP without credentials: ready on a fresh
//! server on either store; unready while the database holds a migration the binary does not know; on PostgreSQL, unready (503, naming the failed check) while the database
//! refuses connections (`ALLOW_CONNECTIONS false`, and the server's connections cut) and ready again
//! once it takes them; `/healthz` answers 200 throughout; neither shows in the audit trail.

mod cli_support;
mod cluster;

use std::time::Duration;

use cluster::Cluster;
use oos_testkit::OosProcess;
use serde_json::Value;
use sqlx::Connection;

/// How long a change of readiness may take to show (probe reuse, the probe's timeout, the pool's reconnects).
const BOUND: Duration = Duration::from_secs(60);

async fn get(server: &OosProcess, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("http://{}{path}", server.addr())).await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Waits (at most [`BOUND`]) until `/readyz` answers `status`; checks `/healthz` on the way.
async fn readiness(server: &OosProcess, status: u16) -> Value {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        assert_eq!(get(server, "/healthz").await, (200, serde_json::json!({"status": "alive"})), "the process lives");
        let (now, body) = get(server, "/readyz").await;
        if now == status {
            return body;
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz still answers {now} {body}, not {status}\n{}", server.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn audit_records(home: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["audit", "verify"];
    all.extend_from_slice(args);
    let output = cli_support::oos(home, &all);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success() && text.contains("audit trail intact"), "{text}{}", String::from_utf8_lossy(&output.stderr));
    text
}

#[tokio::test]
async fn an_embedded_server_is_ready_and_its_probes_are_not_audited() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &["server", "--data-dir", data.to_str().unwrap(), "--listen", "127.0.0.1:0"]).expect("oos server starts");
    let ready = readiness(&server, 200).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    for check in ["database", "migrations", "worker"] {
        assert_eq!(ready["checks"][check]["status"], "ok", "{ready}");
    }
    let before = audit_records(dir.path(), &["--data-dir", data.to_str().unwrap()]);
    for _ in 0..5 {
        readiness(&server, 200).await;
    }
    assert_eq!(audit_records(dir.path(), &["--data-dir", data.to_str().unwrap()]), before, "probes write no audit record");

    // A migration this binary does not carry (as a newer binary would leave): unready until it is gone.
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite:{}", data.join("oos.db").display())).await.expect("the store opens beside the server");
    let foreign = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99999, 'newer', TRUE, X'00', 0)";
    sqlx::query(foreign).execute(&mut db).await.expect("a foreign migration row");
    let unready = readiness(&server, 503).await;
    assert_eq!(unready["failed"], serde_json::json!(["migrations"]), "{unready}");
    assert!(unready["checks"]["migrations"]["detail"].as_str().is_some_and(|detail| detail.contains("99999")), "{unready}");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 99999").execute(&mut db).await.expect("the row removed");
    db.close().await.expect("closed");
    readiness(&server, 200).await;
    server.stop().expect("the server stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_database_away_and_back() {
    let cluster = Cluster::with_cloud("http://127.0.0.1:9".into()).await;
    let server = cluster.server("api", &[]);
    let ready = readiness(&server, 200).await;
    assert_eq!(ready["failed"], serde_json::json!([]), "{ready}");

    let mut admin = sqlx::PgConnection::connect(&cluster.database.admin_url()).await.expect("an admin connection");
    let allow = |on: bool| format!("ALTER DATABASE {} ALLOW_CONNECTIONS {on}", cluster.database.name());
    sqlx::query(sqlx::AssertSqlSafe(allow(false))).execute(&mut admin).await.expect("refusing connections");
    assert!(cluster::terminate_connections(&cluster).await > 0, "the server had connections to cut");
    let unready = readiness(&server, 503).await;
    assert_eq!(unready["status"], "unready", "{unready}");
    assert!(unready["failed"].as_array().is_some_and(|failed| failed.contains(&Value::from("database"))), "{unready}");
    assert_eq!(unready["checks"]["database"]["status"], "failed", "{unready}");

    sqlx::query(sqlx::AssertSqlSafe(allow(true))).execute(&mut admin).await.expect("taking connections again");
    let back = readiness(&server, 200).await;
    assert_eq!(back["status"], "ready", "{back}");
    let home = tempfile::tempdir().unwrap();
    audit_records(home.path(), &["--database", &cluster.database.url()]);
    server.stop().expect("the server stops");
}
