//! The events an `ACS::EventTrigger` waits for: one normalized [`CloudEvent`] (from the emulator,
//! the signed intake webhook or `TriggerExecution`), the trigger's rendered properties as an
//! [`EventSpec`], and whether an event matches them.
//!
//! Matching rules ([`EventSpec::matches`]), all of which must hold:
//! - `Product`: equal, ignoring case (`ECS` matches `ecs`); required.
//! - `Name`: the event name is one of the listed names (exact; a single string is a list of one);
//!   absent or empty: any name.
//! - `Level`: the event level is one of the listed levels, ignoring case; absent or empty: any.
//! - `RegionId`: the event region is one of the listed regions (exact); absent or empty: any.
//! - `Tags`: every listed tag is on the event with the same value (`[{"Key","Value"}]`,
//!   `{"Key": "Value"}` or JSON text of either, as a rendered Json parameter gives it); empty: any.
//!   The event's tags are the ones it carries: the caller adds the resource's tags when the source
//!   does not send them.
//! - `Content`: an object (or JSON text of one); each key must be in the event content and match:
//!   a scalar matches an equal scalar (compared as text, so `"80"` matches `80`); a list matches
//!   when any of its items matches; an object goes one level deeper (its keys against the event's
//!   object at that key); `null` or an empty list matches anything. When the event's value is a
//!   list, a scalar matches when any item of it is equal (`changedTagKeys: [Env]` against
//!   `["Env", "Owner"]`).
//!
//! Properties this module does not read (`OutputTransformer`) are left to the caller.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::TriggerError;
use crate::fields::{iso_utc, property_error, scalar_text, string_list, tag_map, tags_present, time_ms, unwrap_json_text};

const INVALID_EVENT: &str = "InvalidEvent.Format";

/// One event from anywhere (the emulator, the signed intake webhook, TriggerExecution), normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent {
    pub id: String,
    pub product: String,
    pub name: String,
    pub level: String,
    pub region_id: String,
    pub resource_id: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub content: Value,
    pub time_ms: i64,
}

impl CloudEvent {
    /// Parses the intake wire body (a JSON object): `id`, `product`, `name` (or `eventName`),
    /// `level`, `regionId`, `resourceId`, `time` (ISO 8601 or unix ms), `tags` (`{k: v}` or
    /// `[{"Key","Value"}]`), `content` (an object). `id` and `time` may be absent (then
    /// `fallback_id` / `now_ms`), as may `resourceId` (then the content's `resourceId` when it is
    /// text), `tags` and `content`. Errors: `InvalidEvent.Format` naming the field.
    pub fn from_wire(body: &Value, fallback_id: &str, now_ms: i64) -> Result<CloudEvent, TriggerError> {
        let fields = body.as_object().ok_or_else(|| TriggerError::new(INVALID_EVENT, "the event is not a JSON object"))?;
        let text = |name: &str| -> Result<Option<String>, TriggerError> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => scalar_text(value).map(Some).ok_or_else(|| TriggerError::new(INVALID_EVENT, format!("the event's {name} is not a string"))),
            }
        };
        let required = |names: &[&str]| -> Result<String, TriggerError> {
            for name in names {
                if let Some(value) = text(name)?.filter(|value| !value.is_empty()) {
                    return Ok(value);
                }
            }
            Err(TriggerError::new(INVALID_EVENT, format!("the event has no {}", names.join(" or "))))
        };
        let content = match fields.get("content") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(Value::Object(map)) => Value::Object(map.clone()),
            Some(_) => return Err(TriggerError::new(INVALID_EVENT, "the event's content is not an object")),
        };
        let resource_id = text("resourceId")?.filter(|id| !id.is_empty()).or_else(|| content.get("resourceId").and_then(Value::as_str).map(str::to_string));
        Ok(CloudEvent {
            id: text("id")?.filter(|id| !id.is_empty()).unwrap_or_else(|| fallback_id.to_string()),
            product: required(&["product"])?,
            name: required(&["name", "eventName"])?,
            level: required(&["level"])?,
            region_id: required(&["regionId"])?,
            resource_id,
            tags: tag_map(fields.get("tags")).map_err(|problem| TriggerError::new(INVALID_EVENT, format!("the event's tags {problem}")))?,
            content,
            time_ms: time_ms(fields.get("time")).map_err(|problem| TriggerError::new(INVALID_EVENT, format!("the event's time {problem}")))?.unwrap_or(now_ms),
        })
    }

    /// The trigger task's result: `id`, `product`, `name`, `eventName` (the same as `name`),
    /// `level`, `regionId`, `resourceId` (null when none), `time` (ISO 8601 UTC), `tags` (an
    /// object), `content` — with the resource id added to the content as `resourceId` when the
    /// content does not have one, so `.content.resourceId` works.
    pub fn payload(&self) -> Value {
        let mut content = self.content.clone();
        if let (Some(resource_id), Value::Object(map)) = (&self.resource_id, &mut content)
            && !map.contains_key("resourceId")
        {
            map.insert("resourceId".to_string(), Value::String(resource_id.clone()));
        }
        json!({
            "id": self.id,
            "product": self.product,
            "name": self.name,
            "eventName": self.name,
            "level": self.level,
            "regionId": self.region_id,
            "resourceId": self.resource_id,
            "time": iso_utc(self.time_ms),
            "tags": self.tags,
            "content": content,
        })
    }
}

