//! Exactly once through a real WebSocket hub: a Run delivered twice (also after a reconnection, and
//! after the agent process was killed mid-command) runs once; outcomes come again on every
//! connection until the hub says Recorded.

mod common;

use std::path::Path;
use std::process::Stdio;

use common::{Hub, job, lines, patiently, start_agent};
use oos_agent_proto::{AgentMessage, FinishStatus, ServerMessage};

const CHILD_STATE: &str = "OOS_AGENT_TEST_CHILD_STATE";
const CHILD_SERVER: &str = "OOS_AGENT_TEST_CHILD_SERVER";

fn appending(invoke_id: &str, counter: &Path, then: &str) -> ServerMessage {
    ServerMessage::Run(job(invoke_id, "RunShellScript", &format!("echo ran >> {}; {then}", counter.display())))
}

#[tokio::test]
async fn a_run_delivered_again_runs_once_and_its_outcome_comes_until_recorded() {
    let directory = tempfile::tempdir().unwrap();
    let counter = directory.path().join("counter");
    let mut hub = Hub::start().await;
    let (stop, agent) = start_agent(&directory.path().join("state"), &hub.url).await;

    let mut first = hub.next_connection().await;
    assert_eq!(first.authorization, "OosAgent mi-test0001:s3cr3t-value");
    assert!(matches!(first.recv().await, AgentMessage::Hello { ref inventory } if inventory.os_type == "Linux"));
    let run = appending("t-once", &counter, "echo done");
    first.send(&run).await;
    first.send(&run).await;
    assert!(matches!(first.recv().await, AgentMessage::Accepted { ref invoke_id, .. } if invoke_id == "t-once"));
    // The duplicate came while it ran: it is only accepted again.
    let outcome = first.finished("t-once").await;
    assert_eq!((outcome.status, outcome.output.as_str()), (FinishStatus::Success, "done\n"));
    // Once ended, a duplicate is answered with the outcome.
    first.send(&run).await;
    assert_eq!(first.finished("t-once").await, outcome);
    first.close().await;

    // Not recorded: it comes again on the next connection; a Run re-sent there does not run.
    let mut second = hub.next_connection().await;
    assert!(matches!(second.recv().await, AgentMessage::Hello { .. }));
    assert_eq!(second.finished("t-once").await, outcome);
    second.send(&run).await;
    assert_eq!(second.finished("t-once").await, outcome);
    second.send(&ServerMessage::Recorded { invoke_id: "t-once".to_owned() }).await;
    // Recorded is handled in order, before this marker job.
    second.send(&ServerMessage::Run(job("t-marker", "RunShellScript", "true"))).await;
    second.finished("t-marker").await;
    second.send(&ServerMessage::Recorded { invoke_id: "t-marker".to_owned() }).await;
    second.send(&ServerMessage::Run(job("t-marker2", "RunShellScript", "true"))).await;
    second.finished("t-marker2").await;
    second.close().await;

    // Recorded: the third connection gets only the outcome not recorded yet.
    let mut third = hub.next_connection().await;
    assert!(matches!(third.recv().await, AgentMessage::Hello { .. }));
    match third.recv().await {
        AgentMessage::Finished(outcome) => assert_eq!(outcome.invoke_id, "t-marker2"),
        other => panic!("expected only t-marker2's outcome, got {other:?}"),
    }
    assert_eq!(lines(&counter), 1);
    stop.send(true).unwrap();
    patiently("the agent to stop", agent).await.unwrap();
}

#[tokio::test]
async fn stop_from_the_hub_and_collect() {
    let directory = tempfile::tempdir().unwrap();
    let mut hub = Hub::start().await;
    let (stop, agent) = start_agent(&directory.path().join("state"), &hub.url).await;
    let mut connection = hub.next_connection().await;
    connection.recv().await;
    connection.send(&ServerMessage::Run(job("t-long", "RunShellScript", "sleep 300"))).await;
    assert!(matches!(connection.recv().await, AgentMessage::Accepted { .. }));
    connection.send(&ServerMessage::Stop { invoke_id: "t-long".to_owned() }).await;
    let outcome = connection.finished("t-long").await;
    assert_eq!(outcome.status, FinishStatus::Stopped);

    let types = vec!["ACS:InstanceInformation".to_owned(), "ACS:Application".to_owned(), "ACS:Unknown".to_owned()];
    connection.send(&ServerMessage::Collect { types }).await;
    let data = loop {
        if let AgentMessage::Inventory { data } = connection.recv().await {
            break data;
        }
    };
    assert_eq!(data["ACS:InstanceInformation"][0]["os_type"], "Linux");
    assert!(data["ACS:Application"].as_array().unwrap().iter().any(|package| package["Name"] == "bash"));
    assert_eq!(data["ACS:Unknown"], serde_json::json!([]));
    stop.send(true).unwrap();
    patiently("the agent to stop", agent).await.unwrap();
}

/// Not a test on its own: the agent process of the test below (the test binary started again).
#[test]
fn agent_child_process() {
    let (Some(state), Some(server)) = (std::env::var_os(CHILD_STATE), std::env::var_os(CHILD_SERVER)) else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (_stop, agent) = start_agent(Path::new(&state), server.to_str().unwrap()).await;
        agent.await.unwrap();
    });
}

fn spawn_agent_process(state: &Path, server: &str) -> tokio::process::Child {
    tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["agent_child_process", "--exact", "--nocapture"])
        .env(CHILD_STATE, state)
        .env(CHILD_SERVER, server)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn an_agent_killed_mid_command_reports_it_interrupted_and_never_runs_it_again() {
    let directory = tempfile::tempdir().unwrap();
    let (state, counter, pid_file) =
        (directory.path().join("state"), directory.path().join("counter"), directory.path().join("pid"));
    let mut hub = Hub::start().await;
    let mut agent = spawn_agent_process(&state, &hub.url);
    let mut first = hub.next_connection().await;
    first.recv().await;
    let run = appending("t-killed", &counter, &format!("echo $$ > {}; exec sleep 300", pid_file.display()));
    first.send(&run).await;
    assert!(matches!(first.recv().await, AgentMessage::Accepted { .. }));
    patiently("the command to start", async {
        while !pid_file.exists() || std::fs::read_to_string(&pid_file).unwrap().trim().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    agent.kill().await.unwrap();
    // The orphaned command, killed by hand (the agent could not).
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    std::process::Command::new("kill").args(["-KILL", "--", &format!("-{}", pid.trim())]).status().unwrap();

    let mut agent = spawn_agent_process(&state, &hub.url);
    let mut second = hub.next_connection().await;
    assert!(matches!(second.recv().await, AgentMessage::Hello { .. }));
    let outcome = second.finished("t-killed").await;
    assert_eq!(outcome.status, FinishStatus::Failed);
    assert_eq!(outcome.error_code.as_deref(), Some("ExecutionInterrupted"));
    second.send(&run).await;
    assert_eq!(second.finished("t-killed").await, outcome);
    assert_eq!(lines(&counter), 1);
    agent.kill().await.unwrap();
}
