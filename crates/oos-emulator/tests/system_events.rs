//! Seeded instance system events: AcceptInquiredSystemEvent, DescribeInstanceHistoryEvents and
//! the events DescribeInstancesFullStatus lists, called in-process.

mod support;

use std::time::Duration;

use oos_emulator::{Emulator, FleetSeed};
use serde_json::Value;
use support::{ecs, seeded_with_clock};

const SEED: &str = "
instances:
  - ids: [i-a, i-b]
system_events:
  - {id: e-disk, instance: i-a, type: SystemMaintenance.IsolateErrorDisk, reason: a local disk failed}
  - {id: e-done, instance: i-b, status: Executed, not_before: '2020-01-01T00:00:00Z'}
";

fn events(emulator: &Emulator, params: &[(&str, &str)]) -> Vec<Value> {
    let body = ecs(emulator, "DescribeInstanceHistoryEvents", params).unwrap();
    body["InstanceSystemEventSet"]["InstanceSystemEventType"].as_array().unwrap().clone()
}

#[test]
fn an_accepted_inquiry_is_scheduled_then_executed_at_its_not_before() {
    let (emulator, clock) = seeded_with_clock(SEED, Duration::ZERO);
    let inquiring = events(&emulator, &[("InstanceEventCycleStatus.1", "Inquiring")]);
    assert_eq!(inquiring.len(), 1);
    assert_eq!(inquiring[0]["EventId"], "e-disk");
    assert_eq!(inquiring[0]["ExtendedAttribute"]["CanAccept"], "true");
    let full = ecs(&emulator, "DescribeInstancesFullStatus", &[("InstanceId.1", "i-a")]).unwrap();
    let listed = &full["InstanceFullStatusSet"]["InstanceFullStatusType"][0]["ScheduledSystemEventSet"]["ScheduledSystemEventType"];
    assert_eq!(listed[0]["EventCycleStatus"]["Name"], "Inquiring");

    ecs(&emulator, "AcceptInquiredSystemEvent", &[("EventId", "e-disk")]).unwrap();
    let scheduled = events(&emulator, &[("EventId.1", "e-disk"), ("EventCycleStatus", "Scheduled")]);
    assert_eq!(scheduled[0]["EventType"]["Name"], "SystemMaintenance.IsolateErrorDisk");
    let again = ecs(&emulator, "AcceptInquiredSystemEvent", &[("EventId", "e-disk")]).unwrap_err();
    assert_eq!(again.code.to_string(), "InvalidEventId.NoInquiringEventFound", "accepted once only");

    clock.advance(Duration::from_secs(73 * 3600));
    let over = events(&emulator, &[("InstanceId", "i-a")]);
    assert_eq!(over[0]["EventCycleStatus"]["Name"], "Executed", "{over:?}");
    assert_ne!(over[0]["EventFinishTime"], "");
}

#[test]
fn unknown_events_are_not_found_and_history_hides_active_ones() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let unknown = ecs(&emulator, "AcceptInquiredSystemEvent", &[("EventId", "e-nope")]).unwrap_err();
    assert_eq!(unknown.code.to_string(), "InvalidEventId.NoInquiringEventFound");
    let done = ecs(&emulator, "AcceptInquiredSystemEvent", &[("EventId", "e-done")]).unwrap_err();
    assert_eq!(done.code.to_string(), "InvalidEventId.NoInquiringEventFound");
    let missing = ecs(&emulator, "AcceptInquiredSystemEvent", &[]).unwrap_err();
    assert_eq!(missing.code.to_string(), "MissingParameter.EventId");
    let history: Vec<Value> = events(&emulator, &[]).into_iter().map(|event| event["EventId"].clone()).collect();
    assert_eq!(history, ["e-done"], "without a status filter only the events that are over");
}

#[test]
fn bad_event_seeds_name_their_key() {
    let error = |yaml: &str| {
        let seed = FleetSeed::from_yaml(yaml).expect("seed parses");
        Emulator::builder().seed(seed).build().unwrap_err().to_string()
    };
    let instance = error("system_events:\n  - {instance: i-nope}\n");
    assert!(instance.contains("system_events[0]") && instance.contains("i-nope"), "{instance}");
    let kind = error("instances:\n  - ids: [i-a]\nsystem_events:\n  - {instance: i-a, type: Reboot}\n");
    assert!(kind.contains("system_events[0]") && kind.contains("type"), "{kind}");
}