/// An EventTrigger's rendered properties, checked once when the trigger starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSpec {
    /// `Product`, e.g. `ECS`.
    pub product: String,
    /// `Name`: the event names wanted; empty: any.
    pub names: Vec<String>,
    /// `Level`: the levels wanted; empty: any.
    pub levels: Vec<String>,
    /// `RegionId`: the regions wanted; empty: any.
    pub regions: Vec<String>,
    /// `Tags`: the tags the event must carry.
    pub tags: BTreeMap<String, String>,
    /// `Content`: the content filter (see the module documentation).
    pub content: Map<String, Value>,
}

impl EventSpec {
    /// Reads the rendered properties. Errors: `InvalidTrigger.Properties` (not an object),
    /// `InvalidTrigger.Product` (absent or not text), `InvalidTrigger.Name`, `.Level`, `.RegionId`
    /// (not a string or list of strings), `InvalidTrigger.Tags`, `InvalidTrigger.Content`.
    pub fn from_properties(properties: &Value) -> Result<EventSpec, TriggerError> {
        let properties = properties.as_object().ok_or_else(|| TriggerError::new("InvalidTrigger.Properties", "the EventTrigger's Properties are not an object"))?;
        let property = |name: &str| properties.get(name);
        let invalid = |code, name| property_error(code, "EventTrigger", name);
        let product = property("Product").and_then(scalar_text).filter(|product| !product.trim().is_empty());
        let content = match unwrap_json_text(property("Content").unwrap_or(&Value::Null)).map_err(invalid("InvalidTrigger.Content", "Content"))? {
            Value::Null => Map::new(),
            Value::Object(map) => map,
            _ => return Err(invalid("InvalidTrigger.Content", "Content")("is not an object".to_string())),
        };
        Ok(EventSpec {
            product: product.ok_or_else(|| invalid("InvalidTrigger.Product", "Product")("is missing or not a string".to_string()))?,
            names: string_list(property("Name")).map_err(invalid("InvalidTrigger.Name", "Name"))?,
            levels: string_list(property("Level")).map_err(invalid("InvalidTrigger.Level", "Level"))?,
            regions: string_list(property("RegionId")).map_err(invalid("InvalidTrigger.RegionId", "RegionId"))?,
            tags: tag_map(property("Tags")).map_err(invalid("InvalidTrigger.Tags", "Tags"))?,
            content,
        })
    }

