//! Runs one test case: a fresh emulator (instant transitions) and a worker on a throw-away SQLite
//! store, both on one virtual clock that moves only as the case's steps say. Events and alarms the
//! emulator raises are delivered to the case's armed triggers, as a server's intake would.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use oos_actions::outbound::{Inbox, Letter, SandboxDoor};
use oos_actions::{AddressPolicy, Executors};
use oos_clock::{Clock, VirtualClock};
use oos_cloud::{CloudClient, CloudConfig, CredentialChain, Credentials};
use oos_emulator::{
    DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, EmulatorHandle, EventKind,
    EventSink,
};
use oos_engine::{
    EngineConfig, Event, ExecutionStatus, FireSource, Mode, Notify, NotifyType, SafetyCheck,
    TriggerSignal,
};
use oos_runtime::{CALL_TASK, Library, RuntimeConfig, StartRequest, TaskRegistry, Worker};
use oos_store::sqlite::Durability;
use oos_store::{
    Close, ExecutionFilter, ExecutionStore, InboxStore, NewInboxEvent, SqliteStore, Store,
    TaskStore, TriggerQuery, TriggerStore,
};
use oos_triggers::{Alarm, AlarmSpec, CloudEvent, EventSpec};
use serde_json::{Map, Value, json};

use crate::cloud::{KINDS, Snapshot};
use crate::spec::{Case, Step};

/// Real time during which nothing may happen on the clock before the runner concludes that
/// everything waits (and moves time, or goes on with the next step).
const QUIET: Duration = Duration::from_millis(20);
/// Real time a case may take at most.
const REAL_LIMIT: Duration = Duration::from_secs(120);
/// Answers per Describe page when the cloud is read.
const PAGE_SIZE: usize = 100;

/// What a case left behind.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub execution: ExecutionOutcome,
    /// A trigger's firing runs, oldest first.
    pub runs: Vec<ExecutionOutcome>,
    pub cloud: Snapshot,
    /// What the sandbox inbox captured, in order: `{kind, task, method, url, body}`.
    pub inbox: Vec<Value>,
    /// A step that could not be done (the case fails with it).
    pub problem: Option<String>,
}

/// One execution as it ended (or stood).
#[derive(Debug, Clone, Default)]
pub struct ExecutionOutcome {
    pub id: String,
    pub status: String,
    pub status_message: String,
    pub outputs: Map<String, Value>,
    pub tasks: Vec<oos_store::TaskRecord>,
}

/// Events and alarms the emulator raised, not yet delivered to triggers.
#[derive(Default)]
struct Raised(Mutex<Vec<(EventKind, Value)>>);

impl EventSink for Raised {
    fn publish(&self, kind: EventKind, body: Value) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((kind, body));
    }
}

/// Whether a trigger's rendered properties match what was raised.
type TriggerMatch = Box<dyn Fn(&Value) -> bool>;

/// The case's sandbox inbox: every webhook and HTTP request of the run, captured, never sent.
#[derive(Default)]
struct Letters(Mutex<Vec<Letter>>);

#[async_trait::async_trait]
impl Inbox for Letters {
    async fn capture(&self, letter: Letter) -> Result<String, String> {
        let mut letters = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        letters.push(letter);
        Ok(format!("letter-{}", letters.len()))
    }
}

impl Letters {
    fn shown(&self) -> Vec<Value> {
        let letters = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        letters.iter().map(|letter| json!({"kind": letter.kind.as_str(), "task": letter.task_name, "method": letter.method, "url": letter.url, "body": letter.body})).collect()
    }
}

