//! The tutorial flow end to end through the official Python SDKs (`tests/sdk/tutorial_flow.py`):
//! `oos server --sandbox` with the quickstart fleet, a RAM role for the lab, the lab template created and
//! run twice (DoStopStart false, then true) as that role, and the audit trail naming the role on every
//! ECS call.

use std::path::Path;

use oos_testkit::{OosProcess, conformance_python, repo_root, shared_dir};

const INSTANCE: &str = "i-quickstart-web1";

/// `host:port` of the sandbox emulator, from the server's `sandbox: ECS emulator at http://…` line.
fn emulator_endpoint(server: &OosProcess) -> String {
    let output = server.output();
    let line = output.lines().find(|line| line.contains("sandbox: ECS emulator at ")).unwrap_or_else(|| panic!("no emulator line in:\n{output}"));
    let url = line.split("at ").nth(1).and_then(|rest| rest.split_whitespace().next()).expect("an emulator URL");
    url.trim_start_matches("http://").trim_end_matches('/').to_string()
}

#[test]
fn tutorial_flow_runs_through_the_official_sdk_with_an_audited_role() {
    let dir = tempfile::tempdir().unwrap();
    let root = repo_root();
    let fleet = root.join("examples/sandbox-fleet.yaml");
    let data = dir.path().to_str().unwrap();
    let server = OosProcess::spawn(
        env!("CARGO_BIN_EXE_oos"),
        &["server", "--listen", "127.0.0.1:0", "--data-dir", data, "--sandbox", "--fleet", fleet.to_str().unwrap()],
    )
    .expect("oos server --sandbox starts");
    let credentials: serde_json::Value = serde_json::from_slice(&std::fs::read(Path::new(data).join("root-credentials.json")).unwrap()).unwrap();
    let emulator = emulator_endpoint(&server);
    let template = root.join("examples/lab-stop-start.json");
    let conformance = shared_dir().join("conformance");
    let output = std::process::Command::new(conformance_python().expect("the conformance venv is usable"))
        .arg(root.join("crates/oos/tests/sdk/tutorial_flow.py"))
        .args(["--endpoint", &server.endpoint(), "--timeout", "60", "--instance", INSTANCE, "--emulator", &emulator])
        .args(["--ak", credentials["AccessKeyId"].as_str().unwrap(), "--sk", credentials["AccessKeySecret"].as_str().unwrap()])
        .args(["--template", template.to_str().unwrap()])
        .env("OOS_CONFORMANCE_DIR", &conformance)
        .current_dir(&conformance)
        .output()
        .expect("the tutorial script runs");
    let report = format!("{}{}\n--- server output ---\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr), server.output());
    assert!(output.status.success(), "tutorial flow failed:\n{report}");
    assert!(report.contains("8 passed, 0 failed"), "every tutorial check must run and pass:\n{report}");
    server.stop().expect("the server stops");
}
