//! The cloud events and CloudMonitor-style alarms the emulator raises: their kinds, the sink they
//! are handed to, the bodies of the ECS events (`Instance:StateChange`,
//! `Instance:PreemptibleInstanceInterruption`), and the log of the last ones for tests.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::model::Instance;
use crate::state::{Cloud, new_id, utc_time};

/// How many published events [`crate::Emulator::events`] keeps (the oldest go first).
pub const EVENT_LOG_CAPACITY: usize = 1000;

/// What a published body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A cloud event (`{"product","name","level",…}`).
    Event,
    /// An alarm of an alarm rule (`{"status":"firing"|"resolved",…}`).
    Alarm,
}

/// Where raised events and alarms go. Called with the cloud's lock held, in the order they were
/// raised: an implementation must hand the body on quickly and never call back into the emulator.
pub trait EventSink: Send + Sync {
    /// Takes one event or alarm.
    fn publish(&self, kind: EventKind, body: Value);
}

/// One event or alarm as it was published.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub kind: EventKind,
    pub body: Value,
}

/// The sink and the last [`EVENT_LOG_CAPACITY`] published bodies.
#[derive(Default)]
pub(crate) struct EventLog {
    sink: Option<Arc<dyn EventSink>>,
    recent: Mutex<VecDeque<Published>>,
}

impl EventLog {
    pub(crate) fn new(sink: Option<Arc<dyn EventSink>>) -> Self {
        Self {
            sink,
            recent: Mutex::default(),
        }
    }

    fn publish(&self, raised: Vec<Published>) {
        if raised.is_empty() {
            return;
        }
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        for published in raised {
            if let Some(sink) = &self.sink {
                sink.publish(published.kind, published.body.clone());
            }
            if recent.len() == EVENT_LOG_CAPACITY {
                recent.pop_front();
            }
            recent.push_back(published);
        }
    }

    pub(crate) fn recent(&self) -> Vec<Published> {
        self.recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// The locked cloud; when released, what was raised under it is published, still in order.
pub(crate) struct Publishing<'a> {
    cloud: MutexGuard<'a, Cloud>,
    log: &'a EventLog,
}

impl<'a> Publishing<'a> {
    pub(crate) fn new(cloud: MutexGuard<'a, Cloud>, log: &'a EventLog) -> Self {
        Self { cloud, log }
    }
}

impl Deref for Publishing<'_> {
    type Target = Cloud;
    fn deref(&self) -> &Cloud {
        &self.cloud
    }
}

impl DerefMut for Publishing<'_> {
    fn deref_mut(&mut self) -> &mut Cloud {
        &mut self.cloud
    }
}

impl Drop for Publishing<'_> {
    fn drop(&mut self) {
        let raised = std::mem::take(&mut self.cloud.raised);
        self.log.publish(raised);
    }
}

/// An ECS event about `instance`, with its tags as they are now.
fn instance_event(
    instance: &Instance,
    name: &str,
    level: &str,
    content: Value,
    at: Timestamp,
) -> Value {
    json!({
        "id": new_id("evt"),
        "product": "ECS",
        "name": name,
        "level": level,
        "regionId": instance.region_id,
        "resourceId": instance.instance_id,
        "time": utc_time(at),
        "tags": instance.tags,
        "content": content,
    })
}

/// `Instance:StateChange`: `instance` took `status` at `at`.
pub(crate) fn state_change(instance: &Instance, status: &str, at: Timestamp) -> Value {
    let content = json!({
        "resourceId": instance.instance_id,
        "resourceType": "ALIYUN::ECS::Instance",
        "state": status,
    });
    instance_event(instance, "Instance:StateChange", "INFO", content, at)
}

/// `Instance:PreemptibleInstanceInterruption`: the spot instance is about to be released.
pub(crate) fn preemptible_interruption(instance: &Instance, at: Timestamp) -> Value {
    let content = json!({"instanceId": instance.instance_id, "action": "delete"});
    instance_event(
        instance,
        "Instance:PreemptibleInstanceInterruption",
        "WARN",
        content,
        at,
    )
}

