//! Helpers of the many-worker tests: a [`Worker`] on a loop of its own (as a server runs it: a
//! failed turn is counted and the loop goes on), waiting for executions to end through the store,
//! and the ClientTokens under which each call reached the benches.
#![allow(dead_code, reason = "shared by several test crates, each using a part")]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use oos_runtime::{Waker, Worker};
use oos_store::Store;
use tokio::task::JoinHandle;

use crate::bench_api::Made;

/// A worker turning on a task of its own until [`Running::stop`].
pub struct Running {
    stop: Arc<AtomicBool>,
    failed: Arc<AtomicUsize>,
    waker: Waker,
    handle: JoinHandle<Worker>,
}

/// Runs `worker`'s turns on a new task. A failed turn (a lost connection, a fenced commit) is
/// counted, and the loop goes on after a short pause, as a server's worker loop does.
pub fn run(mut worker: Worker) -> Running {
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicUsize::new(0));
    let waker = worker.waker();
    let handle = tokio::spawn({
        let (stop, failed) = (stop.clone(), failed.clone());
        async move {
            while !stop.load(Ordering::SeqCst) {
                if let Err(error) = worker.turn().await {
                    failed.fetch_add(1, Ordering::SeqCst);
                    eprintln!("a turn failed: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            worker
        }
    });
    Running { stop, failed, waker, handle }
}

impl Running {
    /// How many turns have failed so far.
    pub fn failed_turns(&self) -> usize {
        self.failed.load(Ordering::SeqCst)
    }

    /// Ends the loop after its current turn and returns the worker.
    pub async fn stop(self) -> Worker {
        self.stop.store(true, Ordering::SeqCst);
        self.waker.wake();
        self.handle.await.expect("the worker loop does not panic")
    }
}

/// Waits until execution `id` has a final status in the store (at most `bound`); returns it.
pub async fn finished(store: &dyn Store, id: &str, bound: Duration) -> String {
    let started = Instant::now();
    loop {
        let record = store.execution(id).await.unwrap().expect("the execution exists");
        if matches!(record.status.as_str(), "Success" | "Failed" | "Cancelled") {
            return record.status;
        }
        assert!(started.elapsed() < bound, "execution {id} still {} after {bound:?}", record.status);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One logical call: its execution, API and parameters (each task, and each loop item, calls with
/// parameters of its own).
pub type CallKey = (String, String, String);

/// How often each logical call reached the cloud, and under which ClientTokens.
pub fn by_call<'a>(made: impl IntoIterator<Item = &'a Made>) -> BTreeMap<CallKey, (usize, BTreeSet<String>)> {
    let mut calls: BTreeMap<CallKey, (usize, BTreeSet<String>)> = BTreeMap::new();
    for call in made {
        let key = (call.execution_id.clone(), call.api.clone(), serde_json::Value::Object(call.parameters.clone()).to_string());
        let entry = calls.entry(key).or_default();
        entry.0 += 1;
        entry.1.insert(call.client_token.clone());
    }
    calls
}

/// The calls made under more than one ClientToken (none when every call was driven by one owner
/// at a time and re-driven, if at all, as the same attempt).
pub fn under_several_tokens(calls: &BTreeMap<CallKey, (usize, BTreeSet<String>)>) -> Vec<&CallKey> {
    calls.iter().filter(|(_, (_, tokens))| tokens.len() != 1).map(|(key, _)| key).collect()
}
