//! The process of one command: the script in a private temporary file run by its interpreter in a
//! process group of its own, stdout and stderr on one pipe (so they interleave as written), output
//! streamed at most every [`FLUSH_EVERY`] or [`FLUSH_BYTES`], the whole group killed on timeout,
//! on stop, or when the agent drops the invocation (shutdown).

use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use oos_agent_proto::{AgentMessage, FinishStatus, Job, Outcome};
use rustix::process::{Pid, Signal, kill_process_group};
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::{Instant, sleep_until};

use super::{OutputCollector, Plan, StopSignal, failed};
use crate::codes;

/// Output is sent at least this often while there is some.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// Output is sent as soon as this much is waiting.
const FLUSH_BYTES: usize = 8 * 1024;
/// After the command exited, how long its output pipe may stay open (held by a background child)
/// before the agent stops reading.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(1);
const SETPRIV: [&str; 2] = ["/usr/bin/setpriv", "/bin/setpriv"];

/// Why the agent ended the process itself.
#[derive(Debug, Clone, Copy)]
enum Ending {
    Timeout,
    Stopped,
}

pub(super) async fn execute(
    job: &Job,
    plan: Plan,
    start_ms: i64,
    output: &UnboundedSender<AgentMessage>,
    stop: &StopSignal,
) -> Outcome {
    let mut spawned = match spawn(&plan) {
        Ok(spawned) => spawned,
        Err(error) => {
            return failed(&job.invoke_id, start_ms, codes::PROCESS_START_FAILED, format!("{}: {error}", plan.interpreter));
        }
    };
    let stream = |collector: &mut OutputCollector, at_end: bool| {
        if let Some(data) = collector.take_chunk(at_end) {
            let _closed = output.send(AgentMessage::Output { invoke_id: job.invoke_id.clone(), data });
        }
    };
    let mut collector = OutputCollector::new(job.output_limit);
    let deadline = (job.timeout_secs > 0).then(|| Instant::now() + Duration::from_secs(job.timeout_secs));
    let never = Instant::now() + Duration::from_secs(100 * 365 * 86_400);
    let mut buffer = vec![0_u8; 16 * 1024];
    let (mut ending, mut exit, mut eof, mut drain_until) = (None, None, false, None);
    let mut next_flush = Instant::now() + FLUSH_EVERY;
    while !(eof && exit.is_some()) {
        tokio::select! {
            read = spawned.reader.read(&mut buffer), if !eof => match read {
                Ok(0) | Err(_) => eof = true,
                Ok(length) => {
                    collector.push(&buffer[..length]);
                    if collector.pending() >= FLUSH_BYTES {
                        stream(&mut collector, false);
                        next_flush = Instant::now() + FLUSH_EVERY;
                    }
                }
            },
            status = spawned.child.wait(), if exit.is_none() => {
                exit = Some(status.ok());
                spawned.group.forget();
                drain_until = Some(Instant::now() + DRAIN_AFTER_EXIT);
            }
            () = sleep_until(next_flush), if collector.pending() > 0 => {
                stream(&mut collector, false);
                next_flush = Instant::now() + FLUSH_EVERY;
            }
            () = sleep_until(deadline.unwrap_or(never)), if deadline.is_some() && ending.is_none() && exit.is_none() => {
                spawned.group.kill();
                ending = Some(Ending::Timeout);
            }
            () = stop.raised(), if ending.is_none() && exit.is_none() => {
                spawned.group.kill();
                ending = Some(Ending::Stopped);
            }
            () = sleep_until(drain_until.unwrap_or(never)), if drain_until.is_some() => break,
        }
    }
    stream(&mut collector, true);
    let (text, dropped) = collector.finish();
    let status = exit.flatten();
    let (finish, error_code, error_info) = judge(job, ending, status);
    Outcome {
        invoke_id: job.invoke_id.clone(),
        status: finish,
        exit_code: status.and_then(|status| status.code()),
        start_ms,
        finish_ms: crate::now_ms(),
        output: text,
        dropped,
        error_code: error_code.map(str::to_owned),
        error_info,
    }
}

