//! `oos run TEMPLATE -p Key=Value …`: runs a template in-process on the embedded store of a data
//! directory, with a live per-task progress display on stderr (in a terminal, asking for the
//! approvals it waits for), then prints outputs and the id.
//! Also the pieces `oos execution` shares: the data directory, the store, a worker.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use oos_actions::{AddressPolicy, ApiCall, CloudApi, CloudError, Executors};
use oos_clock::{Clock, SystemClock};
use oos_cloud::{AssumeRoleConfig, CloudClient, CloudConfig, CredentialChain};
use oos_runtime::{Library, Quotas, RuntimeConfig, StartRequest, Worker};
use oos_engine::{EngineConfig, Execution, ExecutionStatus, Mode, TaskStatus};
use oos_store::sqlite::{Durability, WorkerLock};
use oos_store::{Close, ExecutionStore, SqliteStore, Store};
use serde_json::{Map, Value};
use tracing::Instrument;

/// Where executions live: `--data-dir`, else `$OOS_DATA_DIR`, else `./.oos`.
#[derive(Debug, Clone, clap::Args)]
pub struct DataDirArgs {
    /// Data directory of the embedded store [env: OOS_DATA_DIR] [default: ./.oos]
    #[arg(long, env = "OOS_DATA_DIR", default_value = ".oos", global = true)]
    pub data_dir: PathBuf,
}

/// How a worker reaches the cloud and finds child templates.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// Send every cloud call to this URL (e.g. the emulator: http://127.0.0.1:8081).
    #[arg(long, env = "OOS_CLOUD_ENDPOINT")]
    pub endpoint: Option<String>,
    /// Region of the execution (`ACS::RegionId`).
    #[arg(long, env = "OOS_REGION_ID", default_value = "cn-hangzhou")]
    pub region: String,
    /// Directories of templates for ACS::Template and product actions (`<Name>.yml|yaml|json`, found
    /// by the rules of `oos template validate --library`, docs/cli.md).
    #[arg(long = "library")]
    pub libraries: Vec<PathBuf>,
    /// Largest Loop.Items list accepted.
    #[arg(long, default_value_t = 1000)]
    pub max_loop_items: usize,
    /// Most unfinished executions (children included) of the account.
    #[arg(long, default_value_t = 1000)]
    pub max_running_executions: i64,
    /// Most unfinished executions (children included) of one template.
    #[arg(long, default_value_t = 200)]
    pub max_running_per_template: i64,
    /// Most levels of child executions (ACS::Template, product actions) below a started one.
    #[arg(long, default_value_t = 5)]
    pub max_nesting_depth: u32,
    /// Most task executions (loop iterations included) of one execution.
    #[arg(long, default_value_t = 100_000)]
    pub max_tasks_per_execution: usize,
    /// Seconds a worker's lease on an execution lasts unrenewed: how soon the executions of a worker
    /// that died are taken over by another (leases are renewed every third of it).
    #[arg(long = "lease-ttl", env = "OOS_LEASE_TTL", default_value_t = 30, value_parser = clap::value_parser!(u64).range(3..=3600))]
    pub lease_ttl_secs: u64,
    /// Crashes of a process while an execution was worked on after which the execution is
    /// quarantined (failed without running it again), so a poison execution cannot crash-loop.
    #[arg(long, env = "OOS_MAX_CRASHES", default_value_t = 3)]
    pub max_crashes: i64,
    /// Make each execution's cloud calls as its RamRole, assumed through STS in this account (a role
    /// name R becomes acs:ram::<ID>:role/R; ARNs are used as given); the role session is named after
    /// the execution. With --sandbox: the emulator's account unless given.
    #[arg(long, env = "OOS_ASSUME_ROLE_ACCOUNT", value_name = "ID")]
    pub assume_role_account: Option<String>,
    /// Seconds the assumed roles' credentials are asked to last (STS allows 900–43200); they are
    /// renewed 5 minutes before they expire.
    #[arg(long, env = "OOS_ASSUME_ROLE_DURATION", value_name = "SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(900..=43200))]
    pub assume_role_duration: u64,
    /// Time zone (IANA name) of the TimerTriggers that name none.
    #[arg(long, env = "OOS_TRIGGER_TIME_ZONE", default_value = "UTC")]
    pub trigger_time_zone: String,
    /// Seconds a TimerTrigger tick may be late and still fire as itself; ticks missed for longer
    /// (every worker down) fire once, together, when a worker runs the trigger again.
    #[arg(long = "trigger-misfire", env = "OOS_TRIGGER_MISFIRE", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub trigger_misfire_secs: u64,
    /// Credentials that take precedence over the environment (set by `--sandbox`).
    #[arg(skip)]
    pub credentials: Option<oos_cloud::Credentials>,
    /// Where webhooks and HTTP requests go in a sandbox (set by `--sandbox`): captured in its inbox
    /// unless their host is allowed.
    #[arg(skip)]
    pub sandbox_door: Option<oos_actions::outbound::SandboxDoor>,
}

