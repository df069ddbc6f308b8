//! Durability: a 1,000-item loop is SIGKILLed at random moments and restarted until it finishes;
//! its outputs must equal those of an uninterrupted run, with no item lost or duplicated.
//!
//! The worker process is this test binary itself, re-run with `--ignored --exact kill_loop_worker`
//! and the data directory in an environment variable.

mod bench_api;

use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_api::{Bench, fan_out_template, request, worker, worker_with};
use oos_runtime::RuntimeConfig;
use oos_store::{ExecutionFilter, ExecutionStore, TaskStore};
use serde_json::json;

const DATA_DIR_ENV: &str = "OOS_KILL_LOOP_DIR";
const ITEMS: u64 = 1000;

/// The worker process: starts the fan-out on first run, otherwise continues it, until it settles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "worker process of kill_loop_loses_nothing"]
async fn kill_loop_worker() {
    let dir = std::env::var(DATA_DIR_ENV).expect("data dir");
    // Killed every 20-250 ms, a run can end before its re-driven calls answer, so the loop may make
    // no progress over several kills in a row: the crash-loop guard would rightly quarantine it
    // (tests/crash_guard.rs covers that). This test is about durability across any number of kills.
    let config = RuntimeConfig { max_crashes: i64::MAX, ..RuntimeConfig::default() };
    let (mut worker, store) = worker_with(std::path::Path::new(&dir), Arc::new(Bench::default()), config).await;
    let _lock = store.try_worker_lock().expect("single worker");
    store.release_stale_leases(&_lock).await.unwrap();
    let existing = store.executions(&ExecutionFilter::default()).await.unwrap();
    let id = match existing.first() {
        Some(record) => record.id.clone(),
        None => {
            worker.start(request(&fan_out_template(40), json!({"count": ITEMS}))).await.unwrap()
        }
    };
    worker.settle(&id).await.unwrap();
}

fn spawn_worker(dir: &std::path::Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "kill_loop_worker", "--quiet"])
        .env(DATA_DIR_ENV, dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("worker process starts")
}

async fn outcome(dir: &std::path::Path) -> (String, serde_json::Value, Vec<String>) {
    let (_worker, store) = worker(dir, Arc::new(Bench::default())).await;
    let record = store.executions(&ExecutionFilter::default()).await.unwrap().remove(0);
    let outputs = serde_json::from_str(record.outputs.as_deref().unwrap_or("null")).unwrap();
    let mut items: Vec<String> = store
        .tasks(&record.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.parent_task_execution_id.is_some())
        .map(|t| format!("{}={}", t.loop_item.unwrap_or_default(), t.status))
        .collect();
    items.sort();
    (record.status, outputs, items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_loop_loses_nothing() {
    let calm = tempfile::tempdir().unwrap();
    assert!(spawn_worker(calm.path()).wait().unwrap().success());
    let expected = outcome(calm.path()).await;
    assert_eq!(expected.0, "Success");
    assert_eq!(expected.1["sum"], json!(ITEMS * (ITEMS - 1) / 2));

    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut kills = 0;
    loop {
        let mut child = spawn_worker(dir.path());
        let lifetime = Duration::from_millis(rand::random_range(20..250));
        std::thread::sleep(lifetime);
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "worker failed after {kills} kills");
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        assert!(started.elapsed() < Duration::from_secs(240), "no progress after {kills} kills");
    }
    eprintln!("finished after {kills} kills in {:?}", started.elapsed());
    assert!(kills > 0, "the run finished before the first kill; the test proved nothing");
    let interrupted = outcome(dir.path()).await;
    assert_eq!(interrupted.0, "Success");
    assert_eq!(interrupted.1, expected.1, "outputs differ after {kills} kills");
    assert_eq!(interrupted.2.len(), ITEMS as usize, "one iteration row per item");
    assert_eq!(interrupted.2, expected.2);
}
