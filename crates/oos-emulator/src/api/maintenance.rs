//! Instance health and upkeep: Modify/DescribeInstanceMaintenanceAttributes,
//! DescribeInstancesFullStatus, and diagnostic reports (CreateDiagnosticReport,
//! DescribeDiagnosticReports, DescribeDiagnosticReportAttributes), which finish one transition
//! step after they are asked for.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::instances::instance;
use super::params::{Ctx, PageLimits, list_body, paginate, repeated_or_single};
use super::system_events::scheduled_events;
use crate::ecs_model::DiagnosticReport;
use crate::errors::{INVALID_REPORT_ID_NOT_FOUND, not_found};
use crate::model::{Instance, instance_status as status};
use crate::state::{Cloud, new_id, utc_time};

const MAINTENANCE_ACTIONS: [&str; 3] = ["Stop", "AutoRecover", "AutoRedeploy"];

fn instance_ids(request: &RpcRequest, required: bool) -> Result<Vec<String>, AcsError> {
    let ids = repeated_or_single(request, "InstanceId")?.unwrap_or_default();
    if required && ids.is_empty() {
        return Err(AcsError::missing_parameter("InstanceId"));
    }
    if ids.len() > 100 {
        return Err(AcsError::invalid_parameter(
            "InstanceId",
            "at most 100 instances",
        ));
    }
    Ok(ids)
}

/// The instances of `region`, only those of `ids` unless it is empty.
fn region_instances<'a>(
    cloud: &'a Cloud,
    region: &'a str,
    ids: &'a [String],
) -> impl Iterator<Item = &'a Instance> + 'a {
    cloud.instances.values().filter(move |instance| {
        instance.region_id == region && (ids.is_empty() || ids.contains(&instance.instance_id))
    })
}

fn is_clock_time(text: &str) -> bool {
    let Some(clock) = text.strip_suffix('Z') else {
        return false;
    };
    let parts: Vec<&str> = clock.split(':').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|part| part.len() == 2 && part.chars().all(|c| c.is_ascii_digit()))
        && parts[0] < "24"
        && parts[1] < "60"
        && parts[2] < "60"
}

/// ModifyInstanceMaintenanceAttributes: `ActionOnMaintenance` (Stop, AutoRecover,
/// AutoRedeploy), `NotifyOnMaintenance`, `MaintenanceWindow.N.StartTime/EndTime` (`HH:mm:ssZ`)
/// of `InstanceId.N`.
pub fn modify_instance_maintenance_attributes(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let ids = instance_ids(request, true)?;
    let action = request.get("ActionOnMaintenance");
    if let Some(action) = action.filter(|action| !MAINTENANCE_ACTIONS.contains(action)) {
        return Err(AcsError::invalid_parameter(
            "ActionOnMaintenance",
            format!("{action:?} is not Stop, AutoRecover or AutoRedeploy"),
        ));
    }
    let notify = request.bool("NotifyOnMaintenance")?;
    let mut windows = Vec::new();
    for record in request.repeated_records("MaintenanceWindow") {
        let field = |name: &str| {
            record
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .unwrap_or_default()
        };
        let (start, end) = (field("StartTime"), field("EndTime"));
        if !is_clock_time(&start) || !is_clock_time(&end) || start == end {
            return Err(AcsError::invalid_parameter(
                "MaintenanceWindow",
                format!("{start:?}–{end:?}: two different times like 02:00:00Z"),
            ));
        }
        windows.push((start, end));
    }
    for id in &ids {
        instance(cloud, id)?;
    }
    for id in &ids {
        let maintenance = &mut cloud
            .instances
            .get_mut(id)
            .expect("checked above")
            .settings
            .maintenance;
        if let Some(action) = action {
            maintenance.action_on_maintenance = action.to_string();
        }
        if let Some(notify) = notify {
            maintenance.notify_on_maintenance = notify;
        }
        if !windows.is_empty() {
            maintenance.windows = windows.clone();
        }
    }
    Ok(json!({}))
}