/// Run a template in-process and print its outputs.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Template file (YAML or JSON).
    template: PathBuf,
    /// Parameter as Key=Value (values starting with `[`, `{` are JSON); repeatable.
    #[arg(short = 'p', long = "parameter")]
    parameters: Vec<String>,
    /// Automatic, FailurePause or Debug.
    #[arg(long, default_value = "Automatic")]
    mode: String,
    /// ConfirmEveryHighRiskAction (high-risk calls wait for `oos execution approve`) or Skip (with
    /// Mode Automatic only).
    #[arg(long, default_value = "ConfirmEveryHighRiskAction")]
    safety_check: String,
    #[command(flatten)]
    data: DataDirArgs,
    #[command(flatten)]
    worker: WorkerArgs,
    #[command(flatten)]
    sandbox: super::sandbox::SandboxArgs,
    #[command(flatten)]
    pub traces: super::process::TraceArgs,
}

/// The store of a data directory, opened for reading and writing.
pub async fn open_store(data: &DataDirArgs) -> anyhow::Result<SqliteStore> {
    SqliteStore::open(&data.data_dir, Durability::Normal)
        .await
        .with_context(|| format!("opening data directory {}", data.data_dir.display()))
}

/// Takes the data directory over as its only worker: the lock, and the leases of dead processes.
pub async fn take_over(store: &SqliteStore) -> anyhow::Result<WorkerLock> {
    let lock = store.try_worker_lock()?;
    store.release_stale_leases(&lock).await?;
    Ok(lock)
}

/// A cloud that is not configured: every call fails with the reason.
struct NoCloud(String);

#[async_trait::async_trait]
impl CloudApi for NoCloud {
    async fn call(&self, call: &ApiCall) -> Result<Value, CloudError> {
        Err(CloudError {
            code: "MissingCredentials".into(),
            message: format!("task {}: cannot call {}.{}: {}", call.task_name, call.service, call.api, self.0),
            http_status: None,
            request_id: None,
        })
    }
}

/// The cloud of `args` (its endpoint, credentials from the provider chain) reading and waiting on
/// `clock`, or why there is none.
pub fn cloud(args: &WorkerArgs, clock: Arc<dyn Clock>) -> Result<Arc<dyn CloudApi>, String> {
    let assume_role = args.assume_role_account.clone().map(|account_id| AssumeRoleConfig { account_id, duration_secs: args.assume_role_duration });
    let mut config = CloudConfig { default_region: Some(args.region.clone()), assume_role, ..CloudConfig::default() };
    if let Some(endpoint) = &args.endpoint {
        config = config.with_sandbox(endpoint.clone());
    }
    match CloudClient::from_chain(config, &CredentialChain::from_process(args.credentials.clone())) {
        Ok(client) => Ok(Arc::new(client.with_clock(clock))),
        Err(error) => Err(error.to_string()),
    }
}

/// A worker on `store` with the product's actions (HTTP under `policy`); `hands_back`: it returns
/// executions that only wait to the store (a service's worker), else it keeps them (`oos run`).
/// The worker and its cloud client read and wait on `clock`.
pub fn worker(store: Arc<dyn Store>, args: &WorkerArgs, policy: AddressPolicy, hands_back: bool, clock: Arc<dyn Clock>) -> anyhow::Result<Worker> {
    worker_on(cloud(args, clock.clone()), store, args, policy, hands_back, clock)
}

/// [`worker`] calling `cloud` (when there is none, every call fails with the reason).
pub fn worker_on(cloud: Result<Arc<dyn CloudApi>, String>, store: Arc<dyn Store>, args: &WorkerArgs, policy: AddressPolicy, hands_back: bool, clock: Arc<dyn Clock>) -> anyhow::Result<Worker> {
    let cloud = cloud.unwrap_or_else(|reason| Arc::new(NoCloud(reason)));
    let files = oos_template::TemplateFiles::scan(&args.libraries).map_err(|e| anyhow::anyhow!("reading the template library {:?}: {e}", args.libraries))?;
    let library = oos_product_actions::WithBuiltins::new(Library::new(Some(store.clone())).with_files(files));
    oos_triggers::check_time_zone(&args.trigger_time_zone).map_err(|e| anyhow::anyhow!("--trigger-time-zone: {e}"))?;
    let engine = EngineConfig {
        max_loop_items: args.max_loop_items,
        region_id: args.region.clone(),
        max_tasks: args.max_tasks_per_execution,
        default_time_zone: args.trigger_time_zone.clone(),
        trigger_misfire_ms: i64::try_from(args.trigger_misfire_secs).unwrap_or(60).saturating_mul(1000),
        ..EngineConfig::default()
    };
    let quotas = Quotas { running_per_account: args.max_running_executions, running_per_template: args.max_running_per_template, max_depth: args.max_nesting_depth };
    let defaults = RuntimeConfig::default();
    let park_after = if hands_back { defaults.park_after } else { None };
    let lease_ttl = std::time::Duration::from_secs(args.lease_ttl_secs);
    let config = RuntimeConfig { engine, quotas, park_after, lease_ttl, max_crashes: args.max_crashes, ..defaults };
    let mut executors = Executors::new(cloud, policy);
    if let Some(door) = &args.sandbox_door {
        executors = executors.with_sandbox(door.clone());
    }
    Ok(Worker::new(store, Arc::new(executors), Arc::new(library), config).with_clock(clock))
}

