//! `oos admin backup|restore` with real processes: an `oos server` on a data directory runs a loop of
//! cloud calls (CreateSnapshot per item, against an emulator in this process); a backup is taken
//! while the loop runs, the server is SIGKILLed, the backup is restored into a new data directory
//! and a server started on it. It serves the same templates, IAM users and execution, the loop
//! ends Success with every item's snapshot made once (the emulator's journal: one ClientToken per
//! item, no item twice), and `oos audit verify` passes. A damaged backup or a used directory is refused.
//! On PostgreSQL, `oos admin backup --database` writes a `pg_dump` archive that `pg_restore` reads.

mod cli_support;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use cli_support::oos;
use oos_acs::Credentials;
use oos_emulator::Emulator;
use oos_testkit::OosProcess;
use oos_testkit::wire::Call;
use serde_json::{Value, json};

const ITEMS: usize = 300;
const OOS: &str = "2019-06-01";
const RAM: &str = "2015-05-01";
const BOUND: Duration = Duration::from_secs(300);

const LOOP: &str = r"
FormatVersion: OOS-2019-06-01
Parameters:
  diskId: {Type: String}
  items: {Type: List}
Tasks:
- Name: snapshot
  Action: ACS::ExecuteAPI
  Loop:
    Items: '{{ items }}'
    RateControl: {Mode: Concurrency, Concurrency: 2, MaxErrors: 0}
    Outputs:
      ids: {AggregateType: Fn::ListJoin, AggregateField: id}
  Properties:
    Service: ECS
    API: CreateSnapshot
    Parameters: {DiskId: '{{ diskId }}', SnapshotName: 'item-{{ ACS::TaskLoopItem }}'}
  Outputs: {id: {Type: String, ValueSelector: SnapshotId}}
Outputs:
  ids: {Type: List, Value: '{{ snapshot.ids }}'}
";

const OTHER: &str = r"
FormatVersion: OOS-2019-06-01
Description: kept by the backup
Tasks:
- Name: pause
  Action: ACS::Sleep
  Properties: {Duration: PT1S}
";

fn server(dir: &Path, cloud: &str) -> OosProcess {
    let dir = dir.display().to_string();
    let env = [
        ("OOS_CLOUD_ENDPOINT", cloud),
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", oos_emulator::DEFAULT_ACCESS_KEY_ID),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", oos_emulator::DEFAULT_ACCESS_KEY_SECRET),
        ("RUST_LOG", "warn"),
    ];
    OosProcess::spawn_env(env!("CARGO_BIN_EXE_oos"), &["server", "--data-dir", &dir, "--listen", "127.0.0.1:0"], &env).expect("oos server starts")
}

fn root(dir: &Path) -> Credentials {
    let document: Value = serde_json::from_slice(&std::fs::read(dir.join("root-credentials.json")).expect("root credentials")).expect("JSON");
    Credentials::new(document["AccessKeyId"].as_str().unwrap().to_string(), document["AccessKeySecret"].as_str().unwrap().to_string())
}

async fn call(server: &OosProcess, root: &Credentials, version: &str, action: &str, params: &[(&str, &str)]) -> Value {
    let (status, body) = Call::new(root, version, action, params).send(server.addr()).await;
    assert_eq!(status, 200, "{action} {params:?}: {body}\n{}", server.output());
    body
}

async fn execution(server: &OosProcess, root: &Credentials, id: &str) -> Value {
    call(server, root, OOS, "ListExecutions", &[("ExecutionId", id)]).await["Executions"][0].clone()
}

fn creations(emulator: &Emulator) -> usize {
    emulator.mutations().iter().filter(|mutation| mutation.action == "CreateSnapshot").count()
}

