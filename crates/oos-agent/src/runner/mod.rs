//! Running one command of a [`Job`]: checks (type, parameters, user, working directory), then the
//! process ([`process`]) with its output streamed and kept, its timeout and StopInvocation. Usable
//! without any connection: output goes to a channel of [`AgentMessage::Output`].

pub mod account;
mod output;
pub mod params;
mod process;

use std::path::PathBuf;
use std::sync::Arc;

use oos_agent_proto::{AgentMessage, FinishStatus, Job, Outcome};
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;

use crate::codes;
use account::Account;
pub use output::OutputCollector;

/// Lets the agent stop one running invocation (a stop sent before the process starts still counts).
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<Notify>);

impl StopSignal {
    /// A signal nobody has raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the invocation: its whole process group is killed.
    pub fn stop(&self) {
        self.0.notify_one();
    }

    async fn raised(&self) {
        self.0.notified().await;
    }
}

/// Runs `job` to its end and says how it ended; `Output` messages go to `output` while it runs.
pub async fn run_job(job: &Job, start_ms: i64, output: &UnboundedSender<AgentMessage>, stop: &StopSignal) -> Outcome {
    match prepare(job) {
        Ok(plan) => process::execute(job, plan, start_ms, output, stop).await,
        Err(refusal) => failed(&job.invoke_id, start_ms, refusal.code, refusal.info),
    }
}

/// An outcome of an invocation that failed before or without a process.
pub(crate) fn failed(invoke_id: &str, start_ms: i64, code: &str, info: String) -> Outcome {
    Outcome {
        invoke_id: invoke_id.to_owned(),
        status: FinishStatus::Failed,
        exit_code: None,
        start_ms,
        finish_ms: crate::now_ms(),
        output: String::new(),
        dropped: 0,
        error_code: Some(code.to_owned()),
        error_info: Some(info),
    }
}

/// Why a job does not start.
struct Refusal {
    code: &'static str,
    info: String,
}

impl Refusal {
    fn new(code: &'static str, info: impl Into<String>) -> Self {
        Self { code, info: info.into() }
    }
}

/// What to start, once every check passed.
struct Plan {
    interpreter: &'static str,
    extension: &'static str,
    script: String,
    account: Account,
    /// The account is not the agent's own user.
    switch_user: bool,
    working_dir: PathBuf,
}

fn prepare(job: &Job) -> Result<Plan, Refusal> {
    let (interpreter, extension) = match job.command_type.as_str() {
        "RunShellScript" => ("/bin/sh", "sh"),
        "RunPythonScript" => ("python3", "py"),
        "RunPerlScript" => ("perl", "pl"),
        "RunPowerShellScript" | "RunBatScript" => {
            return Err(Refusal::new(
                codes::COMMAND_NOT_APPLICABLE,
                format!("{} needs a Windows host; this host runs Linux", job.command_type),
            ));
        }
        other => return Err(Refusal::new(codes::COMMAND_NOT_APPLICABLE, format!("unknown command type {other:?}"))),
    };
    let script = if job.enable_parameter {
        params::substitute(&job.content, &job.parameters).map_err(|missing| {
            Refusal::new(codes::PARAMETER_MISSING, format!("parameters referenced but not given: {}", missing.join(", ")))
        })?
    } else {
        job.content.clone()
    };
    let (account, switch_user) = resolve_account(&job.username)?;
    let working_dir = if job.working_dir.is_empty() { account.home.clone() } else { PathBuf::from(&job.working_dir) };
    if !working_dir.is_dir() {
        return Err(Refusal::new(codes::INVALID_WORKING_DIR, format!("{} is not a directory", working_dir.display())));
    }
    Ok(Plan { interpreter, extension, script, account, switch_user, working_dir })
}

fn resolve_account(username: &str) -> Result<(Account, bool), Refusal> {
    let own = account::current();
    if username.is_empty() || username == own.name {
        return Ok((own, false));
    }
    if own.uid != 0 {
        return Err(Refusal::new(
            codes::INVALID_USER,
            format!("the agent runs as {}, not root, so it cannot run commands as {username}", own.name),
        ));
    }
    let account = account::user_by_name(username)
        .ok_or_else(|| Refusal::new(codes::INVALID_USER, format!("no user {username} on this host")))?;
    Ok((account, true))
}