/// The worker of a local command (`oos run`, `oos execution` without a server) on a data directory's
/// store: it keeps its executions and seals secrets with the directory's master key.
pub fn embedded_worker(store: &SqliteStore, args: &WorkerArgs, clock: Arc<dyn Clock>) -> anyhow::Result<Worker> {
    let sealer = oos_server::KeySealer::open(&oos_server::KeyFiles::in_dir(store.dir()).master_key).map_err(|e| anyhow::anyhow!("{e}"))?;
    // The user's own machine: webhooks and HTTP requests may reach any address.
    Ok(worker(Arc::new(store.clone()), args, AddressPolicy::open(), false, clock)?.with_sealer(Arc::new(sealer)))
}

pub fn parse_parameters(raw: &[String]) -> anyhow::Result<Map<String, Value>> {
    raw.iter()
        .map(|item| {
            let (key, value) = item.split_once('=').with_context(|| format!("parameter `{item}` is not Key=Value"))?;
            let value = if value.trim_start().starts_with(['[', '{']) {
                serde_json::from_str(value).with_context(|| format!("parameter `{key}` is not valid JSON"))?
            } else {
                Value::String(value.to_owned())
            };
            Ok((key.to_owned(), value))
        })
        .collect()
}

/// Runs the template and prints its outputs (stdout) and the execution id.
pub fn run(args: RunArgs, log_format: super::process::LogFormat) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.template).with_context(|| format!("reading {}", args.template.display()))?;
    let template = std::sync::Arc::new(oos_template::parse(&text).map_err(|e| anyhow::anyhow!("{e}"))?);
    let mode = Mode::parse(&args.mode).with_context(|| format!("unknown mode {}; use Automatic, FailurePause or Debug", args.mode))?;
    let safety_check = oos_engine::SafetyCheck::parse(&args.safety_check)
        .with_context(|| format!("InvalidParameter.SafetyCheck: {}; use ConfirmEveryHighRiskAction or Skip", args.safety_check))?;
    if safety_check == oos_engine::SafetyCheck::Skip && mode != Mode::Automatic {
        anyhow::bail!("InvalidParameter.SafetyCheck: Skip is allowed only with --mode Automatic");
    }
    let parameters = parse_parameters(&args.parameters)?;
    let name = template_name(&args.template);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let mut args = args;
        let traces = args.traces.start(log_format, "run")?;
        let store = open_store(&args.data).await?;
        let _lock = take_over(&store).await?;
        let sandbox = super::sandbox::Sandbox::start(&args.sandbox, &mut args.worker).await?;
        if let Some(sandbox) = &sandbox {
            sandbox.capture_requests(&args.sandbox, Arc::new(store.clone()), Arc::new(SystemClock), &mut args.worker);
        }
        let mut worker = embedded_worker(&store, &args.worker, Arc::new(SystemClock))?;
        let mut display = Display::new();
        worker.set_observer(Box::new(move |exec| display.update(exec)));
        let request = StartRequest {
            template_name: name,
            template_version: None,
            template,
            parameters,
            mode,
            description: String::new(),
            region_id: Some(args.worker.region.clone()),
            audit: Vec::new(),
            meta: None,
            executed_by: None,
            loop_mode: None,
            safety_check,
        };
        let trigger = oos_engine::TriggerKind::of_template(&request.template);
        let span = tracing::info_span!(target: oos_telemetry::TARGET, "cli.run", oos.template_name = %request.template_name);
        let id = worker.start(request).instrument(span).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let status = match trigger {
            Some(kind) => {
                eprintln!("execution {id} is a {}: each firing runs the rest of the template; Ctrl-C stops here (the trigger stays armed, and `oos server` on this data directory fires it)", kind.category());
                follow_trigger(&mut worker, &store, &id).await?
            }
            None => super::approval_prompt::settle_asking(&mut worker, &store, &id, || SystemClock.now_ms()).await?,
        };
        let stall = worker.stalled_on(&id);
        let code = report(&store, &id, status, stall.as_ref()).await;
        if let Some(sandbox) = sandbox {
            sandbox.finish().await?;
        }
        let code = code?;
        store.close().await;
        traces.finish().await;
        Ok(code)
    })
}

