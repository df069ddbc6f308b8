//! "Go further" of issue #5 (ignored in CI: it takes minutes): runs every ECS public template of
//! the corpus (`PublicTemplates/YAML/ACS-ECS-*`) under `oos run --sandbox` with plausible
//! generated parameters and writes `docs/sandbox-coverage.md`: how many run to Success and, for
//! each other one, why (missing emulator API, engine gap, product not served…), with a section on
//! the templates that run Cloud Assistant commands (answered by the emulator's scripted results).
//! Trigger templates run on an `oos server --sandbox` and are fired once by hand
//! (`coverage_triggers`). The ESS public templates (`ACS-ESS-*`) run the same way with scaling
//! groups more in the fleet and get their own section (`coverage_ess`). `coverage_report` judges
//! the runs and writes the report.
//!
//! `cargo test -p oos --test sandbox_coverage -- --ignored --nocapture`
//!
//! `COVERAGE_ONLY=<prefix>` (e.g. `ACS-ESS-`) runs only the templates whose name starts with it and
//! prints their rows without writing the report.

mod attack;
mod coverage_ess;
mod coverage_report;
mod coverage_triggers;
mod sandbox_support;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use coverage_report::{diagnose, report};
use coverage_triggers::{fire_once, trigger_kind};
use sandbox_support::{RunOutcome, SandboxDir, corpus, example};
use serde_json::{Map, Value, json};

const REGION: &str = "cn-hangzhou";
const TIME_LIMIT: Duration = Duration::from_secs(20);
/// Templates that sleep on purpose (`ACS::Sleep` of a minute or more, in real time) and the time
/// they are given instead of [`TIME_LIMIT`].
const SLEEPERS: [(&str, Duration); 4] = [
    ("ACS-ECS-BulkyModifyPrepayInstanceSpec", Duration::from_secs(100)),
    ("ACS-ECS-RemoveFromSLBWhenPreemptibleInstanceInterrupted", Duration::from_secs(100)),
    ("ACS-ECS-RepairImage", Duration::from_secs(200)),
    ("ACS-ECS-RescueUnreachableInstance-Linux", Duration::from_secs(240)),
];

/// How long a run of template `name` may take.
fn time_limit(name: &str) -> Duration {
    SLEEPERS.iter().find(|(sleeper, _)| *sleeper == name).map_or(TIME_LIMIT, |(_, limit)| *limit)
}
const PARALLEL_RUNS: usize = 3;
/// The category of a run that waits at an ACS::Approve whose webhook the sandbox inbox captured:
/// counted with the successes (someone can approve it there).
const APPROVAL_SHOWN: &str = "Waiting at an approval the sandbox inbox shows";
/// The category of a run that waits to confirm a high-risk call (SafetyCheck
/// ConfirmEveryHighRiskAction): it runs again with `--safety-check Skip`, as confirming would.
const CONFIRMATION: &str = "waits to confirm a high-risk call";

/// The seeded cloud: three pay-as-you-go instances (tag `env: cov`, bound to key pair `cov-key`)
/// that generated parameters name, and (tag `env: cov-extra`) the instances of templates whose real
/// targets differ: a subscription, one with a RAM role, a burstable `t5`, two with public IPs; EIPs
/// (one in a bandwidth package), an auto-snapshot policy, an inquired system event, a scaling group.
const FLEET: &str = "
regions: [cn-hangzhou]
security_groups:
  - name: cov
    id: sg-cov
    region: cn-hangzhou
key_pairs:
  - name: cov-key
    public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPKY3NVlFHE2UkgjY8eJdBm3V889P+FM8EyMbz7wxbna cov-key
  - name: cov-key-2
    public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFMez0RhYXbjOKP36otqVstVBpp1PFfXqDiqdobZBu76 cov-key-2