    /// Whether `event` is one this trigger waits for (the rules of the module documentation).
    pub fn matches(&self, event: &CloudEvent) -> bool {
        self.product.eq_ignore_ascii_case(&event.product)
            && (self.names.is_empty() || self.names.contains(&event.name))
            && (self.levels.is_empty() || self.levels.iter().any(|level| level.eq_ignore_ascii_case(&event.level)))
            && (self.regions.is_empty() || self.regions.contains(&event.region_id))
            && tags_present(&self.tags, &event.tags)
            && content_matches(&self.content, &event.content)
    }
}

/// Every key of `filter` is in `actual` (an object) and its value matches there.
fn content_matches(filter: &Map<String, Value>, actual: &Value) -> bool {
    filter.iter().all(|(key, wanted)| accepts_anything(wanted) || actual.get(key).is_some_and(|found| value_matches(wanted, found)))
}

fn accepts_anything(filter: &Value) -> bool {
    match filter {
        Value::Null => true,
        Value::Array(options) => options.is_empty(),
        _ => false,
    }
}

fn value_matches(filter: &Value, actual: &Value) -> bool {
    match (filter, actual) {
        _ if accepts_anything(filter) => true,
        (Value::Object(fields), _) => content_matches(fields, actual),
        (Value::Array(options), _) => options.iter().any(|option| value_matches(option, actual)),
        (_, Value::Array(items)) => items.iter().any(|item| same_scalar(filter, item)),
        _ => same_scalar(filter, actual),
    }
}

fn same_scalar(left: &Value, right: &Value) -> bool {
    matches!((scalar_text(left), scalar_text(right)), (Some(left), Some(right)) if left == right)
}


