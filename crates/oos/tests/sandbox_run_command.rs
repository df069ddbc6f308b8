//! The corpus's `ACS-ECS-BulkyRunCommand`, unmodified, under `oos run --sandbox` against a
//! 3-instance fleet whose seed scripts what `uname -a; df -h` prints: every instance's output
//! comes back in `commandOutputs` (with the corpus's product actions and with our own), and a
//! scripted non-zero exit fails the execution with a message naming the exit code; and nothing
//! runs on this machine: the emulator answers from the seed.

mod sandbox_support;

use sandbox_support::{RunOutcome, SandboxDir, corpus};
use serde_json::Value;

const INSTANCES: [&str; 3] = ["i-rc-1", "i-rc-2", "i-rc-3"];

/// Three tagged Running instances; `uname -a; df -h` prints a line naming the instance and a
/// disk table, or, on `i-rc-2` when `failure` is given, an error and that exit code.
fn fleet(failure: Option<i64>) -> String {
    let failing = failure.map_or_else(String::new, |exit_code| {
        format!(
            r#"
  - match: 'uname -a; df -h'
    instances: [i-rc-2]
    output: "Linux {{instance_name}} {{instance_id}}\nno space left\n"
    exit_code: {exit_code}"#
        )
    });
    format!(
        r#"
regions: [cn-hangzhou]
instances:
  - ids: [i-rc-1, i-rc-2, i-rc-3]
    count: 3
    name: 'rc-{{index}}'
    region: cn-hangzhou
    tags: {{team: rc}}
commands:{failing}
  - match: 'uname -a; df -h'
    output: "Linux {{instance_name}} {{instance_id}}\nFilesystem Size Used Avail Use% Mounted on\n/dev/vda1 40G 3G 37G 8% /\n"
"#
    )
}

const TARGETS: &str = r#"targets={"Type":"Tags","RegionId":"cn-hangzhou","Tags":[{"Key":"team","Value":"rc"}]}"#;

/// Runs the public template with the corpus's product actions (`corpus_actions`) or our own.
fn run_bulky(sandbox: &SandboxDir, corpus_actions: bool) -> RunOutcome {
    let template = corpus().join("PublicTemplates/YAML/ACS-ECS-BulkyRunCommand.yml");
    let library = corpus().join("CloudProductActions/ECS/YAML");
    let options: Vec<&str> =
        if corpus_actions { vec!["--library", library.to_str().expect("a UTF-8 path")] } else { Vec::new() };
    let parameters = ["regionId=cn-hangzhou", TARGETS, "commandContent=uname -a; df -h", "OOSAssumeRole="];
    sandbox.run(&template, &parameters, &options)
}

fn every_instance_output_comes_back(corpus_actions: bool) {
    let sandbox = SandboxDir::new(&fleet(None));
    let outcome = run_bulky(&sandbox, corpus_actions);
    outcome.assert_success();
    let outputs = outcome.outputs()["commandOutputs"].as_array().cloned().unwrap_or_default();
    assert_eq!(outputs.len(), INSTANCES.len(), "{}", outcome.stdout);
    for (index, id) in INSTANCES.iter().enumerate() {
        let expected = format!("Linux rc-{} {id}\nFilesystem", index + 1);
        assert!(
            outputs.iter().any(|output| output.as_str().is_some_and(|text| text.starts_with(&expected))),
            "no output of {id} in {outputs:?}"
        );
    }
    let invocations = sandbox.cloud()["assistant"]["invocations"].as_object().map_or(0, |map| map.len());
    assert_eq!(invocations, INSTANCES.len(), "one invocation per instance");
}

#[test]
fn bulky_run_command_returns_every_instances_output_with_the_corpus_actions() {
    every_instance_output_comes_back(true);
}

#[test]
fn bulky_run_command_returns_every_instances_output_with_our_actions() {
    every_instance_output_comes_back(false);
}

/// Every status message of the execution, its tasks and their child executions' tasks.
fn messages(outcome: &RunOutcome) -> Vec<String> {
    let mut messages = vec![outcome.execution()["StatusMessage"].as_str().unwrap_or_default().to_owned()];
    let mut pending = vec![outcome.execution_id.clone()];
    while let Some(id) = pending.pop() {
        for task in outcome.tasks_of(&id).unwrap_or_default() {
            messages.push(task["StatusMessage"].as_str().unwrap_or_default().to_owned());
            pending.extend(task["ChildExecutionId"].as_str().filter(|child| !child.is_empty()).map(str::to_owned));
        }
    }
    messages
}

#[test]
fn a_scripted_nonzero_exit_fails_the_execution_naming_the_exit_code() {
    let sandbox = SandboxDir::new(&fleet(Some(2)));
    let outcome = run_bulky(&sandbox, false);
    assert!(!outcome.success, "the run fails:\n{}", outcome.stdout);
    assert_eq!(outcome.execution()["Status"], "Failed");
    let messages = messages(&outcome);
    assert!(
        messages.iter().any(|message| message.contains("Failed (exit code 2, ExitCodeNonzero)")),
        "no message names the exit code: {messages:#?}"
    );
    let failed: Vec<Value> = outcome.tasks().into_iter().filter(|task| task["Status"] == "Failed" && !task["LoopItem"].is_null()).collect();
    assert_eq!(failed.len(), 1, "only i-rc-2's command failed: {failed:#?}");
    assert!(failed[0]["LoopItem"].to_string().contains("i-rc-2"), "{failed:#?}");
}

#[test]
fn a_sandboxed_command_never_runs_on_this_machine() {
    let sandbox = SandboxDir::new(&fleet(None));
    let marker = sandbox.path().join("the-command-ran");
    let template = corpus().join("PublicTemplates/YAML/ACS-ECS-BulkyRunCommand.yml");
    let content = format!("commandContent=touch {}", marker.display());
    let outcome = sandbox.run(&template, &["regionId=cn-hangzhou", TARGETS, &content, "OOSAssumeRole="], &[]);
    outcome.assert_success();
    assert!(!marker.exists(), "the emulator executed the command");
    assert_eq!(outcome.outputs()["commandOutputs"].as_array().map(Vec::len), Some(INSTANCES.len()), "unscripted: empty output each");
}