impl Raised {
    fn take(&self) -> Vec<(EventKind, Value)> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Runs `case`; Err when the case could not be set up or started (its reason).
pub async fn run_case(case: &Case) -> Result<Outcome, String> {
    let dir =
        tempfile::tempdir().map_err(|error| format!("creating a temporary store: {error}"))?;
    let store = SqliteStore::open(dir.path(), Durability::Normal)
        .await
        .map_err(|error| format!("opening a temporary store: {error}"))?;
    let clock = VirtualClock::new(case.start_ms);
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let raised = Arc::new(Raised::default());
    let emulator_clock = shared.clone();
    let emulator = Emulator::builder()
        .default_region(&case.region)
        .seed(case.fleet.clone())
        .transition_delay(Duration::ZERO)
        .clock(move || emulator_clock.timestamp())
        .event_sink(raised.clone())
        .build()
        .map_err(|error| format!("InvalidTestSpec.Fleet: {error}"))?;
    let handle = emulator
        .spawn(
            "127.0.0.1:0"
                .parse()
                .map_err(|_| "no loopback address".to_owned())?,
        )
        .await
        .map_err(|error| format!("starting the emulator: {error}"))?;
    let letters = Arc::new(Letters::default());
    let worker = worker(&store, case, &handle, shared.clone(), letters.clone())?;
    let tasks = worker.tasks().clone();
    let run = Run {
        store: store.clone(),
        clock,
        emulator: handle.emulator().clone(),
        raised,
        letters,
        tasks,
        id: String::new(),
    };
    let result = run.drive(worker, case).await;
    let _ = handle.shutdown().await;
    store.close().await;
    result
}

/// The worker of a case: every cloud call to the emulator, child templates from the spec's directory.
fn worker(
    store: &SqliteStore,
    case: &Case,
    handle: &EmulatorHandle,
    clock: Arc<dyn Clock>,
    letters: Arc<Letters>,
) -> Result<Worker, String> {
    let config = CloudConfig {
        default_region: Some(case.region.clone()),
        ..CloudConfig::default()
    }
    .with_sandbox(handle.url());
    let credentials = CredentialChain::from_process(Some(Credentials::new(
        DEFAULT_ACCESS_KEY_ID,
        DEFAULT_ACCESS_KEY_SECRET,
    )));
    let cloud = CloudClient::from_chain(config, &credentials)
        .map_err(|error| format!("the sandbox's cloud client: {error}"))?
        .with_clock(clock.clone());
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let files = oos_template::TemplateFiles::scan(std::slice::from_ref(&case.library))
        .map_err(|error| format!("reading the templates beside the spec: {error}"))?;
    let library = oos_product_actions::WithBuiltins::new(
        Library::new(Some(shared.clone())).with_files(files),
    );
    let engine = EngineConfig {
        region_id: case.region.clone(),
        ..EngineConfig::default()
    };
    // Polls and lease renewals are timers on the virtual clock: rare, so skipping time is cheap.
    let runtime = RuntimeConfig {
        engine,
        poll_interval: Duration::from_secs(3600),
        lease_ttl: Duration::from_secs(3 * 3600),
        park_after: None,
        ..RuntimeConfig::default()
    };
    // No request leaves: webhooks and HTTP requests are all captured in the case's inbox.
    let actions = Arc::new(
        Executors::new(Arc::new(cloud), AddressPolicy::server(Vec::new()))
            .with_sandbox(SandboxDoor::new(letters, Vec::new())),
    );
    Ok(Worker::new(shared, actions, Arc::new(library), runtime).with_clock(clock))
}

struct Run {
    store: SqliteStore,
    clock: VirtualClock,
    emulator: Emulator,
    raised: Arc<Raised>,
    letters: Arc<Letters>,
    tasks: TaskRegistry,
    /// The case's execution.
    id: String,
}

impl Run {
    async fn drive(mut self, mut worker: Worker, case: &Case) -> Result<Outcome, String> {
        let mode = Mode::parse(&case.mode).unwrap_or(Mode::Automatic);
        let template = oos_template::parse(&case.template).map_err(|error| error.to_string())?;
        let trigger = oos_engine::TriggerKind::of_template(&template).is_some();
        let request = StartRequest {
            template_name: case.template_name.clone(),
            template_version: None,
            template: template.into(),
            parameters: case.parameters.clone(),
            mode,
            description: format!("oos test: {}", case.name),
            region_id: Some(case.region.clone()),
            audit: Vec::new(),
            meta: None,
            executed_by: None,
            loop_mode: None,
            safety_check: SafetyCheck::ConfirmEveryHighRiskAction,
        };
        self.id = worker
            .start(request)
            .await
            .map_err(|error| format!("the execution could not start: {error}"))?;
        // The worker runs on its own; this task only moves the clock and injects what the steps say.
        let handle = tokio::spawn(async move { worker.run().await });
        let started = std::time::Instant::now();
        let mut problem = None;
        for (index, step) in case.steps.iter().enumerate() {
            self.settle(started).await?;
            if let Err(why) = self.step(step, started).await {
                problem = Some(format!("steps[{index}]: {why}"));
                break;
            }
        }
        if problem.is_none() {
            self.finish(trigger, case.timeout, started).await?;
        }
        handle.abort();
        let _ = handle.await;
        let execution = self.outcome(&self.id).await?;
        let runs = self.runs().await?;
        Ok(Outcome {
            execution,
            runs,
            cloud: self.cloud(),
            inbox: self.letters.shown(),
            problem,
        })
    }

