//! CloudMonitor (CMS 2019-01-01) over the monitor's metric values and alarm rules: the latest
//! datapoints (`Datapoints` is a JSON string, as in the real API) and resource metric rules.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Map, Value, json};

use super::params::Ctx;
use crate::monitor::{AlarmRule, ComparisonOperator, MetricValue, ResourceFilter};
use crate::state::Cloud;
use crate::sts::DEFAULT_ACCOUNT_ID;

/// The `Dimensions` filters: a JSON object or a list of them; empty matches everything.
fn dimensions(request: &RpcRequest) -> Result<Vec<Map<String, Value>>, AcsError> {
    Ok(match request.json::<Value>("Dimensions")? {
        None => Vec::new(),
        Some(Value::Object(one)) => vec![one],
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|item| item.as_object().cloned())
            .collect(),
        Some(_) => {
            return Err(AcsError::invalid_parameter(
                "Dimensions",
                "expected a JSON object or a list of objects",
            ));
        }
    })
}

fn matches(metric: &MetricValue, filters: &[Map<String, Value>]) -> bool {
    filters.is_empty()
        || filters.iter().any(|filter| {
            filter
                .get("instanceId")
                .and_then(Value::as_str)
                .is_none_or(|id| id == metric.instance_id)
                && filter
                    .get("device")
                    .and_then(Value::as_str)
                    .is_none_or(|device| metric.device.as_deref() == Some(device))
        })
}

