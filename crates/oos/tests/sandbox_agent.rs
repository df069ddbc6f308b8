//! A real `oos agent` bound to an emulated instance (`--sandbox-instance i-…`): under
//! `oos server --sandbox`, the public `ACS-ECS-BulkyRunCommand` run unmodified on emulated instances
//! runs its command on the agent's host for the bound instance, and answers the emulator's scripted
//! result for the unbound one.

use std::process::{Child, Command, Stdio};

use oos_testkit::{OosProcess, repo_root, shared_dir};
use serde_json::Value;

const BOUND: &str = "i-quickstart-web1";
const UNBOUND: &str = "i-quickstart-web2";

/// Runs `oos` as a client of `server` and parses its JSON answer.
fn client(server: &OosProcess, credentials: &Value, args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_oos"))
        .args(args)
        .args(["-o", "json"])
        .env("OOS_ENDPOINT", format!("http://{}", server.endpoint()))
        .env("OOS_ACCESS_KEY_ID", credentials["AccessKeyId"].as_str().unwrap())
        .env("OOS_ACCESS_KEY_SECRET", credentials["AccessKeySecret"].as_str().unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "oos {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("oos {args:?} printed no JSON ({error}): {}", String::from_utf8_lossy(&output.stdout)))
}

/// Kills the agent when the test ends, however it ends.
struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_real_agent_bound_to_an_emulated_instance_runs_its_commands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("srv");
    let fleet = repo_root().join("examples/sandbox-fleet.yaml");
    let server = OosProcess::spawn(
        env!("CARGO_BIN_EXE_oos"),
        &["server", "--listen", "127.0.0.1:0", "--data-dir", data.to_str().unwrap(), "--sandbox", "--fleet", fleet.to_str().unwrap()],
    )
    .expect("oos server --sandbox starts");
    let credentials: Value = serde_json::from_slice(&std::fs::read(data.join("root-credentials.json")).unwrap()).unwrap();
    let activation = client(&server, &credentials, &["instance", "activate", "--count", "1"]);
    let state = dir.path().join("agent");
    let _agent = Agent(
        Command::new(env!("CARGO_BIN_EXE_oos"))
            .args(["agent", "--server", &format!("http://{}", server.endpoint()), "--state-dir", state.to_str().unwrap(), "--sandbox-instance", BOUND])
            .args(["--activation-id", activation["ActivationId"].as_str().unwrap(), "--activation-code", activation["ActivationCode"].as_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let connected = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        client(&server, &credentials, &["instance", "list"]).as_array().is_some_and(|hosts| hosts.iter().any(|host| host["Connected"] == true))
    });
    assert!(connected, "the agent connects:\n{}", server.output());

    let template = shared_dir().join("corpus/oos-templates/aliyun__oos-templates/PublicTemplates/YAML/ACS-ECS-BulkyRunCommand.yml");
    client(&server, &credentials, &["template", "create", "bulky", "--file", template.to_str().unwrap()]);
    let targets = format!(r#"targets={{"Type":"ResourceIds","ResourceIds":["{BOUND}","{UNBOUND}"],"RegionId":"cn-hangzhou"}}"#);
    let started = client(&server, &credentials, &["execution", "start", "bulky", "-p", &targets, "-p", "commandContent=uname -s; hostname"]);
    let id = started["ExecutionId"].as_str().unwrap_or_else(|| panic!("started: {started}")).to_string();
    let mut shown = Value::Null;
    for _ in 0..200 {
        shown = client(&server, &credentials, &["execution", "show", &id]);
        if matches!(shown["Status"].as_str(), Some("Success" | "Failed")) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(shown["Status"], "Success", "{shown}");
    let outputs: Value = serde_json::from_str(shown["Outputs"].as_str().unwrap()).unwrap();
    let outputs = outputs["commandOutputs"].as_array().unwrap().clone();
    let host = String::from_utf8(Command::new("hostname").output().unwrap().stdout).unwrap();
    assert_eq!(outputs.len(), 2, "{outputs:?}");
    assert_eq!(outputs[0], format!("Linux\n{host}"), "the bound instance ran the command on the agent's host");
    assert_eq!(outputs[1], "", "the unbound instance answered the emulator's default scripted result");
    server.stop().unwrap();
}