    /// Waits until nothing happened on the clock for [`QUIET`] with no call in flight, delivering what
    /// the emulator raised in the meantime.
    async fn settle(&self, started: std::time::Instant) -> Result<(), String> {
        let mut seen = None;
        loop {
            if started.elapsed() > REAL_LIMIT {
                return Err(format!(
                    "the case took more than {}s of real time",
                    REAL_LIMIT.as_secs()
                ));
            }
            tokio::time::sleep(QUIET).await;
            let delivered = self.deliver().await?;
            let changes = self.clock.changes();
            if !delivered
                && seen == Some(changes)
                && self.tasks.count(Some(CALL_TASK)) == 0
                && !self.work_left().await?
            {
                return Ok(());
            }
            seen = Some(changes);
        }
    }

    /// Whether the store holds work due now: an unfinished execution runnable now (not only at a
    /// later timer), or an inbox event not yet consumed. A worker in the middle of a turn may keep
    /// the clock still for longer than [`QUIET`]; this is what tells it apart from one that waits.
    async fn work_left(&self) -> Result<bool, String> {
        let filter = ExecutionFilter {
            include_children: true,
            ..ExecutionFilter::default()
        };
        let executions = self.store.executions(&filter).await.map_err(store_error)?;
        let now = self.clock.now_ms();
        let open: Vec<String> = executions
            .iter()
            .filter(|execution| {
                !ExecutionStatus::parse(&execution.status).is_some_and(ExecutionStatus::is_final)
            })
            .map(|execution| execution.id.clone())
            .collect();
        let runnable = executions.iter().any(|execution| {
            open.contains(&execution.id)
                && execution.runnable
                && execution.wake_ms.is_none_or(|due| due <= now)
        });
        Ok(runnable
            || !self
                .store
                .pending(&open)
                .await
                .map_err(store_error)?
                .is_empty())
    }

    /// Moves virtual time forward by `by`, stopping at every timer due on the way.
    async fn advance(&self, by: Duration, started: std::time::Instant) -> Result<(), String> {
        let target = self
            .clock
            .now_ms()
            .saturating_add(i64::try_from(by.as_millis()).unwrap_or(i64::MAX));
        loop {
            self.settle(started).await?;
            match self.clock.next_due() {
                Some(due) if due <= target => {
                    self.clock.skip();
                }
                _ => {
                    self.clock.advance(Duration::from_millis(
                        u64::try_from(target - self.clock.now_ms()).unwrap_or(0),
                    ));
                    return self.settle(started).await;
                }
            }
        }
    }

    /// After the last step: a trigger stays armed; anything else runs on (time skipping to each
    /// timer) until it ends, waits for a person, or `timeout` of virtual time passed.
    async fn finish(
        &self,
        trigger: bool,
        timeout: Duration,
        started: std::time::Instant,
    ) -> Result<(), String> {
        self.settle(started).await?;
        if trigger {
            return Ok(());
        }
        let deadline = self
            .clock
            .now_ms()
            .saturating_add(i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX));
        loop {
            let status = self.status(&self.id).await?;
            if status.is_final() || status == ExecutionStatus::Waiting {
                return Ok(());
            }
            match self.clock.next_due() {
                Some(due) if due <= deadline => {
                    self.clock.skip();
                }
                Some(_) => return Ok(()),
                // The store says an execution wakes in time, but its worker has not armed the
                // timer yet (a slow machine): wait for it rather than end the case early.
                None if self.wakes_by(deadline).await? => {}
                None => return Ok(()),
            }
            self.settle(started).await?;
        }
    }

