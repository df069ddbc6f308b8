//! A store that fails once, at the worst moment: between a claim and the load of the claimed
//! execution (`recover`), at a turn's commit, and while a turn checks for a child execution that a
//! dead worker created (after the turn's events were applied in memory). On each backend.
//!
//! What must hold afterwards: the worker carries on (its turn fails, it does not stop), and the
//! execution ends Success — it is never left leased to a worker that does not load it.

mod bench_api;
mod fleet;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bench_api::{Bed, Bench, on_both, request};
use oos_actions::Executors;
use oos_runtime::{Library, RuntimeConfig, Worker};
use oos_store::{
    FiringRecord, TriggerQuery, TriggerRecord, TriggerStore,
    Change, ChangeFeed, Claimed, CrashGuard, ExecutionFilter, ExecutionMeta, ExecutionRecord, ExecutionStore, InboxEvent, InboxStore, LeaseStore, LibraryStore, LogRecord, LogStore,
    NewInboxEvent, NumberedLog, Result, StepStore, StepWrite, Store, StoreError, TaskRecord, TaskStore,
};
use serde_json::json;

/// The store of `inner`, whose named methods fail once after `skip` calls let through.
struct Faulty {
    inner: Arc<dyn Store>,
    fail: Mutex<HashMap<&'static str, usize>>,
    /// Calls of a method let through before its failures.
    skip: Mutex<HashMap<&'static str, usize>>,
}

