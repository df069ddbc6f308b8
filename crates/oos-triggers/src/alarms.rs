//! The alarms an `ACS::AlarmTrigger` waits for: one normalized [`Alarm`] (from Alertmanager, the
//! emulator's CloudMonitor-style alarms or `TriggerExecution`), the trigger's rendered
//! CloudMonitor-style rule as an [`AlarmSpec`], and whether an alarm matches it.
//!
//! Matching rules ([`AlarmSpec::matches`]), all of which must hold:
//! - the alarm is firing (a resolved notification never starts a run);
//! - `Namespace` and `MetricName`: equal (exact);
//! - `Resources` (a list of objects, or JSON text of one as the corpus writes it,
//!   `'[{"instanceId":"i-1","device":"/dev/vda1"}]'`): when it lists any, the alarm's resource
//!   must have every key of one listed entry with the same value; none listed: any resource;
//! - `Tags`: every listed tag is on the alarm with the same value (as for events); empty: any;
//! - `Threshold` with an absolute `ComparisonOperator` (`GreaterThanThreshold`,
//!   `GreaterThanOrEqualToThreshold`, `LessThanThreshold`, `LessThanOrEqualToThreshold`,
//!   `NotEqualToThreshold`): when the alarm carries its value, the value must meet it (a Prometheus
//!   rule firing at 60 does not start a template whose rule says above 80). Alarms without a value,
//!   and the relative operators (`GreaterThanYesterday`, …), are not checked here.
//!
//! `Statistics`, `Times`, `Period`, `Interval` and `EffectiveInterval` describe how the metric is
//! evaluated by whatever raises the alarm; they are checked and kept, not applied. `SilenceTime`
//! (seconds, CloudMonitor's default one day) is the caller's de-duplication window
//! ([`AlarmSpec::silence_ms`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::TriggerError;
use crate::fields::{iso_utc, number, property_error, scalar_text, stable_hash, string_map, tag_map, tags_present, time_ms, unwrap_json_text};

const INVALID_ALARM: &str = "InvalidAlarm.Format";

/// Turns a problem found in `field` of an incoming alarm into an `InvalidAlarm.Format` error
/// naming the field.
pub(crate) fn format_error(field: String) -> impl Fn(String) -> TriggerError {
    move |problem| TriggerError::new(INVALID_ALARM, format!("{field} {problem}"))
}

/// CloudMonitor's default `SilenceTime`: one day.
const DEFAULT_SILENCE_SECS: u64 = 86_400;

/// The comparison operators CloudMonitor alarm rules accept.
const COMPARISON_OPERATORS: [&str; 11] = [
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "NotEqualToThreshold",
    "GreaterThanYesterday",
    "LessThanYesterday",
    "GreaterThanLastWeek",
    "LessThanLastWeek",
    "GreaterThanLastPeriod",
    "LessThanLastPeriod",
];

/// One alarm notification, normalized (from Alertmanager, the emulator's CloudMonitor-style alarms,
/// or TriggerExecution).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    /// The same for repeated notifications of one alarm episode, another for the next episode.
    pub dedup_key: String,
    pub namespace: String,
    pub metric_name: String,
    /// The resource the alarm is about, e.g. `instanceId`, `device`.
    pub resource: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub firing: bool,
    pub time_ms: i64,
    pub labels: BTreeMap<String, String>,
}

impl Alarm {
    /// The trigger task's result: `id` (the de-duplication key), `status` (`firing` | `resolved`),
    /// `namespace`, `metricName`, `instanceId` (when the resource has one, so the corpus'
    /// `.instanceId` works), `resource`, `tags`, `value`, `threshold`, `time` (ISO 8601 UTC),
    /// `alertName` (the `alertname` label, else the metric name) and `labels`.
    pub fn payload(&self) -> Value {
        let mut payload = json!({
            "id": self.dedup_key,
            "status": if self.firing { "firing" } else { "resolved" },
            "namespace": self.namespace,
            "metricName": self.metric_name,
            "resource": self.resource,
            "tags": self.tags,
            "value": self.value,
            "threshold": self.threshold,
            "time": iso_utc(self.time_ms),
            "alertName": self.labels.get("alertname").unwrap_or(&self.metric_name),
            "labels": self.labels,
        });
        if let Some(instance_id) = self.resource.get("instanceId") {
            payload["instanceId"] = json!(instance_id);
        }
        payload
    }

