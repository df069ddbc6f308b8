//! The runner on real processes: each command type, working directory, user, timeout (children
//! too), stop, output limit, parameters, refusals, exit codes.

mod common;

use std::path::Path;

use common::{job, patiently};
use oos_agent::runner::{StopSignal, run_job};
use oos_agent_proto::{AgentMessage, FinishStatus, Job, Outcome};
use serde_json::json;
use tokio::sync::mpsc;

/// Runs a job to its end; the outcome and the output chunks streamed.
async fn run(job: &Job) -> (Outcome, Vec<String>) {
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let outcome = patiently("the job", run_job(job, oos_agent::now_ms(), &sender, &StopSignal::new())).await;
    drop(sender);
    let mut chunks = Vec::new();
    while let Some(AgentMessage::Output { data, .. }) = receiver.recv().await {
        chunks.push(data);
    }
    (outcome, chunks)
}

fn code(outcome: &Outcome) -> Option<&str> {
    outcome.error_code.as_deref()
}

#[tokio::test]
async fn shell_python_and_perl_scripts_run_and_their_output_streams() {
    let (shell, chunks) = run(&job("t-sh", "RunShellScript", "echo out; echo err >&2; exit 0")).await;
    assert_eq!(shell.status, FinishStatus::Success, "{shell:?}");
    assert_eq!(shell.output, "out\nerr\n");
    assert_eq!(chunks.concat(), shell.output);
    assert_eq!(shell.exit_code, Some(0));
    assert!(shell.finish_ms >= shell.start_ms);

    let (python, _) = run(&job("t-py", "RunPythonScript", "import sys\nprint(sys.version_info[0])")).await;
    assert_eq!((python.status, python.output.as_str()), (FinishStatus::Success, "3\n"), "{python:?}");

    let (perl, _) = run(&job("t-pl", "RunPerlScript", "print 6 * 7, \"\\n\";")).await;
    assert_eq!((perl.status, perl.output.as_str()), (FinishStatus::Success, "42\n"), "{perl:?}");
}

#[tokio::test]
async fn a_non_zero_exit_fails_with_its_code() {
    let (outcome, _) = run(&job("t-exit", "RunShellScript", "echo partial; exit 3")).await;
    assert_eq!(outcome.status, FinishStatus::Failed);
    assert_eq!(outcome.exit_code, Some(3));
    assert_eq!(code(&outcome), Some("ExitCodeNonzero"));
    assert_eq!(outcome.output, "partial\n");
}

#[tokio::test]
async fn windows_command_types_are_refused() {
    for command_type in ["RunPowerShellScript", "RunBatScript"] {
        let (outcome, _) = run(&job("t-win", command_type, "Write-Output hi")).await;
        assert_eq!(outcome.status, FinishStatus::Failed);
        assert_eq!(code(&outcome), Some("CommandNotApplicable"));
        assert!(outcome.error_info.unwrap().contains("Windows"));
    }
}

#[tokio::test]
async fn the_working_directory_is_used_and_a_missing_one_is_refused() {
    let directory = tempfile::tempdir().unwrap();
    let mut here = job("t-wd", "RunShellScript", "pwd");
    here.working_dir = directory.path().to_string_lossy().into_owned();
    let (outcome, _) = run(&here).await;
    assert_eq!(outcome.output.trim(), directory.path().canonicalize().unwrap().to_string_lossy());

    let (home, _) = run(&job("t-home", "RunShellScript", "pwd")).await;
    assert_eq!(home.output.trim(), std::env::var("HOME").unwrap());

    here.working_dir = directory.path().join("absent").to_string_lossy().into_owned();
    let (missing, _) = run(&here).await;
    assert_eq!(code(&missing), Some("InvalidWorkingDir"));
}