/// DescribeInstanceMaintenanceAttributes: the region's instances (`InstanceId.N`), paged up to 100.
pub fn describe_instance_maintenance_attributes(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = instance_ids(request, false)?;
    let selected: Vec<Value> = region_instances(cloud, &region, &ids)
        .map(|instance| {
            let maintenance = &instance.settings.maintenance;
            let windows: Vec<Value> = maintenance
                .windows
                .iter()
                .map(|(start, end)| json!({"StartTime": start, "EndTime": end}))
                .collect();
            json!({
                "InstanceId": instance.instance_id,
                "NotifyOnMaintenance": maintenance.notify_on_maintenance,
                "ActionOnMaintenance": {
                    "Value": maintenance.action_on_maintenance,
                    "DefaultValue": "AutoRecover",
                    "SupportedValues": {"SupportedValue": MAINTENANCE_ACTIONS},
                },
                "MaintenanceWindows": {"MaintenanceWindow": windows},
            })
        })
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_100)?;
    Ok(list_body(
        "MaintenanceAttributes",
        "MaintenanceAttribute",
        page,
        paging,
    ))
}

/// `(Code, Name)` of an instance status as DescribeInstancesFullStatus reports it.
fn status_code(status_name: &str) -> i64 {
    match status_name {
        status::PENDING => 0,
        status::RUNNING => 1,
        status::STARTING => 2,
        status::STOPPING => 64,
        _ => 80,
    }
}

/// The health of an instance: Ok when Running, Initializing while starting, else NotApplicable.
fn health(instance: &Instance) -> (i64, &'static str) {
    match instance.status.as_str() {
        status::RUNNING => (0, "Ok"),
        status::PENDING | status::STARTING => (4, "Initializing"),
        _ => (6, "NotApplicable"),
    }
}

/// DescribeInstancesFullStatus: status and health of `InstanceId.N` (at most 100; `Status`,
/// `HealthStatus` filters) and the system events not over yet. Paged up to 100.
pub fn describe_instances_full_status(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = instance_ids(request, false)?;
    let selected: Vec<Value> = region_instances(cloud, &region, &ids)
        .filter(|instance| {
            request
                .get("Status")
                .is_none_or(|wanted| wanted == instance.status)
        })
        .filter(|instance| {
            request
                .get("HealthStatus")
                .is_none_or(|wanted| wanted == health(instance).1)
        })
        .map(|instance| {
            let (health_code, health_name) = health(instance);
            json!({
                "InstanceId": instance.instance_id,
                "Status": {"Code": status_code(&instance.status), "Name": instance.status},
                "HealthStatus": {"Code": health_code, "Name": health_name},
                "ScheduledSystemEventSet": {"ScheduledSystemEventType": scheduled_events(cloud, &instance.instance_id, ctx.now)},
            })
        })
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_100)?;
    Ok(list_body(
        "InstanceFullStatusSet",
        "InstanceFullStatusType",
        page,
        paging,
    ))
}

/// CreateDiagnosticReport: a report on instance `ResourceId` (`MetricSetId`, default
/// `dms-instancedefault`; `StartTime`/`EndTime`), `InProgress` for one transition step.
pub fn create_diagnostic_report(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let target = instance(cloud, request.require("ResourceId")?)?;
    let report = DiagnosticReport {
        report_id: new_id("dr"),
        region_id: region,
        resource_id: target.instance_id.clone(),
        metric_set_id: request
            .get("MetricSetId")
            .unwrap_or("dms-instancedefault")
            .to_string(),
        start_time: request.get("StartTime").map_or_else(
            || utc_time(ctx.now - jiff::SignedDuration::from_hours(1)),
            str::to_string,
        ),
        end_time: request
            .get("EndTime")
            .map_or_else(|| utc_time(ctx.now), str::to_string),
        creation_time: utc_time(ctx.now),
        finished_at_ms: ctx.now.as_millisecond() + ctx.delay_ms.max(0),
        finished_time: utc_time(ctx.now + jiff::SignedDuration::from_millis(ctx.delay_ms.max(0))),
        severity: if target.status == status::RUNNING {
            "Normal".into()
        } else {
            "Critical".into()
        },
        instance_status: target.status.clone(),
    };
    let id = report.report_id.clone();
    cloud.diagnostic_reports.insert(id.clone(), report);
    Ok(json!({"ReportId": id}))
}

fn report_status(report: &DiagnosticReport, ctx: &Ctx) -> &'static str {
    if ctx.now.as_millisecond() >= report.finished_at_ms {
        "Finished"
    } else {
        "InProgress"
    }
}

