//! oos-runtime: the worker that drives the deterministic engine core (`oos-engine`) against a store
//! and actions.
//!
//! Executions are created where a request arrives ([`Starter`]) and claimed by any worker on the
//! same store. One turn of a worker: gather events (action results, due timers, inbox rows, newly
//! claimed executions), apply [`oos_engine::step`] to each, write every change of the turn in **one**
//! store commit (state, new child executions, inbox rows for other executions, consumed inbox rows),
//! and only then run the turn's effects (calls, timers). Many events per turn is what makes large
//! loops fast: one commit covers a whole wave of iterations. A taken-over execution, or one whose
//! commit failed, is loaded again and [`oos_engine::resume`] re-derives its in-flight work from the
//! committed rows. Calls run as tasks of a [`TaskRegistry`]; [`Worker::shutdown`] stops a worker
//! between turns.

mod audit;
mod children;
mod effects;
mod guard;
mod heartbeat;
mod library;
mod metrics;
mod parameters;
mod persist;
mod poll;
mod quotas;
mod shutdown;
mod spans;
mod stall;
mod start;
pub mod tasks;
mod timers;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use oos_actions::Actions;
use oos_clock::{Clock, SystemClock};
use oos_store::audit::NewAudit;
use oos_store::{NewInboxEvent, Store, StoreError, StepWrite};
use tokio::sync::{Notify as WakeSignal, mpsc, watch};

pub use library::{FoundTemplate, Library, TemplateSource};
pub use parameters::{ParameterSource, Reader, Snapshot, StoreReference, snapshot, store_references};
pub use persist::{Sealer, load};
pub use effects::CALL_TASK;
pub use quotas::{NESTING_DEPTH, Quotas, RUNNING_EXECUTIONS};
pub use start::{Prepared, StartRequest, Started, Starter};
pub use tasks::TaskRegistry;
pub use heartbeat::{Heartbeat, STALE_POLLS};
pub use stall::Stall;
pub use metrics::{EXECUTIONS_FINISHED, EXECUTIONS_STARTED, LEASE_TAKEOVERS, TASK_SECONDS, TIMER_LAG_SECONDS, describe_metrics};
use guard::Guard;
use timers::Timers;

use oos_engine::{ChildStart, Effect, Event};
use oos_engine::ids;
use oos_engine::{EngineConfig, Execution};
use oos_engine::ExecutionStatus;

/// A runtime failure.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The template text is not a valid template.
    #[error("{0}")]
    Template(#[from] oos_template::TemplateError),
    /// The execution could not be created (parameters).
    #[error(transparent)]
    Create(#[from] oos_engine::CreateError),
    /// Stored state that cannot be read back.
    #[error("corrupt stored state: {0}")]
    Corrupt(String),
    /// Something a turn needed could not be read (the store, the parameter store, a library
    /// template); the turn is applied again.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// Settings of a worker.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    pub engine: EngineConfig,
    /// This worker's lease owner name.
    pub worker_id: String,
    /// How long a lease lasts unrenewed (renewed every third of it): how soon a dead worker's
    /// executions are taken over.
    pub lease_ttl: Duration,
    /// How often the store is polled for claimable executions and inbox events when no wakeup came
    /// (new work wakes the workers at once; the poll is the safety net and finds expired leases).
    pub poll_interval: Duration,
    /// Executions that wait only for an event (an approval, a child) or for timers due later than
    /// this are handed back to the store, for any worker to take when they are due; None: kept.
    pub park_after: Option<Duration>,
    /// Most events applied in one turn (one commit).
    pub max_batch: usize,
    /// Limits on new executions (top-level and children).
    pub quotas: Quotas,
    /// Crashes of the process while an execution was worked on after which it is quarantined.
    pub max_crashes: i64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            engine: EngineConfig::default(),
            worker_id: format!("worker-{}", ids::execution_id(rand::random()).trim_start_matches("exec-")),
            lease_ttl: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            park_after: Some(Duration::from_secs(30)),
            max_batch: 4096,
            quotas: Quotas::default(),
            max_crashes: 3,
        }
    }
}

