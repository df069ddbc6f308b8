//! Durability on each backend: a 1,000-item loop is SIGKILLed at random moments and restarted until
//! it finishes; its outputs must equal those of an uninterrupted run, with no item lost or duplicated.
//!
//! The worker process is this test binary itself, re-run with `--ignored --exact kill_loop_worker`
//! and the bed in an environment variable. On SQLite a new process takes the data directory over at
//! once, and each lives 20–250 ms. On PostgreSQL a new process waits until the dead one's leases
//! ([`bench_api::MORTAL_LEASE`]) expire, so lifetimes are drawn from the time an undisturbed run
//! took (T): the first process lives T/4–3T/4, every later one the lease plus 0–T/2, so that most
//! die while they work.

mod bench_api;

use std::ops::Range;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_api::{Bed, Bench, MORTAL_LEASE, fan_out_outputs, fan_out_template, iterations, on_both, outputs, request, worker};
use oos_runtime::RuntimeConfig;
use oos_store::ExecutionFilter;
use serde_json::{Value, json};

const ITEMS: u64 = 1000;

/// The worker process: starts the fan-out on first run, otherwise continues it, until it settles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "worker process of kill_loop_loses_nothing"]
async fn kill_loop_worker() {
    let bed = Bed::inherited();
    // Killed every few hundred ms, a run can end before its re-driven calls answer, so the loop may
    // make no progress over several kills in a row: the crash-loop guard would rightly quarantine it
    // (tests/crash_guard.rs covers that). This test is about durability across any number of kills.
    let config = bed.mortal(RuntimeConfig { max_crashes: i64::MAX, ..RuntimeConfig::default() });
    let _lock = bed.take_over().await;
    let (mut worker, store) = worker(&bed, Arc::new(Bench::default()), config).await;
    let existing = store.executions(&ExecutionFilter::default()).await.unwrap();
    let id = match existing.first() {
        Some(record) => record.id.clone(),
        None => worker.start(request(&fan_out_template(40), json!({"count": ITEMS}))).await.unwrap(),
    };
    worker.settle(&id).await.unwrap();
}

fn spawn_worker(bed: &Bed) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--ignored", "--exact", "kill_loop_worker", "--quiet"]).stdout(std::process::Stdio::null());
    bed.pass_to(&mut command);
    command.spawn().expect("worker process starts")
}

/// Status, outputs and `item=Status` of the iterations of the bed's one execution.
async fn outcome(bed: &Bed) -> (String, Value, Vec<String>) {
    let store = bed.store().await;
    let record = store.executions(&ExecutionFilter::default()).await.unwrap().remove(0);
    (record.status.clone(), outputs(store.as_ref(), &record.id).await, iterations(store.as_ref(), &record.id).await)
}

on_both!(kill_loop_loses_nothing);

async fn kill_loop_loses_nothing(bed: Bed) {
    let calm = bed.another().await;
    let undisturbed = Instant::now();
    assert!(spawn_worker(&calm).wait().unwrap().success());
    let run_ms = u64::try_from(undisturbed.elapsed().as_millis()).unwrap();
    let expected = outcome(&calm).await;
    assert_eq!(expected.0, "Success");
    assert_eq!(expected.1, fan_out_outputs(ITEMS));

    let started = Instant::now();
    let mut kills = 0;
    loop {
        let lease_ms = u64::try_from(MORTAL_LEASE.as_millis()).unwrap();
        let lifetimes: Range<u64> = match (bed.is_postgres(), kills) {
            (false, _) => 20..250,
            (true, 0) => run_ms / 4..run_ms * 3 / 4,
            (true, _) => lease_ms..lease_ms + run_ms / 2,
        };
        let mut child = spawn_worker(&bed);
        std::thread::sleep(Duration::from_millis(rand::random_range(lifetimes)));
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "worker failed after {kills} kills");
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        assert!(started.elapsed() < Duration::from_secs(240), "no progress after {kills} kills");
    }
    eprintln!("finished after {kills} kills in {:?} (undisturbed: {run_ms} ms)", started.elapsed());
    assert!(kills > 0, "the run finished before the first kill; the test proved nothing");
    let interrupted = outcome(&bed).await;
    assert_eq!(interrupted.0, "Success");
    assert_eq!(interrupted.1, expected.1, "outputs differ after {kills} kills");
    assert_eq!(interrupted.2.len(), ITEMS as usize, "one iteration row per item");
    assert_eq!(interrupted.2, expected.2);
}