/// `(metric, severity, issue)` results of a report: the instance status metric finds an issue
/// when the instance was not Running.
fn metric_results(report: &DiagnosticReport) -> Vec<(&'static str, &'static str, &'static str)> {
    let stopped = report.instance_status != status::RUNNING;
    vec![
        (
            "ECS.InstanceStatus",
            "Instance",
            if stopped { "Critical" } else { "Normal" },
        ),
        (
            "GuestOS.CloudAssistantStatus",
            "GuestOS",
            if stopped { "Warn" } else { "Normal" },
        ),
        ("Network.SecurityGroupRules", "Network", "Normal"),
    ]
}

fn report_json(report: &DiagnosticReport, ctx: &Ctx) -> Value {
    let finished = report_status(report, ctx) == "Finished";
    json!({
        "ReportId": report.report_id,
        "ResourceId": report.resource_id,
        "ResourceType": "instance",
        "MetricSetId": report.metric_set_id,
        "Status": report_status(report, ctx),
        "Severity": if finished { report.severity.as_str() } else { "" },
        "CreationTime": report.creation_time,
        "StartTime": report.start_time,
        "EndTime": report.end_time,
        "FinishedTime": if finished { report.finished_time.as_str() } else { "" },
    })
}

/// The issues a finished report found, one per abnormal metric.
fn issues(report: &DiagnosticReport, ctx: &Ctx) -> Vec<(&'static str, &'static str, &'static str)> {
    let finished = report_status(report, ctx) == "Finished";
    metric_results(report)
        .into_iter()
        .filter(|(_, _, severity)| finished && *severity != "Normal")
        .collect()
}

/// DescribeDiagnosticReports: filters `ReportIds.N`, `ResourceIds.N`, `Status`, `Severity`;
/// `NextToken`/`MaxResults` paging.
pub fn describe_diagnostic_reports(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let reports = repeated_or_single(request, "ReportIds")?;
    let resources = repeated_or_single(request, "ResourceIds")?;
    let selected: Vec<Value> = cloud
        .diagnostic_reports
        .values()
        .filter(|report| report.region_id == region)
        .filter(|report| reports.as_ref().is_none_or(|ids| ids.contains(&report.report_id)))
        .filter(|report| resources.as_ref().is_none_or(|ids| ids.contains(&report.resource_id)))
        .map(|report| {
            let found: Vec<Value> = issues(report, ctx)
                .into_iter()
                .map(|(metric, category, severity)| {
                    json!({"IssueId": format!("{metric}.Abnormal"), "MetricId": metric, "MetricCategory": category, "Severity": severity})
                })
                .collect();
            let mut body = report_json(report, ctx);
            body["Issues"] = json!({"Issue": found});
            body
        })
        .filter(|report| request.get("Status").is_none_or(|wanted| report["Status"] == wanted))
        .filter(|report| request.get("Severity").is_none_or(|wanted| report["Severity"] == wanted))
        .collect();
    let (page, mut paging) = paginate(request, selected, PageLimits::TOKEN_100)?;
    paging.retain(|key, _| key == "NextToken");
    Ok(list_body("Reports", "Report", page, paging))
}

/// DescribeDiagnosticReportAttributes: one report with its metric results.
pub fn describe_diagnostic_report_attributes(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("ReportId")?;
    let report = cloud
        .diagnostic_reports
        .get(id)
        .ok_or_else(|| not_found(INVALID_REPORT_ID_NOT_FOUND, "ReportId", id))?;
    let finished = report_status(report, ctx) == "Finished";
    let mut body = report_json(report, ctx);
    let results: Vec<Value> = metric_results(report)
        .into_iter()
        .filter(|_| finished)
        .map(|(metric, category, severity)| {
            let issues: Vec<Value> = (severity != "Normal")
                .then(|| json!({"IssueId": format!("{metric}.Abnormal"), "Severity": severity, "Additional": "{}",
                                "OccurrenceTime": report.creation_time, "Repairable": false, "RepairStatus": ""}))
                .into_iter()
                .collect();
            json!({"MetricId": metric, "MetricCategory": category, "Severity": severity, "Status": "Finished",
                   "Issues": {"Issue": issues}})
        })
        .collect();
    body["MetricResults"] = json!({"MetricResult": results});
    body["Attributes"] = json!("");
    Ok(body)
}
