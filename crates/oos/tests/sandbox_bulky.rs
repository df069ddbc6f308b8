//! The corpus's public Bulky ECS templates, unmodified, under `oos run --sandbox` against a
//! 100-instance emulated fleet: each runs to Success and the emulated cloud shows the effect,
//! once with the corpus's product actions (`--library CloudProductActions/ECS/YAML`) and once
//! with our own embedded ones (`oos-product-actions`, no library).

mod sandbox_support;

use std::path::PathBuf;

use sandbox_support::{RunOutcome, SandboxDir, corpus, example};
use serde_json::Value;

const FLEET_SIZE: usize = 100;
const TARGETS: &str = r#"targets={"Type":"Tags","RegionId":"cn-hangzhou","Tags":[{"Key":"team","Value":"bulky"}]}"#;
const RATE_CONTROL: &str = r#"rateControl={"Mode":"Concurrency","MaxErrors":0,"Concurrency":20}"#;

/// 100 tagged instances in `status`, a security group and five images from 2020.
fn fleet(status: &str) -> String {
    format!(
        "
regions: [cn-hangzhou]
security_groups:
  - name: bulky
    id: sg-bulky
    region: cn-hangzhou
instances:
  - count: {FLEET_SIZE}
    name: 'bulky-{{index:03}}'
    region: cn-hangzhou
    status: {status}
    security_group: sg-bulky
    tags: {{team: bulky}}
images:
  - count: 5
    name: 'expired-{{index}}'
    region: cn-hangzhou
    creation_time: '2020-01-01T00:00:00Z'
"
    )
}

/// Which product actions a run uses.
#[derive(Debug, Clone, Copy)]
enum ProductActions {
    /// The corpus's `CloudProductActions/ECS/YAML` directory as `--library`.
    Corpus,
    /// The templates embedded in `oos` (no library).
    Ours,
}

fn public_template(name: &str) -> PathBuf {
    corpus().join("PublicTemplates/YAML").join(format!("ACS-ECS-{name}.yml"))
}

/// Options of a run whose high-risk calls run unattended.
const SKIP_SAFETY_CHECK: &[&str] = &["--safety-check", "Skip"];

/// Runs public template `name` on a fresh sandbox seeded with `fleet`; returns the sandbox and the outcome.
fn run_public(name: &str, fleet: &str, actions: ProductActions, parameters: &[&str]) -> (SandboxDir, RunOutcome) {
    run_public_with(name, fleet, actions, parameters, &[])
}

/// [`run_public`] with these options of `oos run` added.
fn run_public_with(name: &str, fleet: &str, actions: ProductActions, parameters: &[&str], extra: &[&str]) -> (SandboxDir, RunOutcome) {
    let sandbox = SandboxDir::new(fleet);
    let outcome = run_in_with(&sandbox, name, actions, parameters, extra);
    (sandbox, outcome)
}

fn run_in(sandbox: &SandboxDir, name: &str, actions: ProductActions, parameters: &[&str]) -> RunOutcome {
    run_in_with(sandbox, name, actions, parameters, &[])
}

fn run_in_with(sandbox: &SandboxDir, name: &str, actions: ProductActions, parameters: &[&str], extra: &[&str]) -> RunOutcome {
    let library = corpus().join("CloudProductActions/ECS/YAML");
    let options: Vec<&str> = match actions {
        ProductActions::Corpus => vec!["--library", library.to_str().expect("a UTF-8 path")],
        ProductActions::Ours => Vec::new(),
    };
    let mut all = vec!["regionId=cn-hangzhou", RATE_CONTROL, "OOSAssumeRole="];
    all.extend_from_slice(parameters);
    let mut options = options;
    options.extend_from_slice(extra);
    let outcome = sandbox.run(&public_template(name), &all, &options);
    outcome.assert_success();
    outcome
}

/// The loop task `name` ran once per fleet item, every item Success.
fn assert_loop_over_fleet(outcome: &RunOutcome, name: &str, items: usize) {
    let tasks = outcome.tasks();
    let done: Vec<&Value> = tasks.iter().filter(|t| t["TaskName"] == name && !t["LoopItem"].is_null()).collect();
    assert_eq!(done.len(), items, "{name} ran once per item");
    assert!(done.iter().all(|t| t["Status"] == "Success"), "every {name} item succeeded");
}

fn bulky_stop_instances_stops_the_whole_fleet(actions: ProductActions) {
    let (sandbox, outcome) = run_public("BulkyStopInstances", &fleet("Running"), actions, &[TARGETS]);
    assert_loop_over_fleet(&outcome, "stopInstance", FLEET_SIZE);
    assert_eq!(outcome.outputs()["instanceIds"].as_array().map(Vec::len), Some(FLEET_SIZE));
    assert!(sandbox.statuses().iter().all(|s| s == "Stopped"), "{actions:?}: {:?}", sandbox.statuses());
}

fn bulky_start_instances_starts_the_whole_fleet(actions: ProductActions) {
    let (sandbox, outcome) = run_public("BulkyStartInstances", &fleet("Stopped"), actions, &[TARGETS]);
    assert_loop_over_fleet(&outcome, "startInstance", FLEET_SIZE);
    assert!(sandbox.statuses().iter().all(|s| s == "Running"), "{actions:?}: {:?}", sandbox.statuses());
}