/// Interrupts a worker's wait for events, so that its owner can hand it work (a start) at once
/// instead of after the poll interval. A wake before the wait is kept, never lost.
#[derive(Debug, Clone)]
pub struct Waker(Arc<WakeSignal>);

impl Waker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Called after each commit with every execution that changed in it.
pub type Observer = Box<dyn FnMut(&Execution) + Send + Sync>;

type Queued = (String, Event, Option<i64>);

/// An event for an execution from a finished effect, with the audit record of the cloud call it made.
type Delivery = (String, Event, Option<NewAudit>);

/// A worker: holds leased executions in memory and moves them forward.
pub struct Worker {
    store: Arc<dyn Store>,
    actions: Arc<dyn Actions>,
    library: Arc<dyn TemplateSource>,
    parameters: Option<Arc<dyn ParameterSource>>,
    clock: Arc<dyn Clock>,
    config: RuntimeConfig,
    live: HashMap<String, Execution>,
    queue: VecDeque<Queued>,
    children: Vec<(ChildStart, bool)>,
    tx: mpsc::UnboundedSender<Delivery>,
    rx: mpsc::UnboundedReceiver<Delivery>,
    /// Audit records of received deliveries, for the commit that applies their events.
    audit: Vec<NewAudit>,
    /// When this worker last polled and renewed its leases (its clock's unix ms).
    last_poll: Option<i64>,
    last_renew: Option<i64>,
    poll_now: bool,
    wake: Arc<WakeSignal>,
    /// Work announced by any process on the store.
    wakeups: watch::Receiver<u64>,
    timers: Timers,
    /// A commit or poll failed: the next poll loads every execution leased to this worker that it
    /// has not loaded.
    reload: bool,
    observer: Option<Observer>,
    guard: Guard,
    /// Seals the engine state of executions with secrets (none: stored as is).
    sealer: Option<Arc<dyn Sealer>>,
    /// Where the calls run.
    tasks: TaskRegistry,
    /// When the last poll succeeded ([`Worker::heartbeat`]).
    beat: Arc<heartbeat::Beat>,
}