/// `Tag:ChangeOnResource` (product `tag`): the tags of `instance` changed; `changed` names the keys
/// added, overwritten or removed, and the event carries the tags as they are now.
pub(crate) fn tag_change(instance: &Instance, changed: &[String], at: Timestamp) -> Value {
    let content = json!({
        "product": "ecs",
        "resourceType": "instance",
        "resourceId": instance.instance_id,
        "changedTagKeys": changed,
        "tags": instance.tags,
    });
    let mut event = instance_event(instance, "Tag:ChangeOnResource", "INFO", content, at);
    event["product"] = json!("tag");
    event
}

/// An event given whole (the admin endpoint): must be a JSON object; `id` and `time` are filled
/// when missing, and `regionId` and `tags` too when `resourceId` names an instance.
pub(crate) fn completed(body: Value, cloud: &Cloud, at: Timestamp) -> Result<Value, String> {
    let Value::Object(mut event) = body else {
        return Err("the event must be a JSON object".into());
    };
    for field in ["product", "name"] {
        if !event.get(field).is_some_and(Value::is_string) {
            return Err(format!("{field}: a string is required"));
        }
    }
    event.entry("id").or_insert_with(|| new_id("evt").into());
    event.entry("time").or_insert_with(|| utc_time(at).into());
    let instance = event
        .get("resourceId")
        .and_then(Value::as_str)
        .and_then(|id| cloud.instances.get(id));
    if let Some(instance) = instance {
        let (region, tags) = (json!(instance.region_id), json!(instance.tags));
        event.entry("regionId").or_insert(region);
        event.entry("tags").or_insert(tags);
    }
    Ok(Value::Object(event))
}

impl Cloud {
    /// Raises an event or alarm; it is published when the cloud's lock is released.
    pub(crate) fn raise(&mut self, kind: EventKind, body: Value) {
        self.raised.push(Published { kind, body });
    }

    /// Raises `Tag:ChangeOnResource` for instance `id` whose tag keys `changed` changed.
    pub(crate) fn raise_tag_change(&mut self, id: &str, changed: &[String], at: Timestamp) {
        if let Some(instance) = self.instances.get(id)
            && !changed.is_empty()
        {
            let body = tag_change(instance, changed, at);
            self.raise(EventKind::Event, body);
        }
    }

    /// Raises `Instance:StateChange` for instance `id` taking `status` at `at_ms`.
    pub(crate) fn raise_state_change(&mut self, id: &str, status: &str, at_ms: i64) {
        if let Some(instance) = self.instances.get(id) {
            let at = Timestamp::from_millisecond(at_ms).unwrap_or(Timestamp::UNIX_EPOCH);
            let body = state_change(instance, status, at);
            self.raise(EventKind::Event, body);
        }
    }
}

impl crate::Emulator {
    /// The events and alarms published so far (the last [`EVENT_LOG_CAPACITY`]), oldest first.
    pub fn events(&self) -> Vec<Published> {
        self.event_log().recent()
    }

    /// Publishes `body` as an event, `id` and `time` filled when missing (and `regionId` and
    /// `tags` when `resourceId` names an instance); answers the body published.
    pub fn raise_event(&self, body: Value) -> Result<Value, crate::EmulatorError> {
        let now = self.now();
        let mut cloud = self.lock();
        let event = completed(body, &cloud, now).map_err(crate::EmulatorError::InvalidInput)?;
        cloud.raise(EventKind::Event, event.clone());
        Ok(event)
    }

    /// Publishes `Instance:PreemptibleInstanceInterruption` for instance `instance_id` (the
    /// instance itself stays as it is); answers the body published.
    pub fn interrupt_preemptible(&self, instance_id: &str) -> Result<Value, crate::EmulatorError> {
        let now = self.now();
        let mut cloud = self.lock();
        let instance = cloud.instances.get(instance_id).ok_or_else(|| {
            crate::EmulatorError::InvalidInput(format!(
                "instanceId: instance {instance_id:?} does not exist"
            ))
        })?;
        let event = preemptible_interruption(instance, now);
        cloud.raise(EventKind::Event, event.clone());
        Ok(event)
    }
}