instances:
  - ids: [i-cov-1, i-cov-2, i-cov-3]
    name: 'cov-{index}'
    region: cn-hangzhou
    security_group: sg-cov
    data_disks: [40]
    key_pair: cov-key
    tags: {env: cov}
  - ids: [i-cov-prepaid]
    name: cov-prepaid
    region: cn-hangzhou
    security_group: sg-cov
    charge_type: PrePaid
    tags: {env: cov-extra}
  - ids: [i-cov-role]
    name: cov-role
    region: cn-hangzhou
    security_group: sg-cov
    ram_role: cov-role
    tags: {env: cov-extra}
  - ids: [i-cov-t5]
    name: cov-t5
    region: cn-hangzhou
    security_group: sg-cov
    instance_type: ecs.t5-lc1m2.small
    tags: {env: cov-extra}
  - ids: [i-cov-pub-1, i-cov-pub-2]
    name: 'cov-pub-{index}'
    region: cn-hangzhou
    security_group: sg-cov
    public_ip: '121.40.7.{index}'
    tags: {env: cov-extra}
eips:
  - {id: eip-cov-1, ip: 47.99.1.1}
  - {id: eip-cov-2, ip: 47.99.1.2}
  - {id: eip-cov-shared, ip: 47.99.1.3}
bandwidth_packages:
  - {id: cbwp-cov, name: cov, bandwidth: 50, eips: [eip-cov-shared]}
auto_snapshot_policies:
  - {id: sp-cov, name: cov-nightly, time_points: [2], instances: [i-cov-1]}
system_events:
  - {id: e-cov-inquiry, instance: i-cov-1, type: SystemMaintenance.IsolateErrorDisk}
scaling_groups:
  - {id: asg-cov, name: cov, min_size: 0, max_size: 2, configuration: {id: asc-cov, instance_type: ecs.g7.large}}
images:
  - ids: [m-cov-1]
    name: cov-image
    region: cn-hangzhou
load_balancers:
  - name: cov-lb
    id: lb-cov
    region: cn-hangzhou
    backends: 2
    vserver_groups:
      - {id: rsp-cov, name: cov, backends: 2, port: 8080}
";

