//! Cloud events: `Instance:StateChange` on every instance transition (with the instance's tags,
//! at the emulator's time), the preemptible interruption, events given whole, and the sink.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use oos_emulator::{Emulator, EventKind, EventSink, FleetSeed, Published};
use serde_json::{Value, json};
use support::{ManualClock, ecs};

/// Keeps what it is handed.
#[derive(Default)]
struct RecordingSink(Mutex<Vec<Published>>);

impl EventSink for RecordingSink {
    fn publish(&self, kind: EventKind, body: Value) {
        self.0.lock().unwrap().push(Published { kind, body });
    }
}

impl RecordingSink {
    fn taken(&self) -> Vec<Published> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

const SEED: &str = "
instances:
  - ids: [i-web1]
    tags: {Env: Dev, App: web}
  - ids: [i-db1]
    status: Stopped
    tags: {Env: Prod}
";

fn emulator(delay: Duration) -> (Emulator, ManualClock, Arc<RecordingSink>) {
    let clock = ManualClock::new();
    let sink = Arc::new(RecordingSink::default());
    let emulator = clock
        .install(Emulator::builder())
        .transition_delay(delay)
        .seed(FleetSeed::from_yaml(SEED).unwrap())
        .event_sink(sink.clone())
        .build()
        .unwrap();
    (emulator, clock, sink)
}

fn state_change(id: &str, state: &str, tags: Value, time: &str) -> Value {
    json!({
        "product": "ECS", "name": "Instance:StateChange", "level": "INFO",
        "regionId": "cn-hangzhou", "resourceId": id, "time": time, "tags": tags,
        "content": {"resourceId": id, "resourceType": "ALIYUN::ECS::Instance", "state": state},
    })
}

/// The body without its random `id` (checked apart).
fn without_id(published: &Published) -> Value {
    assert_eq!(published.kind, EventKind::Event);
    let mut body = published.body.clone();
    let id = body.as_object_mut().unwrap().remove("id").expect("an id");
    assert!(id.as_str().is_some_and(|id| id.starts_with("evt-")), "{id}");
    body
}

#[test]
fn a_seeded_fleet_raises_nothing_by_itself() {
    let (emulator, _, sink) = emulator(Duration::ZERO);
    assert!(emulator.events().is_empty());
    assert!(sink.taken().is_empty());
}

#[test]
fn stopping_an_instance_at_once_raises_stopping_then_stopped_with_its_tags() {
    let (emulator, _, sink) = emulator(Duration::ZERO);
    ecs(&emulator, "StopInstance", &[("InstanceId", "i-web1")]).unwrap();
    let published = sink.taken();
    let tags = json!({"Env": "Dev", "App": "web"});
    let time = "2026-01-01T00:00:00Z";
    assert_eq!(
        published.iter().map(without_id).collect::<Vec<_>>(),
        [
            state_change("i-web1", "Stopping", tags.clone(), time),
            state_change("i-web1", "Stopped", tags, time),
        ]
    );
    assert_ne!(published[0].body["id"], published[1].body["id"]);
    assert_eq!(emulator.events(), published);
}

#[test]
fn a_delayed_transition_raises_each_step_at_the_time_it_took_effect() {
    let (emulator, clock, sink) = emulator(Duration::from_secs(5));
    ecs(&emulator, "StopInstance", &[("InstanceId", "i-web1")]).unwrap();
    let first = sink.taken();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].body["content"]["state"], "Stopping");
    assert_eq!(first[0].body["time"], "2026-01-01T00:00:00Z");
    emulator.with_cloud(|cloud| {
        cloud
            .instances
            .get_mut("i-web1")
            .unwrap()
            .tags
            .insert("Env".into(), "Test".into())
    });
    clock.advance(Duration::from_secs(60));
    assert_eq!(emulator.instance("i-web1").unwrap().status, "Stopped");
    let second = sink.taken();
    assert_eq!(second.len(), 1);
    assert_eq!(
        without_id(&second[0]),
        state_change(
            "i-web1",
            "Stopped",
            json!({"Env": "Test", "App": "web"}),
            "2026-01-01T00:00:05Z"
        )
    );
}

