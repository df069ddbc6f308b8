//! The crash-loop guard with a real process, on each backend: a test action aborts the worker
//! process whenever it is called. The worker is restarted after every death; the execution that
//! calls it is quarantined after three crashes without progress (Failed, `Execution.Quarantined`,
//! the action not called again), while an execution that was running beside it finishes Success,
//! and restarts stop.
//!
//! The worker process is this test binary itself, re-run with `--ignored --exact crash_guard_worker`
//! and the bed in an environment variable (on PostgreSQL each new process takes over when the dead
//! one's leases expire).

mod bench_api;

use std::process::Command;
use std::sync::Arc;

use bench_api::{Bed, Bench, on_both, request, worker};
use oos_actions::{ApiCall, CloudApi, CloudError};
use oos_runtime::RuntimeConfig;
use oos_store::ExecutionFilter;
use serde_json::{Value, json};

/// Bench, plus `Abort`: the process dies on the spot (as a crashing native library would).
struct Aborting(Bench);

#[async_trait::async_trait]
impl CloudApi for Aborting {
    async fn call(&self, call: &ApiCall) -> Result<Value, CloudError> {
        if call.api == "Abort" {
            std::process::abort();
        }
        self.0.call(call).await
    }
}

const POISON: &str = "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: crash, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Abort}}\n";
const BYSTANDER: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: slow
  Action: ACS::ExecuteAPI
  Loop:
    Items: [1, 2, 3, 4, 5, 6, 7, 8]
    RateControl: {Mode: Concurrency, Concurrency: 2, MaxErrors: 0}
  Properties: {Service: Bench, API: Echo, Parameters: {Value: '{{ ACS::TaskLoopItem }}', DelayMs: 30}}
";

/// The worker process: starts both executions on first run, then runs until both have finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "worker process of a_poison_execution_is_quarantined_and_its_neighbour_finishes"]
async fn crash_guard_worker() {
    let bed = Bed::inherited();
    let _lock = bed.take_over().await;
    let (mut worker, store) = worker(&bed, Arc::new(Aborting(Bench::default())), bed.mortal(RuntimeConfig::default())).await;
    let mut ids: Vec<String> = store.executions(&ExecutionFilter::default()).await.unwrap().into_iter().map(|record| record.id).collect();
    if ids.is_empty() {
        ids.push(worker.start(request(BYSTANDER, json!({}))).await.unwrap());
        ids.push(worker.start(request(POISON, json!({}))).await.unwrap());
    }
    for id in ids {
        worker.settle(&id).await.unwrap();
    }
}

on_both!(a_poison_execution_is_quarantined_and_its_neighbour_finishes);

async fn a_poison_execution_is_quarantined_and_its_neighbour_finishes(bed: Bed) {
    let mut deaths = 0;
    loop {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.args(["--ignored", "--exact", "crash_guard_worker", "--quiet"]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        bed.pass_to(&mut command);
        if command.status().expect("worker process runs").success() {
            break;
        }
        deaths += 1;
        assert!(deaths <= 6, "the worker still dies after {deaths} restarts: the crash loop was not broken");
    }
    assert_eq!(deaths, 3, "the poison execution crashes the process three times, then is quarantined");
    let store = bed.store().await;
    let executions = store.executions(&ExecutionFilter::default()).await.unwrap();
    let poison = executions.iter().find(|record| record.template_content == POISON).unwrap();
    assert_eq!(poison.status, "Failed");
    assert!(poison.status_message.starts_with("Execution.Quarantined"), "{}", poison.status_message);
    let bystander = executions.iter().find(|record| record.template_content.contains("slow")).unwrap();
    assert_eq!(bystander.status, "Success", "{}", bystander.status_message);
}
