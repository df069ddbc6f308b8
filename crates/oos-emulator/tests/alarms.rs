//! Metrics and alarm rules: a rule fires once after `times` breaches in a row, stays quiet while
//! firing, resolves under the threshold; the seed's `alarmRules:` and `metrics:` sections.

mod support;

use std::time::Duration;

use oos_emulator::{
    AlarmRule, ComparisonOperator, Emulator, EventKind, FleetSeed, MetricValue, ResourceFilter,
};
use serde_json::{Value, json};
use support::ManualClock;

const FLEET: &str = "
instances:
  - ids: [i-web1, i-web2]
    count: 2
    tags: {Env: Dev}
";

fn emulator_with(seed: &str) -> (Emulator, ManualClock) {
    let clock = ManualClock::new();
    let emulator = clock
        .install(Emulator::builder())
        .seed(FleetSeed::from_yaml(seed).unwrap())
        .build()
        .unwrap();
    (emulator, clock)
}

fn cpu_rule(times: u32) -> AlarmRule {
    AlarmRule {
        rule_name: "cpu-high".into(),
        namespace: "acs_ecs_dashboard".into(),
        metric_name: "cpu_total".into(),
        comparison_operator: ComparisonOperator::GreaterThanThreshold,
        threshold: 80.0,
        times,
        resources: Vec::new(),
    }
}

fn cpu(instance: &str, value: f64) -> MetricValue {
    MetricValue::new("acs_ecs_dashboard", "cpu_total", instance, value)
}

fn alarms(emulator: &Emulator) -> Vec<Value> {
    emulator
        .events()
        .into_iter()
        .map(|published| {
            assert_eq!(published.kind, EventKind::Alarm);
            published.body
        })
        .collect()
}

fn alarm(status: &str, value: f64, since_ms: i64, time: &str) -> Value {
    json!({
        "id": format!("cpu-high@i-web1@{since_ms}"), "status": status,
        "namespace": "acs_ecs_dashboard", "metricName": "cpu_total", "instanceId": "i-web1",
        "resource": {"instanceId": "i-web1"}, "tags": {"Env": "Dev"}, "value": value,
        "threshold": 80.0, "time": time, "alertName": "cpu-high",
    })
}

#[test]
fn a_breach_fires_once_and_a_recovery_resolves_the_same_alarm() {
    let (emulator, clock) = emulator_with(FLEET);
    emulator.put_alarm_rule(cpu_rule(1)).unwrap();
    emulator.set_metric(cpu("i-web1", 50.0)).unwrap();
    assert!(alarms(&emulator).is_empty());
    clock.advance(Duration::from_secs(60));
    emulator.set_metric(cpu("i-web1", 90.0)).unwrap();
    clock.advance(Duration::from_secs(60));
    emulator.set_metric(cpu("i-web1", 95.0)).unwrap();
    emulator.set_metric(cpu("i-web1", 99.0)).unwrap();
    assert_eq!(
        alarms(&emulator),
        [alarm(
            "firing",
            90.0,
            1_767_225_660_000,
            "2026-01-01T00:01:00Z"
        )]
    );
    clock.advance(Duration::from_secs(60));
    emulator.set_metric(cpu("i-web1", 80.0)).unwrap();
    emulator.set_metric(cpu("i-web1", 10.0)).unwrap();
    assert_eq!(
        alarms(&emulator),
        [
            alarm("firing", 90.0, 1_767_225_660_000, "2026-01-01T00:01:00Z"),
            alarm("resolved", 80.0, 1_767_225_660_000, "2026-01-01T00:03:00Z"),
        ]
    );
    assert_eq!(emulator.metrics(), [cpu("i-web1", 10.0)]);
}

#[test]
fn a_rule_fires_only_after_times_breaches_in_a_row() {
    let (emulator, _) = emulator_with(FLEET);
    emulator.put_alarm_rule(cpu_rule(3)).unwrap();
    for value in [90.0, 91.0, 10.0, 92.0, 93.0] {
        emulator.set_metric(cpu("i-web1", value)).unwrap();
    }
    assert!(alarms(&emulator).is_empty());
    emulator.set_metric(cpu("i-web1", 94.0)).unwrap();
    let fired = alarms(&emulator);
    assert_eq!(fired.len(), 1);
    assert_eq!(
        (fired[0]["status"].as_str(), fired[0]["value"].as_f64()),
        (Some("firing"), Some(94.0))
    );
}

#[test]
fn each_resource_has_its_own_alarm_and_filters_limit_the_resources() {
    let (emulator, _) = emulator_with(FLEET);
    emulator.put_alarm_rule(cpu_rule(1)).unwrap();
    let disk_rule = AlarmRule {
        rule_name: "disk-full".into(),
        metric_name: "diskusage_utilization".into(),
        comparison_operator: ComparisonOperator::GreaterThanOrEqualToThreshold,
        threshold: 90.0,
        resources: vec![ResourceFilter {
            instance_id: Some("i-web2".into()),
            device: Some("/dev/vda1".into()),
        }],
        ..cpu_rule(1)
    };
    emulator.put_alarm_rule(disk_rule).unwrap();
    emulator.set_metric(cpu("i-web1", 90.0)).unwrap();
    emulator.set_metric(cpu("i-web2", 90.0)).unwrap();
    let disk = |instance: &str, device: &str| {
        MetricValue::new("acs_ecs_dashboard", "diskusage_utilization", instance, 90.0)
            .on_device(device)
    };
    emulator.set_metric(disk("i-web1", "/dev/vda1")).unwrap();
    emulator.set_metric(disk("i-web2", "/dev/vdb1")).unwrap();
    emulator.set_metric(disk("i-web2", "/dev/vda1")).unwrap();
    let ids: Vec<Value> = alarms(&emulator)
        .iter()
        .map(|alarm| alarm["id"].clone())
        .collect();
    let at = 1_767_225_600_000_i64;
    assert_eq!(
        ids,
        [
            json!(format!("cpu-high@i-web1@{at}")),
            json!(format!("cpu-high@i-web2@{at}")),
            json!(format!("disk-full@i-web2:/dev/vda1@{at}"))
        ]
    );
    let last = alarms(&emulator).pop().unwrap();
    assert_eq!(
        last["resource"],
        json!({"instanceId": "i-web2", "device": "/dev/vda1"})
    );
}