#[tokio::test]
async fn parameters_are_substituted_only_when_enabled() {
    let content = "echo {{name}} {{  count }} {{ a.b-c }}";
    let mut with = job("t-par", "RunShellScript", content);
    with.enable_parameter = true;
    with.parameters = json!({"name": "web", "count": 3, "a.b-c": "x"}).as_object().unwrap().clone();
    let (outcome, _) = run(&with).await;
    assert_eq!(outcome.output, "web 3 x\n");

    with.parameters.remove("count");
    let (missing, _) = run(&with).await;
    assert_eq!(code(&missing), Some("ParameterMissing"));
    assert!(missing.error_info.unwrap().contains("count"));

    let verbatim = job("t-verb", "RunShellScript", "echo '{{name}}'");
    let (outcome, _) = run(&verbatim).await;
    assert_eq!(outcome.output, "{{name}}\n");
}

#[tokio::test]
async fn output_past_the_limit_is_dropped_and_counted() {
    let mut big = job("t-big", "RunShellScript", "head -c 100000 /dev/zero | tr '\\0' a");
    big.output_limit = 1000;
    let (outcome, chunks) = run(&big).await;
    assert_eq!(outcome.output, "a".repeat(1000));
    assert_eq!(outcome.dropped, 99_000);
    assert_eq!(chunks.concat(), outcome.output);
}

fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| !stat.rsplit(')').next().unwrap_or_default().trim_start().starts_with('Z'))
}

async fn wait_gone(pid: &str) {
    patiently("the background child to die", async {
        while alive(pid) {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
}

fn script_with_child(pid_file: &Path) -> String {
    format!("sleep 300 & echo $! > {}; echo started; wait", pid_file.display())
}

#[tokio::test]
async fn a_timeout_kills_the_whole_process_group() {
    let directory = tempfile::tempdir().unwrap();
    let pid_file = directory.path().join("child.pid");
    let mut slow = job("t-timeout", "RunShellScript", &script_with_child(&pid_file));
    slow.timeout_secs = 1;
    let (outcome, _) = run(&slow).await;
    assert_eq!(outcome.status, FinishStatus::Timeout);
    assert_eq!(code(&outcome), Some("ExecutionTimeout"));
    assert_eq!(outcome.output, "started\n");
    wait_gone(std::fs::read_to_string(&pid_file).unwrap().trim()).await;
}

#[tokio::test]
async fn stop_kills_the_whole_process_group() {
    let directory = tempfile::tempdir().unwrap();
    let pid_file = directory.path().join("child.pid");
    let slow = job("t-stop", "RunShellScript", &script_with_child(&pid_file));
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let stop = StopSignal::new();
    let running = tokio::spawn({
        let stop = stop.clone();
        async move { run_job(&slow, 0, &sender, &stop).await }
    });
    // Stop once it has started its child.
    let first = patiently("output", receiver.recv()).await.unwrap();
    assert!(matches!(first, AgentMessage::Output { ref data, .. } if data == "started\n"), "{first:?}");
    stop.stop();
    let outcome = patiently("the stop", running).await.unwrap();
    assert_eq!(outcome.status, FinishStatus::Stopped);
    assert_eq!(code(&outcome), Some("InvocationStopped"));
    wait_gone(std::fs::read_to_string(&pid_file).unwrap().trim()).await;
}

#[tokio::test]
async fn another_user_runs_with_its_ids_and_home_and_an_unknown_one_is_refused() {
    assert!(rustix_is_root(), "these tests run as root");
    let mut as_nobody = job("t-user", "RunShellScript", "id -u; id -g; echo $HOME");
    as_nobody.username = "nobody".to_owned();
    as_nobody.working_dir = "/".to_owned();
    let (outcome, _) = run(&as_nobody).await;
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let fields: Vec<&str> = passwd.lines().find(|line| line.starts_with("nobody:")).unwrap().split(':').collect();
    assert_eq!(outcome.output, format!("{}\n{}\n{}\n", fields[2], fields[3], fields[5]), "{outcome:?}");

    as_nobody.username = "no-such-user-here".to_owned();
    let (unknown, _) = run(&as_nobody).await;
    assert_eq!(code(&unknown), Some("InvalidUser"));
}

fn rustix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|line| line.starts_with("Uid:") && line.split_whitespace().nth(2) == Some("0"))
}