#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_481_492_000;

    fn stopped_event() -> CloudEvent {
        CloudEvent::from_wire(
            &json!({
                "id": "ev-1", "product": "ECS", "name": "Instance:StateChange", "level": "INFO",
                "regionId": "cn-hangzhou", "resourceId": "i-1", "time": "2026-12-05T14:00:00Z",
                "tags": [{"Key": "Env", "Value": "Dev"}], "content": {"state": "Stopped", "resourceType": "ALIYUN::ECS::Instance"}
            }),
            "fallback",
            NOW,
        )
        .unwrap()
    }

    /// The Properties of ACS-ECS-AutoStartECSWhenStoppedByTags as rendered with `tags`.
    fn auto_start_spec(tags: Value) -> EventSpec {
        EventSpec::from_properties(&json!({
            "Product": "ECS", "Name": ["Instance:StateChange"], "Content": {"state": ["Stopped"]},
            "Tags": tags, "RegionId": ["cn-hangzhou"]
        }))
        .unwrap()
    }

    #[test]
    fn the_wire_body_is_normalized() {
        let event = stopped_event();
        assert_eq!((event.id.as_str(), event.product.as_str(), event.name.as_str()), ("ev-1", "ECS", "Instance:StateChange"));
        assert_eq!((event.level.as_str(), event.region_id.as_str(), event.resource_id.as_deref()), ("INFO", "cn-hangzhou", Some("i-1")));
        assert_eq!(event.tags, BTreeMap::from([("Env".to_string(), "Dev".to_string())]));
        assert_eq!(event.time_ms, 1_796_479_200_000);
        assert_eq!(event.content["state"], "Stopped");
    }

    #[test]
    fn absent_id_time_and_resource_fall_back() {
        let body = json!({"product": "ECS", "eventName": "Instance:PreemptibleInstanceInterruption", "level": "WARN",
            "regionId": "cn-beijing", "time": 1_796_479_200_123_i64, "content": {"resourceId": "i-9", "action": "delete"}});
        let event = CloudEvent::from_wire(&body, "generated-7", NOW).unwrap();
        assert_eq!((event.id.as_str(), event.name.as_str(), event.resource_id.as_deref()), ("generated-7", "Instance:PreemptibleInstanceInterruption", Some("i-9")));
        assert_eq!(event.time_ms, 1_796_479_200_123);
        let untimed = CloudEvent::from_wire(&json!({"product": "ECS", "name": "n", "level": "INFO", "regionId": "r"}), "x", NOW).unwrap();
        assert_eq!((untimed.time_ms, untimed.resource_id, untimed.content), (NOW, None, json!({})));
    }

    #[test]
    fn wire_errors_name_the_field() {
        let complete = json!({"product": "ECS", "name": "n", "level": "INFO", "regionId": "r"});
        for (field, value, named) in [
            ("product", Value::Null, "product"),
            ("name", json!(""), "name or eventName"),
            ("regionId", json!({"a": 1}), "regionId"),
            ("time", json!("last tuesday"), "time"),
            ("tags", json!(5), "tags"),
            ("content", json!("Stopped"), "content"),
        ] {
            let mut body = complete.clone();
            body[field] = value;
            let error = CloudEvent::from_wire(&body, "x", NOW).unwrap_err();
            assert_eq!(error.code, "InvalidEvent.Format", "{field}");
            assert!(error.message.contains(named), "{field}: {}", error.message);
        }
        assert_eq!(CloudEvent::from_wire(&json!([1]), "x", NOW).unwrap_err().code, "InvalidEvent.Format");
    }

    #[test]
    fn the_payload_serves_the_corpus_value_selectors() {
        let payload = stopped_event().payload();
        assert_eq!(payload["content"]["resourceId"], "i-1", "ACS-ECS-AutoStartECSWhenStoppedByTags reads .content.resourceId");
        assert_eq!(payload["content"]["state"], "Stopped");
        assert_eq!((&payload["name"], &payload["eventName"]), (&json!("Instance:StateChange"), &json!("Instance:StateChange")));
        assert_eq!(payload["time"], "2026-12-05T14:00:00Z");
        assert_eq!(payload["tags"], json!({"Env": "Dev"}));
        assert_eq!((&payload["regionId"], &payload["resourceId"], &payload["id"]), (&json!("cn-hangzhou"), &json!("i-1"), &json!("ev-1")));
        let mut own_resource = stopped_event();
        own_resource.content["resourceId"] = json!("i-content");
        assert_eq!(own_resource.payload()["content"]["resourceId"], "i-content", "the content's own resourceId is kept");
    }

    #[test]
    fn the_auto_start_trigger_matches_stopped_instances_with_its_tags() {
        let event = stopped_event();
        assert!(auto_start_spec(json!([{"Key": "Env", "Value": "Dev"}])).matches(&event));
        assert!(auto_start_spec(json!("[{\"Key\":\"Env\",\"Value\":\"Dev\"}]")).matches(&event), "tags as JSON text");
        assert!(auto_start_spec(json!({"Env": "Dev"})).matches(&event));
        assert!(auto_start_spec(json!([])).matches(&event), "no tags: any");
        assert!(!auto_start_spec(json!([{"Key": "Env", "Value": "Prod"}])).matches(&event));
        assert!(!auto_start_spec(json!([{"Key": "Env", "Value": "Dev"}, {"Key": "Team", "Value": "a"}])).matches(&event));
        let mut running = event.clone();
        running.content["state"] = json!("Running");
        assert!(!auto_start_spec(json!([])).matches(&running));
        let mut elsewhere = event.clone();
        elsewhere.region_id = "cn-beijing".to_string();
        assert!(!auto_start_spec(json!([])).matches(&elsewhere));
        let mut other_name = event.clone();
        other_name.name = "Disk:Stalled".to_string();
        assert!(!auto_start_spec(json!([])).matches(&other_name));
        let mut other_product = event;
        other_product.product = "ecs".to_string();
        assert!(auto_start_spec(json!([])).matches(&other_product), "product ignores case");
        other_product.product = "RDS".to_string();
        assert!(!auto_start_spec(json!([])).matches(&other_product));
    }

    #[test]
    fn levels_ignore_case_and_absent_lists_mean_any() {
        let spec = EventSpec::from_properties(&json!({"Product": "ECS", "Name": "Instance:PreemptibleInstanceInterruption", "Level": ["WARN"], "Content": {"action": "delete"}})).unwrap();
        assert_eq!(spec.names, vec!["Instance:PreemptibleInstanceInterruption"], "a single name is a list of one");
        let event = |level: &str, action: &str| CloudEvent::from_wire(&json!({"product": "ECS", "name": "Instance:PreemptibleInstanceInterruption", "level": level, "regionId": "anywhere", "content": {"instanceId": "i-2", "action": action}}), "x", NOW).unwrap();
        assert!(spec.matches(&event("warn", "delete")));
        assert!(!spec.matches(&event("CRITICAL", "delete")));
        assert!(!spec.matches(&event("WARN", "keep")));
        let any = EventSpec::from_properties(&json!({"Product": "ECS", "Name": [], "RegionId": ""})).unwrap();
        assert!(any.matches(&event("CRITICAL", "keep")));
    }

    #[test]
    fn content_filters_go_deeper_and_lists_mean_one_of() {
        // ACS-TAG-MonitorTagEcsInstanceAndDownloadOSSFile's filter against a tag-change event.
        let spec = EventSpec::from_properties(&json!({"Product": "tag", "Name": ["Tag:ChangeOnResource"], "Level": ["INFO"], "RegionId": ["cn-hangzhou"],
            "Content": {"product": ["ecs"], "resourceType": ["instance"], "changedTagKeys": ["Env"]}})).unwrap();
        let mut event = CloudEvent::from_wire(&json!({"product": "Tag", "name": "Tag:ChangeOnResource", "level": "INFO", "regionId": "cn-hangzhou",
            "content": {"product": "ecs", "resourceType": "instance", "resourceId": "i-3", "changedTagKeys": ["Owner", "Env"], "tags": {"Env": "on"}}}), "x", NOW).unwrap();
        assert!(spec.matches(&event));
        event.content["changedTagKeys"] = json!(["Owner"]);
        assert!(!spec.matches(&event));
        let nested = EventSpec::from_properties(&json!({"Product": "ECS", "Content": "{\"detail\": {\"code\": [\"A\", \"B\"], \"count\": \"3\"}, \"optional\": null}"})).unwrap();
        let with_detail = |code: &str| CloudEvent::from_wire(&json!({"product": "ECS", "name": "n", "level": "INFO", "regionId": "r", "content": {"detail": {"code": code, "count": 3}}}), "x", NOW).unwrap();
        assert!(nested.matches(&with_detail("B")), "lists are one-of, numbers compare as text, null accepts anything");
        assert!(!nested.matches(&with_detail("C")));
        let flat = with_detail("A");
        assert!(!EventSpec::from_properties(&json!({"Product": "ECS", "Content": {"missing": "x"}})).unwrap().matches(&flat), "a filtered key must be there");
        assert!(!EventSpec::from_properties(&json!({"Product": "ECS", "Content": {"detail": "A"}})).unwrap().matches(&flat), "a scalar does not match an object");
    }

    #[test]
    fn property_errors_carry_their_codes() {
        for (properties, code) in [
            (json!("ECS"), "InvalidTrigger.Properties"),
            (json!({"Name": ["n"]}), "InvalidTrigger.Product"),
            (json!({"Product": ""}), "InvalidTrigger.Product"),
            (json!({"Product": "ECS", "Name": [{"a": 1}]}), "InvalidTrigger.Name"),
            (json!({"Product": "ECS", "Level": {"WARN": true}}), "InvalidTrigger.Level"),
            (json!({"Product": "ECS", "RegionId": [["cn"]]}), "InvalidTrigger.RegionId"),
            (json!({"Product": "ECS", "Tags": "[{\"Key\":"}), "InvalidTrigger.Tags"),
            (json!({"Product": "ECS", "Content": ["state"]}), "InvalidTrigger.Content"),
        ] {
            let error = EventSpec::from_properties(&properties).unwrap_err();
            assert_eq!(error.code, code, "{properties}: {error}");
        }
        let error = EventSpec::from_properties(&json!({"Product": "ECS", "Content": 3})).unwrap_err();
        assert!(error.message.contains("Content"), "{error}");
    }
}
