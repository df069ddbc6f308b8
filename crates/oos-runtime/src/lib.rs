//! oos-runtime: the worker that drives the deterministic engine core (`oos-engine`) against a store
//! and actions.
//!
//! One turn: gather events (action results, timers, inbox rows, starts), apply [`oos_engine::step`] to
//! each, write every change of the turn in **one** store commit (state, new child executions, inbox
//! rows for other executions, consumed inbox rows), and only then run the turn's effects (calls,
//! timers). Many events per turn is what makes large loops fast: one commit covers a whole wave of
//! iterations. After a crash, [`oos_engine::resume`] re-derives in-flight work from the committed rows.
//! Effects run as tasks of a [`TaskRegistry`]; [`Worker::shutdown`] stops a worker between turns.

mod audit;
mod effects;
mod guard;
mod library;
mod parameters;
mod persist;
mod quotas;
mod shutdown;
pub mod tasks;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oos_actions::Actions;
use oos_store::audit::NewAudit;
use oos_store::{ExecutionMeta, NewInboxEvent, Store, StoreError, StepWrite};
use serde_json::{Map, Value};
use tokio::sync::{Notify as WakeSignal, mpsc};

pub use library::{FoundTemplate, Library, TemplateSource};
pub use parameters::{ParameterSource, Reader, Snapshot, StoreReference, snapshot, store_references};
pub use persist::{Sealer, load};
pub use effects::{CALL_TASK, TIMER_TASK};
pub use quotas::{NESTING_DEPTH, Quotas, RUNNING_EXECUTIONS};
pub use tasks::TaskRegistry;
use guard::{Admission, Guard};
use quotas::Uncommitted;

use oos_engine::{NewExecution, create};
use oos_engine::{ChildStart, Effect, Event};
use oos_engine::ids;
use oos_engine::{BatchPause, EngineConfig, Execution};
use oos_engine::{ExecutionStatus, Mode};

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
}

/// Wall-clock time in unix milliseconds (injected so tests and benches can control it).
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    }
}

/// Settings of a worker.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    pub engine: EngineConfig,
    /// This worker's lease owner name.
    pub worker_id: String,
    pub lease_ttl: Duration,
    /// How often the store is polled for claimable executions and inbox events.
    pub poll_interval: Duration,
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
            poll_interval: Duration::from_millis(200),
            max_batch: 4096,
            quotas: Quotas::default(),
            max_crashes: 3,
        }
    }
}

/// A request to start a top-level execution.
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub template_name: String,
    pub template_version: Option<String>,
    pub template_content: String,
    pub parameters: Map<String, Value>,
    pub mode: Mode,
    pub description: String,
    pub region_id: Option<String>,
    /// Who starts it (a server puts the caller's ARN; child executions inherit it); None: the configured user.
    pub executed_by: Option<String>,
    /// `LoopMode`: overrides the `BatchPauseOption` of the execution's batch loops (None: their own).
    pub loop_mode: Option<BatchPause>,
    /// Audit records of the request that starts it (committed with the new execution).
    pub audit: Vec<NewAudit>,
    /// API metadata of the new execution (its id is filled in), committed with it.
    pub meta: Option<ExecutionMeta>,
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
    last_poll: Option<Instant>,
    poll_now: bool,
    wake: Arc<WakeSignal>,
    observer: Option<Observer>,
    guard: Guard,
    /// Seals the engine state of executions with secrets (none: stored as is).
    sealer: Option<Arc<dyn Sealer>>,
    /// Where the effect tasks (calls, timers) run.
    tasks: TaskRegistry,
}

