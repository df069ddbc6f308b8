//! Prometheus Alertmanager's webhook notifications (`"version": "4"`) read as [`Alarm`]s.
//!
//! Each entry of `alerts` becomes one alarm; the group fields (`groupLabels`, `commonLabels`,
//! `receiver`, …) are not needed, since every alert carries all its labels. Mapping:
//! - `firing`: the alert's `status` is `firing` (else the notification's `status`); `resolved` is
//!   a resolved alarm, anything else an error;
//! - `namespace`: the label `namespace`, else `acs_ecs_dashboard`;
//! - `metric_name`: the label `metric_name`, `metricName` or `metric`, else `alertname`;
//! - `resource`: the label `instance_id` or `instanceId` as `instanceId`, `device` as `device`,
//!   and every label `resource_<key>` as `<key>`;
//! - `tags`: every label `tag_<key>` as `<key>`;
//! - `value` / `threshold`: the annotations `value` / `threshold`, numbers or numbers in text
//!   (a trailing `%` is allowed); annotations that are not numbers are left out, not an error;
//! - `time_ms`: `startsAt` (RFC 3339, required);
//! - `labels`: all the alert's labels;
//! - `dedup_key`: `fingerprint` (else a stable hash of the labels) `@` `startsAt` (as UTC
//!   milliseconds): every notification of one alert episode — the repeats Alertmanager sends each
//!   `repeat_interval`, its resolution — has the same key, the next episode (a new `startsAt`)
//!   another.
//!
//! Bodies are untrusted: more than [`MAX_ALERTS`] alerts is `InvalidAlarm.TooManyAlerts`; a body
//! that is not this shape is `InvalidAlarm.Format`, naming the field (`alerts[2].startsAt`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::TriggerError;
use crate::alarms::{Alarm, format_error};
use crate::fields::{iso_utc, number, stable_hash, string_map, time_ms};

/// The most alerts one notification may carry.
pub const MAX_ALERTS: usize = 1000;

/// The namespace of alerts without a `namespace` label: CloudMonitor's ECS metrics.
const DEFAULT_NAMESPACE: &str = "acs_ecs_dashboard";

/// Reads an Alertmanager webhook body into one alarm per alert (the rules of the module
/// documentation).
pub fn from_alertmanager(body: &Value) -> Result<Vec<Alarm>, TriggerError> {
    let fields = body.as_object().ok_or_else(|| format_error("the notification".to_string())("is not a JSON object".to_string()))?;
    let alerts = fields.get("alerts").and_then(Value::as_array).ok_or_else(|| format_error("alerts".to_string())("is missing or not a list".to_string()))?;
    if alerts.len() > MAX_ALERTS {
        return Err(TriggerError::new("InvalidAlarm.TooManyAlerts", format!("the notification carries {} alerts, more than {MAX_ALERTS}", alerts.len())));
    }
    let group_status = fields.get("status").and_then(Value::as_str);
    alerts.iter().enumerate().map(|(index, alert)| alarm_of(alert, &format!("alerts[{index}]"), group_status)).collect()
}

fn alarm_of(alert: &Value, place: &str, group_status: Option<&str>) -> Result<Alarm, TriggerError> {
    let invalid = |field: &str| format_error(format!("{place}{field}"));
    let fields = alert.as_object().ok_or_else(|| invalid("")("is not an object".to_string()))?;
    let labels = text_object(fields, "labels").map_err(invalid(".labels"))?;
    let annotations = text_object(fields, "annotations").map_err(invalid(".annotations"))?;
    let firing = match fields.get("status").and_then(Value::as_str).or(group_status) {
        Some("firing") => true,
        Some("resolved") => false,
        other => return Err(invalid(".status")(format!("{other:?} is neither firing nor resolved"))),
    };
    let starts_at = time_ms(fields.get("startsAt")).map_err(invalid(".startsAt"))?.ok_or_else(|| invalid(".startsAt")("is missing".to_string()))?;
    let label = |names: &[&str]| names.iter().filter_map(|name| labels.get(*name)).find(|value| !value.is_empty()).cloned();
    let metric_name = label(&["metric_name", "metricName", "metric", "alertname"]).ok_or_else(|| invalid(".labels")("have no metric_name, metricName, metric or alertname".to_string()))?;
    let identity = match fields.get("fingerprint").and_then(Value::as_str).filter(|fingerprint| !fingerprint.is_empty()) {
        Some(fingerprint) => fingerprint.to_string(),
        None => stable_hash(&serde_json::to_value(&labels).unwrap_or_default()),
    };
    let mut resource = prefixed(&labels, "resource_");
    if let Some(instance_id) = label(&["instance_id", "instanceId"]) {
        resource.insert("instanceId".to_string(), instance_id);
    }
    if let Some(device) = label(&["device"]) {
        resource.insert("device".to_string(), device);
    }
    Ok(Alarm {
        dedup_key: format!("{identity}@{}", iso_utc(starts_at)),
        namespace: label(&["namespace"]).unwrap_or_else(|| DEFAULT_NAMESPACE.to_string()),
        metric_name,
        resource,
        tags: prefixed(&labels, "tag_"),
        value: annotation_number(&annotations, "value"),
        threshold: annotation_number(&annotations, "threshold"),
        firing,
        time_ms: starts_at,
        labels,
    })
}

