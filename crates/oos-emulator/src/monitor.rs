//! CloudMonitor in miniature: metric values per resource and alarm rules over them. Every value
//! set is one evaluation of the rules that cover it; after `times` breaches in a row a rule fires
//! one alarm for that resource, and resolves it on the first evaluation back within the threshold.

use indexmap::IndexMap;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::events::EventKind;
use crate::state::{Cloud, utc_time};

/// The value of one metric of one resource (an instance, or one device of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricValue {
    /// E.g. `acs_ecs_dashboard`.
    pub namespace: String,
    /// E.g. `cpu_total`, `diskusage_utilization`.
    pub metric_name: String,
    pub instance_id: String,
    /// E.g. `/dev/vda1`, for per-device metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    pub value: f64,
}

impl MetricValue {
    /// `metric_name` of `namespace` for instance `instance_id` is `value`.
    pub fn new(namespace: &str, metric_name: &str, instance_id: &str, value: f64) -> Self {
        Self {
            namespace: namespace.to_owned(),
            metric_name: metric_name.to_owned(),
            instance_id: instance_id.to_owned(),
            device: None,
            value,
        }
    }

    /// The same value, for one device of the instance.
    pub fn on_device(mut self, device: &str) -> Self {
        self.device = Some(device.to_owned());
        self
    }

    /// The resource as alarms show it: `{"instanceId"[, "device"]}`.
    fn resource(&self) -> Value {
        match &self.device {
            Some(device) => json!({"instanceId": self.instance_id, "device": device}),
            None => json!({"instanceId": self.instance_id}),
        }
    }

    /// The resource in an alarm id: `<instanceId>[:<device>]`.
    fn resource_key(&self) -> String {
        match &self.device {
            Some(device) => format!("{}:{device}", self.instance_id),
            None => self.instance_id.clone(),
        }
    }

    fn series_key(&self) -> String {
        format!(
            "{}/{}/{}",
            self.namespace,
            self.metric_name,
            self.resource_key()
        )
    }

    fn check(&self) -> Result<(), String> {
        for (field, value) in [
            ("namespace", &self.namespace),
            ("metricName", &self.metric_name),
            ("instanceId", &self.instance_id),
        ] {
            if value.is_empty() {
                return Err(format!("{field}: must not be empty"));
            }
        }
        if !self.value.is_finite() {
            return Err(format!("value: {} is not a finite number", self.value));
        }
        Ok(())
    }
}

/// How a value is compared with a rule's threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub enum ComparisonOperator {
    GreaterThanThreshold,
    GreaterThanOrEqualToThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
    EqualToThreshold,
    NotEqualToThreshold,
}

impl ComparisonOperator {
    const ALL: [Self; 6] = [
        Self::GreaterThanThreshold,
        Self::GreaterThanOrEqualToThreshold,
        Self::LessThanThreshold,
        Self::LessThanOrEqualToThreshold,
        Self::EqualToThreshold,
        Self::NotEqualToThreshold,
    ];

    /// Whether `value` breaches `threshold`.
    pub fn breached(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::GreaterThanThreshold => value > threshold,
            Self::GreaterThanOrEqualToThreshold => value >= threshold,
            Self::LessThanThreshold => value < threshold,
            Self::LessThanOrEqualToThreshold => value <= threshold,
            Self::EqualToThreshold => value == threshold,
            Self::NotEqualToThreshold => value != threshold,
        }
    }
}

impl TryFrom<String> for ComparisonOperator {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|operator| format!("{operator:?}") == name)
            .ok_or_else(|| {
                let known: Vec<String> = Self::ALL
                    .iter()
                    .map(|operator| format!("{operator:?}"))
                    .collect();
                format!(
                    "comparisonOperator: {name:?} is not one of {}",
                    known.join(", ")
                )
            })
    }
}

/// Which resources a rule watches: every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

impl ResourceFilter {
    fn matches(&self, metric: &MetricValue) -> bool {
        self.instance_id
            .as_ref()
            .is_none_or(|id| *id == metric.instance_id)
            && self
                .device
                .as_ref()
                .is_none_or(|device| metric.device.as_ref() == Some(device))
    }
}

/// A CloudMonitor-like alarm rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlarmRule {
    pub rule_name: String,
    pub namespace: String,
    pub metric_name: String,
    pub comparison_operator: ComparisonOperator,
    pub threshold: f64,
    /// Consecutive breaching evaluations before the rule fires (default 1).
    #[serde(default = "one_time")]
    pub times: u32,
    /// The resources watched; empty = every resource with this metric.
    #[serde(default)]
    pub resources: Vec<ResourceFilter>,
}

fn one_time() -> u32 {
    1
}

impl AlarmRule {
    fn check(&self) -> Result<(), String> {
        for (field, value) in [
            ("ruleName", &self.rule_name),
            ("namespace", &self.namespace),
            ("metricName", &self.metric_name),
        ] {
            if value.is_empty() {
                return Err(format!("{field}: must not be empty"));
            }
        }
        if self.rule_name.contains('@') {
            return Err(format!(
                "ruleName: {:?} must not contain '@' (it separates the parts of alarm ids)",
                self.rule_name
            ));
        }
        if !self.threshold.is_finite() {
            return Err(format!(
                "threshold: {} is not a finite number",
                self.threshold
            ));
        }
        if self.times == 0 {
            return Err("times: must be at least 1".into());
        }
        Ok(())
    }

