//! `oos execution start|list|show|tasks|logs|cancel|notify|approve|reject|delete`: against a server when one is configured
//! (`--endpoint`, `OOS_ENDPOINT` or a profile, see [`super::client`]), else against the store of a data
//! directory. Locally, cancel and notify write the event to the execution's inbox; when no other `oos`
//! process works on the directory, this command applies it itself and runs the execution until it settles.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Parser as _;
use oos_clock::{Clock, SystemClock};
use oos_engine::{Event, ExecutionStatus, Notify, NotifyType};
use oos_store::{Close, ExecutionFilter, ExecutionRecord, ExecutionStore, InboxStore, LogStore, NewInboxEvent, SandboxInboxStore, SandboxLetterQuery, SqliteStore, StoreError, TaskStore};
use serde_json::{Value, json};

use super::client::{ClientArgs, Output, print_list, print_object};
use super::run::{DataDirArgs, WorkerArgs, embedded_worker, open_store, report, take_over};

/// Inspect and steer executions, on a server or in the embedded store.
#[derive(Debug, clap::Args)]
pub struct ExecutionArgs {
    #[command(subcommand)]
    command: ExecutionCommand,
    #[command(flatten)]
    data: DataDirArgs,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, clap::Subcommand)]
pub(super) enum ExecutionCommand {
    /// Start an execution of a template on the server (locally: `oos run`).
    Start {
        template: String,
        /// Parameter as Key=Value (values starting with `[`, `{` are JSON); repeatable.
        #[arg(short = 'p', long = "parameter")]
        parameters: Vec<String>,
        /// Automatic, FailurePause or Debug.
        #[arg(long)]
        mode: Option<String>,
        /// Template version (`v2`); default: the latest.
        #[arg(long)]
        template_version: Option<String>,
    },
    /// List executions, newest first.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        template: Option<String>,
        /// Include child executions.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One execution with its parameters and outputs.
    Show { id: String },
    /// The task executions of an execution.
    Tasks { id: String },
    /// The log of an execution.
    Logs {
        id: String,
        #[arg(long)]
        task_execution_id: Option<String>,
    },
    /// Cancel an execution.
    Cancel {
        id: String,
        /// Template directories for a local run that continues (cloud endpoint and region: OOS_CLOUD_ENDPOINT, OOS_REGION_ID).
        #[arg(long = "library")]
        libraries: Vec<PathBuf>,
    },
    /// NotifyExecution: Approve, Reject, RetryTask, SkipTask, ExecuteTask, CancelTask, CompleteExecution, Resume.
    Notify {
        id: String,
        notify_type: String,
        /// TaskName (ExecuteTask).
        #[arg(long)]
        task: Option<String>,
        /// ExecutionStatus (CompleteExecution).
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Template directories for a local run that continues (cloud endpoint and region: OOS_CLOUD_ENDPOINT, OOS_REGION_ID).
        #[arg(long = "library")]
        libraries: Vec<PathBuf>,
    },
    /// Approve the approval an execution waits for (NotifyExecution Approve).
    Approve(Decision),
    /// Reject the approval an execution waits for: the task and the execution fail (NotifyExecution Reject).
    Reject(Decision),
    /// Delete finished executions on the server.
    Delete {
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

/// `oos execution approve|reject ID [--comment TEXT]`.
#[derive(Debug, clap::Args)]
pub(super) struct Decision {
    pub(super) id: String,
    /// Why (NotifyNote): shown in the execution log, the task's status message on a rejection, and the audit trail.
    #[arg(long)]
    pub(super) comment: Option<String>,
    /// Template directories for a local run that continues (cloud endpoint and region: OOS_CLOUD_ENDPOINT, OOS_REGION_ID).
    #[arg(long = "library")]
    libraries: Vec<PathBuf>,
}

/// The columns of execution lists.
pub(super) const EXECUTION_COLUMNS: &[&str] = &["ExecutionId", "TemplateName", "Status", "Mode", "CreateDate", "EndDate"];
/// The columns of task lists.
pub(super) const TASK_COLUMNS: &[&str] = &["TaskExecutionId", "TaskName", "TaskAction", "Status", "LoopItem", "StatusMessage"];
/// The columns of logs.
pub(super) const LOG_COLUMNS: &[&str] = &["Timestamp", "TaskExecutionId", "Message"];

/// The worker of a local cancel or notify: cloud endpoint and region from the environment, as `oos run` reads them.
#[derive(Debug, clap::Parser)]
struct LocalWorker {
    #[command(flatten)]
    worker: WorkerArgs,
}

fn local_worker(libraries: Vec<PathBuf>) -> WorkerArgs {
    let mut worker = LocalWorker::parse_from(["oos"]).worker;
    worker.libraries = libraries;
    worker
}

pub fn run(args: ExecutionArgs) -> anyhow::Result<ExitCode> {
    if args.client.configured_endpoint()?.is_some() {
        return super::execution_client::run(&args.client.connect()?, args.command, args.client.output);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let store = open_store(&args.data).await?;
        let code = command(&store, args.command, args.client.output).await;
        store.close().await;
        code
    })
}

async fn command(store: &SqliteStore, command: ExecutionCommand, output: Output) -> anyhow::Result<ExitCode> {
    match command {
        ExecutionCommand::List { status, template, all, limit } => {
            let filter = ExecutionFilter { status, template_name: template, include_children: all, limit: Some(limit), ..Default::default() };
            let records = store.executions(&filter).await?;
            print_list(output, &records.iter().map(execution_json).collect::<Vec<_>>(), EXECUTION_COLUMNS);
        }
        ExecutionCommand::Show { id } => {
            let record = existing(store, &id).await?;
            print_object(output, &execution_json(&record));
        }
        ExecutionCommand::Tasks { id } => {
            existing(store, &id).await?;
            let tasks = store.tasks(&id).await?;
            let json: Vec<Value> = tasks
                .iter()
                .map(|t| {
                    json!({
                        "TaskExecutionId": t.id, "ExecutionId": t.execution_id, "TaskName": t.task_name, "TaskAction": t.task_action,
                        "Status": t.status, "StatusMessage": t.status_message, "Properties": t.properties.clone().unwrap_or_default(),
                        "Outputs": t.outputs.clone().unwrap_or_default(), "LoopItem": t.loop_item, "LoopBatchNumber": t.loop_batch_number,
                        "ParentTaskExecutionId": t.parent_task_execution_id, "ChildExecutionId": t.child_execution_id,
                        "StartDate": time(t.start_ms), "EndDate": time(t.end_ms),
                    })
                })
                .collect();
            print_list(output, &json, TASK_COLUMNS);
        }
        ExecutionCommand::Logs { id, task_execution_id } => {
            existing(store, &id).await?;
            let logs = store.logs(&id, task_execution_id.as_deref()).await?;
            let json: Vec<Value> = logs
                .iter()
                .map(|l| json!({"Timestamp": time(Some(l.ts_ms)), "TaskExecutionId": l.task_execution_id, "LogType": l.log_type, "Message": l.message}))
                .collect();
            print_list(output, &json, LOG_COLUMNS);
        }
        ExecutionCommand::Cancel { id, libraries } => return deliver(store, &id, Event::Cancel, &local_worker(libraries)).await,
        ExecutionCommand::Notify { id, notify_type, task, status, note, libraries } => {
            let kind = NotifyType::parse(&notify_type).with_context(|| format!("unknown NotifyType {notify_type}"))?;
            let execution_status = match status {
                Some(s) => Some(ExecutionStatus::parse(&s).with_context(|| format!("unknown ExecutionStatus {s}"))?),
                None => None,
            };
            let notify = Notify { notify_type: kind, task_name: task, task_execution_id: None, execution_status, note, by: None };
            return deliver(store, &id, Event::Notify(notify), &local_worker(libraries)).await;
        }
        ExecutionCommand::Approve(decision) => return decide(store, decision, NotifyType::Approve).await,
        ExecutionCommand::Reject(decision) => return decide(store, decision, NotifyType::Reject).await,
        ExecutionCommand::Start { .. } => bail!("InvalidConfiguration.Endpoint: `oos execution start` needs a server (--endpoint, OOS_ENDPOINT or `oos login`); run a template locally with `oos run`"),
        ExecutionCommand::Delete { .. } => bail!("InvalidConfiguration.Endpoint: `oos execution delete` needs a server (--endpoint, OOS_ENDPOINT or `oos login`)"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn existing(store: &SqliteStore, id: &str) -> anyhow::Result<ExecutionRecord> {
    store.execution(id).await?.with_context(|| format!("EntityNotExists.Execution: execution {id} does not exist"))
}

/// Approve or Reject on a data directory: its owner decides alone (no identity to count).
/// Whether the sandbox inbox holds a letter of execution `id` (it ran with `--sandbox`).
async fn ran_in_sandbox(store: &SqliteStore, id: &str) -> anyhow::Result<bool> {
    let query = SandboxLetterQuery { execution_id: Some(id.to_owned()), kind: None, limit: 1 };
    Ok(!store.sandbox_letters(&query).await?.is_empty())
}

async fn decide(store: &SqliteStore, decision: Decision, notify_type: NotifyType) -> anyhow::Result<ExitCode> {
    let notify = Notify { note: decision.comment, ..Notify::of(notify_type) };
    deliver(store, &decision.id, Event::Notify(notify), &local_worker(decision.libraries)).await
}

/// Queues the event, then applies it here unless another process works on the data directory. An
/// execution that ran in a sandbox (its webhooks are in the sandbox inbox) is not continued here
/// against whatever cloud the environment names, unless a cloud endpoint is given (OOS_CLOUD_ENDPOINT).
async fn deliver(store: &SqliteStore, id: &str, event: Event, args: &WorkerArgs) -> anyhow::Result<ExitCode> {
    let record = existing(store, id).await?;
    if ExecutionStatus::parse(&record.status).is_some_and(ExecutionStatus::is_final) {
        bail!("IncorrectExecutionStatus: execution {id} is already {}", record.status);
    }
    let payload = serde_json::to_string(&event)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let queued = NewInboxEvent { execution_id: id.to_owned(), payload, created_ms: clock.now_ms() };
    match take_over(store).await {
        Ok(_lock) => {
            if args.endpoint.is_none() && ran_in_sandbox(store, id).await? {
                bail!(
                    "IncorrectExecutionStatus.Sandbox: execution {id} ran in a sandbox and no process runs it now; continuing it here would send its cloud calls to the cloud this environment names. Answer it at the `oos run --sandbox` prompt, or point this command at an emulator with OOS_CLOUD_ENDPOINT"
                );
            }
            store.push(queued).await?;
            let cancel = matches!(event, Event::Cancel);
            let mut worker = embedded_worker(store, args, clock)?;
            let status = worker.settle(id).await?;
            if cancel && status == ExecutionStatus::Cancelled {
                println!("ExecutionId: {id} Cancelled");
                return Ok(ExitCode::SUCCESS);
            }
            let stall = worker.stalled_on(id);
            report(store, id, status, stall.as_ref()).await
        }
        Err(error) if matches!(error.downcast_ref::<StoreError>(), Some(StoreError::Busy(_))) => {
            store.push(queued).await?;
            println!("queued for the oos process that runs executions on this data directory");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => Err(error),
    }
}

fn execution_json(r: &ExecutionRecord) -> Value {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    json!({
        "ExecutionId": r.id, "TemplateName": r.template_name, "TemplateVersion": r.template_version, "Mode": r.mode,
        "Status": r.status, "StatusMessage": r.status_message, "Parameters": parse(&r.parameters),
        "Outputs": r.outputs.as_deref().map(parse).unwrap_or(json!({})), "ParentExecutionId": r.parent_execution_id,
        "CreateDate": time(Some(r.created_ms)), "StartDate": time(r.start_ms), "EndDate": time(r.end_ms), "UpdateDate": time(Some(r.updated_ms)),
    })
}

/// OOS date format: `2019-05-16T10:26:14Z`.
fn time(ms: Option<i64>) -> String {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok()).map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}