    /// TriggerExecution's `Content` for `Type=Alarm`: an object with the field names of
    /// [`Alarm::payload`]. `namespace` and `metricName` are required; a top-level `instanceId`
    /// joins the `resource`; `status` defaults to firing, `time` to `now_ms`; the de-duplication
    /// key is `id`, else a hash of the content. Errors: `InvalidAlarm.Format` naming the field.
    pub fn from_content(content: &Value, now_ms: i64) -> Result<Alarm, TriggerError> {
        let fields = content.as_object().ok_or_else(|| TriggerError::new(INVALID_ALARM, "the alarm content is not a JSON object"))?;
        let invalid = |name: &str| format_error(format!("the alarm's {name}"));
        let text = |name: &str| fields.get(name).and_then(scalar_text).filter(|text| !text.is_empty());
        let required = |name: &str| text(name).ok_or_else(|| TriggerError::new(INVALID_ALARM, format!("the alarm has no {name}")));
        let object = |name: &str| match fields.get(name) {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(Value::Object(map)) => string_map(map).map_err(invalid(name)),
            Some(_) => Err(invalid(name)("is not an object".to_string())),
        };
        let mut resource = object("resource")?;
        if let Some(instance_id) = text("instanceId") {
            resource.entry("instanceId".to_string()).or_insert(instance_id);
        }
        let firing = match text("status").map(|status| status.to_ascii_lowercase()).as_deref() {
            None | Some("firing") => true,
            Some("resolved") => false,
            Some(other) => return Err(invalid("status")(format!("{other:?} is neither firing nor resolved"))),
        };
        Ok(Alarm {
            dedup_key: text("id").unwrap_or_else(|| stable_hash(content)),
            namespace: required("namespace")?,
            metric_name: required("metricName")?,
            resource,
            tags: tag_map(fields.get("tags")).map_err(invalid("tags"))?,
            value: number(fields.get("value")).map_err(invalid("value"))?,
            threshold: number(fields.get("threshold")).map_err(invalid("threshold"))?,
            firing,
            time_ms: time_ms(fields.get("time")).map_err(invalid("time"))?.unwrap_or(now_ms),
            labels: object("labels")?,
        })
    }
}

/// An AlarmTrigger's rendered properties, checked once when the trigger starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmSpec {
    pub namespace: String,
    pub metric_name: String,
    pub statistics: Option<String>,
    pub comparison_operator: Option<String>,
    pub threshold: Option<f64>,
    pub times: Option<u64>,
    /// `Period`, seconds.
    pub period_secs: Option<u64>,
    /// `Interval`, seconds.
    pub interval_secs: Option<u64>,
    /// `SilenceTime`, seconds.
    pub silence_secs: Option<u64>,
    /// `EffectiveInterval`, `HH:MM-HH:MM`.
    pub effective_interval: Option<String>,
    /// `Resources`: the resources wanted (one of them must match); empty: any.
    pub resources: Vec<BTreeMap<String, String>>,
    pub tags: BTreeMap<String, String>,
}