    /// Whether an unfinished execution of the case is due to wake at or before `deadline`.
    async fn wakes_by(&self, deadline: i64) -> Result<bool, String> {
        let filter = ExecutionFilter {
            include_children: true,
            ..ExecutionFilter::default()
        };
        let executions = self.store.executions(&filter).await.map_err(store_error)?;
        Ok(executions.iter().any(|execution| {
            !ExecutionStatus::parse(&execution.status).is_some_and(ExecutionStatus::is_final)
                && execution.runnable
                && execution.wake_ms.is_some_and(|due| due <= deadline)
        }))
    }

    async fn step(&self, step: &Step, started: std::time::Instant) -> Result<(), String> {
        match step {
            Step::Advance(by) => self.advance(*by, started).await?,
            Step::Event(body) => {
                self.emulator
                    .raise_event(body.clone())
                    .map_err(|error| format!("event: {error}"))?;
            }
            Step::Metrics(values) => {
                for value in values {
                    self.emulator
                        .set_metric(value.clone())
                        .map_err(|error| format!("metric: {error}"))?;
                }
            }
            Step::AlarmRules(rules) => {
                for rule in rules {
                    self.emulator
                        .put_alarm_rule(rule.clone())
                        .map_err(|error| format!("alarm_rule: {error}"))?;
                }
            }
            Step::Approve(approve) => self.decide(*approve).await?,
        }
        Ok(())
    }

    /// Approves (or rejects) every execution of the case that waits for an approval.
    async fn decide(&self, approve: bool) -> Result<(), String> {
        let filter = ExecutionFilter {
            status: Some("Waiting".into()),
            include_children: true,
            ..ExecutionFilter::default()
        };
        let waiting = self.store.executions(&filter).await.map_err(store_error)?;
        let armed = self.armed_triggers().await?;
        let notify_type = if approve {
            NotifyType::Approve
        } else {
            NotifyType::Reject
        };
        let mut decided = 0;
        for execution in waiting
            .iter()
            .filter(|execution| !armed.iter().any(|(id, _, _)| id == &execution.id))
        {
            let payload = serde_json::to_string(&Event::Notify(Notify::of(notify_type)))
                .map_err(|error| error.to_string())?;
            self.store
                .push(NewInboxEvent {
                    execution_id: execution.id.clone(),
                    payload,
                    created_ms: self.clock.now_ms(),
                })
                .await
                .map_err(store_error)?;
            decided += 1;
        }
        if decided == 0 {
            return Err(format!(
                "{}: no execution waits for an approval",
                if approve { "approve" } else { "reject" }
            ));
        }
        Ok(())
    }

    /// The case's armed triggers: (execution id, kind, properties).
    async fn armed_triggers(&self) -> Result<Vec<(String, String, Value)>, String> {
        let query = TriggerQuery {
            status: Some("Active".into()),
            limit: 1000,
            ..TriggerQuery::default()
        };
        let triggers = self.store.triggers(&query).await.map_err(store_error)?;
        Ok(triggers
            .into_iter()
            .map(|trigger| {
                (
                    trigger.execution_id,
                    trigger.kind,
                    serde_json::from_str(&trigger.properties).unwrap_or(Value::Null),
                )
            })
            .collect())
    }

