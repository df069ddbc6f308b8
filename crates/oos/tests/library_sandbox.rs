//! The library's runbooks (`library/`) under `oos run --sandbox`, as shipped: the cases of their
//! `oos test` specs that need no virtual time, checked on the execution and on the emulated cloud
//! afterwards (instances stopped or deleted, snapshots taken, tags set, a refusal changing nothing).

mod sandbox_support;

use std::path::PathBuf;

use sandbox_support::{RunOutcome, SandboxDir};
use serde_json::Value;

fn library() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../library")
}

const FLEET: &str = r#"
regions: [cn-hangzhou]
instances:
  - {ids: [i-dev1, i-dev2], name: 'dev-{index}', tags: {env: dev, self-service: enabled}, data_disks: [100]}
  - {ids: [i-dev3], tags: {env: dev}, status: Stopped}
  - {ids: [i-prod1], tags: {env: prod, owner: ops}}
load_balancers:
  - {name: web-lb, id: lb-web, backends: 2}
commands:
  - {match: 'systemctl is-active nginx', instances: [i-dev2], output: "failed\n", exit_code: 3}
  - {match: 'systemctl is-active nginx', output: "active\n"}
  - {match: 'curl -fsS', output: "ok\n"}
"#;

fn run(sandbox: &SandboxDir, template: &str, parameters: &[&str]) -> RunOutcome {
    let library = library();
    let path = library.join(format!("{template}.yml"));
    sandbox.run(
        &path,
        parameters,
        &["--library", library.to_str().expect("a UTF-8 path")],
    )
}

/// Instance id → its status in the saved cloud.
fn status_of(sandbox: &SandboxDir, id: &str) -> Option<String> {
    sandbox.cloud()["instances"][id]["status"]
        .as_str()
        .map(str::to_owned)
}

fn tags_of(sandbox: &SandboxDir, id: &str) -> Value {
    sandbox.cloud()["instances"][id]["tags"].clone()
}

#[test]
fn scheduled_stop_by_tag_stops_the_running_group_only() {
    let sandbox = SandboxDir::new(FLEET);
    let outcome = run(
        &sandbox,
        "OpenOOS-ECS-ScheduledStartStopByTag",
        &["tagKey=env", "tagValue=dev", "operation=Stop"],
    );
    outcome.assert_success();
    assert_eq!(
        outcome.outputs()["changedInstanceIds"],
        serde_json::json!(["i-dev1", "i-dev2"])
    );
    for id in ["i-dev1", "i-dev2", "i-dev3"] {
        assert_eq!(status_of(&sandbox, id).as_deref(), Some("Stopped"), "{id}");
    }
    assert_eq!(status_of(&sandbox, "i-prod1").as_deref(), Some("Running"));
}

#[test]
fn rolling_restart_restores_every_backend_weight() {
    let sandbox = SandboxDir::new(FLEET);
    let outcome = run(
        &sandbox,
        "OpenOOS-SLB-RollingRestart",
        &["loadBalancerId=lb-web", "drainSeconds=0"],
    );
    outcome.assert_success();
    let restarted = outcome.outputs()["restartedInstanceIds"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(restarted, 2, "{}", outcome.stdout);
    let balancer = &sandbox.cloud()["load_balancers"]["lb-web"];
    let weights: Vec<Value> = balancer["backend_servers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|server| server["weight"].clone())
        .collect();
    assert_eq!(weights.len(), 2, "{balancer}");
    assert!(
        weights.iter().all(|weight| weight.as_i64() == Some(100)),
        "weights restored: {balancer}"
    );
}

#[test]
fn snapshot_before_change_snapshots_every_disk_of_the_instance() {
    let sandbox = SandboxDir::new(FLEET);
    let outcome = run(
        &sandbox,
        "OpenOOS-ECS-SnapshotBeforeChange",
        &["instanceId=i-dev1", "changeTicket=CHG-7"],
    );
    outcome.assert_success();
    assert_eq!(
        outcome.outputs()["snapshotIds"].as_array().map(Vec::len),
        Some(2),
        "system and data disk"
    );
    let snapshots = sandbox.cloud()["snapshots"].clone();
    let tagged = snapshots
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, s)| s["tags"]["change-ticket"] == "CHG-7" && s["status"] == "accomplished")
        .count();
    assert_eq!(tagged, 2, "{snapshots}");
}

#[test]
fn alert_remediation_verifies_the_service_and_fails_when_it_stays_down() {
    let sandbox = SandboxDir::new(FLEET);
    let healthy = run(
        &sandbox,
        "OpenOOS-ECS-AlertRemediation",
        &["instanceId=i-dev1", "serviceName=nginx"],
    );
    healthy.assert_success();
    assert_eq!(healthy.outputs()["serviceState"], "active\n");
    let down = run(
        &sandbox,
        "OpenOOS-ECS-AlertRemediation",
        &["instanceId=i-dev2", "serviceName=nginx"],
    );
    assert!(!down.success, "{}", down.stdout);
    assert_eq!(down.task("verifyService")["Status"], "Failed");
}