#[test]
fn putting_a_rule_again_replaces_it_and_forgets_its_alarms() {
    let (emulator, _) = emulator_with(FLEET);
    emulator.put_alarm_rule(cpu_rule(1)).unwrap();
    emulator.set_metric(cpu("i-web1", 90.0)).unwrap();
    emulator
        .put_alarm_rule(AlarmRule {
            threshold: 95.0,
            ..cpu_rule(1)
        })
        .unwrap();
    emulator.set_metric(cpu("i-web1", 96.0)).unwrap();
    let statuses: Vec<Value> = alarms(&emulator)
        .iter()
        .map(|alarm| alarm["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("firing"), json!("firing")]);
    assert_eq!(emulator.alarm_rules().len(), 1);
}

#[test]
fn bad_metrics_and_rules_are_refused_naming_the_field() {
    let (emulator, _) = emulator_with(FLEET);
    let refused = |result: Result<(), oos_emulator::EmulatorError>| result.unwrap_err().to_string();
    assert!(refused(emulator.set_metric(cpu("i-nope", 1.0))).contains("instanceId"));
    assert!(refused(emulator.set_metric(cpu("i-web1", f64::NAN))).contains("value"));
    assert!(refused(emulator.put_alarm_rule(cpu_rule(0))).contains("times"));
    assert!(
        refused(emulator.put_alarm_rule(AlarmRule {
            rule_name: "a@b".into(),
            ..cpu_rule(1)
        }))
        .contains("ruleName")
    );
    assert!(emulator.alarm_rules().is_empty());
}

const MONITORED: &str = "
instances:
  - ids: [i-web1]
    tags: {Env: Dev}
alarmRules:
  - ruleName: cpu-high
    namespace: acs_ecs_dashboard
    metricName: cpu_total
    comparisonOperator: GreaterThanThreshold
    threshold: 80
metrics:
  - namespace: acs_ecs_dashboard
    metricName: cpu_total
    instanceId: i-web1
    value: 97.5
";

#[test]
fn a_seed_sets_rules_and_metrics_and_its_breaches_fire_at_start() {
    let (emulator, _) = emulator_with(MONITORED);
    assert_eq!(emulator.alarm_rules(), [cpu_rule(1)]);
    assert_eq!(emulator.metrics(), [cpu("i-web1", 97.5)]);
    assert_eq!(
        alarms(&emulator),
        [alarm(
            "firing",
            97.5,
            1_767_225_600_000,
            "2026-01-01T00:00:00Z"
        )]
    );
}

fn seed_error(seed: &str) -> String {
    let parsed = match FleetSeed::from_yaml(seed) {
        Ok(parsed) => parsed,
        Err(error) => return error,
    };
    Emulator::builder()
        .seed(parsed)
        .build()
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_seed_sections_name_the_field() {
    let cases = [
        (MONITORED.replace("GreaterThanThreshold", "Bigger"), "comparisonOperator"),
        (MONITORED.replace("    threshold: 80\n", ""), "threshold"),
        (MONITORED.replace("    threshold: 80\n", "    threshold: 80\n    times: 0\n"), "alarmRules[0] (\"cpu-high\"): times"),
        (MONITORED.replace("    threshold: 80\n", "    threshold: 80\n    resources: [{instance: i-web1}]\n"), "instance"),
        (MONITORED.replace("instanceId: i-web1", "instanceId: i-gone"), "metrics[0]: instanceId"),
        (MONITORED.replace("value: 97.5", "valu: 97.5"), "valu"),
        (MONITORED.replace("metrics:", "  - {ruleName: cpu-high, namespace: n, metricName: m, comparisonOperator: LessThanThreshold, threshold: 1}\nmetrics:"), "alarmRules[1] (\"cpu-high\"): ruleName"),
    ];
    for (seed, field) in cases {
        let error = seed_error(&seed);
        assert!(error.contains(field), "{field:?} not in {error:?}\n{seed}");
    }
}

#[test]
fn a_firing_alarm_survives_a_restart_from_the_state_file() {
    let directory = tempfile::tempdir().unwrap();
    let state = directory.path().join("cloud.json");
    let clock = ManualClock::new();
    let build = || {
        clock
            .install(Emulator::builder())
            .seed(FleetSeed::from_yaml(FLEET).unwrap())
            .state_file(&state)
            .build()
            .unwrap()
    };
    let first = build();
    first.put_alarm_rule(cpu_rule(1)).unwrap();
    first.set_metric(cpu("i-web1", 90.0)).unwrap();
    first.save().unwrap();
    drop(first);
    clock.advance(Duration::from_secs(60));
    let restarted = build();
    restarted.set_metric(cpu("i-web1", 95.0)).unwrap();
    restarted.set_metric(cpu("i-web1", 20.0)).unwrap();
    assert_eq!(
        alarms(&restarted),
        [alarm("resolved", 20.0, 1_767_225_600_000, "2026-01-01T00:01:00Z")]
    );
}