fn judge(job: &Job, ending: Option<Ending>, status: Option<ExitStatus>) -> (FinishStatus, Option<&'static str>, Option<String>) {
    match (ending, status) {
        (Some(Ending::Timeout), _) => (
            FinishStatus::Timeout,
            Some(codes::EXECUTION_TIMEOUT),
            Some(format!("killed after its timeout of {} s", job.timeout_secs)),
        ),
        (Some(Ending::Stopped), _) => {
            (FinishStatus::Stopped, Some(codes::INVOCATION_STOPPED), Some("stopped by StopInvocation".to_owned()))
        }
        (None, Some(status)) if status.success() => (FinishStatus::Success, None, None),
        (None, Some(status)) => {
            let info = match (status.code(), status.signal()) {
                (Some(code), _) => format!("exited with code {code}"),
                (None, Some(signal)) => format!("killed by signal {signal}"),
                (None, None) => "ended abnormally".to_owned(),
            };
            (FinishStatus::Failed, Some(codes::EXIT_CODE_NONZERO), Some(info))
        }
        (None, None) => (FinishStatus::Failed, Some(codes::EXIT_CODE_NONZERO), Some("its exit status is unknown".to_owned())),
    }
}

/// A started process with what it needs to live.
struct Spawned {
    child: tokio::process::Child,
    reader: pipe::Receiver,
    group: GroupKill,
    /// Removed when the invocation ends.
    _script: tempfile::TempPath,
}

fn spawn(plan: &Plan) -> std::io::Result<Spawned> {
    let mut file = tempfile::Builder::new().prefix("oos-agent-").suffix(&format!(".{}", plan.extension)).tempfile()?;
    file.write_all(plan.script.as_bytes())?;
    if plan.switch_user {
        std::os::unix::fs::fchown(file.as_file(), Some(plan.account.uid), Some(plan.account.gid))?;
    }
    let script = file.into_temp_path();
    let (reader, writer) = std::io::pipe()?;
    let mut command = if plan.switch_user { as_user(plan)? } else { tokio::process::Command::new(plan.interpreter) };
    command
        .arg(&script)
        .current_dir(&plan.working_dir)
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("OOS_") {
            command.env_remove(key);
        }
    }
    let name = &plan.account.name;
    command.env("HOME", &plan.account.home).env("USER", name).env("LOGNAME", name);
    let child = command.spawn()?;
    // The command holds the pipe's write ends: dropped, the child's exit ends the output.
    drop(command);
    let group = GroupKill(child.id().and_then(|id| Pid::from_raw(i32::try_from(id).ok()?)));
    let reader = pipe::Receiver::from_owned_fd(OwnedFd::from(reader))?;
    Ok(Spawned { child, reader, group, _script: script })
}

/// `setpriv` sets the user, its group and its supplementary groups before running the interpreter.
fn as_user(plan: &Plan) -> std::io::Result<tokio::process::Command> {
    let setpriv = SETPRIV.iter().find(|path| Path::new(path).exists()).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "running as another user needs setpriv (util-linux)")
    })?;
    let mut command = tokio::process::Command::new(setpriv);
    command
        .arg(format!("--reuid={}", plan.account.uid))
        .arg(format!("--regid={}", plan.account.gid))
        .arg("--init-groups")
        .arg("--")
        .arg(plan.interpreter);
    Ok(command)
}

/// The process group of a running command, killed when the invocation is dropped before the
/// command exited.
struct GroupKill(Option<Pid>);

impl GroupKill {
    fn kill(&self) {
        if let Some(group) = self.0 {
            let _gone = kill_process_group(group, Signal::KILL);
        }
    }

    /// The command exited: what it left running in the background is its own business.
    fn forget(&mut self) {
        self.0 = None;
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill();
    }
}