impl Worker {
    pub fn new(store: Arc<dyn Store>, actions: Arc<dyn Actions>, library: Arc<dyn TemplateSource>, config: RuntimeConfig) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let guard = Guard::new(config.max_crashes);
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
            poll_now: true,
            wake: Arc::new(WakeSignal::new()),
            observer: None,
            guard,
            sealer: None,
            tasks: TaskRegistry::new(),
        }
    }

    /// Spawns the worker's effect tasks in `tasks` (a server's registry of everything it runs).
    pub fn with_tasks(mut self, tasks: TaskRegistry) -> Self {
        self.tasks = tasks;
        self
    }

    /// The registry of the worker's effect tasks ([`CALL_TASK`], [`TIMER_TASK`]).
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

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
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

    /// An execution this worker holds in memory (unfinished).
    pub fn live(&self, id: &str) -> Option<&Execution> {
        self.live.get(id)
    }

    /// Validates and durably records a new execution, then queues its start. Returns its id.
    pub async fn start(&mut self, request: StartRequest) -> Result<String, RuntimeError> {
        let template = oos_template::parse(&request.template_content)?;
        self.config.quotas.admit(self.store.as_ref(), &request.template_name, 0, &Uncommitted::default()).await?;
        let starter = Reader { executed_by: request.executed_by.clone(), ram_role: None };
        let values = parameters::snapshot(self.parameters.as_deref(), &template, &starter).await?;
        let now = self.clock.now_ms();
        let id = ids::execution_id(rand::random());
        let template = Arc::new(template);
        let exec = create(
            NewExecution {
                id: id.clone(),
                template: template.clone(),
                template_name: request.template_name,
                template_version: request.template_version,
                parameters: request.parameters,
                mode: request.mode,
                parent_execution_id: None,
                parent_task_execution_id: None,
                description: request.description,
                region_id: request.region_id,
                store_parameters: values.common,
                secret_parameters: values.secret,
                execute_user: request.executed_by,
            },
            now,
            &self.config.engine,
        )?;
        let mut exec = exec;
        if let Some(role) = &exec.flow.ram_role {
            // The execution acts as its role: the role must be allowed every parameter too.
            let acting = Reader { ram_role: Some(role.clone()), ..starter };
            parameters::snapshot(self.parameters.as_deref(), &template, &acting).await?;
        }
        exec.flow.loop_mode = request.loop_mode;
        let audit = audit::started(request.audit, &id);
        let execution_meta = request.meta.map(|meta| ExecutionMeta { execution_id: id.clone(), ..meta }).into_iter().collect();
        // Its Start is stepped next: marked at risk in the commit that creates it (no write of its own).
        let at_risk = self.guard.to_mark([&id]);
        let mut write = StepWrite { lease_expires_ms: self.lease_until(now), audit, execution_meta, at_risk, ..StepWrite::default() };
        let changes = exec.take_changes();
        persist::add_changes(&mut write, &exec, changes, self.sealer.as_deref());
        self.store.commit(&self.config.worker_id, &write).await?;
        self.live.insert(id.clone(), exec);
        self.queue.push_back((id.clone(), Event::Start, None));
        Ok(id)
    }

    /// Runs turns until `id` is finished or waits for a person. Returns its status.
    pub async fn settle(&mut self, id: &str) -> Result<ExecutionStatus, RuntimeError> {
        loop {
            match self.live.get(id) {
                Some(exec) if exec.status == ExecutionStatus::Waiting && self.queue.is_empty() => return Ok(exec.status),
                Some(_) => {}
                None => {
                    if let Some(status) = self.stored_status(id).await?
                        && (status.is_final() || (status == ExecutionStatus::Waiting && !self.has_inbox(id).await?))
                    {
                        return Ok(status);
                    }
                    self.poll_now = true;
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

    /// One turn: gather events, step, commit, run effects.
    pub async fn turn(&mut self) -> Result<(), RuntimeError> {
        self.gather().await?;
        for effect in self.step_and_commit(true).await? {
            self.launch(effect);
        }
        self.live.retain(|_, exec| !exec.status.is_final());
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
        while let Some((id, event, inbox_id)) = self.queue.pop_front() {
            write.consumed_inbox.extend(inbox_id);
            let Some(exec) = self.live.get_mut(&id) else { continue };
            for effect in oos_engine::step(exec, event, now, &self.config.engine) {
                self.route(effect, now, &mut write, &mut launches);
            }
        }
        let started = self.create_children(now, &mut write).await?;
        let changed: Vec<String> = self
            .live
            .iter_mut()
            .filter_map(|(id, exec)| {
                let changes = exec.take_changes();
                let any = changes.execution || !changes.tasks.is_empty() || !changes.logs.is_empty();
                persist::add_changes(&mut write, exec, changes, self.sealer.as_deref());
                any.then(|| id.clone())
            })
            .collect();
        self.guard.finish_turn(&mut write, if launching { &launches } else { &[] });
        self.store.commit(&self.config.worker_id, &write).await?;
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

    /// Waits for at least one event (or the poll interval, or a [`Waker::wake`]), then drains what is ready.
    async fn gather(&mut self) -> Result<(), RuntimeError> {
        let due = self.last_poll.is_none_or(|at| at.elapsed() >= self.config.poll_interval);
        if self.queue.is_empty() && self.children.is_empty() && !self.poll_now && !due {
            let wait = self.config.poll_interval.saturating_sub(self.last_poll.map_or(Duration::ZERO, |at| at.elapsed()));
            let woken = self.wake.clone();
            let event = tokio::time::timeout(wait, async {
                tokio::select! {
                    event = self.rx.recv() => event,
                    () = woken.notified() => None,
                }
            });
            match event.await {
                Ok(Some(delivery)) => self.receive(delivery),
                // Woken: something was written for this worker (a start, an inbox event); look now.
                Ok(None) => self.poll_now = true,
                Err(_elapsed) => {}
            }
        }
        while self.queue.len() < self.config.max_batch {
            match self.rx.try_recv() {
                Ok(delivery) => self.receive(delivery),
                Err(_) => break,
            }
        }
        if self.poll_now || self.last_poll.is_none_or(|at| at.elapsed() >= self.config.poll_interval) {
            self.poll().await?;
        }
        Ok(())
    }

    /// Queues the event of a finished effect.
    fn receive(&mut self, (id, event, audit): Delivery) {
        if matches!(event, Event::ActionDone { .. }) {
            self.guard.answered(&id);
        }
        self.queue.push_back((id, event, None));
        self.audit.extend(audit);
    }

    /// Claims executions that need a worker, loads new ones (re-driving their in-flight work), and
    /// queues inbox events of the held ones.
    async fn poll(&mut self) -> Result<(), RuntimeError> {
        self.poll_now = false;
        self.last_poll = Some(Instant::now());
        let now = self.clock.now_ms();
        let ttl = i64::try_from(self.config.lease_ttl.as_millis()).unwrap_or(30_000);
        self.store.renew(&self.config.worker_id, now, ttl).await?;
        let claimed = self.store.claim(&self.config.worker_id, now, ttl, 256).await?;
        for id in claimed {
            if self.live.contains_key(&id) || self.guard.holds(&id) {
                continue;
            }
            match self.guard.admit(&id, self.store.recover(&id).await?) {
                Admission::Run => self.adopt(&id).await?,
                Admission::Hold => continue,
                Admission::Quarantine(crashes) => self.quarantine(&id, crashes).await?,
            }
        }
        let queued: std::collections::HashSet<&str> = self.queue.iter().map(|(id, _, _)| id.as_str()).collect();
        if let Some(id) = self.guard.next_alone(|id| queued.contains(id)) {
            self.adopt(&id).await?;
        }
        let queued: std::collections::HashSet<i64> = self.queue.iter().filter_map(|(_, _, inbox)| *inbox).collect();
        // Events of held executions that are not loaded (on probation) wait until they are.
        for row in self.store.held_inbox(&self.config.worker_id).await? {
            if queued.contains(&row.id) || !self.live.contains_key(&row.execution_id) {
                continue;
            }
            let event = persist::inbox_event(&row.payload, &row.execution_id, self.sealer.as_deref())?;
            self.queue.push_back((row.execution_id, event, Some(row.id)));
        }
        Ok(())
    }

    /// Loads a claimed execution and re-drives what was in flight.
    async fn adopt(&mut self, id: &str) -> Result<(), RuntimeError> {
        let Some(record) = self.store.execution(id).await? else { return Ok(()) };
        let tasks = self.store.tasks(id).await?;
        let exec = load(record, tasks, self.sealer.as_deref())?;
        if exec.status.is_final() {
            return Ok(());
        }
        let (events, effects) = oos_engine::resume(&exec);
        if effects.iter().any(|effect| matches!(effect, Effect::Call(_))) {
            let marks = self.guard.to_mark([&id.to_owned()]);
            self.store.mark_at_risk(&self.config.worker_id, &marks).await?;
        }
        self.live.insert(id.to_owned(), exec);
        for event in events {
            self.queue.push_back((id.to_owned(), event, None));
        }
        for effect in effects {
            match effect {
                Effect::StartChild(start) => self.children.push((start, true)),
                other => self.launch(other),
            }
        }
        Ok(())
    }

    /// Loads an execution that was at risk in too many crashes and fails it without re-driving anything.
    async fn quarantine(&mut self, id: &str, crashes: i64) -> Result<(), RuntimeError> {
        let Some(record) = self.store.execution(id).await? else { return Ok(()) };
        let exec = load(record, self.store.tasks(id).await?, self.sealer.as_deref())?;
        if exec.status.is_final() {
            return Ok(());
        }
        tracing::error!(execution = id, crashes, "quarantining an execution that was running when the process stopped {crashes} times");
        self.live.insert(id.to_owned(), exec);
        self.queue.push_back((id.to_owned(), Event::Quarantine { crashes }, None));
        Ok(())
    }

    /// Creates the requested child executions in this turn's commit (skipping ones that exist).
    async fn create_children(&mut self, now: i64, write: &mut StepWrite) -> Result<Vec<String>, RuntimeError> {
        let mut started = Vec::new();
        let mut uncommitted = Uncommitted::default();
        for (start, recovered) in std::mem::take(&mut self.children) {
            if recovered && self.store.execution(&start.child_execution_id).await?.is_some() {
                continue;
            }
            match self.child(&start, now, &uncommitted).await {
                Ok(mut child) => {
                    uncommitted.add(&child.template_name);
                    let changes = child.take_changes();
                    persist::add_changes(write, &child, changes, self.sealer.as_deref());
                    started.push(child.id.clone());
                    write.at_risk.extend(self.guard.to_mark([&child.id]));
                    self.live.insert(child.id.clone(), child);
                }
                Err((code, message)) => self.queue.push_back((
                    start.parent_execution_id.clone(),
                    Event::ChildNotStarted { task_execution_id: start.parent_task_execution_id.clone(), code, message },
                    None,
                )),
            }
        }
        Ok(started)
    }

    async fn child(&self, start: &ChildStart, now: i64, uncommitted: &Uncommitted) -> Result<Execution, (String, String)> {
        let (name, version, content) = match (&start.template_content, &start.template_name) {
            (Some(content), name) => (name.clone().unwrap_or_else(|| "inline".into()), None, content.clone()),
            (None, Some(name)) => match self.library.find(name, start.template_version.as_deref()).await {
                Ok(Some(found)) => (name.clone(), found.version, found.content),
                Ok(None) => return Err(("EntityNotExists.Template".into(), format!("template {name} does not exist"))),
                Err(message) => return Err(("Library.ReadFailed".into(), message)),
            },
            (None, None) => return Err(("InvalidTemplate".into(), "no template given".into())),
        };
        let template = oos_template::parse(&content).map_err(|e| (e.code().to_owned(), format!("template {name}: {e}")))?;
        self.config.quotas.admit(self.store.as_ref(), &name, start.depth, uncommitted).await.map_err(|e| (e.code.to_owned(), e.message))?;
        let reader = Reader { executed_by: Some(start.executed_by.clone()), ram_role: start.ram_role.clone() };
        let values = parameters::snapshot(self.parameters.as_deref(), &template, &reader).await.map_err(|e| (e.code.to_owned(), e.message))?;
        create(
            NewExecution {
                id: start.child_execution_id.clone(),
                template: Arc::new(template),
                template_name: name,
                template_version: version,
                parameters: start.parameters.clone(),
                mode: Mode::Automatic,
                parent_execution_id: Some(start.parent_execution_id.clone()),
                parent_task_execution_id: Some(start.parent_task_execution_id.clone()),
                description: String::new(),
                region_id: Some(start.region_id.clone()),
                store_parameters: values.common,
                secret_parameters: values.secret,
                execute_user: Some(start.executed_by.clone()),
            },
            now,
            &self.config.engine,
        )
        .map(|mut child| {
            child.flow.ram_role = start.ram_role.clone();
            child.flow.depth = start.depth;
            child.flow.inherited_secrets = start.secrets.clone();
            child
        })
        .map_err(|e| (e.code.to_owned(), e.message))
    }
}