impl Worker {
    pub fn new(store: Arc<dyn Store>, actions: Arc<dyn Actions>, library: Arc<dyn TemplateSource>, config: RuntimeConfig) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let guard = Guard::new(config.max_crashes);
        let wakeups = store.wakeups();
        Self {
            store,
            actions,
            library,
            parameters: None,
            clock: Arc::new(SystemClock),
            config,
            live: HashMap::new(),
            queue: VecDeque::new(),
            children: Vec::new(),
            tx,
            rx,
            audit: Vec::new(),
            last_poll: None,
            last_renew: None,
            poll_now: true,
            wake: Arc::new(WakeSignal::new()),
            wakeups,
            timers: Timers::default(),
            reload: false,
            observer: None,
            guard,
            sealer: None,
            tasks: TaskRegistry::new(),
            beat: Arc::default(),
        }
    }

    /// Spawns the worker's calls in `tasks` (a server's registry of everything it runs).
    pub fn with_tasks(mut self, tasks: TaskRegistry) -> Self {
        self.tasks = tasks;
        self
    }

    /// The registry of the worker's calls ([`CALL_TASK`]).
    pub fn tasks(&self) -> &TaskRegistry {
        &self.tasks
    }

    /// Where `{{ oos:Name }}` values are read when an execution is created (none: such templates fail).
    pub fn with_parameters(mut self, source: Arc<dyn ParameterSource>) -> Self {
        self.parameters = Some(source);
        self
    }

    /// Puts a decorator around the worker's actions (a server checks every call against RAM policies first).
    pub fn wrap_actions(mut self, wrap: impl FnOnce(Arc<dyn Actions>) -> Arc<dyn Actions>) -> Self {
        self.actions = wrap(self.actions);
        self
    }

    /// Seals the engine state (and inbox events) of executions that have secrets with `sealer`.
    pub fn with_sealer(mut self, sealer: Arc<dyn Sealer>) -> Self {
        self.sealer = Some(sealer);
        self
    }

    /// Reads the time and waits (for timers, polls, lease renewals) on `clock` instead of the
    /// system clock; the starter of [`Worker::starter`] shares it.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The clock the worker reads and waits on (a server dates its records with the same one).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Changes the largest `Loop.Items` accepted.
    pub fn set_max_loop_items(&mut self, max: usize) {
        self.config.engine.max_loop_items = max;
    }

    pub fn set_observer(&mut self, observer: Observer) {
        self.observer = Some(observer);
    }

    /// A handle that ends this worker's current wait for events (see [`Waker`]).
    pub fn waker(&self) -> Waker {
        Waker(self.wake.clone())
    }

    /// This worker's liveness on its clock (take it after [`Worker::with_clock`]): when its last poll
    /// of the store succeeded.
    pub fn heartbeat(&self) -> Heartbeat {
        Heartbeat { beat: self.beat.clone(), clock: self.clock.clone(), poll_interval: self.config.poll_interval }
    }

    /// An execution this worker holds in memory (unfinished).
    pub fn live(&self, id: &str) -> Option<&Execution> {
        self.live.get(id)
    }

    /// What creates executions on this worker's store, with its parameters, quotas and sealer.
    pub fn starter(&self) -> Starter {
        Starter {
            store: self.store.clone(),
            parameters: self.parameters.clone(),
            clock: self.clock.clone(),
            engine: self.config.engine.clone(),
            quotas: self.config.quotas.clone(),
            sealer: self.sealer.clone(),
        }
    }

    /// Creates an execution (see [`Starter`]) and looks for it at once. Returns its id.
    pub async fn start(&mut self, request: StartRequest) -> Result<String, RuntimeError> {
        let started = self.starter().start(request).await?;
        self.poll_now = true;
        Ok(started.id().to_owned())
    }

    /// Runs turns until `id` is finished or waits for a person. Returns its status: `Running` when a
    /// descendant waits for a person and nothing else of the tree can move ([`Worker::stalled_on`]).
    pub async fn settle(&mut self, id: &str) -> Result<ExecutionStatus, RuntimeError> {
        loop {
            match self.live.get(id) {
                Some(exec) if exec.status == ExecutionStatus::Waiting && self.queue.is_empty() => return Ok(exec.status),
                Some(exec) if self.stalled_on(id).is_some() => return Ok(exec.status),
                Some(_) => {}
                None => {
                    if let Some(status) = self.stored_status(id).await?
                        && (status.is_final() || (status == ExecutionStatus::Waiting && !self.has_inbox(id).await?))
                    {
                        return Ok(status);
                    }
                }
            }
            self.turn().await?;
        }
    }

    /// Runs turns forever (a server's worker loop).
    pub async fn run(&mut self) -> Result<(), RuntimeError> {
        loop {
            self.turn().await?;
        }
    }

    async fn stored_status(&self, id: &str) -> Result<Option<ExecutionStatus>, RuntimeError> {
        Ok(self.store.execution(id).await?.and_then(|r| ExecutionStatus::parse(&r.status)))
    }

    async fn has_inbox(&self, id: &str) -> Result<bool, RuntimeError> {
        Ok(!self.store.pending(&[id.to_owned()]).await?.is_empty())
    }

    fn lease_until(&self, now: i64) -> i64 {
        now + i64::try_from(self.config.lease_ttl.as_millis()).unwrap_or(30_000)
    }

    /// One turn: gather events, step, commit, run effects, hand back what only waits.
    pub async fn turn(&mut self) -> Result<(), RuntimeError> {
        self.gather().await?;
        for effect in self.step_and_commit(true).await? {
            self.launch(effect);
        }
        let queued: std::collections::HashSet<&str> = self.queue.iter().map(|(id, _, _)| id.as_str()).collect();
        if self.guard.next_is_due(|id| queued.contains(id)) {
            self.poll_now = true;
        }
        self.live.retain(|_, exec| !exec.status.is_final());
        self.park().await;
        Ok(())
    }

    /// Steps every queued event and commits the turn; returns the effects to run now. Not
    /// `launching` (a stopping worker), the calls asked for are left to whoever takes the
    /// executions over, so they do not mark them at risk here.
    async fn step_and_commit(&mut self, launching: bool) -> Result<Vec<Effect>, RuntimeError> {
        let stepped: std::collections::HashSet<String> = self.queue.iter().map(|(id, _, _)| id.clone()).filter(|id| self.live.contains_key(id)).collect();
        let marks = self.guard.to_mark(&stepped);
        self.store.mark_at_risk(&self.config.worker_id, &marks).await?;
        let now = self.clock.now_ms();
        let audit = std::mem::take(&mut self.audit);
        let mut write = StepWrite { lease_expires_ms: self.lease_until(now), audit, ..StepWrite::default() };
        let mut launches = Vec::new();
        let mut turn_spans = HashMap::new();
        while let Some((id, event, inbox_id)) = self.queue.pop_front() {
            write.consumed_inbox.extend(inbox_id);
            let Some(exec) = self.live.get_mut(&id) else { continue };
            if !turn_spans.contains_key(&id)
                && let Some(span) = spans::turn(exec)
            {
                turn_spans.insert(id.clone(), span);
            }
            for effect in oos_engine::step(exec, event, now, &self.config.engine) {
                self.route(effect, now, &mut write, &mut launches);
            }
        }
        let parents: Vec<String> = self.children.iter().flat_map(|(start, _)| [start.parent_execution_id.clone(), start.child_execution_id.clone()]).collect();
        let started = match self.create_children(now, &mut write).await {
            Ok(started) => started,
            Err(error) => {
                // The turn's events are applied in memory only: its executions (and the children
                // half made) are dropped and loaded again from the store at the next poll.
                self.forget(stepped.iter().chain(&parents));
                return Err(error);
            }
        };
        let mut done = metrics::Turn::default();
        let changed: Vec<String> = self
            .live
            .iter_mut()
            .filter_map(|(id, exec)| {
                let changes = exec.take_changes();
                let any = changes.execution || !changes.tasks.is_empty() || !changes.logs.is_empty();
                done.note(exec, &changes, now);
                persist::add_changes(&mut write, exec, changes, self.sealer.as_deref());
                any.then(|| id.clone())
            })
            .collect();
        self.guard.finish_turn(&mut write, if launching { &launches } else { &[] });
        if let Err(error) = self.store.commit(&self.config.worker_id, &write).await {
            self.forget_turn(&write, &error);
            return Err(error.into());
        }
        done.record();
        for (id, span) in &turn_spans {
            if let Some(exec) = self.live.get(id) {
                span.record("oos.status", exec.status.as_str());
            }
        }
        if let Some(observer) = &mut self.observer {
            for id in &changed {
                observer(&self.live[id]);
            }
        }
        for id in started {
            self.queue.push_back((id, Event::Start, None));
        }
        Ok(launches)
    }

    fn route(&mut self, effect: Effect, now: i64, write: &mut StepWrite, launches: &mut Vec<Effect>) {
        match effect {
            Effect::Call(_) | Effect::Timer { .. } => launches.push(effect),
            Effect::StartChild(start) => self.children.push((start, false)),
            Effect::ToExecution { execution_id, event } => {
                let payload = persist::inbox_payload(&event, &execution_id, self.sealer.as_deref());
                write.inbox.push(NewInboxEvent { execution_id, payload, created_ms: now });
                self.poll_now = true;
            }
        }
    }
}