impl AlarmSpec {
    /// Reads the rendered properties (numbers may come as text, as rendered parameters give them).
    /// Errors: `InvalidTrigger.Properties` (not an object), `InvalidTrigger.<Property>` for
    /// `Namespace`, `MetricName` (absent or not text), `Statistics`, `ComparisonOperator` (not one
    /// of CloudMonitor's), `Threshold` (not a number), `Times`, `Period`, `Interval` (not a positive
    /// whole number), `SilenceTime` (negative or fractional), `EffectiveInterval` (not
    /// `HH:MM-HH:MM`), `Resources` (not a list of objects of strings), `Tags`.
    pub fn from_properties(properties: &Value) -> Result<AlarmSpec, TriggerError> {
        let properties = properties.as_object().ok_or_else(|| TriggerError::new("InvalidTrigger.Properties", "the AlarmTrigger's Properties are not an object"))?;
        let property = |name: &str| properties.get(name).filter(|value| !value.is_null());
        let invalid = |code, name| property_error(code, "AlarmTrigger", name);
        let optional_text = |code, name: &'static str| match property(name) {
            None => Ok(None),
            Some(value) => scalar_text(value).map(|text| Some(text).filter(|text| !text.is_empty())).ok_or_else(|| invalid(code, name)("is not a string".to_string())),
        };
        let required_text = |code, name| optional_text(code, name)?.ok_or_else(|| invalid(code, name)("is missing".to_string()));
        let seconds = |code, name, positive: bool| {
            let seconds = number(property(name)).map_err(invalid(code, name))?;
            match seconds {
                Some(value) if value.fract() != 0.0 || value < 0.0 || (positive && value == 0.0) => Err(invalid(code, name)(format!("{value} is not a {} whole number", if positive { "positive" } else { "non-negative" }))),
                _ => Ok(seconds.map(|value| value as u64)),
            }
        };
        let comparison_operator = optional_text("InvalidTrigger.ComparisonOperator", "ComparisonOperator")?;
        if let Some(operator) = &comparison_operator
            && !COMPARISON_OPERATORS.contains(&operator.as_str())
        {
            return Err(invalid("InvalidTrigger.ComparisonOperator", "ComparisonOperator")(format!("{operator:?} is not one of {}", COMPARISON_OPERATORS.join(", "))));
        }
        let effective_interval = optional_text("InvalidTrigger.EffectiveInterval", "EffectiveInterval")?;
        if let Some(interval) = &effective_interval
            && !is_time_range(interval)
        {
            return Err(invalid("InvalidTrigger.EffectiveInterval", "EffectiveInterval")(format!("{interval:?} is not HH:MM-HH:MM")));
        }
        Ok(AlarmSpec {
            namespace: required_text("InvalidTrigger.Namespace", "Namespace")?,
            metric_name: required_text("InvalidTrigger.MetricName", "MetricName")?,
            statistics: optional_text("InvalidTrigger.Statistics", "Statistics")?,
            comparison_operator,
            threshold: number(property("Threshold")).map_err(invalid("InvalidTrigger.Threshold", "Threshold"))?,
            times: seconds("InvalidTrigger.Times", "Times", true)?,
            period_secs: seconds("InvalidTrigger.Period", "Period", true)?,
            interval_secs: seconds("InvalidTrigger.Interval", "Interval", true)?,
            silence_secs: seconds("InvalidTrigger.SilenceTime", "SilenceTime", false)?,
            effective_interval,
            resources: resource_list(property("Resources")).map_err(invalid("InvalidTrigger.Resources", "Resources"))?,
            tags: tag_map(property("Tags")).map_err(invalid("InvalidTrigger.Tags", "Tags"))?,
        })
    }

    /// Whether `alarm` is one this trigger waits for (the rules of the module documentation).
    pub fn matches(&self, alarm: &Alarm) -> bool {
        alarm.firing
            && alarm.namespace == self.namespace
            && alarm.metric_name == self.metric_name
            && (self.resources.is_empty() || self.resources.iter().any(|wanted| wanted.iter().all(|(key, value)| alarm.resource.get(key) == Some(value))))
            && tags_present(&self.tags, &alarm.tags)
            && alarm.value.is_none_or(|value| self.threshold_met(value))
    }

    /// SilenceTime in milliseconds (default 86,400 s, as CloudMonitor's), for the caller's
    /// de-duplication window.
    pub fn silence_ms(&self) -> i64 {
        let seconds = self.silence_secs.unwrap_or(DEFAULT_SILENCE_SECS);
        i64::try_from(seconds).unwrap_or(i64::MAX).saturating_mul(1000)
    }

    fn threshold_met(&self, value: f64) -> bool {
        let Some(threshold) = self.threshold else { return true };
        match self.comparison_operator.as_deref() {
            Some("GreaterThanThreshold") => value > threshold,
            Some("GreaterThanOrEqualToThreshold") => value >= threshold,
            Some("LessThanThreshold") => value < threshold,
            Some("LessThanOrEqualToThreshold") => value <= threshold,
            Some("NotEqualToThreshold") => value != threshold,
            _ => true,
        }
    }
}

