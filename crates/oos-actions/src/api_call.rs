//! Turning the rendered properties of ExecuteAPI/WaitFor/CheckFor/SelectTargets into an [`ApiCall`].

use serde_json::{Map, Value};

use crate::cloud::{ApiCall, RoaRequest};
use crate::request::{ActionError, ActionRequest, CallKind};

/// Properties that describe the call itself rather than API parameters (WaitFor/CheckFor extras).
const POLL_KEYS: &[&str] = &["PropertySelector", "DesiredValues", "NotDesiredValues", "StopRetryValues"];

fn text(properties: &Map<String, Value>, key: &str) -> Option<String> {
    properties.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Builds the cloud call of `request` (a `CloudApi` or `SelectTargets` call).
pub fn api_call(request: &ActionRequest) -> Result<ApiCall, ActionError> {
    let empty = Map::new();
    let properties = request.properties.as_object().unwrap_or(&empty);
    let (service, api, parameters) = if request.kind == CallKind::SelectTargets {
        let mut parameters = properties.clone();
        parameters.retain(|key, _| !POLL_KEYS.contains(&key.as_str()));
        ("ACS".to_owned(), "SelectTargets".to_owned(), parameters)
    } else {
        let service = text(properties, "Service")
            .ok_or_else(|| ActionError::new("InvalidTemplate.MissingProperty", format!("task {}: Service is required", request.task_name)))?;
        let api = text(properties, "API")
            .or_else(|| text(properties, "Api"))
            .ok_or_else(|| ActionError::new("InvalidTemplate.MissingProperty", format!("task {}: API is required", request.task_name)))?;
        let parameters = match properties.get("Parameters") {
            Some(Value::Object(map)) => map.clone(),
            None | Some(Value::Null) => Map::new(),
            Some(other) => {
                return Err(ActionError::new(
                    "InvalidTemplate.PropertyType",
                    format!("task {}: Parameters must be an object, got {other}", request.task_name),
                ));
            }
        };
        (service, api, parameters)
    };
    let roa = match (text(properties, "Method"), text(properties, "URI")) {
        (Some(method), Some(uri)) => Some(RoaRequest {
            method,
            uri,
            headers: properties.get("Headers").and_then(Value::as_object).cloned().unwrap_or_default(),
            body: properties.get("Body").cloned(),
        }),
        _ => None,
    };
    let region_id = parameters
        .get("RegionId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| Some(request.region_id.clone()));
    Ok(ApiCall {
        service,
        api,
        region_id,
        parameters,
        roa,
        auto_paging: properties.get("AutoPaging").and_then(Value::as_bool).unwrap_or(true),
        client_token: request.client_token.clone(),
        execution_id: request.execution_id.clone(),
        task_name: request.task_name.clone(),
        ram_role: request.ram_role.clone(),
    })
}