/// Runs the worker until the trigger execution `id` ends (EndDate passed, a one-time trigger fired,
/// cancelled) or Ctrl-C; its status then.
async fn follow_trigger(worker: &mut Worker, store: &SqliteStore, id: &str) -> anyhow::Result<ExecutionStatus> {
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(ExecutionStatus::Waiting),
            turn = worker.turn() => turn?,
        }
        let status = match worker.live(id) {
            Some(exec) => exec.status,
            None => store.execution(id).await?.and_then(|record| ExecutionStatus::parse(&record.status)).unwrap_or(ExecutionStatus::Waiting),
        };
        if status.is_final() {
            return Ok(status);
        }
    }
}

fn template_name(path: &Path) -> String {
    path.file_stem().and_then(|s| s.to_str()).unwrap_or("template").to_owned()
}

/// Prints the outcome of a settled execution; the exit code says whether it succeeded. `stall`:
/// the descendant it waits for (it is Running only because that one waits for a decision).
pub async fn report(store: &SqliteStore, id: &str, status: ExecutionStatus, stall: Option<&oos_runtime::Stall>) -> anyhow::Result<ExitCode> {
    let record = store.execution(id).await?.with_context(|| format!("execution {id} vanished"))?;
    if let Some(outputs) = &record.outputs {
        let outputs: Value = serde_json::from_str(outputs)?;
        println!("{}", serde_json::to_string_pretty(&outputs)?);
    }
    println!("ExecutionId: {id}");
    match status {
        ExecutionStatus::Success => Ok(ExitCode::SUCCESS),
        ExecutionStatus::Waiting if is_trigger(&record) => {
            eprintln!("execution {id} is an armed trigger: `oos server` on this data directory fires it; `oos execution cancel {id}` ends it");
            Ok(ExitCode::SUCCESS)
        }
        ExecutionStatus::Waiting => {
            eprintln!("execution {id} is Waiting: continue it with `oos execution notify {id} <Approve|Reject|Resume|ExecuteTask|…>`");
            Ok(ExitCode::SUCCESS)
        }
        ExecutionStatus::Running if let Some(stall) = stall => {
            let child = &stall.execution_id;
            eprintln!(
                "execution {id} is Running: its child execution {child} waits for a decision at task {}: continue it with `oos execution approve {child}` (or reject)",
                stall.task_name
            );
            Ok(ExitCode::SUCCESS)
        }
        other => bail!("execution {id} {other}: {}", record.status_message),
    }
}

/// Whether `record` is a trigger execution (its template's first task is a trigger; not a firing's run).
fn is_trigger(record: &oos_store::ExecutionRecord) -> bool {
    record.parent_execution_id.is_none()
        && oos_template::parse(&record.template_content).ok().is_some_and(|template| oos_engine::TriggerKind::of_template(&template).is_some())
}

/// Live per-task progress on stderr (hidden when stderr is not a terminal).
struct Display {
    bars: MultiProgress,
    by_task: HashMap<String, ProgressBar>,
}

impl Display {
    fn new() -> Self {
        Self { bars: MultiProgress::new(), by_task: HashMap::new() }
    }

    fn update(&mut self, exec: &Execution) {
        if exec.flow.firing.is_some() && exec.status.is_final() {
            let outputs = exec.outputs.as_ref().map(|outputs| Value::Object(outputs.clone()).to_string()).unwrap_or_default();
            let line = format!("firing run {} {} {outputs}", exec.id, exec.status);
            if self.bars.is_hidden() {
                eprintln!("{line}");
            } else {
                let _ = self.bars.println(line);
            }
        }
        if exec.parent_execution_id.is_some() {
            return;
        }
        for run in exec.tasks.iter().filter(|t| t.parent.is_none()) {
            let bar = self.by_task.entry(run.id.clone()).or_insert_with(|| {
                let bar = self.bars.add(ProgressBar::new(0));
                bar.set_style(
                    ProgressStyle::with_template("{prefix:>24} {msg:<10} {wide_bar} {pos}/{len}").unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_prefix(run.name.clone());
                bar
            });
            if let (Some(plan), Some(progress)) = (&run.state.loop_plan, &run.state.progress) {
                bar.set_length(plan.items.len() as u64);
                bar.set_position((progress.succeeded + progress.failed) as u64);
            } else {
                bar.set_length(1);
                bar.set_position(u64::from(run.status.is_final()));
            }
            bar.set_message(run.status.to_string());
            if run.status.is_final() && run.status != TaskStatus::Running {
                bar.finish();
            }
        }
    }
}