fn text(output: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_a_loop_restores_to_a_server_that_finishes_it() {
    let emulator = Emulator::builder().journal(true).build().expect("the emulator builds");
    let disk = emulator.with_cloud(|cloud| cloud.disks.keys().next().cloned()).expect("a seeded disk");
    let cloud = emulator.spawn("127.0.0.1:0".parse().unwrap()).await.expect("the emulator listens");
    let work = tempfile::tempdir().unwrap();
    let (first_dir, restored_dir, file) = (work.path().join("first"), work.path().join("restored"), work.path().join("oos.backup"));

    let first = server(&first_dir, &cloud.url());
    let root = root(&first_dir);
    call(&first, &root, OOS, "CreateTemplate", &[("TemplateName", "snapshots"), ("Content", LOOP)]).await;
    call(&first, &root, OOS, "CreateTemplate", &[("TemplateName", "other"), ("Content", OTHER)]).await;
    call(&first, &root, RAM, "CreateUser", &[("UserName", "alice"), ("DisplayName", "Alice")]).await;
    call(&first, &root, RAM, "CreateAccessKey", &[("UserName", "alice")]).await;
    let items: Vec<usize> = (0..ITEMS).collect();
    let parameters = json!({"diskId": disk, "items": items}).to_string();
    let started = call(&first, &root, OOS, "StartExecution", &[("TemplateName", "snapshots"), ("Parameters", &parameters)]).await;
    let id = started["Execution"]["ExecutionId"].as_str().expect("an id").to_string();

    // The backup is taken while the loop runs: it was Running with items done before, and after.
    let deadline = tokio::time::Instant::now() + BOUND;
    while creations(&emulator) < 20 {
        assert!(tokio::time::Instant::now() < deadline, "the loop did not start:\n{}", first.output());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(execution(&first, &root, &id).await["Status"], "Running");
    let home = work.path();
    let backup = oos(home, &["admin", "backup", "--data-dir", first_dir.to_str().unwrap(), "--to", file.to_str().unwrap()]);
    assert!(backup.status.success(), "{}", text(&backup));
    let after = execution(&first, &root, &id).await;
    assert_eq!(after["Status"], "Running", "the loop ended before the backup was taken; make it longer: {after}");
    let done_at_backup = creations(&emulator);
    assert!(!text(&backup).contains(&root.access_key_secret), "a backup prints no secret");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    first.kill();

    // Refusals: a directory in use, a damaged file.
    let used = oos(home, &["admin", "restore", "--from", file.to_str().unwrap(), "--data-dir", first_dir.to_str().unwrap()]);
    assert!(!used.status.success() && text(&used).contains("Restore.TargetNotEmpty"), "{}", text(&used));
    let damaged = work.path().join("damaged.backup");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&damaged, bytes).unwrap();
    let refused = oos(home, &["admin", "restore", "--from", damaged.to_str().unwrap(), "--data-dir", work.path().join("never").to_str().unwrap()]);
    assert!(!refused.status.success() && text(&refused).contains("Restore.Corrupt"), "{}", text(&refused));
    assert!(!work.path().join("never").exists(), "a refused restore leaves nothing");

    let restore = oos(home, &["admin", "restore", "--from", file.to_str().unwrap(), "--data-dir", restored_dir.to_str().unwrap()]);
    assert!(restore.status.success(), "{}", text(&restore));
    let restored = server(&restored_dir, &cloud.url());
    let same_root = self::root(&restored_dir);
    assert_eq!(same_root.access_key_id, root.access_key_id, "the root AccessKey is the backup's");
    let template = call(&restored, &root, OOS, "GetTemplate", &[("TemplateName", "other")]).await;
    assert_eq!(template["Content"].as_str().map(str::trim), Some(OTHER.trim()));
    call(&restored, &root, OOS, "GetTemplate", &[("TemplateName", "snapshots")]).await;
    let users = call(&restored, &root, RAM, "ListUsers", &[]).await;
    assert!(users.to_string().contains("\"alice\""), "{users}");
    let keys = call(&restored, &root, RAM, "ListAccessKeys", &[("UserName", "alice")]).await;
    assert!(keys.to_string().contains("Active"), "alice's AccessKey is back: {keys}");

    let deadline = tokio::time::Instant::now() + BOUND;
    let finished = loop {
        let now = execution(&restored, &root, &id).await;
        if now["Status"] != "Running" {
            break now;
        }
        assert!(tokio::time::Instant::now() < deadline, "the restored loop did not end: {now}\n{}", restored.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(finished["Status"], "Success", "{finished}\n{}", restored.output());
    assert!(creations(&emulator) > done_at_backup, "the restored server made the rest of the calls");

    // Every item's snapshot was created once, under one ClientToken, and is the one in the outputs.
    let mut tokens: HashMap<String, Vec<Option<String>>> = HashMap::new();
    for mutation in emulator.mutations().into_iter().filter(|mutation| mutation.action == "CreateSnapshot") {
        tokens.entry(mutation.parameters).or_default().push(mutation.client_token);
    }
    assert_eq!(tokens.len(), ITEMS, "one CreateSnapshot per item");
    let repeated: Vec<_> = tokens.iter().filter(|(_, tokens)| tokens.len() != 1 || tokens[0].is_none()).take(5).collect();
    assert!(repeated.is_empty(), "items whose call acted twice or without a ClientToken: {repeated:?}");
    let by_name: HashMap<String, String> = emulator.with_cloud(|cloud| cloud.snapshots.values().map(|snapshot| (snapshot.snapshot_name.clone(), snapshot.snapshot_id.clone())).collect());
    let outputs: Value = serde_json::from_str(finished["Outputs"].as_str().expect("outputs")).unwrap();
    let expected: Vec<String> = (0..ITEMS).map(|item| by_name[&format!("item-{item}")].clone()).collect();
    assert_eq!(outputs["ids"], json!(expected), "the outputs name each item's one snapshot, in item order");

    let verify = oos(home, &["audit", "verify", "--data-dir", restored_dir.to_str().unwrap()]);
    assert!(verify.status.success() && text(&verify).contains("audit trail intact"), "{}", text(&verify));
    println!("{done_at_backup} of {ITEMS} items done at the backup");
    restored.stop().expect("the restored server stops");
}

#[tokio::test]
async fn a_postgres_backup_is_a_pg_dump_archive() {
    let database = oos_store::postgres::ScratchDatabase::create().await.expect("a scratch database");
    let store = oos_store::PgStore::open(&database.url(), &oos_store::postgres::PgSettings::default()).await.expect("the schema is made");
    oos_store::Close::close(&store).await;
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("oos.dump");
    let backup = oos(work.path(), &["admin", "backup", "--database", &database.url(), "--to", file.to_str().unwrap()]);
    assert!(backup.status.success() && text(&backup).contains("pg_dump custom format"), "{}", text(&backup));
    let listed = std::process::Command::new("pg_restore").arg("--list").arg(&file).output().expect("pg_restore runs");
    assert!(listed.status.success() && text(&listed).contains("_sqlx_migrations") && text(&listed).contains("audit_head"), "{}", text(&listed));
    let again = oos(work.path(), &["admin", "backup", "--database", &database.url(), "--to", file.to_str().unwrap()]);
    assert!(!again.status.success() && text(&again).contains("Backup.TargetExists"), "{}", text(&again));
}
