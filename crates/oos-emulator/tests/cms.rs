//! CloudMonitor (CMS 2019-01-01) over the monitor: datapoints of the metric values (a JSON
//! string), resource metric rules that fire alarms, the rule list and its alert states.

mod support;

use oos_acs::{AcsError, RpcRequest};
use oos_emulator::{CMS_VERSION, Emulator, FleetSeed, MetricValue};
use serde_json::Value;

const SEED: &str = "
instances:
  - ids: [i-web1, i-web2]
metrics:
  - {namespace: acs_ecs_dashboard, metricName: cpu_total, instanceId: i-web1, value: 35}
  - {namespace: acs_ecs_dashboard, metricName: cpu_total, instanceId: i-web2, value: 10}
";

fn emulator() -> Emulator {
    Emulator::builder()
        .seed(FleetSeed::from_yaml(SEED).unwrap())
        .build()
        .unwrap()
}

fn cms(emulator: &Emulator, action: &str, params: &[(&str, &str)]) -> Result<Value, AcsError> {
    let params = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    emulator.call(&RpcRequest::new(action, CMS_VERSION, params))
}

fn points(body: &Value) -> Vec<Value> {
    let text = body["Datapoints"]
        .as_str()
        .expect("Datapoints is a JSON string");
    serde_json::from_str(text).expect("Datapoints holds JSON")
}

const CPU: [(&str, &str); 2] = [
    ("Namespace", "acs_ecs_dashboard"),
    ("MetricName", "cpu_total"),
];

#[test]
fn datapoints_are_the_latest_values_as_a_json_string() {
    let emulator = emulator();
    let all = cms(&emulator, "DescribeMetricLast", &CPU).unwrap();
    assert_eq!(all["Success"], true);
    assert_eq!(points(&all).len(), 2);
    let one = cms(
        &emulator,
        "DescribeMetricList",
        &[
            CPU[0],
            CPU[1],
            ("Dimensions", r#"[{"instanceId":"i-web2"}]"#),
        ],
    )
    .unwrap();
    let web2 = points(&one);
    assert_eq!(web2.len(), 1);
    assert_eq!(web2[0]["instanceId"], "i-web2");
    assert_eq!(web2[0]["Average"], 10.0);
    emulator
        .set_metric(MetricValue::new(
            "acs_ecs_dashboard",
            "cpu_total",
            "i-web2",
            77.0,
        ))
        .unwrap();
    let data = cms(
        &emulator,
        "DescribeMetricData",
        &[CPU[0], CPU[1], ("Dimensions", r#"{"instanceId":"i-web2"}"#)],
    )
    .unwrap();
    assert_eq!(points(&data)[0]["Maximum"], 77.0);
    let missing = cms(&emulator, "DescribeMetricLast", &[CPU[0]]);
    assert_eq!(missing.unwrap_err().code, "MissingParameter.MetricName");
}

#[test]
fn a_resource_metric_rule_fires_and_shows_its_alert_state() {
    let emulator = emulator();
    cms(
        &emulator,
        "PutResourceMetricRule",
        &[
            ("RuleId", "cpu-high"),
            ("RuleName", "CPU high"),
            CPU[0],
            CPU[1],
            ("Resources", r#"[{"instanceId":"i-web1"}]"#),
            (
                "Escalations.Critical.ComparisonOperator",
                "GreaterThanThreshold",
            ),
            ("Escalations.Critical.Threshold", "80"),
            ("Escalations.Critical.Times", "1"),
        ],
    )
    .unwrap();
    let state = |emulator: &Emulator| {
        let list = cms(
            emulator,
            "DescribeMetricRuleList",
            &[("RuleIds", "cpu-high")],
        )
        .unwrap();
        list["Alarms"]["Alarm"][0]["AlertState"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(state(&emulator), "OK");
    emulator
        .set_metric(MetricValue::new(
            "acs_ecs_dashboard",
            "cpu_total",
            "i-web1",
            95.0,
        ))
        .unwrap();
    assert_eq!(state(&emulator), "ALARM");
    assert!(
        emulator
            .events()
            .iter()
            .any(|event| event.body["alertName"] == "cpu-high" && event.body["status"] == "firing")
    );
    let bad = cms(
        &emulator,
        "PutResourceMetricRule",
        &[
            ("RuleId", "x"),
            CPU[0],
            CPU[1],
            ("Resources", "[]"),
            ("Escalations.Critical.Threshold", "1"),
            (
                "Escalations.Critical.ComparisonOperator",
                "GreaterThanYesterday",
            ),
        ],
    );
    assert_eq!(
        bad.unwrap_err().code,
        "InvalidParameter.Escalations.ComparisonOperator"
    );
    cms(&emulator, "DeleteMetricRules", &[("Id.1", "cpu-high")]).unwrap();
    let gone = cms(&emulator, "DeleteMetricRules", &[("Id.1", "cpu-high")]);
    assert_eq!(gone.unwrap_err().code, "ResourceNotFound");
}
