//! `ACS::SelectTargets` over managed instances (`ResourceType: ALIYUN::ECS::ManagedInstance`):
//! filters `ResourceIds`, `Tags` and `All`, answered in the shape SelectTargets always has
//! (`Instances.Instance[]` with `InstanceId`, `TotalCount`), so `Instances.Instance[].InstanceId`
//! selectors work unchanged.

use oos_acs::AcsError;
use oos_actions::{ActionRequest, ApiCall};
use oos_store::{ManagedInstanceQuery, ManagedInstanceRow};
use serde_json::{Value, json};

use crate::{Assistant, shapes, store_error};

/// The resource type of managed instances.
pub const MANAGED_INSTANCE: &str = "ALIYUN::ECS::ManagedInstance";

pub(crate) fn is_managed(request: &ActionRequest) -> bool {
    request.properties.get("ResourceType").and_then(Value::as_str) == Some(MANAGED_INSTANCE)
}

pub(crate) async fn select_managed(assistant: &Assistant, call: &ApiCall) -> Result<Value, AcsError> {
    let filters = match call.parameters.get("Filters") {
        Some(Value::Array(items)) => items.iter().map(parse_filter).collect::<Result<Vec<_>, _>>()?,
        None | Some(Value::Null) => vec![json!({"Type": "All"})],
        Some(other) => vec![parse_filter(other)?],
    };
    let mut selected: Vec<ManagedInstanceRow> = Vec::new();
    for filter in &filters {
        let query = query_of(filter, "Filters")?;
        for row in assistant.store().managed_instances(&query).await.map_err(store_error)? {
            if !selected.iter().any(|seen| seen.instance_id == row.instance_id) {
                selected.push(row);
            }
        }
    }
    let instances: Vec<Value> = selected.iter().map(shapes::managed_instance).collect();
    Ok(json!({"TotalCount": instances.len(), "Instances": {"Instance": instances}}))
}

/// A filter object; a string holding one (`'{{ targets }}'`) is parsed.
fn parse_filter(item: &Value) -> Result<Value, AcsError> {
    match item {
        Value::String(text) => serde_json::from_str(text).map_err(|error| AcsError::invalid_parameter("Filters", error)),
        Value::Object(_) => Ok(item.clone()),
        other => Err(AcsError::invalid_parameter("Filters", format!("expected an object, got {other}"))),
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(|item| item.as_str().map(str::to_string)).collect(),
        Some(Value::String(text)) => serde_json::from_str::<Vec<String>>(text).unwrap_or_else(|_| vec![text.clone()]),
        _ => Vec::new(),
    }
}

/// The managed instances `filter` selects; errors name the request's `parameter`.
pub(crate) fn query_of(filter: &Value, parameter: &str) -> Result<ManagedInstanceQuery, AcsError> {
    let kind = filter.get("Type").and_then(Value::as_str).unwrap_or("All");
    match kind {
        "All" => Ok(ManagedInstanceQuery::default()),
        "ResourceIds" => {
            let ids = strings(filter.get("ResourceIds"));
            if ids.is_empty() {
                return Err(AcsError::invalid_parameter(parameter, "ResourceIds names no instance"));
            }
            Ok(ManagedInstanceQuery { ids, ..Default::default() })
        }
        "Tags" => {
            let tags: Vec<(String, String)> = filter
                .get("Tags")
                .and_then(Value::as_array)
                .map(|tags| {
                    tags.iter()
                        .filter_map(|tag| Some((tag.get("Key")?.as_str()?.to_string(), tag.get("Value").and_then(Value::as_str).unwrap_or_default().to_string())))
                        .collect()
                })
                .unwrap_or_default();
            if tags.is_empty() {
                return Err(AcsError::invalid_parameter(parameter, "Tags names no tag"));
            }
            Ok(ManagedInstanceQuery { tags, ..Default::default() })
        }
        other => Err(AcsError::invalid_parameter(parameter, format!("filter type {other} is not supported for managed instances"))),
    }
}
