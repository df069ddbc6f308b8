//! Credentials and execution roles through the real binaries, without a sandbox: `oos emulator`
//! plays account 4242 and serves the instance role `EcsInstanceRole` in its ECS metadata service;
//! `oos run --endpoint … --assume-role-account 4242`, with nothing but `ALIBABA_CLOUD_ECS_METADATA`
//! in its environment, takes `ecs_ram_role` credentials from that service, assumes the template's
//! `EcsOperator` with them, and the cloud answers GetCallerIdentity with that role's session of the
//! execution.

use std::process::Command;

use oos_testkit::OosProcess;
use serde_json::json;

#[test]
fn instance_role_credentials_assume_the_execution_role_named_after_the_execution() {
    let emulator = OosProcess::spawn(
        env!("CARGO_BIN_EXE_oos"),
        &["emulator", "--listen", "127.0.0.1:0", "--transition-delay", "0", "--account-id", "4242", "--metadata-role", "EcsInstanceRole"],
    )
    .expect("oos emulator starts");
    let url = format!("http://{}", emulator.endpoint());
    let dir = tempfile::tempdir().unwrap();
    let template = json!({
        "FormatVersion": "OOS-2019-06-01",
        "RamRole": "EcsOperator",
        "Tasks": [{"Name": "WhoAmI", "Action": "ACS::ExecuteAPI",
                   "Properties": {"Service": "STS", "API": "GetCallerIdentity", "Parameters": {}},
                   "Outputs": {"Arn": {"Type": "String", "ValueSelector": ".Arn"}}}],
        "Outputs": {"Caller": {"Type": "String", "Value": "{{ WhoAmI.Arn }}"}}
    });
    let path = dir.path().join("who-am-i.json");
    std::fs::write(&path, template.to_string()).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_oos"))
        .arg("run")
        .arg(&path)
        .args(["--data-dir", dir.path().join("data").to_str().unwrap(), "--endpoint", &url, "--assume-role-account", "4242"])
        .env_clear()
        .env("HOME", dir.path())
        .env("ALIBABA_CLOUD_ECS_METADATA", "EcsInstanceRole")
        .env("OOS_ECS_METADATA_URL", &url)
        .output()
        .expect("oos run runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!("{stdout}{}\n--- emulator ---\n{}", String::from_utf8_lossy(&output.stderr), emulator.output());
    assert!(output.status.success(), "{report}");
    let id = stdout.lines().find_map(|line| line.strip_prefix("ExecutionId: ")).unwrap_or_else(|| panic!("no id: {report}")).trim();
    assert!(stdout.contains(&format!("\"acs:ram::4242:assumed-role/EcsOperator/{id}\"")), "{report}");
    assert!(emulator.output().contains("4242"), "the emulator prints its account: {report}");
    emulator.stop().expect("the emulator stops");
}