    /// Hands what the emulator raised to the triggers it matches. Whether anything was raised.
    async fn deliver(&self) -> Result<bool, String> {
        let raised = self.raised.take();
        if raised.is_empty() {
            return Ok(false);
        }
        let now = self.clock.now_ms();
        let triggers = self.armed_triggers().await?;
        for (kind, body) in raised {
            let (category, key, source, payload, matches): (
                &str,
                String,
                FireSource,
                Value,
                TriggerMatch,
            ) = match kind {
                EventKind::Event => {
                    let fallback = body
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or("evt-test")
                        .to_owned();
                    let event = CloudEvent::from_wire(&body, &fallback, now)
                        .map_err(|error| format!("event {body}: {}", error.message))?;
                    let (key, payload) = (event.id.clone(), event.payload());
                    (
                        "EventTrigger",
                        key,
                        FireSource::Event,
                        payload,
                        Box::new(move |properties| {
                            EventSpec::from_properties(properties)
                                .is_ok_and(|spec| spec.matches(&event))
                        }),
                    )
                }
                EventKind::Alarm => {
                    let alarm = Alarm::from_content(&body, now)
                        .map_err(|error| format!("alarm {body}: {}", error.message))?;
                    let (key, payload) = (alarm.dedup_key.clone(), alarm.payload());
                    (
                        "AlarmTrigger",
                        key,
                        FireSource::Alarm,
                        payload,
                        Box::new(move |properties| {
                            AlarmSpec::from_properties(properties)
                                .is_ok_and(|spec| spec.matches(&alarm))
                        }),
                    )
                }
            };
            for (id, _, _) in triggers
                .iter()
                .filter(|(_, kind, properties)| kind == category && matches(properties))
            {
                let signal = TriggerSignal::Fire {
                    key: key.clone(),
                    source,
                    payload: payload.clone(),
                };
                let payload = serde_json::to_string(&Event::Trigger(signal))
                    .map_err(|error| error.to_string())?;
                self.store
                    .push(NewInboxEvent {
                        execution_id: id.clone(),
                        payload,
                        created_ms: now,
                    })
                    .await
                    .map_err(store_error)?;
            }
        }
        Ok(true)
    }

    async fn status(&self, id: &str) -> Result<ExecutionStatus, String> {
        let record = self
            .store
            .execution(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| format!("execution {id} vanished"))?;
        Ok(ExecutionStatus::parse(&record.status).unwrap_or(ExecutionStatus::Running))
    }

    async fn outcome(&self, id: &str) -> Result<ExecutionOutcome, String> {
        let record = self
            .store
            .execution(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| format!("execution {id} vanished"))?;
        let outputs = record
            .outputs
            .as_deref()
            .and_then(|text| serde_json::from_str::<Map<String, Value>>(text).ok())
            .unwrap_or_default();
        let tasks = self.store.tasks(id).await.map_err(store_error)?;
        Ok(ExecutionOutcome {
            id: record.id,
            status: record.status,
            status_message: record.status_message,
            outputs,
            tasks,
        })
    }

    /// The firing runs of the case's trigger, oldest first.
    async fn runs(&self) -> Result<Vec<ExecutionOutcome>, String> {
        let filter = ExecutionFilter {
            parent_execution_id: Some(self.id.clone()),
            ..ExecutionFilter::default()
        };
        let mut children = self.store.executions(&filter).await.map_err(store_error)?;
        children.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        let mut runs = Vec::with_capacity(children.len());
        for child in children {
            runs.push(self.outcome(&child.id).await?);
        }
        Ok(runs)
    }

    /// Every resource of every kind, in every region, as the Describe actions show them.
    fn cloud(&self) -> Snapshot {
        let regions: Vec<String> = self.emulator.with_cloud(|cloud| {
            cloud
                .regions
                .iter()
                .map(|region| region.region_id.clone())
                .collect()
        });
        let mut snapshot = Snapshot::new();
        for kind in KINDS {
            let version = match kind.product {
                "VPC" => oos_emulator::VPC_VERSION,
                "SLB" => oos_emulator::SLB_VERSION,
                _ => oos_emulator::ECS_VERSION,
            };
            let listed = snapshot.entry(kind.name).or_default();
            for region in &regions {
                for page in 1.. {
                    let mut parameters = vec![
                        ("RegionId".to_owned(), region.clone()),
                        ("PageNumber".to_owned(), page.to_string()),
                        ("PageSize".to_owned(), PAGE_SIZE.to_string()),
                    ];
                    parameters.extend(
                        kind.extra
                            .iter()
                            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned())),
                    );
                    let Ok(answer) = self.emulator.call(&oos_acs::RpcRequest::new(
                        kind.action,
                        version,
                        parameters,
                    )) else {
                        break;
                    };
                    let items = answer
                        .get(kind.list[0])
                        .and_then(|list| list.get(kind.list[1]))
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    let full = items.len() == PAGE_SIZE;
                    listed.extend(items);
                    if !full {
                        break;
                    }
                }
            }
        }
        snapshot
    }
}

fn store_error(error: oos_store::StoreError) -> String {
    format!("store: {error}")
}
