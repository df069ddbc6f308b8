//! `oos audit query|verify`: through a server (profile from `oos login`) and on the data directory's
//! database itself, where records edited, deleted and swapped with raw SQL are each named by seq and
//! reason; a data directory without a store is refused.

mod cli_support;

use std::path::Path;
use std::process::Output;
use std::str::FromStr;

use cli_support::oos;
use oos_testkit::OosProcess;
use serde_json::Value;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// JSON lines of `oos audit query … --output json`.
fn query(home: &Path, args: &[&str]) -> Vec<Value> {
    let output = oos(home, &[&["audit", "query", "--output", "json"], args].concat());
    assert!(output.status.success(), "{}{}", stdout(&output), String::from_utf8_lossy(&output.stderr));
    stdout(&output).lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))).collect()
}

/// `oos audit verify` on the data directory: (exit success, stdout).
fn verify_local(home: &Path, data: &str) -> (bool, String) {
    let output = oos(home, &["audit", "verify", "--local", "--data-dir", data]);
    (output.status.success(), stdout(&output))
}

async fn sql(data: &Path, statements: &str) {
    let options = SqliteConnectOptions::from_str("sqlite:").unwrap().filename(data.join("oos.db"));
    let mut connection = SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_string())).execute(&mut connection).await.unwrap();
    connection.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_and_verify_through_the_server_and_on_the_tampered_database() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let data = home.join("data");
    let data_arg = data.to_str().unwrap();
    let server = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &["server", "--listen", "127.0.0.1:0", "--data-dir", data_arg]).expect("oos server starts");
    let endpoint = format!("http://{}", server.endpoint());
    let credentials = data.join("root-credentials.json");
    let login = oos(home, &["login", "--endpoint", &endpoint, "--credentials-file", credentials.to_str().unwrap()]);
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    for _ in 0..3 {
        assert!(oos(home, &["execution", "list"]).status.success());
    }

    let listed = query(home, &["--action", "ListExecutions", "--user", "root"]);
    assert!(listed.len() >= 3, "{listed:?}");
    assert!(listed.iter().all(|e| e["Kind"] == "ApiCall" && e["Event"]["ResultCode"] == "Success"), "{listed:?}");
    let verified = oos(home, &["audit", "verify"]);
    assert!(verified.status.success() && stdout(&verified).contains("intact"), "{}", stdout(&verified));
    server.stop().unwrap();

    let records = query(home, &["--local", "--data-dir", data_arg, "--limit", "1000"]);
    assert!(records.len() >= 6, "every request is recorded, ListAuditEvents and verify too: {records:?}");
    let (ok, text) = verify_local(home, data_arg);
    assert!(ok && text.contains(&format!("{} records", records.len())), "{text}");

    sql(&data, "UPDATE audit_log SET body = replace(body, 'Success', 'Failure') WHERE seq = 2").await;
    let (ok, text) = verify_local(home, data_arg);
    assert!(!ok && text.contains("broken at seq 2: modified"), "{text}");
    sql(&data, "UPDATE audit_log SET body = replace(body, 'Failure', 'Success') WHERE seq = 2").await;
    assert!(verify_local(home, data_arg).0, "the restored record verifies again");

    sql(&data, "CREATE TABLE kept AS SELECT * FROM audit_log WHERE seq = 3; DELETE FROM audit_log WHERE seq = 3").await;
    let (ok, text) = verify_local(home, data_arg);
    assert!(!ok && text.contains("broken at seq 3: deleted"), "{text}");
    sql(&data, "INSERT INTO audit_log (seq, time_ms, kind, body, prev_hash, hash) SELECT seq, time_ms, kind, body, prev_hash, hash FROM kept").await;
    assert!(verify_local(home, data_arg).0, "the re-inserted record verifies again");

    sql(&data, "UPDATE audit_log SET seq = -1 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = -1").await;
    let (ok, text) = verify_local(home, data_arg);
    assert!(!ok && text.contains("broken at seq 4: reordered"), "{text}");

    // A data directory without a store is named, not created (an empty one would verify as intact).
    let nowhere = home.join("nowhere");
    let output = oos(home, &["audit", "verify", "--local", "--data-dir", nowhere.to_str().unwrap()]);
    assert!(!output.status.success() && String::from_utf8_lossy(&output.stderr).contains("no store in data directory"), "{}", stdout(&output));
    assert!(!nowhere.exists());
}

/// `oos server --retain-audit-days 0` exports all but the newest record to segment files and deletes
/// them; `oos audit verify --segments` checks the files and the rest as one chain and names an
/// edited record and a missing file by their codes; the plain verify says where the chain starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pruned_trail_verifies_across_its_exported_segments() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let data = home.join("data");
    let data_arg = data.to_str().unwrap();
    let segments = home.join("segments");
    let segments_arg = segments.to_str().unwrap();
    let args = ["server", "--listen", "127.0.0.1:0", "--data-dir", data_arg, "--retain-audit-days", "0", "--audit-segments-dir", segments_arg, "--retention-interval", "1"];
    let server = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &args).expect("oos server starts");
    let credentials = data.join("root-credentials.json");
    let login = oos(home, &["login", "--endpoint", &format!("http://{}", server.endpoint()), "--credentials-file", credentials.to_str().unwrap()]);
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    for _ in 0..3 {
        assert!(oos(home, &["execution", "list"]).status.success());
    }
    // The next pass (every second) exports what these requests recorded.
    let exported = || std::fs::read_dir(&segments).map(|files| files.count()).unwrap_or(0) > 0;
    for _ in 0..600 {
        if exported() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server.stop().unwrap();
    assert!(exported(), "a segment file was written");

    let across = |expect_ok: bool, needle: &str| {
        let output = oos(home, &["audit", "verify", "--local", "--data-dir", data_arg, "--segments", segments_arg]);
        let text = stdout(&output);
        assert!(output.status.success() == expect_ok && text.contains(needle), "{text}");
    };
    across(true, "exported records in");
    let (ok, text) = verify_local(home, data_arg);
    assert!(ok && text.contains("it starts at seq"), "{text}");

    let first = segments.join("audit-0000000000000001.jsonl");
    let original = std::fs::read_to_string(&first).unwrap();
    std::fs::write(&first, original.replacen("Success", "Failure", 1)).unwrap();
    across(false, "AuditSegment.Modified");
    std::fs::remove_file(&first).unwrap();
    across(false, "AuditSegment.Missing");
}
