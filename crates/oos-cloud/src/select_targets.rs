//! `ACS::SelectTargets` for ECS instances: resolves `Filters` (ResourceIds, Tags, ResourceGroup,
//! All) to instances with paged DescribeInstances calls, and answers in DescribeInstances' shape
//! (`Instances.Instance[]`, `TotalCount`).
//!
//! Reachable two ways: [`select_targets`] with any [`CloudApi`], or a call with Service `ACS`
//! and API `SelectTargets` whose parameters are the task's Properties.

use oos_actions::{ApiCall, CloudApi, CloudError};
use serde_json::{Map, Value, json};

use crate::client::simple_call;
use crate::error::client_error;

/// The only resource type implemented.
pub const ECS_INSTANCE: &str = "ALIYUN::ECS::Instance";

/// How many ids one DescribeInstances call takes (`InstanceIds` holds at most 100).
const IDS_PER_CALL: usize = 100;

/// Whether `call` is the SelectTargets pseudo-call (Service `ACS`, API `SelectTargets`).
pub fn is_select_targets(call: &ApiCall) -> bool {
    call.service.eq_ignore_ascii_case("ACS") && call.api.eq_ignore_ascii_case("SelectTargets")
}

/// Resolves the SelectTargets properties in `call.parameters` (`ResourceType`, `RegionId`,
/// `Filters`) to `{"Instances": {"Instance": [...]}, "TotalCount": n}`. Instances matched by
/// several filters appear once, in first-seen order.
pub async fn select_targets(api: &dyn CloudApi, call: &ApiCall) -> Result<Value, CloudError> {
    let properties = &call.parameters;
    let resource_type = properties.get("ResourceType").and_then(Value::as_str).unwrap_or(ECS_INSTANCE);
    if resource_type != ECS_INSTANCE {
        return Err(client_error(
            "InvalidParameter.ResourceType",
            format!(
                "task `{}`: SelectTargets supports ResourceType {ECS_INSTANCE}, not `{resource_type}`",
                call.task_name
            ),
        ));
    }
    let default_region =
        properties.get("RegionId").and_then(Value::as_str).map(str::to_owned).or(call.region_id.clone());
    let filters = filters_of(call)?;
    let mut instances: Vec<Value> = Vec::new();
    for filter in &filters {
        let region = filter.get("RegionId").and_then(Value::as_str).map(str::to_owned).or(default_region.clone());
        for parameters in describe_requests(call, filter, region)? {
            let response = api.call(&describe_call(call, parameters)).await?;
            let found = response.pointer("/Instances/Instance").and_then(Value::as_array).cloned().unwrap_or_default();
            for instance in found {
                let id = instance.get("InstanceId");
                if !instances.iter().any(|seen| seen.get("InstanceId") == id) {
                    instances.push(instance);
                }
            }
        }
    }
    Ok(json!({"TotalCount": instances.len(), "Instances": {"Instance": instances}}))
}

/// The filter objects; string items holding JSON objects are parsed (`'{{ targets }}'`).
fn filters_of(call: &ApiCall) -> Result<Vec<Map<String, Value>>, CloudError> {
    let invalid = |why: String| client_error("InvalidParameter.Filters", format!("task `{}`: {why}", call.task_name));
    let raw = match call.parameters.get("Filters") {
        None | Some(Value::Null) => return Err(invalid("SelectTargets needs Filters".into())),
        Some(Value::Array(items)) => items.clone(),
        Some(Value::String(text)) => match serde_json::from_str(text) {
            Ok(Value::Array(items)) => items,
            Ok(single) => vec![single],
            Err(error) => return Err(invalid(format!("Filters is not JSON: {error}"))),
        },
        Some(single) => vec![single.clone()],
    };
    raw.into_iter()
        .map(|item| {
            let item = match item {
                Value::String(text) => {
                    serde_json::from_str(&text).map_err(|error| invalid(format!("filter is not JSON: {error}")))?
                }
                other => other,
            };
            match item {
                Value::Object(filter) => Ok(filter),
                other => Err(invalid(format!("a filter must be an object, got {other}"))),
            }
        })
        .collect()
}

/// The DescribeInstances parameter sets one filter needs (several for long id lists).
fn describe_requests(
    call: &ApiCall,
    filter: &Map<String, Value>,
    region: Option<String>,
) -> Result<Vec<Map<String, Value>>, CloudError> {
    let mut base = Map::new();
    if let Some(region) = region {
        base.insert("RegionId".into(), Value::String(region));
    }
    let kind = filter.get("Type").and_then(Value::as_str).unwrap_or("");
    let invalid = |why: String| client_error("InvalidParameter.Filters", format!("task `{}`: {why}", call.task_name));
    match kind {
        "ResourceIds" => {
            let ids = string_list(filter.get("ResourceIds"))
                .ok_or_else(|| invalid("Type ResourceIds needs a ResourceIds list".into()))?;
            Ok(ids
                .chunks(IDS_PER_CALL)
                .map(|chunk| {
                    let mut parameters = base.clone();
                    parameters.insert("InstanceIds".into(), json!(chunk));
                    parameters
                })
                .collect())
        }
        "Tags" => {
            let tags = match filter.get("Tags") {
                Some(Value::Array(tags)) if !tags.is_empty() => tags.clone(),
                _ => return Err(invalid("Type Tags needs a non-empty Tags list of {Key, Value}".into())),
            };
            base.insert("Tags".into(), Value::Array(tags));
            Ok(vec![base])
        }
        "ResourceGroup" => {
            let group = filter
                .get("ResourceGroupId")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("Type ResourceGroup needs ResourceGroupId".into()))?;
            base.insert("ResourceGroupId".into(), Value::String(group.to_owned()));
            Ok(vec![base])
        }
        "All" => Ok(vec![base]),
        other => {
            Err(invalid(format!("filter Type `{other}` is not supported (ResourceIds, Tags, ResourceGroup, All)")))
        }
    }
}