    fn covers(&self, metric: &MetricValue) -> bool {
        self.namespace == metric.namespace
            && self.metric_name == metric.metric_name
            && (self.resources.is_empty()
                || self.resources.iter().any(|filter| filter.matches(metric)))
    }
}

/// Where a rule stands for one resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Standing {
    /// Breaching evaluations in a row.
    breaches: u32,
    /// When the alarm being fired started (ms); `None` while OK.
    firing_since_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WatchedRule {
    rule: AlarmRule,
    standings: IndexMap<String, Standing>,
}

/// The metric values and alarm rules of the cloud.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    metrics: IndexMap<String, MetricValue>,
    rules: IndexMap<String, WatchedRule>,
}

impl Monitor {
    /// The latest value of every metric series, in the order they were first set.
    pub fn metrics(&self) -> Vec<MetricValue> {
        self.metrics.values().cloned().collect()
    }

    /// The alarm rules, in the order they were first put.
    pub fn alarm_rules(&self) -> Vec<AlarmRule> {
        self.rules
            .values()
            .map(|watched| watched.rule.clone())
            .collect()
    }
}

impl Cloud {
    /// Adds `rule`, or replaces the rule of that name (forgetting where it stood).
    pub(crate) fn put_alarm_rule(&mut self, rule: AlarmRule) -> Result<(), String> {
        rule.check()?;
        let watched = WatchedRule {
            rule,
            standings: IndexMap::new(),
        };
        self.monitor
            .rules
            .insert(watched.rule.rule_name.clone(), watched);
        Ok(())
    }

    /// Records `metric` and evaluates every rule covering it, raising the alarms that fire or
    /// resolve.
    pub(crate) fn set_metric(&mut self, metric: MetricValue, now: Timestamp) -> Result<(), String> {
        metric.check()?;
        let Some(instance) = self.instances.get(&metric.instance_id) else {
            return Err(format!(
                "instanceId: instance {:?} does not exist",
                metric.instance_id
            ));
        };
        let tags = json!(instance.tags);
        let key = metric.resource_key();
        let mut alarms = Vec::new();
        for watched in self
            .monitor
            .rules
            .values_mut()
            .filter(|watched| watched.rule.covers(&metric))
        {
            let rule = &watched.rule;
            let standing = watched.standings.entry(key.clone()).or_default();
            let status = if rule
                .comparison_operator
                .breached(metric.value, rule.threshold)
            {
                standing.breaches = standing.breaches.saturating_add(1);
                if standing.firing_since_ms.is_some() || standing.breaches < rule.times {
                    continue;
                }
                standing.firing_since_ms = Some(now.as_millisecond());
                "firing"
            } else {
                standing.breaches = 0;
                if standing.firing_since_ms.is_none() {
                    continue;
                }
                "resolved"
            };
            let since = standing.firing_since_ms.unwrap_or_default();
            if status == "resolved" {
                standing.firing_since_ms = None;
            }
            alarms.push(json!({
                "id": format!("{}@{key}@{since}", rule.rule_name),
                "status": status,
                "namespace": metric.namespace,
                "metricName": metric.metric_name,
                "instanceId": metric.instance_id,
                "resource": metric.resource(),
                "tags": tags,
                "value": metric.value,
                "threshold": rule.threshold,
                "time": utc_time(now),
                "alertName": rule.rule_name,
            }));
        }
        self.monitor.metrics.insert(metric.series_key(), metric);
        for alarm in alarms {
            self.raise(EventKind::Alarm, alarm);
        }
        Ok(())
    }
}

impl crate::Emulator {
    /// Sets a metric value: one evaluation of every alarm rule over it, whose alarms are published.
    pub fn set_metric(&self, metric: MetricValue) -> Result<(), crate::EmulatorError> {
        let now = self.now();
        self.with_cloud(|cloud| cloud.set_metric(metric, now))
            .map_err(crate::EmulatorError::InvalidInput)
    }

    /// Adds an alarm rule, or replaces the one of the same name.
    pub fn put_alarm_rule(&self, rule: AlarmRule) -> Result<(), crate::EmulatorError> {
        self.with_cloud(|cloud| cloud.put_alarm_rule(rule))
            .map_err(crate::EmulatorError::InvalidInput)
    }

    /// The latest value of every metric series.
    pub fn metrics(&self) -> Vec<MetricValue> {
        self.lock().monitor.metrics()
    }

    /// The alarm rules.
    pub fn alarm_rules(&self) -> Vec<AlarmRule> {
        self.lock().monitor.alarm_rules()
    }
}

impl Monitor {
    /// Whether rule `name` fires for any resource now (`None`: no such rule).
    pub(crate) fn firing(&self, name: &str) -> Option<bool> {
        self.rules
            .get(name)
            .map(|watched| watched.standings.values().any(|standing| standing.firing_since_ms.is_some()))
    }

    /// Forgets rule `name`; false when there was none.
    pub(crate) fn remove_rule(&mut self, name: &str) -> bool {
        self.rules.shift_remove(name).is_some()
    }
}