/// Parameter values a user would give these templates, which no name-based guess finds: their real
/// targets among the `env: cov-extra` instances, or a value the template cannot run without.
const GIVEN: [(&str, &str, &str); 16] = [
    ("ACS-ECS-BulkyDeletePrepaidInstances", "targets", r#"{"Type": "ResourceIds", "RegionId": "cn-hangzhou", "ResourceIds": ["i-cov-prepaid"]}"#),
    ("ACS-ECS-BulkyModifyInstanceAutoRenewAttribute", "targets", r#"{"Type": "ResourceIds", "RegionId": "cn-hangzhou", "ResourceIds": ["i-cov-prepaid"]}"#),
    ("ACS-ECS-BulkyModifyPrepayInstanceSpec", "targets", r#"{"Type": "ResourceIds", "RegionId": "cn-hangzhou", "ResourceIds": ["i-cov-prepaid"]}"#),
    ("ACS-ECS-BulkyModifyPrepayInstanceSpec", "instanceType", r#""ecs.g7.xlarge""#),
    ("ACS-ECS-BulkyModifyT5InstanceCreditSpecification", "targets", r#"{"Type": "ResourceIds", "RegionId": "cn-hangzhou", "ResourceIds": ["i-cov-t5"]}"#),
    ("ACS-ECS-RunRemoteShellScript", "instanceId", r#""i-cov-role""#),
    ("ACS-ECS-RunRemoteShellScript", "instanceRole", r#""cov-role""#),
    // ECS deletes a Running instance only with Force.
    ("ACS-ECS-BulkyDeleteInstances", "force", "true"),
    ("ACS-ECS-BulkyAllocateAndAssociateEipAddress", "instanceType", r#""EcsInstance""#),
    ("ACS-ECS-ConvertsPublicIPToNewEIPByInstanceId", "instanceId", r#""i-cov-pub-1""#),
    ("ACS-ECS-BulkyConvertPublicToEIPAndAddToCommonBandwidthPackage", "targets", r#"{"Type": "ResourceIds", "RegionId": "cn-hangzhou", "ResourceIds": ["i-cov-pub-1", "i-cov-pub-2"]}"#),
    // The EIP in the bandwidth package.
    ("ACS-ECS-BulkyRemoveEipsFromCommonBandwidthPackage", "eipAddresses", r#"["47.99.1.3"]"#),
    // Its `instanceIds` are auto-snapshot policy ids; time points are hours.
    ("ACS-ECS-BulkyModifyAutoSnapshotPolicyTimePoint", "instanceIds", r#"["sp-cov"]"#),
    ("ACS-ECS-BulkyModifyAutoSnapshotPolicyTimePoint", "timePoints", r#"["1", "13"]"#),
    // The template each firing runs, and its parameters.
    ("ACS-ECS-ScheduleToExecuteTemplate", "templateName", r#""ACS-ECS-BulkyRebootInstances""#),
    ("ACS-ECS-ScheduleToExecuteTemplate", "templateParameters", r#"{"targets": {"Type": "ResourceIds", "RegionId": "cn-hangzhou", "ResourceIds": ["i-cov-1"]}}"#),
];

/// Ids of the seeded cloud that generated parameters refer to.
struct Ids {
    instances: Vec<String>,
    data_disk: String,
    /// A snapshot of the data disk (taken by the primer).
    snapshot: String,
    vswitch: String,
    vpc: String,
    zone: String,
}

impl Ids {
    fn of(cloud: &Value) -> Self {
        let instance = cloud["instances"]
            .as_object()
            .and_then(|m| m.values().next())
            .cloned()
            .unwrap_or_default();
        let data_disk = cloud["disks"]
            .as_object()
            .and_then(|disks| disks.values().find(|d| d["disk_type"] == "data"))
            .and_then(|d| d["disk_id"].as_str())
            .unwrap_or("d-none")
            .to_owned();
        let snapshot = cloud["snapshots"]
            .as_object()
            .and_then(|snapshots| snapshots.values().next())
            .and_then(|s| s["snapshot_id"].as_str())
            .unwrap_or("s-none")
            .to_owned();
        let text = |key: &str| instance[key].as_str().unwrap_or_default().to_owned();
        Self {
            instances: cloud["instances"]
                .as_object()
                .map(|m| m.iter().filter(|(_, instance)| instance["tags"]["env"] == "cov").map(|(id, _)| id.clone()).collect())
                .unwrap_or_default(),
            data_disk,
            snapshot,
            vswitch: text("vswitch_id"),
            vpc: text("vpc_id"),
            zone: text("zone_id"),
        }
    }
}

/// A plausible value for a parameter without a default, from its name, type and
/// AssociationProperty.
fn generated(name: &str, spec: &Value, ids: &Ids) -> Value {
    let kind = spec["Type"].as_str().unwrap_or("String");
    if let Some(first) = spec["AllowedValues"]
        .as_array()
        .and_then(|values| values.first())
    {
        return first.clone();
    }
    let association = spec["AssociationProperty"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let lower = name.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle) || association.contains(needle);
    let list_or_one = |values: Vec<String>| {
        if kind == "List" {
            json!(values)
        } else {
            json!(values[0])
        }
    };
    let value = if association == "targets" || lower == "targets" {
        json!({"Type": "ResourceIds", "RegionId": REGION, "ResourceIds": ids.instances})
    } else if has("regionid") {
        json!(REGION)
    } else if has("snapshotid") {
        list_or_one(vec![ids.snapshot.clone()])
    } else if has("instanceid") {
        list_or_one(ids.instances.clone())
    } else if has("diskid") {
        list_or_one(vec![ids.data_disk.clone()])
    } else if has("imageid") {
        list_or_one(vec!["m-cov-1".into()])
    } else if has("securitygroupid") {
        list_or_one(vec!["sg-cov".into()])
    } else if has("vswitchid") {
        list_or_one(vec![ids.vswitch.clone()])
    } else if has("vpcid") {
        list_or_one(vec![ids.vpc.clone()])
    } else if has("zoneid") {
        list_or_one(vec![ids.zone.clone()])
    } else if has("instancetype") {
        list_or_one(vec!["ecs.g7.large".into()])
    } else if has("loadbalancerid") {
        list_or_one(vec!["lb-cov".into()])
    } else if has("vservergroupid") {
        list_or_one(vec!["rsp-cov".into()])
    } else if has("bandwidthpackageid") {
        list_or_one(vec!["cbwp-cov".into()])
    } else if has("scalinggroupid") {
        list_or_one(vec!["asg-cov".into()])
    } else if has("eventid") {
        list_or_one(vec!["e-cov-inquiry".into()])
    } else if has("publicipaddress") {
        list_or_one(vec!["121.40.7.1".into(), "121.40.7.2".into()])
    } else if has("eipaddress") {
        // The two EIPs outside the bandwidth package.
        list_or_one(vec!["47.99.1.1".into(), "47.99.1.2".into()])
    } else if has("keypairname") {
        // Not the pair the instances already have, so that binding it changes something.
        list_or_one(vec!["cov-key-2".into()])
    } else if has("webhook") || has("url") {
        json!("http://127.0.0.1:9/sandbox-webhook")
    } else if has("password") && kind == "Json" {
        // A map of instance id → password (ACS-ECS-BulkyModifyUserPasswordByCloudAssistantKeyPair).
        Value::Object(ids.instances.iter().map(|id| (id.clone(), json!("Sandbox-Passw0rd"))).collect())
    } else if has("password") {
        json!("Sandbox-Passw0rd")
    } else if has("timertrigger") {
        json!({"type": "rate", "expression": "1 hour", "endDate": "2027-01-01T00:00:00Z", "timeZone": "Asia/Shanghai"})
    } else if association == "datetime"
        && spec["AssociationPropertyMetadata"]["Format"].as_str().is_some_and(|format| format.starts_with("HH"))
    {
        // A time of day (`HH:mm:ssZ`, ScheduleToStartAndStopInstances builds its cron from it); the
        // end of a window comes after its start.
        if lower.contains("end") { json!("10:00:00Z") } else { json!("08:00:00Z") }
    } else if association == "datetime" || has("time") {
        json!("2026-01-01T08:00:00Z")
    } else if has("tags") && kind == "Json" {
        json!([{"Key": "owner", "Value": "sandbox"}])
    } else if has("threshold") {
        json!(90)
    } else if has("size") && kind == "Number" {
        // Larger than the seeded disks (40 GiB), as a resize needs.
        json!(100)
    } else if let Some(minimum) = spec.get("MinValue").filter(|_| kind == "Number") {
        minimum.clone()
    } else if has("cidr") {
        json!("10.0.0.0/8")
    } else if has("portrange") {
        json!("22/22")
    } else {
        match kind {
            "Boolean" => json!(false),
            "Number" => json!(1),
            "List" => json!(["sandbox"]),
            "Json" => json!({}),
            _ => json!("sandbox"),
        }
    };
    if kind == "String" && !value.is_string() {
        Value::String(value.to_string())
    } else {
        value
    }
}

/// Causes read in the template itself, for rows whose error alone does not say why they fail.
const READ_CAUSES: [(&str, &str); 12] = [
    ("ACS-ECS-BulkyEncryptDisks", "engine difference: ACS::ECS::EncryptSystemDisk's `systemDiskEncryptedInstance` (`Type: List`, `Fn::If` of the instance id or null) comes back through a `Type: String` task output, as null or JSON text, and the template iterates the loop's list of them as lists (`[.[][]]`)"),
    ("ACS-ECS-BulkyEncryptSystemDisk", "engine difference: ACS::ECS::EncryptSystemDisk's `systemDiskEncryptedInstance` (`Type: List`, `Fn::If` of the instance id or null) comes back through a `Type: String` task output, as null or JSON text, and the template iterates the loop's list of them as lists (`[.[][]]`)"),
    ("ACS-ECS-AlarmWhenDiscountAndPriceExceedsThresholdInMultiZoneAndInstanceType", "engine difference: jaq refuses `.[1] = …` past an array's end, where jq pads the array with null"),
    ("ACS-ECS-BulkyDescribeSavingsPlanEstimation", "template expects a number: it multiplies `CommittedAmount`, a string in the SDK model (jq repeats the text)"),
    ("ACS-ECS-BulkyConfigureSoftwareFromEcsAppStore", "external resource: a public parameter of Alibaba's parameter store (`oos:aliyun/services/…`), whose content the sandbox does not have"),
    ("ACS-ECS-BulkyCreateSavingsPlan", "parameter needs a real value: `refundInstanceGroup`, a list of savings-plan groups"),
    ("ACS-ECS-AlarmAccountResourceUsage", "emulator answer order unknown: the template reads DescribeAccountAttributes items by position (6, 7 and 13–16, so 17 or more in Alibaba's order); the SDK model names 15 attributes and no order, and the emulator invents none"),
    ("ACS-ECS-ModifyAutoRenewAttributeAfterOrderPaid", "external resource: waits for an order to be paid (BSS)"),
    ("ACS-ECS-LocalBuildAndDeployOnSingleECS", "engine gap: `ACS::GitCodeRepo` (InvalidTemplate.UnknownAction) is not implemented"),
    ("ACS-ECS-InventoryDataCollection", "not an automation template: a State Manager configuration (`OOS-2019-06-01-State`, InvalidTemplate.StateTemplate)"),
    ("ACS-ECS-BulkyRunCommandInSLBDefaultServerGroup", "emulator lacks a response field: SLB.DescribeLoadBalancerAttribute `ListenerPorts`"),
    ("ACS-ECS-BulkyReplaceSystemDiskInSLBDefaultServerGroup", "emulator lacks a response field: SLB.DescribeLoadBalancerAttribute `ListenerPorts`"),
];

/// Parameters (name endings, lower case) that get the seeded resource even when their default is
/// empty.
const SEEDED_IDS: [&str; 2] = ["vswitchid", "securitygroupid"];

/// A generated value for every parameter without a default (and those of [`SEEDED_IDS`]), or the
/// one [`GIVEN`] for the template.
fn parameter_values(name: &str, template: &Value, ids: &Ids) -> Map<String, Value> {
    let Some(parameters) = template["Parameters"].as_object() else {
        return Map::new();
    };
    let given = |parameter: &str| {
        GIVEN
            .iter()
            .chain(&coverage_ess::GIVEN)
            .find(|(template, given, _)| *template == name && *given == parameter)
            .map(|(_, _, value)| serde_json::from_str::<Value>(value).expect("GIVEN values are JSON"))
    };
    let ess = name.starts_with(coverage_ess::PREFIX);
    parameters
        .iter()
        .filter(|(parameter, spec)| given(parameter).is_some() || match spec.get("Default") {
            None => true,
            // What ESS fills in when a lifecycle hook notifies the template.
            Some(default) if ess && coverage_ess::notified(default) => true,
            // An empty default for a resource the sandbox has (a vSwitch a RunInstances needs).
            Some(default) => default == "" && SEEDED_IDS.iter().any(|id| parameter.to_ascii_lowercase().ends_with(id)),
        })
        .map(|(parameter, spec)| {
            let value = given(parameter)
                .or_else(|| coverage_ess::generated(name, parameter).filter(|_| ess))
                .unwrap_or_else(|| generated(parameter, spec, ids));
            (parameter.clone(), value)
        })
        .collect()
}

/// The same as `-p Key=Value` arguments.
fn parameter_arguments(values: &Map<String, Value>) -> Vec<String> {
    values
        .iter()
        .map(|(name, value)| match value {
            Value::String(text) => format!("{name}={text}"),
            other => format!("{name}={other}"),
        })
        .collect()
}

struct Row {
    template: String,
    /// The template (or a product action it names) runs Cloud Assistant commands.
    runs_commands: bool,
    /// `Timer`, `Event` or `Alarm`: a trigger template, judged by the run of one firing.
    trigger: Option<&'static str>,
    /// Success, or Waiting at an approval whose webhook the sandbox inbox shows.
    success: bool,
    category: String,
    detail: String,
}

fn run_one(template: &Path, fleet: &str, seeded_state: &str, ids: &Ids) -> Row {
    let name = template
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let parsed = json_twin(template);
    let runs_commands = runs_commands(template);
    let sandbox = SandboxDir::new(fleet);
    std::fs::write(sandbox.path().join("cloud.json"), seeded_state)
        .expect("copying the seeded state");
    // The product actions, and the public templates themselves for those that run one by name.
    let library = corpus().join("CloudProductActions");
    let public = corpus().join("PublicTemplates").join("YAML");
    let options = [
        "--library",
        library.to_str().expect("UTF-8"),
        "--library",
        public.to_str().expect("UTF-8"),
        "--region",
        REGION,
    ];
    let values = parameter_values(&name, &parsed, ids);
    let limit = time_limit(&name);
    let judged = |outcome: &RunOutcome| {
        if outcome.success && !outcome.timed_out && outcome.execution()["Status"] == "Success" {
            (true, "Success".to_owned(), String::new())
        } else {
            let (category, detail) = diagnose(outcome, limit);
            (category.starts_with(APPROVAL_SHOWN), category, detail)
        }
    };
    let (success, category, detail) = match trigger_kind(&parsed) {
        Some(kind) => {
            let text = std::fs::read_to_string(template).expect("the template reads");
            let instance = ids.instances.first().map_or("i-none", String::as_str);
            fire_once(&text, &parsed, kind, &Value::Object(values), &sandbox, &options, instance, limit, judged)
        }
        None => {
            let arguments = parameter_arguments(&values);
            let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
            let first = judged(&sandbox.run_within(template, &arguments, &options, limit));
            let why_skip = if first.1.contains("SafetyCheck.LoopNotConfirmable") {
                // Its high-risk calls run in a loop, which OOS starts only with SafetyCheck Skip.
                Some("high-risk calls in a loop")
            } else if first.1.starts_with(CONFIRMATION) {
                Some("as confirming its high-risk call does")
            } else {
                None
            };
            if let Some(why) = why_skip {
                // From the seeded cloud again: the first run may have changed it before it stopped.
                std::fs::write(sandbox.path().join("cloud.json"), seeded_state).expect("restoring the seeded state");
                let skip = [&options[..], &["--safety-check", "Skip"]].concat();
                let (success, category, detail) = judged(&sandbox.run_within(template, &arguments, &skip, limit));
                (success, category, format!("with --safety-check Skip ({why}) {detail}"))
            } else {
                first
            }
        }
    };
    let read = READ_CAUSES.iter().find(|(template, _)| *template == name).filter(|_| !success);
    let category = read.map_or(category, |(_, cause)| (*cause).to_owned());
    Row {
        template: name,
        runs_commands,
        trigger: trigger_kind(&parsed),
        success,
        category,
        detail,
    }
}

/// Whether the template runs Cloud Assistant commands: it calls RunCommand/InvokeCommand or a
/// product action built on them (`ACS::ECS::RunCommand`, `…DownloadFileAndRunCommand`, …).
fn runs_commands(template: &Path) -> bool {
    let text = std::fs::read_to_string(template).unwrap_or_default();
    text.contains("RunCommand") || text.contains("InvokeCommand")
}

/// The template as JSON, from its twin under `PublicTemplates/JSON` (the corpus keeps both).
fn json_twin(yaml: &Path) -> Value {
    let twin = yaml
        .parent()
        .and_then(Path::parent)
        .expect("PublicTemplates")
        .join("JSON")
        .join(yaml.with_extension("json").file_name().expect("a name"));
    std::fs::read_to_string(&twin)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// The public templates whose name starts with `prefix` (`ACS-ECS-`) and with `COVERAGE_ONLY`.
fn public_templates(prefix: &str) -> Vec<PathBuf> {
    let only = std::env::var("COVERAGE_ONLY").unwrap_or_default();
    let dir = corpus().join("PublicTemplates/YAML");
    let mut templates: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus is beside the repository")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.starts_with(&only) && n.ends_with(".yml"))
        })
        .collect();
    templates.sort();
    templates
}

/// The cloud of `fleet` after a stop/start of `i-cov-1` and a snapshot of its data disk, as state
/// to start each run from, and the ids generated parameters name.
fn primed(fleet: &str) -> (String, Ids) {
    let primer = SandboxDir::new(fleet);
    primer
        .run(
            &example("lab-stop-start.json"),
            &["RegionId=cn-hangzhou", "InstanceId=i-cov-1"],
            &[],
        )
        .assert_success();
    let data_disk = Ids::of(&primer.cloud()).data_disk;
    let snapshot_template = primer.path().join("snapshot.json");
    let snapshot = json!({"FormatVersion": "OOS-2019-06-01", "Tasks": [{"Name": "snapshot", "Action": "ACS::ExecuteAPI",
        "Properties": {"Service": "ECS", "API": "CreateSnapshot", "Parameters": {"DiskId": data_disk}}}]});
    std::fs::write(&snapshot_template, snapshot.to_string()).expect("writing the snapshot template");
    primer.run(&snapshot_template, &[], &[]).assert_success();
    let seeded_state =
        std::fs::read_to_string(primer.path().join("cloud.json")).expect("the primed state");
    (seeded_state, Ids::of(&primer.cloud()))
}

/// Runs `templates` from `fleet`'s primed cloud, [`PARALLEL_RUNS`] at a time; the rows by name.
fn run_all(templates: Vec<PathBuf>, fleet: &str) -> Vec<Row> {
    if templates.is_empty() {
        return Vec::new();
    }
    let (seeded_state, ids) = primed(fleet);
    let queue = Mutex::new(templates.into_iter());
    let rows = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_RUNS {
            scope.spawn(|| {
                loop {
                    let Some(template) = queue.lock().expect("queue").next() else {
                        break;
                    };
                    let row = run_one(&template, fleet, &seeded_state, &ids);
                    eprintln!("{}: {} {}", row.template, row.category, row.detail);
                    rows.lock().expect("rows").push(row);
                }
            });
        }
    });
    let mut rows = rows.into_inner().expect("rows");
    rows.sort_by(|a, b| a.template.cmp(&b.template));
    rows
}

#[test]
#[ignore = "runs ~155 templates (minutes); writes docs/sandbox-coverage.md"]
fn ecs_and_ess_public_templates_in_the_sandbox() {
    let ecs = run_all(public_templates("ACS-ECS-"), FLEET);
    let ess = run_all(public_templates(coverage_ess::PREFIX), &coverage_ess::fleet(FLEET));
    if std::env::var_os("COVERAGE_ONLY").is_some() {
        return;
    }
    assert!(ecs.len() > 100, "the corpus has the ECS public templates");
    assert!(ess.len() > 30, "the corpus has the ESS public templates");
    assert!(
        ecs.iter().any(|row| row.success) && ess.iter().any(|row| row.success),
        "some ECS and ESS public templates run in the sandbox"
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/sandbox-coverage.md");
    std::fs::write(&path, report(&ecs) + &coverage_ess::section(&ess)).expect("writing docs/sandbox-coverage.md");
}