/// The object at `name` with scalar values as text; absent or null: empty.
fn text_object(fields: &Map<String, Value>, name: &str) -> Result<BTreeMap<String, String>, String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => string_map(map),
        Some(_) => Err("is not an object".to_string()),
    }
}

/// The labels starting with `prefix`, the prefix removed (an empty remainder is left out).
fn prefixed(labels: &BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    labels
        .iter()
        .filter_map(|(key, value)| key.strip_prefix(prefix).filter(|rest| !rest.is_empty()).map(|rest| (rest.to_string(), value.clone())))
        .collect()
}

fn annotation_number(annotations: &BTreeMap<String, String>, name: &str) -> Option<f64> {
    let text = annotations.get(name)?;
    number(Some(&Value::String(text.trim().trim_end_matches('%').to_string()))).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn notification(alerts: Value) -> Value {
        json!({"version": "4", "groupKey": "{}:{alertname=\"HighCpu\"}", "truncatedAlerts": 0, "status": "firing", "receiver": "oos",
            "groupLabels": {"alertname": "HighCpu"}, "commonLabels": {"alertname": "HighCpu"}, "commonAnnotations": {},
            "externalURL": "http://am:9093", "alerts": alerts})
    }

    fn high_cpu(starts_at: &str, fingerprint: Option<&str>) -> Value {
        let mut alert = json!({"status": "firing",
            "labels": {"alertname": "HighCpu", "instance_id": "i-1", "metric_name": "cpu_total", "namespace": "acs_ecs_dashboard",
                "device": "/dev/vda1", "resource_zone": "cn-hangzhou-h", "tag_Env": "Dev", "severity": "page"},
            "annotations": {"value": "93.5", "threshold": " 80% ", "summary": "CPU is high"},
            "startsAt": starts_at, "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph"});
        if let Some(fingerprint) = fingerprint {
            alert["fingerprint"] = json!(fingerprint);
        }
        alert
    }

    #[test]
    fn an_alert_is_mapped_to_an_alarm() {
        let alarms = from_alertmanager(&notification(json!([high_cpu("2026-12-05T14:38:12.123456789Z", Some("c0ffee"))]))).unwrap();
        assert_eq!(alarms.len(), 1);
        let alarm = &alarms[0];
        assert_eq!((alarm.namespace.as_str(), alarm.metric_name.as_str(), alarm.firing), ("acs_ecs_dashboard", "cpu_total", true));
        let expected_resource = [("device", "/dev/vda1"), ("instanceId", "i-1"), ("zone", "cn-hangzhou-h")].map(|(key, value)| (key.to_string(), value.to_string()));
        assert_eq!(alarm.resource, BTreeMap::from(expected_resource));
        assert_eq!(alarm.tags, BTreeMap::from([("Env".to_string(), "Dev".to_string())]));
        assert_eq!((alarm.value, alarm.threshold), (Some(93.5), Some(80.0)));
        assert_eq!(alarm.time_ms, 1_796_481_492_123);
        assert_eq!(alarm.dedup_key, "c0ffee@2026-12-05T14:38:12.123Z");
        assert_eq!(alarm.labels.get("severity").map(String::as_str), Some("page"));
        assert_eq!(alarm.payload()["instanceId"], "i-1");
    }

    #[test]
    fn defaults_and_the_resolved_status() {
        let alert = json!({"status": "resolved", "labels": {"alertname": "DiskFull", "instanceId": "i-2"}, "annotations": {"value": "n/a"},
            "startsAt": "2026-12-05T14:00:00+08:00", "endsAt": "2026-12-05T14:10:00+08:00"});
        let alarm = &from_alertmanager(&notification(json!([alert]))).unwrap()[0];
        assert_eq!((alarm.namespace.as_str(), alarm.metric_name.as_str(), alarm.firing), ("acs_ecs_dashboard", "DiskFull", false));
        assert_eq!((alarm.resource.get("instanceId").map(String::as_str), alarm.value, alarm.threshold), (Some("i-2"), None, None));
        assert!(alarm.dedup_key.ends_with("@2026-12-05T06:00:00Z"), "{}", alarm.dedup_key);
        let without_status = json!({"status": "firing", "alerts": [{"labels": {"alertname": "A"}, "startsAt": "2026-12-05T06:00:00Z"}]});
        assert!(from_alertmanager(&without_status).unwrap()[0].firing, "the notification's status stands in for the alert's");
    }

    #[test]
    fn repeats_share_a_key_and_a_new_episode_gets_another() {
        let key = |alert: Value| from_alertmanager(&notification(json!([alert]))).unwrap()[0].dedup_key.clone();
        let first = key(high_cpu("2026-12-05T14:38:12Z", None));
        assert_eq!(first, key(high_cpu("2026-12-05T14:38:12Z", None)), "no fingerprint: the labels' hash is stable");
        assert_eq!(first, key(high_cpu("2026-12-05T22:38:12+08:00", None)), "the same instant written otherwise");
        assert_ne!(first, key(high_cpu("2026-12-05T15:00:00Z", None)));
        let mut other_instance = high_cpu("2026-12-05T14:38:12Z", None);
        other_instance["labels"]["instance_id"] = json!("i-2");
        assert_ne!(first, key(other_instance));
        assert_ne!(key(high_cpu("2026-12-05T14:38:12Z", Some("a"))), key(high_cpu("2026-12-05T14:38:12Z", Some("b"))));
    }

    #[test]
    fn malformed_bodies_name_the_field() {
        let valid = high_cpu("2026-12-05T14:38:12Z", None);
        let broken = |field: &str, value: Value| {
            let mut alert = valid.clone();
            alert[field] = value;
            from_alertmanager(&notification(json!([valid.clone(), alert]))).unwrap_err()
        };
        for (field, value, named) in [
            ("startsAt", Value::Null, "alerts[1].startsAt"),
            ("startsAt", json!("soon"), "alerts[1].startsAt"),
            ("status", json!("pending"), "alerts[1].status"),
            ("labels", json!(["alertname"]), "alerts[1].labels"),
            ("labels", json!({"severity": "page"}), "alerts[1].labels"),
            ("annotations", json!({"value": {"v": 1}}), "alerts[1].annotations"),
        ] {
            let error = broken(field, value);
            assert_eq!(error.code, "InvalidAlarm.Format", "{field}");
            assert!(error.message.contains(named), "{field}: {}", error.message);
        }
        for body in [json!([]), json!({"version": "4"}), json!({"alerts": {"0": {}}})] {
            assert_eq!(from_alertmanager(&body).unwrap_err().code, "InvalidAlarm.Format", "{body}");
        }
        assert!(from_alertmanager(&notification(json!([7]))).unwrap_err().message.contains("alerts[0]"));
    }

    #[test]
    fn the_number_of_alerts_is_bounded() {
        let alert = high_cpu("2026-12-05T14:38:12Z", None);
        assert_eq!(from_alertmanager(&notification(Value::Array(vec![alert.clone(); MAX_ALERTS]))).unwrap().len(), MAX_ALERTS);
        let error = from_alertmanager(&notification(Value::Array(vec![alert; MAX_ALERTS + 1]))).unwrap_err();
        assert_eq!(error.code, "InvalidAlarm.TooManyAlerts");
    }
}
