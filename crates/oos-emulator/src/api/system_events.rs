//! Instance system events (seeded with `system_events:`): AcceptInquiredSystemEvent,
//! DescribeInstanceHistoryEvents, and the events DescribeInstancesFullStatus schedules.

use jiff::Timestamp;
use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{Ctx, PageLimits, list_body, paginate, repeated_or_single};
use crate::ecs_model::SystemEvent;
use crate::errors::INVALID_EVENT_ID_NO_INQUIRING_EVENT_FOUND;
use crate::state::Cloud;

/// The instance event types the emulator knows, with their codes (`EventType.Code`).
pub const EVENT_TYPES: [(&str, i64); 8] = [
    ("SystemMaintenance.Reboot", 1),
    ("SystemMaintenance.Redeploy", 2),
    ("SystemFailure.Reboot", 65),
    ("SystemFailure.Redeploy", 66),
    ("InstanceFailure.Reboot", 80),
    ("SystemMaintenance.IsolateErrorDisk", 38),
    ("SystemMaintenance.ReInitErrorDisk", 39),
    ("SystemMaintenance.RebootAndIsolateErrorDisk", 40),
];

/// The lifecycle statuses, with their codes (`EventCycleStatus.Code`).
pub const CYCLE_STATUSES: [(&str, i64); 7] = [
    ("Scheduled", 24),
    ("Avoided", 18),
    ("Executing", 32),
    ("Executed", 34),
    ("Canceled", 2),
    ("Failed", 1),
    ("Inquiring", 36),
];

/// The statuses of an event that is not over (DescribeInstancesFullStatus lists them).
const ACTIVE: [&str; 3] = ["Scheduled", "Executing", "Inquiring"];

fn code(table: &[(&str, i64)], name: &str) -> i64 {
    table
        .iter()
        .find(|(known, _)| *known == name)
        .map_or(0, |(_, code)| *code)
}

/// The event's status at `now`: a `Scheduled` event has run once its `NotBefore` passed.
fn status_at(event: &SystemEvent, now: Timestamp) -> &str {
    let due = event
        .not_before
        .parse::<Timestamp>()
        .is_ok_and(|at| at <= now);
    if event.status == "Scheduled" && due {
        "Executed"
    } else {
        &event.status
    }
}

/// An event as both list actions answer it; `extended` adds DescribeInstanceHistoryEvents' fields.
fn event_json(event: &SystemEvent, now: Timestamp, extended: bool) -> Value {
    let status = status_at(event, now);
    let mut item = json!({
        "EventId": event.event_id,
        "EventType": {"Code": code(&EVENT_TYPES, &event.event_type), "Name": event.event_type},
        "EventCycleStatus": {"Code": code(&CYCLE_STATUSES, status), "Name": status},
        "EventPublishTime": event.publish_time,
        "NotBefore": event.not_before,
        "Reason": event.reason,
        "ImpactLevel": "",
        "ExtendedAttribute": {"Device": "", "DiskId": "", "InactiveDisks": {"InactiveDisk": []}},
    });
    if extended {
        let finished = if ACTIVE.contains(&status) {
            ""
        } else {
            event.not_before.as_str()
        };
        let inquiring = event.status == "Inquiring";
        item["InstanceId"] = json!(event.instance_id);
        item["ResourceType"] = json!("instance");
        item["ReasonCode"] = json!("");
        item["EventFinishTime"] = json!(finished);
        let attributes = &mut item["ExtendedAttribute"];
        for key in [
            "Code",
            "HostId",
            "HostType",
            "InitialNotBefore",
            "MetricName",
            "MetricValue",
            "OnlineRepairPolicy",
            "PunishDomain",
            "PunishType",
            "PunishUrl",
            "Rack",
            "ResponseResult",
        ] {
            attributes[key] = json!("");
        }
        attributes["CanAccept"] = json!(if inquiring { "true" } else { "false" });
        attributes["MigrationOptions"] = json!({"MigrationOption": []});
    }
    item
}

/// The events of `instance_id` that are not over, as DescribeInstancesFullStatus lists them.
pub fn scheduled_events(cloud: &Cloud, instance_id: &str, now: Timestamp) -> Vec<Value> {
    cloud
        .system_events
        .values()
        .filter(|event| event.instance_id == instance_id && ACTIVE.contains(&status_at(event, now)))
        .map(|event| event_json(event, now, false))
        .collect()
}

/// AcceptInquiredSystemEvent: an `Inquiring` event of the region becomes `Scheduled` (it runs
/// at its `NotBefore`); any other id is `InvalidEventId.NoInquiringEventFound`.
pub fn accept_inquired_system_event(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = request.require("EventId")?;
    let event = cloud
        .system_events
        .get_mut(id)
        .filter(|event| event.region_id == region && event.status == "Inquiring")
        .ok_or_else(|| {
            AcsError::new(
                INVALID_EVENT_ID_NO_INQUIRING_EVENT_FOUND,
                format!("The specified EventId has no inquiring system event in {region}: {id}."),
            )
        })?;
    event.status = "Scheduled".into();
    Ok(json!({}))
}

/// DescribeInstanceHistoryEvents: the region's events (`InstanceId`, `EventId.N`,
/// `InstanceEventType.N` or `EventType`, `InstanceEventCycleStatus.N` or `EventCycleStatus`;
/// without a status filter only the events that are over), paged up to 100.
pub fn describe_instance_history_events(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let wanted = |list: &str, single: &str| -> Result<Vec<String>, AcsError> {
        let mut values = repeated_or_single(request, list)?.unwrap_or_default();
        if values.is_empty() {
            values.extend(request.get(single).map(str::to_owned));
        }
        Ok(values)
    };
    let ids = repeated_or_single(request, "EventId")?.unwrap_or_default();
    let types = wanted("InstanceEventType", "EventType")?;
    let statuses = wanted("InstanceEventCycleStatus", "EventCycleStatus")?;
    let selected: Vec<Value> = cloud
        .system_events
        .values()
        .filter(|event| event.region_id == region)
        .filter(|event| {
            request
                .get("InstanceId")
                .is_none_or(|id| id == event.instance_id)
        })
        .filter(|event| ids.is_empty() || ids.contains(&event.event_id))
        .filter(|event| types.is_empty() || types.contains(&event.event_type))
        .filter(|event| {
            let status = status_at(event, ctx.now);
            if statuses.is_empty() {
                !ACTIVE.contains(&status)
            } else {
                statuses.iter().any(|wanted| wanted == status)
            }
        })
        .map(|event| event_json(event, ctx.now, true))
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::TOKEN_100)?;
    Ok(list_body(
        "InstanceSystemEventSet",
        "InstanceSystemEventType",
        page,
        paging,
    ))
}