fn bulky_reboot_instances_restarts_the_whole_fleet(actions: ProductActions) {
    let sandbox = SandboxDir::new(&fleet("Running"));
    prime(&sandbox);
    let backdated = "2020-01-01T00:00Z";
    sandbox.rewrite_cloud(|cloud| {
        for instance in cloud["instances"].as_object_mut().expect("instances").values_mut() {
            instance["start_time"] = backdated.into();
        }
    });
    let outcome = run_in(&sandbox, "BulkyRebootInstances", actions, &[TARGETS]);
    assert_loop_over_fleet(&outcome, "rebootInstance", FLEET_SIZE);
    let instances = sandbox.instances();
    assert!(instances.iter().all(|i| i["status"] == "Running" && i["start_time"] != backdated), "{actions:?}: every instance restarted");
}

fn bulky_create_snapshot_snapshots_every_system_disk(actions: ProductActions) {
    let sandbox = SandboxDir::new(&fleet("Running"));
    prime(&sandbox);
    let disks: Vec<String> = sandbox.cloud()["disks"].as_object().expect("disks").keys().cloned().collect();
    assert_eq!(disks.len(), FLEET_SIZE);
    let disk_ids = format!("diskIds={}", serde_json::to_string(&disks).expect("JSON"));
    let outcome = run_in(&sandbox, "BulkyCreateSnapshot", actions, &[&disk_ids]);
    assert_loop_over_fleet(&outcome, "createSnapshot", FLEET_SIZE);
    let cloud = sandbox.cloud();
    let mut snapshotted: Vec<String> =
        cloud["snapshots"].as_object().expect("snapshots").values().map(|s| s["source_disk_id"].as_str().unwrap_or_default().to_owned()).collect();
    snapshotted.sort();
    let mut expected = disks.clone();
    expected.sort();
    assert_eq!(snapshotted, expected, "{actions:?}: one snapshot per disk");
}

fn bulky_tag_instances_tags_the_whole_fleet(actions: ProductActions) {
    let tags = r#"tags=[{"Key":"owner","Value":"sandbox-e2e"}]"#;
    let (sandbox, outcome) = run_public("BulkyTagInstances", &fleet("Running"), actions, &[TARGETS, tags]);
    assert_loop_over_fleet(&outcome, "tagResources", FLEET_SIZE);
    assert!(sandbox.instances().iter().all(|i| i["tags"]["owner"] == "sandbox-e2e"), "{actions:?}: every instance tagged");
}

fn bulky_authorize_security_group_adds_the_rule(actions: ProductActions) {
    let parameters = [r#"securityGroupIds=["sg-bulky"]"#, "ipProtocol=tcp", "portRange=22/22", "sourceCidrIp=10.0.0.0/8"];
    let (sandbox, outcome) = run_public("BulkyAuthorizeSecurityGroup", &fleet("Running"), actions, &parameters);
    assert_loop_over_fleet(&outcome, "AuthorizeSecurityGroup", 1);
    let rules = sandbox.cloud()["security_groups"]["sg-bulky"]["rules"].clone();
    let rule = rules.as_array().and_then(|r| r.first()).unwrap_or_else(|| panic!("{actions:?}: no rule in {rules}"));
    assert_eq!((rule["port_range"].as_str(), rule["source_cidr_ip"].as_str()), (Some("22/22"), Some("10.0.0.0/8")), "{rule}");
}

/// The public template calls DeleteInstance itself, in a loop, without `Risk`: a high-risk call whose
/// iterations cannot each wait for a confirmation, so an unattended run skips the SafetyCheck.
fn bulky_delete_instances_deletes_the_whole_fleet(actions: ProductActions) {
    let (sandbox, outcome) = run_public_with("BulkyDeleteInstances", &fleet("Stopped"), actions, &[TARGETS], SKIP_SAFETY_CHECK);
    assert_loop_over_fleet(&outcome, "deleteInstance", FLEET_SIZE);
    assert_eq!(sandbox.instances().len(), 0, "{actions:?}: the fleet is gone");
}

/// `imageName` defaults to `" "`, which the template's `test("{{imageName}}")` selector reads as
/// "names containing a blank"; the seeded names have none, so the run names them.
fn bulky_delete_expired_image_deletes_only_the_old_custom_images(actions: ProductActions) {
    let (sandbox, outcome) = run_public_with("BulkyDeleteExpiredImage", &fleet("Running"), actions, &["expiredDays=30", "imageName=expired"], SKIP_SAFETY_CHECK);
    assert_loop_over_fleet(&outcome, "deleteImages", 5);
    let names: Vec<String> =
        sandbox.cloud()["images"].as_object().expect("images").values().map(|i| i["image_name"].as_str().unwrap_or_default().to_owned()).collect();
    assert!(!names.is_empty() && names.iter().all(|name| !name.starts_with("expired-")), "{actions:?}: {names:?}");
}

/// A describe-only run that makes the sandbox save its seeded state.
fn prime(sandbox: &SandboxDir) {
    sandbox.run(&example("lab-stop-start.json"), &["RegionId=cn-hangzhou", "InstanceId=i-none"], &[]).assert_success();
}

/// One test per scenario and product-action source.
macro_rules! with_both_product_actions {
    ($($scenario:ident),* $(,)?) => {
        mod with_corpus_product_actions {
            $(#[test]
            fn $scenario() {
                super::$scenario(super::ProductActions::Corpus);
            })*
        }
        mod with_our_product_actions {
            $(#[test]
            fn $scenario() {
                super::$scenario(super::ProductActions::Ours);
            })*
        }
    };
}

with_both_product_actions!(
    bulky_stop_instances_stops_the_whole_fleet,
    bulky_start_instances_starts_the_whole_fleet,
    bulky_reboot_instances_restarts_the_whole_fleet,
    bulky_create_snapshot_snapshots_every_system_disk,
    bulky_tag_instances_tags_the_whole_fleet,
    bulky_authorize_security_group_adds_the_rule,
    bulky_delete_instances_deletes_the_whole_fleet,
    bulky_delete_expired_image_deletes_only_the_old_custom_images,
);
