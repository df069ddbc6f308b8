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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(kind: CallKind, properties: Value) -> ActionRequest {
        ActionRequest {
            kind,
            properties,
            client_token: "oos-token".into(),
            execution_id: "exec-1".into(),
            task_name: "describe".into(),
            region_id: "cn-beijing".into(),
            ram_role: Some("OOSServiceRole".into()),
            executed_by: "oos".into(),
            action: String::new(),
            secrets: Vec::new(),
        }
    }

    #[test]
    fn execute_api_properties_become_a_call() {
        let properties = json!({"Service": "ECS", "API": "StopInstance", "Parameters": {"InstanceId": "i-1"}, "AutoPaging": false});
        let call = api_call(&request(CallKind::CloudApi, properties)).unwrap();
        assert_eq!((call.service.as_str(), call.api.as_str()), ("ECS", "StopInstance"));
        assert_eq!(call.parameters["InstanceId"], json!("i-1"));
        assert_eq!(call.region_id.as_deref(), Some("cn-beijing"));
        assert_eq!(call.client_token, "oos-token");
        assert!(!call.auto_paging);
        assert!(call.roa.is_none());
    }

    #[test]
    fn roa_fields_region_parameter_and_select_targets() {
        let properties = json!({"Service": "CS", "API": "DescribeClusterNodes", "Method": "GET", "URI": "/clusters/c1/nodes",
            "Parameters": {"RegionId": "cn-shanghai"}});
        let call = api_call(&request(CallKind::CloudApi, properties)).unwrap();
        assert_eq!(call.roa.unwrap().uri, "/clusters/c1/nodes");
        assert_eq!(call.region_id.as_deref(), Some("cn-shanghai"));
        assert!(call.auto_paging);

        let select = json!({"ResourceType": "ALIYUN::ECS::Instance", "Filters": [{"Type": "ResourceIds", "ResourceIds": ["i-1"]}]});
        let call = api_call(&request(CallKind::SelectTargets, select)).unwrap();
        assert_eq!((call.service.as_str(), call.api.as_str()), ("ACS", "SelectTargets"));
        assert_eq!(call.parameters["ResourceType"], json!("ALIYUN::ECS::Instance"));
    }

    #[test]
    fn missing_api_names_the_task() {
        let error = api_call(&request(CallKind::CloudApi, json!({"Service": "ECS"}))).unwrap_err();
        assert_eq!(error.code, "InvalidTemplate.MissingProperty");
        assert!(error.message.contains("task describe"), "{}", error.message);
    }
}