#[test]
fn tag_compliance_tags_the_untagged_and_spares_the_tagged() {
    let sandbox = SandboxDir::new(FLEET);
    let outcome = run(
        &sandbox,
        "OpenOOS-ECS-TagComplianceWithNotification",
        &["requiredTagKey=owner", "defaultTagValue=unassigned"],
    );
    outcome.assert_success();
    assert_eq!(
        outcome.outputs()["nonCompliantInstanceIds"],
        serde_json::json!(["i-dev1", "i-dev2", "i-dev3"])
    );
    assert_eq!(tags_of(&sandbox, "i-dev3")["owner"], "unassigned");
    assert_eq!(tags_of(&sandbox, "i-prod1")["owner"], "ops");
}

#[test]
fn environment_teardown_is_a_dry_run_until_told_and_refuses_a_mistyped_confirmation() {
    let sandbox = SandboxDir::new(FLEET);
    let dry = run(
        &sandbox,
        "OpenOOS-ECS-EnvironmentTeardown",
        &["environment=dev", "confirmEnvironment=dev"],
    );
    dry.assert_success();
    assert_eq!(
        sandbox.cloud()["instances"]
            .as_object()
            .map(|all| all.len()),
        Some(4)
    );
    let mistyped = run(
        &sandbox,
        "OpenOOS-ECS-EnvironmentTeardown",
        &[
            "environment=dev",
            "confirmEnvironment=dev-x",
            "dryRun=false",
        ],
    );
    assert!(
        !mistyped.success && mistyped.stderr.contains("is not environment dev"),
        "{}",
        mistyped.stderr
    );
    assert_eq!(
        sandbox.cloud()["instances"]
            .as_object()
            .map(|all| all.len()),
        Some(4)
    );
    let refused = run(
        &sandbox,
        "OpenOOS-ECS-EnvironmentTeardown",
        &[
            "environment=prod",
            "confirmEnvironment=prod",
            "dryRun=false",
        ],
    );
    assert!(
        !refused.success && refused.stderr.contains("environment"),
        "prod is not an environment name: {}",
        refused.stderr
    );
    let real = run(
        &sandbox,
        "OpenOOS-ECS-EnvironmentTeardown",
        &["environment=dev", "confirmEnvironment=dev", "dryRun=false"],
    );
    real.assert_success();
    let left: Vec<String> = sandbox.cloud()["instances"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(left, vec!["i-prod1".to_owned()]);
}

#[test]
fn self_service_acts_only_on_instances_that_opted_in() {
    let sandbox = SandboxDir::new(FLEET);
    run(
        &sandbox,
        "OpenOOS-ECS-SelfServiceOperation",
        &["instanceId=i-dev1", "operation=StopInstance"],
    )
    .assert_success();
    assert_eq!(status_of(&sandbox, "i-dev1").as_deref(), Some("Stopped"));
    let refused = run(
        &sandbox,
        "OpenOOS-ECS-SelfServiceOperation",
        &["instanceId=i-prod1", "operation=StopInstance"],
    );
    assert!(!refused.success);
    assert_eq!(refused.task("checkOptedIn")["Status"], "Failed");
    assert_eq!(status_of(&sandbox, "i-prod1").as_deref(), Some("Running"));
    let free_text = run(
        &sandbox,
        "OpenOOS-ECS-SelfServiceOperation",
        &[
            "instanceId=i-dev1",
            "operation=RestartService",
            "serviceName=rm -rf /",
        ],
    );
    assert!(
        !free_text.success && free_text.stderr.contains("serviceName"),
        "{}",
        free_text.stderr
    );
}

#[test]
fn the_read_only_runbooks_change_nothing() {
    let sandbox = SandboxDir::new(FLEET);
    let diagnostics = run(
        &sandbox,
        "OpenOOS-ECS-FleetDiagnosticsCollection",
        &["tagKey=env", "tagValue=dev"],
    );
    diagnostics.assert_success();
    assert_eq!(
        diagnostics.outputs()["instanceIds"],
        serde_json::json!(["i-dev1", "i-dev2"])
    );
    assert_eq!(
        diagnostics.outputs()["reports"].as_array().map(Vec::len),
        Some(2)
    );
    let cloud = sandbox.cloud();
    let readiness = run(
        &sandbox,
        "OpenOOS-ECS-PreMigrationReadinessCheck",
        &[r#"instanceIds=["i-dev1","i-dev2"]"#],
    );
    readiness.assert_success();
    let stopped = run(
        &sandbox,
        "OpenOOS-ECS-PreMigrationReadinessCheck",
        &[r#"instanceIds=["i-dev3"]"#],
    );
    assert!(!stopped.success, "a stopped instance is not ready");
    assert_eq!(sandbox.cloud()["instances"], cloud["instances"]);
}
