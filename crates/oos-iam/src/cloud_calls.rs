//! What an outbound cloud call made by an execution is authorized as: `<service>:<API>` on the resources
//! its identifier parameters name (`InstanceId` → `instance/<id>`), or `*` when it names none.

use serde_json::{Map, Value};

use crate::arn::ArnScope;

/// Identifier parameters per service code: (parameter, resource type). Plural forms take lists.
pub const RESOURCE_PARAMETERS: &[(&str, &str, &str)] = &[
    ("ecs", "InstanceId", "instance"),
    ("ecs", "InstanceIds", "instance"),
    ("ecs", "DiskId", "disk"),
    ("ecs", "DiskIds", "disk"),
    ("ecs", "SnapshotId", "snapshot"),
    ("ecs", "SnapshotIds", "snapshot"),
    ("ecs", "ImageId", "image"),
    ("ecs", "SecurityGroupId", "securitygroup"),
    ("ecs", "SecurityGroupIds", "securitygroup"),
    ("ecs", "CommandId", "command"),
    ("ecs", "ActivationId", "activation"),
    ("ecs", "KeyPairName", "keypair"),
    ("ecs", "KeyPairNames", "keypair"),
    ("ecs", "LaunchTemplateId", "launchtemplate"),
    ("ecs", "NetworkInterfaceId", "eni"),
    ("vpc", "VpcId", "vpc"),
    ("vpc", "VSwitchId", "vswitch"),
    ("vpc", "AllocationId", "eip"),
    ("slb", "LoadBalancerId", "loadbalancer"),
    ("rds", "DBInstanceId", "dbinstance"),
];

/// The action (`ecs:StopInstance`) and resources of a cloud call `api` on `service` (a product code such
/// as `ECS`, case-insensitive) with `params` as the execution resolved them. A parameter's value may be a
/// string, a JSON-array string (`'["i-1","i-2"]'`), an array, or be flattened as `InstanceId.1`, `InstanceId.2`.
pub fn cloud_call_authz(
    service: &str,
    api: &str,
    params: &Map<String, Value>,
    scope: &ArnScope,
) -> (String, Vec<String>) {
    let service = service.to_lowercase();
    let region = params
        .get("RegionId")
        .and_then(Value::as_str)
        .unwrap_or(&scope.region);
    let scope = ArnScope::new(region, scope.account.clone());
    let mut resources = Vec::new();
    for (_, param, resource_type) in RESOURCE_PARAMETERS.iter().filter(|(s, _, _)| *s == service) {
        for (name, value) in params {
            if name == param || name.strip_prefix(param).is_some_and(is_list_suffix) {
                for id in identifiers(value) {
                    let arn = scope.resource(&service, resource_type, &id);
                    if !resources.contains(&arn) {
                        resources.push(arn);
                    }
                }
            }
        }
    }
    if resources.is_empty() {
        resources.push("*".to_string());
    }
    (format!("{service}:{api}"), resources)
}

/// What an ECS API request made to this server (the Cloud Assistant of managed instances) is
/// authorized as: `ecs:<Action>` on the resources its parameters name, as for an execution's call.
pub fn ecs_request_authz(action: &str, params: &std::collections::BTreeMap<String, String>, scope: &ArnScope) -> crate::oos_actions::ActionAuthz {
    let tags_instances = params.get("ResourceType").is_some_and(|kind| kind.eq_ignore_ascii_case("managedinstance"));
    let params: Map<String, Value> = params
        .iter()
        .map(|(name, value)| {
            // Tag actions name their resources `ResourceId.N`: managed instances are instances.
            let name = match name.strip_prefix("ResourceId") {
                Some(rest) if tags_instances => format!("InstanceId{rest}"),
                _ => name.clone(),
            };
            (name, Value::String(value.clone()))
        })
        .collect();
    let (action, resources) = cloud_call_authz("ecs", action, &params, scope);
    crate::oos_actions::ActionAuthz { action, resources, request_context: Vec::new() }
}

/// `.1`, `.2`, ... (RPC repeat-list flattening).
fn is_list_suffix(rest: &str) -> bool {
    rest.strip_prefix('.')
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

fn identifiers(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items.iter().flat_map(identifiers).collect(),
            _ if text.trim().is_empty() => Vec::new(),
            _ => vec![text.trim().to_string()],
        },
        Value::Array(items) => items.iter().flat_map(identifiers).collect(),
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}
