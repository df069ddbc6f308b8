//! `oos admin migrate-store`: the data directory of a real `oos server` (a template, a finished
//! execution, the audit trail of every request) moved into a scratch PostgreSQL database — refused
//! while the server runs, the report naming every table, the URL's password never shown, the copy
//! equal to its source through the store library and through a server on the database (the old root
//! key signs in, `oos audit verify` through it finds the chain intact), `oos audit verify --database`
//! finds it intact with no server, a second run refused.

mod cli_support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use cli_support::oos;
use oos_store::postgres::{PgSettings, ScratchDatabase};
use oos_store::sqlite::Durability;
use oos_store::{AuditStore, Close, ExecutionStore, PgStore, SqliteStore, TemplateQuery, TemplateStore};
use oos_testkit::OosProcess;
use serde_json::Value;

const TABLES: [&str; 13] = [
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
    "audit_log",
];

const TEMPLATE: &str = r#"FormatVersion: OOS-2019-06-01
Description: naps a little
Parameters:
  Rounds:
    Type: List
    Default: [1, 2, 3]
Tasks:
  - Name: nap
    Action: ACS::Sleep
    Properties:
      Duration: PT0.1S
    Loop:
      Items: '{{ Rounds }}'
"#;

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn json(home: &Path, args: &[&str]) -> Value {
    let output = oos(home, &[args, &["--output", "json"]].concat());
    assert!(output.status.success(), "oos {args:?}: {}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("oos {args:?} printed no JSON ({error}): {}", text(&output)))
}

/// Runs a server on `data`, creates a template and runs an execution of it to Success; its id.
fn serve_and_run(home: &Path, data: &Path) -> (OosProcess, String) {
    let data_arg = data.to_str().unwrap();
    let server = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &["server", "--listen", "127.0.0.1:0", "--data-dir", data_arg]).expect("oos server starts");
    let credentials = data.join("root-credentials.json");
    let login = oos(home, &["login", "--endpoint", &format!("http://{}", server.endpoint()), "--credentials-file", credentials.to_str().unwrap()]);
    assert!(login.status.success(), "{}", text(&login));
    let file = home.join("nap.yaml");
    std::fs::write(&file, TEMPLATE).unwrap();
    json(home, &["template", "create", "nap", "--file", file.to_str().unwrap()]);
    let started = json(home, &["execution", "start", "nap"]);
    let id = started["ExecutionId"].as_str().unwrap().to_owned();
    for _ in 0..600 {
        let listed = json(home, &["execution", "list"]);
        let status = listed.as_array().and_then(|all| all.iter().find(|e| e["ExecutionId"] == id.as_str())).map(|e| e["Status"].clone());
        match status.as_ref().and_then(Value::as_str) {
            Some("Success") => return (server, id),
            Some("Failed" | "Cancelled") => panic!("{listed}\n{}", server.output()),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    panic!("the execution did not finish:\n{}", server.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_servers_data_directory_moves_to_postgres_and_verifies() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let data = home.join("data");
    let data_arg = data.to_str().unwrap();
    let database = ScratchDatabase::create().await.unwrap();
    // Trust authentication ignores the password; it is there to be hidden.
    let url = database.url().replacen("postgres@", "postgres:pa55-w0rd@", 1);
    assert!(url.contains("pa55-w0rd"), "{url}");
    let migrate = |data_arg: &str| oos(home, &["admin", "migrate-store", "--data-dir", data_arg, "--to", &url]);

    let (mut server, execution_id) = serve_and_run(home, &data);
    let busy = migrate(data_arg);
    assert!(!busy.status.success() && text(&busy).contains("error: MigrateStore.DataDirBusy"), "{}", text(&busy));
    server.terminate().unwrap();
    assert!(server.wait_exit(Duration::from_secs(30)).unwrap().success(), "{}", server.output());

    let moved = migrate(data_arg);
    let (stdout, all) = (String::from_utf8_lossy(&moved.stdout).into_owned(), text(&moved));
    assert!(moved.status.success(), "{all}");
    for table in TABLES {
        assert!(stdout.contains(table), "the report names {table}: {stdout}");
    }
    assert!(!all.contains("pa55-w0rd") && stdout.contains("postgres:******@"), "the password is never shown: {all}");
    assert!(stdout.contains("audit trail intact") && stdout.contains("master.key"), "{stdout}");
    assert!(String::from_utf8_lossy(&moved.stderr).contains("copied audit_log: "), "{all}");

    let source = SqliteStore::open(&data, Durability::Normal).await.unwrap();
    let target = PgStore::open(&database.url(), &PgSettings::default()).await.unwrap();
    let (expected, found) = (source.verify_audit().await.unwrap(), target.verify_audit().await.unwrap());
    assert!(found.broken.is_none() && found.records > 5, "{found:?}");
    assert_eq!(found, expected, "the target's chain ends where the source's does");
    assert!(stdout.contains(&format!("head seq {} hash {}", found.head_seq, found.head_hash)), "{stdout}");
    // `oos audit verify --database` reads the moved chain straight from PostgreSQL, no server needed;
    // a database that is not there is named (password masked), not created.
    let offline = oos(home, &["audit", "verify", "--database", &url]);
    let intact = format!("audit trail intact: {} records, head seq {} hash {}", found.records, found.head_seq, found.head_hash);
    assert!(offline.status.success() && String::from_utf8_lossy(&offline.stdout).contains(&intact), "{}", text(&offline));
    let absent_url = format!("{url}_absent");
    let absent = oos(home, &["audit", "verify", "--database", &absent_url]);
    assert!(!absent.status.success() && text(&absent).contains("no database at") && !text(&absent).contains("pa55-w0rd"), "{}", text(&absent));
    assert!(!PgStore::exists(&absent_url).await.unwrap(), "reading never creates a database");
    let execution = target.execution(&execution_id).await.unwrap().expect("the execution moved");
    assert_eq!(execution.status, "Success");
    let templates = target.list_templates(&TemplateQuery { limit: 10, ..TemplateQuery::default() }).await.unwrap();
    assert_eq!(templates.iter().map(|t| (t.name.as_str(), t.execution_count)).collect::<Vec<_>>(), [("nap", 1)]);
    oos_store::transfer::verify(&source, &target, &mut |_| {}).await.unwrap();
    source.close().await;
    target.close().await;

    // A server on the database, with the data directory's master key: the root key of the old
    // server signs in, and `oos audit verify` (VerifyAuditTrail, read from PostgreSQL) finds the
    // moved chain intact and longer by this server's own requests.
    let server = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &["server", "--listen", "127.0.0.1:0", "--database", &url, "--data-dir", data_arg])
        .expect("oos server starts on the database");
    let credentials = data.join("root-credentials.json");
    let login = oos(home, &["login", "--endpoint", &format!("http://{}", server.endpoint()), "--credentials-file", credentials.to_str().unwrap()]);
    assert!(login.status.success(), "{}\n{}", text(&login), server.output());
    let listed = json(home, &["execution", "list"]);
    assert!(listed.as_array().is_some_and(|all| all.iter().any(|e| e["ExecutionId"] == execution_id.as_str() && e["Status"] == "Success")), "{listed}");
    let verified = oos(home, &["audit", "verify"]);
    let verified_text = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert!(verified.status.success() && verified_text.contains("audit trail intact"), "{}", text(&verified));
    let records: i64 = verified_text.split_whitespace().nth(3).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{verified_text}"));
    assert!(records > found.records, "{verified_text}");
    server.stop().unwrap();

    let again = migrate(data_arg);
    assert!(!again.status.success() && text(&again).contains("error: MigrateStore.TargetNotEmpty"), "{}", text(&again));
    let missing = migrate(home.join("nowhere").to_str().unwrap());
    assert!(!missing.status.success() && text(&missing).contains("error: MigrateStore.DataDirMissing"), "{}", text(&missing));
    assert!(!home.join("nowhere").exists(), "no store is created where there was none");
}