impl Faulty {
    fn check(&self, what: &'static str) -> Result<()> {
        let mut skip = self.skip.lock().unwrap();
        if let Some(n) = skip.get_mut(what) && *n > 0 {
            *n -= 1;
            return Ok(());
        }
        let mut fail = self.fail.lock().unwrap();
        if let Some(n) = fail.get_mut(what) && *n > 0 {
            *n -= 1;
            return Err(StoreError::DataDir { path: "faulty".into(), message: format!("injected failure of {what}") });
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ExecutionStore for Faulty {
    async fn execution(&self, id: &str) -> Result<Option<ExecutionRecord>> { self.check("execution")?; self.inner.execution(id).await }
    async fn executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> { self.inner.executions(filter).await }
    async fn count_open(&self, t: Option<&str>) -> Result<i64> { self.inner.count_open(t).await }
}
#[async_trait::async_trait]
impl TaskStore for Faulty {
    async fn tasks(&self, id: &str) -> Result<Vec<TaskRecord>> { self.check("tasks")?; self.inner.tasks(id).await }
    async fn tasks_updated_since(&self, id: &str, since: i64) -> Result<Vec<TaskRecord>> { self.inner.tasks_updated_since(id, since).await }
}
#[async_trait::async_trait]
impl LogStore for Faulty {
    async fn logs(&self, id: &str, t: Option<&str>) -> Result<Vec<LogRecord>> { self.inner.logs(id, t).await }
    async fn logs_after(&self, id: &str, after: i64) -> Result<Vec<NumberedLog>> { self.inner.logs_after(id, after).await }
}
impl ChangeFeed for Faulty {
    fn changes(&self) -> tokio::sync::broadcast::Receiver<Change> { self.inner.changes() }
}
#[async_trait::async_trait]
impl InboxStore for Faulty {
    async fn push(&self, e: NewInboxEvent) -> Result<()> { self.inner.push(e).await }
    async fn pending(&self, ids: &[String]) -> Result<Vec<InboxEvent>> { self.inner.pending(ids).await }
    async fn held_inbox(&self, o: &str) -> Result<Vec<InboxEvent>> { self.inner.held_inbox(o).await }
}
#[async_trait::async_trait]
impl LeaseStore for Faulty {
    async fn claim(&self, o: &str, n: i64, t: i64, l: i64) -> Result<Vec<Claimed>> { self.inner.claim(o, n, t, l).await }
    async fn renew(&self, o: &str, n: i64, t: i64) -> Result<()> { self.inner.renew(o, n, t).await }
    async fn leased(&self, o: &str) -> Result<Vec<String>> { self.inner.leased(o).await }
    async fn release(&self, o: &str, ids: &[String]) -> Result<()> { self.inner.release(o, ids).await }
    fn wakeups(&self) -> tokio::sync::watch::Receiver<u64> { self.inner.wakeups() }
}
#[async_trait::async_trait]
impl StepStore for Faulty {
    async fn commit(&self, o: &str, w: &StepWrite) -> Result<()> { self.check("commit")?; self.inner.commit(o, w).await }
    async fn create(&self, w: &StepWrite, m: Option<&ExecutionMeta>) -> Result<Option<String>> { self.inner.create(w, m).await }
}
#[async_trait::async_trait]
impl LibraryStore for Faulty {
    async fn library_template(&self, n: &str, v: Option<i64>) -> Result<Option<(i64, String)>> { self.inner.library_template(n, v).await }
    async fn put_library_template(&self, n: &str, c: &str, t: i64) -> Result<i64> { self.inner.put_library_template(n, c, t).await }
}
#[async_trait::async_trait]
impl TriggerStore for Faulty {
    async fn triggers(&self, q: &TriggerQuery) -> Result<Vec<TriggerRecord>> { self.inner.triggers(q).await }
    async fn firings(&self, id: &str, l: i64) -> Result<Vec<FiringRecord>> { self.inner.firings(id, l).await }
}
#[async_trait::async_trait]
impl CrashGuard for Faulty {
    async fn mark_at_risk(&self, o: &str, ids: &[String]) -> Result<()> { self.inner.mark_at_risk(o, ids).await }
    async fn recover(&self, id: &str) -> Result<i64> { self.check("recover")?; self.inner.recover(id).await }
}

on_both!(a_read_failing_between_claim_and_load, a_commit_failing_once, a_child_check_failing_after_a_takeover);

const CHILD: &str = "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: slow, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {V: 1, DelayMs: 1500}}}\n";
const PARENT: &str = "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: call, Action: ACS::Template, Properties: {TemplateName: Child}}\n- {Name: after, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {V: 2}}}\n";

/// A dead worker left a parent and the child it started; its successor's check that the child
/// exists fails after the parent's events were applied in memory.
async fn a_child_check_failing_after_a_takeover(bed: Bed) {
    let plain = bed.store().await;
    plain.put_library_template("Child", CHILD, 0).await.unwrap();
    let id = {
        let config = RuntimeConfig { lease_ttl: Duration::from_secs(1), worker_id: "dies".into(), ..RuntimeConfig::default() };
        let (mut first, store) = bench_api::worker(&bed, Arc::new(Bench::stalling()), config).await;
        let id = first.start(request(PARENT, json!({}))).await.unwrap();
        while store.executions(&ExecutionFilter { include_children: true, ..ExecutionFilter::default() }).await.unwrap().len() < 2 || first.tasks().count(None) == 0 {
            first.turn().await.unwrap();
        }
        id
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let faulty: Arc<dyn Store> = Arc::new(Faulty { inner: plain.clone(), fail: Mutex::new(HashMap::from([("execution", 1)])), skip: Mutex::new(HashMap::from([("execution", 2)])) });
    let library = Library::new(Some(faulty.clone()));
    let actions = Executors::new(Arc::new(Bench::default()), oos_actions::AddressPolicy::open());
    let config = RuntimeConfig { poll_interval: Duration::from_millis(100), lease_ttl: Duration::from_secs(3), ..RuntimeConfig::default() };
    let running = fleet::run(Worker::new(faulty, Arc::new(actions), Arc::new(library), config));
    let status = fleet::finished(plain.as_ref(), &id, Duration::from_secs(15)).await;
    assert_eq!(status, "Success");
    assert!(running.failed_turns() > 0, "the injected failure failed a turn");
    running.stop().await;
}

async fn setup(bed: &Bed, what: &'static str) -> (Worker, Arc<dyn Store>) {
    let plain = bed.store().await;
    let faulty: Arc<dyn Store> = Arc::new(Faulty { inner: plain.clone(), fail: Mutex::new(HashMap::from([(what, 1)])), skip: Mutex::new(HashMap::new()) });
    let library = Library::new(Some(faulty.clone()));
    let actions = Executors::new(Arc::new(Bench::default()), oos_actions::AddressPolicy::open());
    let config = RuntimeConfig { poll_interval: Duration::from_millis(100), lease_ttl: Duration::from_secs(3), ..RuntimeConfig::default() };
    (Worker::new(faulty, Arc::new(actions), Arc::new(library), config), plain)
}

const T: &str = "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: a, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {V: 1}}}\n";

async fn a_read_failing_between_claim_and_load(bed: Bed) {
    finishes_despite_one_failure(bed, "recover").await;
}

async fn a_commit_failing_once(bed: Bed) {
    finishes_despite_one_failure(bed, "commit").await;
}

/// A one-task execution on a worker whose store fails its first `what`.
async fn finishes_despite_one_failure(bed: Bed, what: &'static str) {
    let (worker, store) = setup(&bed, what).await;
    let starter = worker.starter();
    let running = fleet::run(worker);
    let id = starter.start(request(T, json!({}))).await.unwrap().id().to_owned();
    let status = fleet::finished(store.as_ref(), &id, Duration::from_secs(15)).await;
    assert_eq!(status, "Success");
    assert!(running.failed_turns() > 0, "the injected failure failed a turn");
    running.stop().await;
}