#[test]
fn reboot_run_and_delete_raise_every_status_they_pass() {
    let (emulator, _, sink) = emulator(Duration::ZERO);
    ecs(&emulator, "RebootInstance", &[("InstanceId", "i-web1")]).unwrap();
    ecs(&emulator, "DeleteInstance", &[("InstanceId", "i-db1")]).unwrap();
    let image = emulator
        .with_cloud(|cloud| cloud.images.keys().next().cloned())
        .unwrap();
    let created = ecs(
        &emulator,
        "RunInstances",
        &[("ImageId", &image), ("InstanceType", "ecs.g7.large")],
    )
    .unwrap();
    let new_id = created["InstanceIdSets"]["InstanceIdSet"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let seen: Vec<(String, String)> = sink
        .taken()
        .iter()
        .map(|published| {
            let body = &published.body;
            (
                body["resourceId"].as_str().unwrap().to_owned(),
                body["content"]["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("i-web1", "Stopping"),
        ("i-web1", "Starting"),
        ("i-web1", "Running"),
        ("i-db1", "Deleted"),
        (new_id.as_str(), "Pending"),
        (new_id.as_str(), "Starting"),
        (new_id.as_str(), "Running"),
    ]
    .map(|(id, state)| (id.to_owned(), state.to_owned()))
    .into();
    assert_eq!(seen, expected);
}

#[test]
fn a_refused_transition_raises_nothing() {
    let (emulator, _, sink) = emulator(Duration::ZERO);
    ecs(&emulator, "StartInstance", &[("InstanceId", "i-web1")]).unwrap_err();
    assert!(sink.taken().is_empty());
}

#[test]
fn a_preemptible_interruption_is_a_warning_about_the_instance() {
    let (emulator, _, sink) = emulator(Duration::ZERO);
    let raised = emulator.interrupt_preemptible("i-web1").unwrap();
    let published = sink.taken();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].body, raised);
    assert_eq!(
        without_id(&published[0]),
        json!({
            "product": "ECS", "name": "Instance:PreemptibleInstanceInterruption", "level": "WARN",
            "regionId": "cn-hangzhou", "resourceId": "i-web1", "time": "2026-01-01T00:00:00Z",
            "tags": {"Env": "Dev", "App": "web"},
            "content": {"instanceId": "i-web1", "action": "delete"},
        })
    );
    assert_eq!(emulator.instance("i-web1").unwrap().status, "Running");
    let error = emulator
        .interrupt_preemptible("i-gone")
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("EmulatorInput.Invalid: instanceId"),
        "{error}"
    );
}

#[test]
fn an_event_given_whole_is_published_as_is_with_what_was_missing_filled() {
    let (emulator, _, sink) = emulator(Duration::ZERO);
    let given = json!({"product": "ECS", "name": "Disk:Stalled", "level": "CRITICAL", "resourceId": "i-db1", "content": {"x": 1}});
    emulator.raise_event(given).unwrap();
    let kept = json!({"id": "fixed", "product": "OSS", "name": "Bucket:Full", "time": "2020-01-01T00:00:00Z", "tags": {}});
    emulator.raise_event(kept.clone()).unwrap();
    let published = sink.taken();
    let mut first = without_id(&published[0]);
    assert_eq!(
        first.take(),
        json!({
            "product": "ECS", "name": "Disk:Stalled", "level": "CRITICAL", "resourceId": "i-db1",
            "content": {"x": 1}, "time": "2026-01-01T00:00:00Z", "regionId": "cn-hangzhou",
            "tags": {"Env": "Prod"},
        })
    );
    assert_eq!(published[1].body, kept);
    for bad in [json!([1]), json!({"product": "ECS"})] {
        assert!(
            emulator
                .raise_event(bad)
                .unwrap_err()
                .to_string()
                .starts_with("EmulatorInput.Invalid")
        );
    }
}

#[test]
fn the_log_keeps_the_last_events_only() {
    let (emulator, _, _) = emulator(Duration::ZERO);
    for number in 0..oos_emulator::EVENT_LOG_CAPACITY + 5 {
        emulator
            .raise_event(json!({"product": "T", "name": "N", "id": number.to_string()}))
            .unwrap();
    }
    let events = emulator.events();
    assert_eq!(events.len(), oos_emulator::EVENT_LOG_CAPACITY);
    assert_eq!(events[0].body["id"], "5");
    assert_eq!(
        events.last().unwrap().body["id"],
        (oos_emulator::EVENT_LOG_CAPACITY + 4).to_string()
    );
}

#[test]
fn tagging_an_instance_raises_a_tag_change_naming_the_changed_keys() {
    let (emulator, _clock, sink) = emulator(Duration::ZERO);
    let tag = [("RegionId", "cn-hangzhou"), ("ResourceType", "instance"), ("ResourceId.1", "i-web1"), ("Tag.1.Key", "Owner"), ("Tag.1.Value", "ops"), ("Tag.2.Key", "Env"), ("Tag.2.Value", "Dev")];
    ecs(&emulator, "TagResources", &tag).unwrap();
    let raised = sink.taken();
    assert_eq!(raised.len(), 1, "{raised:?}");
    let event = &raised[0].body;
    assert_eq!((event["product"].as_str(), event["name"].as_str(), event["resourceId"].as_str()), (Some("tag"), Some("Tag:ChangeOnResource"), Some("i-web1")));
    assert_eq!(event["content"]["changedTagKeys"], json!(["Owner"]), "Env was Dev already: not a change");
    assert_eq!(event["content"]["resourceType"], "instance");
    assert_eq!(event["content"]["tags"]["Owner"], "ops");
    let untag = [("RegionId", "cn-hangzhou"), ("ResourceType", "instance"), ("ResourceId.1", "i-web1"), ("TagKey.1", "App")];
    ecs(&emulator, "UntagResources", &untag).unwrap();
    let raised = sink.taken();
    assert_eq!(raised[0].body["content"]["changedTagKeys"], json!(["App"]));
    assert!(raised[0].body["content"]["tags"].get("App").is_none());
    // Setting a tag to the value it has changes nothing, and raises nothing.
    ecs(&emulator, "TagResources", &[("RegionId", "cn-hangzhou"), ("ResourceType", "instance"), ("ResourceId.1", "i-web1"), ("Tag.1.Key", "Env"), ("Tag.1.Value", "Dev")]).unwrap();
    assert!(sink.taken().is_empty());
}