/// The datapoints of the latest value of every matching series, as the JSON text CMS returns.
fn datapoints(cloud: &Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<String, AcsError> {
    let namespace = request.require("Namespace")?;
    let metric_name = request.require("MetricName")?;
    let filters = dimensions(request)?;
    let points: Vec<Value> = cloud
        .monitor
        .metrics()
        .iter()
        .filter(|metric| metric.namespace == namespace && metric.metric_name == metric_name && matches(metric, &filters))
        .map(|metric| {
            let mut point = json!({"timestamp": ctx.now.as_millisecond(), "userId": DEFAULT_ACCOUNT_ID, "instanceId": metric.instance_id,
                                   "Average": metric.value, "Maximum": metric.value, "Minimum": metric.value});
            if let Some(device) = &metric.device {
                point["device"] = json!(device);
            }
            point
        })
        .collect();
    Ok(Value::Array(points).to_string())
}

/// DescribeMetricLast and DescribeMetricList: the latest value of each matching series.
pub fn describe_metric_last(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let points = datapoints(cloud, request, ctx)?;
    Ok(
        json!({"Code": "200", "Message": "", "Success": true, "Period": request.get("Period").unwrap_or("60"), "NextToken": "", "Datapoints": points}),
    )
}

/// DescribeMetricData.
pub fn describe_metric_data(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let points = datapoints(cloud, request, ctx)?;
    Ok(
        json!({"Code": "200", "Message": "", "Period": request.get("Period").unwrap_or("60"), "Datapoints": points}),
    )
}

const LEVELS: [&str; 3] = ["Critical", "Warn", "Info"];

/// PutResourceMetricRule: the most severe escalation given (`Escalations.Critical|Warn|Info.*`)
/// becomes the monitor's rule `RuleId`; `Resources` is a JSON list of `{instanceId, device}`
/// (`[{"resource":"_ALL"}]` = every resource).
pub fn put_resource_metric_rule(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let rule_id = request.require("RuleId")?;
    let level = LEVELS
        .iter()
        .find(|level| {
            request
                .get(&format!("Escalations.{level}.Threshold"))
                .is_some()
        })
        .ok_or_else(|| AcsError::missing_parameter("Escalations.Critical.Threshold"))?;
    let field = |name: &str| request.get(&format!("Escalations.{level}.{name}"));
    let threshold: f64 = field("Threshold")
        .unwrap_or_default()
        .parse()
        .map_err(|_| AcsError::invalid_parameter("Escalations.Threshold", "not a number"))?;
    let operator = ComparisonOperator::try_from(
        field("ComparisonOperator")
            .unwrap_or("GreaterThanOrEqualToThreshold")
            .to_owned(),
    )
    .map_err(|error| AcsError::invalid_parameter("Escalations.ComparisonOperator", error))?;
    let times = field("Times")
        .map(str::parse::<u32>)
        .transpose()
        .map_err(|_| AcsError::invalid_parameter("Escalations.Times", "not a number"))?;
    let resources: Vec<Map<String, Value>> = request
        .json("Resources")?
        .ok_or_else(|| AcsError::missing_parameter("Resources"))?;
    let resources = resources
        .iter()
        .filter(|resource| resource.get("resource").and_then(Value::as_str) != Some("_ALL"))
        .map(|resource| ResourceFilter {
            instance_id: resource
                .get("instanceId")
                .and_then(Value::as_str)
                .map(str::to_owned),
            device: resource
                .get("device")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
        .collect();
    let rule = AlarmRule {
        rule_name: rule_id.to_owned(),
        namespace: request.require("Namespace")?.to_owned(),
        metric_name: request.require("MetricName")?.to_owned(),
        comparison_operator: operator,
        threshold,
        times: times.unwrap_or(1),
        resources,
    };
    cloud
        .put_alarm_rule(rule)
        .map_err(|error| AcsError::invalid_parameter("RuleId", error))?;
    Ok(json!({"Code": "200", "Message": "", "Success": true}))
}

/// DescribeMetricRuleList: every alarm rule (CMS or seeded), filtered by `RuleIds`, `Namespace`,
/// `MetricName`; `AlertState` ALARM while the rule fires for a resource.
pub fn describe_metric_rule_list(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let ids = super::params::comma_ids(request, "RuleIds");
    let alarms: Vec<Value> = cloud
        .monitor
        .alarm_rules()
        .iter()
        .filter(|rule| ids.as_ref().is_none_or(|ids| ids.contains(&rule.rule_name.as_str())))
        .filter(|rule| request.get("Namespace").is_none_or(|namespace| rule.namespace == namespace))
        .filter(|rule| request.get("MetricName").is_none_or(|name| rule.metric_name == name))
        .map(|rule| {
            let firing = cloud.monitor.firing(&rule.rule_name).unwrap_or(false);
            let escalation = json!({"ComparisonOperator": format!("{:?}", rule.comparison_operator), "Threshold": rule.threshold.to_string(),
                                    "Times": rule.times, "Statistics": "Average", "PreCondition": ""});
            // only the Critical level is modelled; the other levels answer as unset
            let unset = json!({"ComparisonOperator": "", "Threshold": "", "Times": 0, "Statistics": "", "PreCondition": ""});
            let resources: Vec<Value> = rule.resources.iter().map(|filter| serde_json::to_value(filter).unwrap_or_default()).collect();
            json!({"RuleId": rule.rule_name, "RuleName": rule.rule_name, "Namespace": rule.namespace, "MetricName": rule.metric_name,
                   "EnableState": true, "AlertState": if firing { "ALARM" } else { "OK" }, "Period": "60",
                   "Resources": Value::Array(resources).to_string(), "Dimensions": "", "Escalations": {"Critical": escalation, "Info": unset, "Warn": unset},
                   "ContactGroups": "", "Webhook": "", "SilenceTime": 86400, "EffectiveInterval": "00:00-23:59",
                   "NoEffectiveInterval": "", "MailSubject": "", "SendOK": false, "SourceType": "METRIC", "NoDataPolicy": "KEEP_LAST_STATE",
                   "GroupId": "", "GroupName": "", "ProductCategory": "ecs", "GmtCreate": 0, "GmtUpdate": "", "Labels": {"Labels": []},
                   "CompositeExpression": {"ExpressionList": {"ExpressionList": []}, "ExpressionListJoin": "", "ExpressionRaw": "", "Level": "", "Times": 0},
                   "Prometheus": {"Annotations": {"Annotations": []}, "Level": "", "PromQL": "", "Times": 0}})
        })
        .collect();
    Ok(
        json!({"Code": 200, "Message": "", "Success": true, "Total": alarms.len().to_string(), "Alarms": {"Alarm": alarms}}),
    )
}

/// DeleteMetricRules: `Id.N`; an unknown id is `ResourceNotFound`.
pub fn delete_metric_rules(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let ids = request.repeated("Id");
    if ids.is_empty() {
        return Err(AcsError::missing_parameter("Id.1"));
    }
    if let Some(unknown) = ids.iter().find(|id| cloud.monitor.firing(id).is_none()) {
        return Err(AcsError::with_code(
            "ResourceNotFound",
            404,
            format!("The alarm rule does not exist: {unknown}."),
        ));
    }
    for id in &ids {
        cloud.monitor.remove_rule(id);
    }
    Ok(json!({"Code": "200", "Message": "", "Success": true}))
}
