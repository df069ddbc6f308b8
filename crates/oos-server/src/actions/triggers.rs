//! Trigger executions in the API: their `Category` and last-firing fields on every execution
//! answer, `TriggerExecution` (fire one by hand), and the OpenOOS extensions `PauseTrigger` and
//! `ResumeTrigger`. Each only writes an inbox event: the worker stepping the execution fires,
//! pauses or resumes it, and records the firing.

use std::collections::HashMap;

use oos_acs::{AcsError, RpcRequest};
use oos_engine::{Event, FireSource, TriggerSignal};
use oos_store::{NewInboxEvent, TriggerQuery, TriggerRecord};
use serde_json::{Map, Value};

use super::common::date;
use crate::api::{Api, Fields};
use crate::error::{self, EXECUTION_NOT_FOUND, INCORRECT_EXECUTION_STATUS};

/// Largest `Content` of TriggerExecution, in bytes.
const MAX_CONTENT_BYTES: usize = 64 * 1024;

/// The triggers of those of `ids` that are trigger executions, by execution id.
pub(super) async fn triggers_of(api: &Api, ids: Vec<String>) -> Result<HashMap<String, TriggerRecord>, AcsError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let limit = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let rows = api.store.triggers(&TriggerQuery { execution_ids: ids, limit, ..TriggerQuery::default() }).await.map_err(error::store)?;
    Ok(rows.into_iter().map(|row| (row.execution_id.clone(), row)).collect())
}

/// `Category` (`Other` without a trigger) and, for a trigger execution, `LastTriggerTime`,
/// `LastTriggerStatus`, `LastTriggerOutputs` (a JSON string), `LastSuccessfulTriggerTime`,
/// `NextScheduleTime` and the OpenOOS fields `TriggerStatus` and `TriggerCount`.
pub(super) fn add_trigger_fields(execution: &mut Value, trigger: Option<&TriggerRecord>) {
    let Some(object) = execution.as_object_mut() else { return };
    let Some(trigger) = trigger else {
        object.insert("Category".into(), Value::from("Other"));
        return;
    };
    object.insert("Category".into(), Value::from(trigger.kind.as_str()));
    object.insert("TriggerStatus".into(), Value::from(trigger.status.as_str()));
    object.insert("TriggerCount".into(), Value::from(trigger.fired));
    let dates = [
        ("LastTriggerTime", trigger.last_ms),
        ("LastSuccessfulTriggerTime", trigger.last_success_ms),
        ("NextScheduleTime", trigger.next_ms),
    ];
    for (name, at) in dates {
        if let Some(at) = at {
            object.insert(name.into(), Value::from(date(at)));
        }
    }
    if let Some(status) = &trigger.last_status {
        object.insert("LastTriggerStatus".into(), Value::from(status.as_str()));
    }
    if let Some(outputs) = &trigger.last_outputs {
        object.insert("LastTriggerOutputs".into(), Value::from(outputs.as_str()));
    }
}

/// The trigger of execution `id`, refused when it has none or it has ended.
async fn armed(api: &Api, id: &str) -> Result<TriggerRecord, AcsError> {
    let rows = triggers_of(api, vec![id.to_owned()]).await?;
    match rows.get(id) {
        None if api.store.execution(id).await.map_err(error::store)?.is_none() => {
            Err(AcsError::new(EXECUTION_NOT_FOUND, format!("The execution {id} does not exist.")))
        }
        None => Err(AcsError::new(INCORRECT_EXECUTION_STATUS, format!("The execution {id} has no trigger."))),
        Some(row) if row.status == "Ended" => Err(AcsError::new(INCORRECT_EXECUTION_STATUS, format!("The trigger of execution {id} has ended."))),
        Some(row) => Ok(row.clone()),
    }
}

async fn signal(api: &Api, id: &str, signal: TriggerSignal) -> Result<Fields, AcsError> {
    let payload = serde_json::to_string(&Event::Trigger(signal)).map_err(error::internal)?;
    let inbox = NewInboxEvent { execution_id: id.to_owned(), payload, created_ms: api.clock.now_ms() };
    api.store.push(inbox).await.map_err(error::store)?;
    Ok(Map::new())
}

/// TriggerExecution: `Type` (Timer, Event or Alarm) must be the execution's trigger; `Content` (a
/// JSON object) becomes the firing's result — an event or alarm in the intake's shape is read as
/// one (an alarm's de-duplication key then applies; without `namespace` / `metricName` it is about
/// the trigger's own `Namespace` / `MetricName`); `Content.id` names the firing, so a retried
/// request fires once.
pub async fn fire(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let id = rpc.require("ExecutionId")?;
    let kind = rpc.require("Type")?;
    let category = match kind.to_ascii_lowercase().as_str() {
        "timer" => "TimerTrigger",
        "event" => "EventTrigger",
        "alarm" => "AlarmTrigger",
        _ => return Err(AcsError::invalid_parameter("Type", format!("{kind:?} is not Timer, Event or Alarm"))),
    };
    let content = match rpc.get("Content") {
        None | Some("") => Value::Object(Map::new()),
        Some(text) if text.len() > MAX_CONTENT_BYTES => {
            return Err(AcsError::invalid_parameter("Content", format!("is longer than {MAX_CONTENT_BYTES} bytes")));
        }
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(value @ Value::Object(_)) => value,
            _ => return Err(AcsError::invalid_parameter("Content", "is not a JSON object")),
        },
    };
    let trigger = armed(api, id).await?;
    if trigger.kind != category {
        return Err(AcsError::invalid_parameter("Type", format!("execution {id} has a {}, not a {category}", trigger.kind)));
    }
    let now = api.clock.now_ms();
    let request_key = content.get("id").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| format!("manual-{}", uuid::Uuid::new_v4()));
    let (key, payload) = match category {
        "EventTrigger" => match oos_triggers::CloudEvent::from_wire(&content, &request_key, now) {
            Ok(event) => (event.id.clone(), event.payload()),
            Err(_) => (request_key, content),
        },
        "AlarmTrigger" => {
            let content = with_trigger_metric(content, &trigger.properties);
            let alarm = oos_triggers::Alarm::from_content(&content, now).map_err(|e| AcsError::invalid_parameter("Content", e.to_string()))?;
            (alarm.dedup_key.clone(), alarm.payload())
        }
        _ => (request_key, content),
    };
    signal(api, id, TriggerSignal::Fire { key, source: FireSource::Manual, payload }).await
}

/// An alarm `Content` without `namespace` or `metricName` is about the trigger's own metric: they
/// are taken from the trigger's `Namespace` and `MetricName` properties.
fn with_trigger_metric(mut content: Value, properties: &str) -> Value {
    let properties: Value = serde_json::from_str(properties).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut content {
        for (field, property) in [("namespace", "Namespace"), ("metricName", "MetricName")] {
            let missing = fields.get(field).is_none_or(|value| value.is_null() || value.as_str() == Some(""));
            if let (true, Some(value)) = (missing, properties.get(property).filter(|value| value.is_string())) {
                fields.insert(field.to_owned(), value.clone());
            }
        }
    }
    content
}

/// PauseTrigger / ResumeTrigger (OpenOOS): ticks that fall due while paused are skipped, events and
/// alarms ignored.
pub async fn pause(api: &Api, rpc: &RpcRequest, paused: bool) -> Result<Fields, AcsError> {
    let id = rpc.require("ExecutionId")?;
    armed(api, id).await?;
    signal(api, id, if paused { TriggerSignal::Pause } else { TriggerSignal::Resume }).await
}