/// A list of strings, also from a JSON-string list.
fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    let items = match value? {
        Value::Array(items) => items.clone(),
        Value::String(text) => serde_json::from_str::<Vec<Value>>(text).ok()?,
        _ => return None,
    };
    items.iter().map(|item| item.as_str().map(str::to_owned)).collect()
}

fn describe_call(call: &ApiCall, parameters: Map<String, Value>) -> ApiCall {
    ApiCall {
        region_id: call.region_id.clone(),
        execution_id: call.execution_id.clone(),
        task_name: call.task_name.clone(),
        ram_role: call.ram_role.clone(),
        ..simple_call("ECS", "DescribeInstances", parameters)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Answers DescribeInstances from a fixed fleet and records the parameters it got.
    struct Fleet {
        seen: Mutex<Vec<Map<String, Value>>>,
    }

    #[async_trait::async_trait]
    impl CloudApi for Fleet {
        async fn call(&self, call: &ApiCall) -> Result<Value, CloudError> {
            self.seen.lock().unwrap().push(call.parameters.clone());
            let fleet = [("i-1", "web"), ("i-2", "db"), ("i-3", "web")];
            let ids: Option<Vec<String>> = call.parameters.get("InstanceIds").and_then(|ids| string_list(Some(ids)));
            let tag = call.parameters.get("Tags").and_then(|tags| tags.pointer("/0/Value")).and_then(Value::as_str);
            let matched: Vec<Value> = fleet
                .iter()
                .filter(|(id, role)| {
                    ids.as_ref().is_none_or(|ids| ids.iter().any(|wanted| wanted == id))
                        && tag.is_none_or(|tag| tag == *role)
                })
                .map(|(id, _)| json!({"InstanceId": id}))
                .collect();
            Ok(json!({"Instances": {"Instance": matched}}))
        }
    }

    fn select(properties: Value) -> (Result<Value, CloudError>, Vec<Map<String, Value>>) {
        let fleet = Fleet { seen: Mutex::new(Vec::new()) };
        let mut call = simple_call("ACS", "SelectTargets", properties.as_object().unwrap().clone());
        call.task_name = "getInstance".into();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let result = runtime.block_on(select_targets(&fleet, &call));
        (result, fleet.seen.into_inner().unwrap())
    }

    fn ids(result: &Value) -> Vec<&str> {
        result["Instances"]["Instance"].as_array().unwrap().iter().map(|i| i["InstanceId"].as_str().unwrap()).collect()
    }

    #[test]
    fn resource_ids_and_tags_filters_union_without_duplicates() {
        let (result, seen) = select(json!({"ResourceType": ECS_INSTANCE, "RegionId": "cn-hangzhou", "Filters": [
            {"Type": "ResourceIds", "ResourceIds": ["i-3", "i-9"]},
            {"Type": "Tags", "RegionId": "cn-beijing", "Tags": [{"Key": "role", "Value": "web"}]}]}));
        let result = result.unwrap();
        assert_eq!(ids(&result), ["i-3", "i-1"]);
        assert_eq!(result["TotalCount"], 2);
        assert_eq!(seen[0]["RegionId"], "cn-hangzhou");
        assert_eq!(seen[1]["RegionId"], "cn-beijing");
    }

    #[test]
    fn filters_given_as_json_strings() {
        let (result, _) = select(json!({"Filters": [r#"{"Type":"ResourceIds","ResourceIds":["i-2"]}"#]}));
        assert_eq!(ids(&result.unwrap()), ["i-2"]);
        let (result, _) = select(json!({"Filters": r#"[{"Type":"All"}]"#}));
        assert_eq!(ids(&result.unwrap()), ["i-1", "i-2", "i-3"]);
    }

    #[test]
    fn long_id_lists_are_split_per_hundred() {
        let many: Vec<String> = (0..250).map(|n| format!("i-{n}")).collect();
        let (_, seen) = select(json!({"Filters": [{"Type": "ResourceIds", "ResourceIds": many}]}));
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[2]["InstanceIds"].as_array().unwrap().len(), 50);
    }

    #[test]
    fn bad_input_gets_clear_codes() {
        let (result, _) = select(json!({"ResourceType": "ALIYUN::RDS::Instance", "Filters": [{"Type": "All"}]}));
        let error = result.unwrap_err();
        assert_eq!(error.code, "InvalidParameter.ResourceType");
        assert!(error.message.contains("getInstance"));
        let (result, _) = select(json!({"Filters": [{"Type": "Magic"}]}));
        assert_eq!(result.unwrap_err().code, "InvalidParameter.Filters");
        let (result, _) = select(json!({"Filters": [{"Type": "Tags", "Tags": []}]}));
        assert_eq!(result.unwrap_err().code, "InvalidParameter.Filters");
        let (result, _) = select(json!({}));
        assert_eq!(result.unwrap_err().code, "InvalidParameter.Filters");
    }
}