fn resource_list(value: Option<&Value>) -> Result<Vec<BTreeMap<String, String>>, String> {
    match unwrap_json_text(value.unwrap_or(&Value::Null))? {
        Value::Null => Ok(Vec::new()),
        Value::Array(entries) => entries
            .iter()
            .enumerate()
            .map(|(index, entry)| match entry {
                Value::Object(map) => string_map(map).map_err(|problem| format!("item {index}: {problem}")),
                _ => Err(format!("item {index} is not an object")),
            })
            .collect(),
        Value::Object(map) => string_map(&map).map(|entry| vec![entry]),
        _ => Err("is not a list of objects".to_string()),
    }
}

/// `HH:MM-HH:MM` with hours below 24 and minutes below 60.
fn is_time_range(text: &str) -> bool {
    let time_of_day = |part: &str| {
        let Some((hours, minutes)) = part.trim().split_once(':') else { return false };
        let in_range = |digits: &str, bound: u32| digits.len() == 2 && digits.bytes().all(|byte| byte.is_ascii_digit()) && digits.parse::<u32>().is_ok_and(|number| number < bound);
        in_range(hours, 24) && in_range(minutes, 60)
    };
    text.split_once('-').is_some_and(|(start, end)| time_of_day(start) && time_of_day(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_481_492_000;

    /// The Properties of ACS-ECS-RunCommandWhenDiskUsageLimitExceeded as rendered.
    fn disk_spec() -> AlarmSpec {
        AlarmSpec::from_properties(&json!({
            "Namespace": "acs_ecs_dashboard", "MetricName": "diskusage_utilization", "Statistics": "Maximum",
            "ComparisonOperator": "GreaterThanThreshold", "Threshold": "80",
            "Resources": "[{\"instanceId\":\"i-1\",\"device\":\"/dev/vda1\"}]", "Times": 1, "SilenceTime": "300", "Tags": "[]"
        }))
        .unwrap()
    }

    fn disk_alarm(instance_id: &str, device: &str, value: Option<f64>) -> Alarm {
        Alarm {
            dedup_key: "k".to_string(),
            namespace: "acs_ecs_dashboard".to_string(),
            metric_name: "diskusage_utilization".to_string(),
            resource: BTreeMap::from([("instanceId".to_string(), instance_id.to_string()), ("device".to_string(), device.to_string())]),
            tags: BTreeMap::from([("Env".to_string(), "Dev".to_string())]),
            value,
            threshold: Some(80.0),
            firing: true,
            time_ms: NOW,
            labels: BTreeMap::new(),
        }
    }

    #[test]
    fn corpus_properties_are_read_with_numbers_as_text() {
        let spec = disk_spec();
        assert_eq!((spec.namespace.as_str(), spec.metric_name.as_str(), spec.statistics.as_deref()), ("acs_ecs_dashboard", "diskusage_utilization", Some("Maximum")));
        assert_eq!((spec.threshold, spec.times, spec.silence_secs, spec.period_secs), (Some(80.0), Some(1), Some(300), None));
        assert_eq!(spec.resources, vec![BTreeMap::from([("instanceId".to_string(), "i-1".to_string()), ("device".to_string(), "/dev/vda1".to_string())])]);
        assert!(spec.tags.is_empty());
        assert_eq!(spec.silence_ms(), 300_000);
        // ACS-ECS-RebootInstanceAtHighCpuByTags: no Resources, tags from a Json parameter.
        let by_tags = AlarmSpec::from_properties(&json!({"Namespace": "acs_ecs_dashboard", "MetricName": "cpu_total", "Statistics": "Average",
            "ComparisonOperator": "GreaterThanThreshold", "Threshold": 90, "Times": 1, "SilenceTime": 600, "Period": 60, "Interval": "60",
            "Tags": [{"Key": "Env", "Value": "Dev"}], "EffectiveInterval": "00:00-23:59"})).unwrap();
        assert_eq!((by_tags.period_secs, by_tags.interval_secs, by_tags.effective_interval.as_deref()), (Some(60), Some(60), Some("00:00-23:59")));
        assert!(by_tags.resources.is_empty());
        assert_eq!(by_tags.tags, BTreeMap::from([("Env".to_string(), "Dev".to_string())]));
        let bare = AlarmSpec::from_properties(&json!({"Namespace": "acs_ecs_dashboard", "MetricName": "cpu_total", "Resources": "", "SilenceTime": null})).unwrap();
        assert_eq!(bare.silence_ms(), 86_400_000, "CloudMonitor's default silence is one day");
    }

    #[test]
    fn alarms_match_on_metric_resource_tags_threshold_and_firing() {
        let spec = disk_spec();
        assert!(spec.matches(&disk_alarm("i-1", "/dev/vda1", Some(91.5))));
        assert!(spec.matches(&disk_alarm("i-1", "/dev/vda1", None)), "an alarm without a value is not checked against the threshold");
        assert!(!spec.matches(&disk_alarm("i-1", "/dev/vda1", Some(80.0))), "GreaterThanThreshold is strict");
        assert!(!spec.matches(&disk_alarm("i-2", "/dev/vda1", Some(91.5))));
        assert!(!spec.matches(&disk_alarm("i-1", "/dev/vdb1", Some(91.5))));
        let mut resolved = disk_alarm("i-1", "/dev/vda1", Some(91.5));
        resolved.firing = false;
        assert!(!spec.matches(&resolved));
        let mut other_metric = disk_alarm("i-1", "/dev/vda1", Some(91.5));
        other_metric.metric_name = "cpu_total".to_string();
        assert!(!spec.matches(&other_metric));
        let mut tagged = disk_spec();
        tagged.tags.insert("Env".to_string(), "Prod".to_string());
        assert!(!tagged.matches(&disk_alarm("i-1", "/dev/vda1", Some(91.5))));
        tagged.tags.insert("Env".to_string(), "Dev".to_string());
        assert!(tagged.matches(&disk_alarm("i-1", "/dev/vda1", Some(91.5))));
        let any_of = AlarmSpec::from_properties(&json!({"Namespace": "acs_ecs_dashboard", "MetricName": "diskusage_utilization",
            "ComparisonOperator": "LessThanOrEqualToThreshold", "Threshold": 10, "Resources": [{"instanceId": "i-7"}, {"instanceId": "i-2"}]})).unwrap();
        assert!(any_of.matches(&disk_alarm("i-2", "/dev/any", Some(10.0))), "one listed entry suffices; its keys only");
        assert!(!any_of.matches(&disk_alarm("i-2", "/dev/any", Some(10.5))));
        assert!(!any_of.matches(&disk_alarm("i-1", "/dev/any", Some(5.0))));
    }

    #[test]
    fn the_payload_serves_the_corpus_value_selector_and_round_trips() {
        let mut alarm = disk_alarm("i-1", "/dev/vda1", Some(91.5));
        alarm.labels.insert("alertname".to_string(), "DiskFull".to_string());
        let payload = alarm.payload();
        assert_eq!(payload["instanceId"], "i-1", "the corpus reads .instanceId");
        assert_eq!((&payload["alertName"], &payload["metricName"], &payload["value"]), (&json!("DiskFull"), &json!("diskusage_utilization"), &json!(91.5)));
        assert_eq!((&payload["time"], &payload["status"], &payload["resource"]["device"]), (&json!("2026-12-05T14:38:12Z"), &json!("firing"), &json!("/dev/vda1")));
        assert_eq!(Alarm::from_content(&payload, 0).unwrap(), alarm);
        let mut without_instance = alarm.clone();
        without_instance.resource.clear();
        without_instance.labels.clear();
        let payload = without_instance.payload();
        assert_eq!((payload.get("instanceId"), &payload["alertName"]), (None, &json!("diskusage_utilization")));
    }

    #[test]
    fn trigger_execution_content_is_read_liberally() {
        let content = json!({"namespace": "acs_ecs_dashboard", "metricName": "cpu_total", "instanceId": "i-5", "value": "97", "tags": [{"Key": "Env", "Value": "Dev"}]});
        let alarm = Alarm::from_content(&content, NOW).unwrap();
        assert_eq!((alarm.resource.get("instanceId").map(String::as_str), alarm.value, alarm.firing, alarm.time_ms), (Some("i-5"), Some(97.0), true, NOW));
        assert_eq!(alarm.tags.get("Env").map(String::as_str), Some("Dev"));
        let reordered = json!({"value": "97", "instanceId": "i-5", "metricName": "cpu_total", "tags": [{"Key": "Env", "Value": "Dev"}], "namespace": "acs_ecs_dashboard"});
        assert_eq!(Alarm::from_content(&reordered, NOW).unwrap().dedup_key, alarm.dedup_key, "the hashed key ignores key order");
        let other = json!({"namespace": "acs_ecs_dashboard", "metricName": "cpu_total", "instanceId": "i-6"});
        assert_ne!(Alarm::from_content(&other, NOW).unwrap().dedup_key, alarm.dedup_key);
        for (field, value, named) in [("namespace", Value::Null, "namespace"), ("metricName", json!(""), "metricName"), ("value", json!("high"), "value"),
            ("status", json!("pending"), "status"), ("resource", json!([1]), "resource"), ("time", json!(true), "time"), ("labels", json!({"a": {"b": 1}}), "labels")] {
            let mut broken = content.clone();
            broken[field] = value;
            let error = Alarm::from_content(&broken, NOW).unwrap_err();
            assert_eq!(error.code, "InvalidAlarm.Format", "{field}");
            assert!(error.message.contains(named), "{field}: {}", error.message);
        }
        assert_eq!(Alarm::from_content(&json!("cpu"), NOW).unwrap_err().code, "InvalidAlarm.Format");
    }

    #[test]
    fn property_errors_carry_their_codes() {
        let base = json!({"Namespace": "acs_ecs_dashboard", "MetricName": "cpu_total"});
        for (name, value, code) in [
            ("Namespace", Value::Null, "InvalidTrigger.Namespace"),
            ("MetricName", json!(["cpu_total"]), "InvalidTrigger.MetricName"),
            ("Statistics", json!({}), "InvalidTrigger.Statistics"),
            ("ComparisonOperator", json!("Above"), "InvalidTrigger.ComparisonOperator"),
            ("Threshold", json!("eighty"), "InvalidTrigger.Threshold"),
            ("Times", json!(0), "InvalidTrigger.Times"),
            ("Period", json!("1.5"), "InvalidTrigger.Period"),
            ("Interval", json!(-60), "InvalidTrigger.Interval"),
            ("SilenceTime", json!(-1), "InvalidTrigger.SilenceTime"),
            ("EffectiveInterval", json!("24:00-25:00"), "InvalidTrigger.EffectiveInterval"),
            ("Resources", json!("[\"i-1\"]"), "InvalidTrigger.Resources"),
            ("Resources", json!("[{"), "InvalidTrigger.Resources"),
            ("Tags", json!(true), "InvalidTrigger.Tags"),
        ] {
            let mut properties = base.clone();
            properties[name] = value;
            let error = AlarmSpec::from_properties(&properties).unwrap_err();
            assert_eq!(error.code, code, "{name}: {error}");
            assert!(error.message.contains(name), "{error}");
        }
        assert_eq!(AlarmSpec::from_properties(&json!([])).unwrap_err().code, "InvalidTrigger.Properties");
        assert_eq!(AlarmSpec::from_properties(&json!({"Namespace": "n", "MetricName": "m", "SilenceTime": 0})).unwrap().silence_ms(), 0);
    }
}
