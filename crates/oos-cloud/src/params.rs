//! Template parameters → RPC wire parameters, the way each API expects them: scalar lists as a
//! JSON string or as `Name.N` repeats, object lists as `Name.N.Field`, `Tags` as `Tag.N.Key/Value`,
//! struct parameters as `Name.Field` (`SystemDisk.Category`, `Temporary.StartTime`).
//!
//! Decisions (see docs/cloud-client.md): a scalar list is a JSON string unless the table or the
//! product's default says "repeat"; an object list is a repeat list unless the table says JSON;
//! an object is a JSON string unless its name is a known struct prefix; `null` drops the parameter.

use serde_json::{Map, Value};

/// How one list parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStyle {
    /// One parameter holding compact JSON (`InstanceIds=["i-1","i-2"]`).
    Json,
    /// `Wire.1=…&Wire.2=…` (objects: `Wire.1.Field=…`).
    Repeat { wire: &'static str },
}

/// A table entry: in `service` (lower case), for `api` (`*` = every API), the template name `name`.
struct ListRule {
    service: &'static str,
    api: &'static str,
    name: &'static str,
    style: ListStyle,
}

const fn repeat(service: &'static str, api: &'static str, name: &'static str, wire: &'static str) -> ListRule {
    ListRule { service, api, name, style: ListStyle::Repeat { wire } }
}

const fn json(service: &'static str, api: &'static str, name: &'static str) -> ListRule {
    ListRule { service, api, name, style: ListStyle::Json }
}

/// Exceptions to the defaults, from the ECS SDK models (`sdk-fields-ecs.md`) and corpus usage.
/// ECS APIs documented with `InstanceIds`/`DiskIds` JSON strings need no entry (JSON is the default).
const LIST_RULES: &[ListRule] = &[
    repeat("ecs", "DescribeInstanceStatus", "InstanceIds", "InstanceId"),
    repeat("ecs", "DescribeInstanceStatus", "InstanceId", "InstanceId"),
    repeat("ecs", "DescribeInstancesFullStatus", "InstanceIds", "InstanceId"),
    repeat("ecs", "DescribeInstancesFullStatus", "InstanceId", "InstanceId"),
    repeat("ecs", "RunCommand", "InstanceIds", "InstanceId"),
    repeat("ecs", "RunCommand", "InstanceId", "InstanceId"),
    repeat("ecs", "InvokeCommand", "InstanceIds", "InstanceId"),
    repeat("ecs", "InvokeCommand", "InstanceId", "InstanceId"),
    repeat("ecs", "DescribeCloudAssistantStatus", "InstanceIds", "InstanceId"),
    repeat("ecs", "DescribeCloudAssistantStatus", "InstanceId", "InstanceId"),
    repeat("ecs", "InstallCloudAssistant", "InstanceIds", "InstanceId"),
    repeat("ecs", "InstallCloudAssistant", "InstanceId", "InstanceId"),
    repeat("ecs", "StartInstances", "InstanceIds", "InstanceId"),
    repeat("ecs", "StartInstances", "InstanceId", "InstanceId"),
    repeat("ecs", "StopInstances", "InstanceIds", "InstanceId"),
    repeat("ecs", "StopInstances", "InstanceId", "InstanceId"),
    repeat("ecs", "RebootInstances", "InstanceIds", "InstanceId"),
    repeat("ecs", "RebootInstances", "InstanceId", "InstanceId"),
    repeat("ecs", "DeleteInstances", "InstanceIds", "InstanceId"),
    repeat("ecs", "DeleteInstances", "InstanceId", "InstanceId"),
    repeat("ecs", "ModifyInstanceMaintenanceAttributes", "InstanceIds", "InstanceId"),
    repeat("ecs", "ModifyInstanceMaintenanceAttributes", "InstanceId", "InstanceId"),
    repeat("ecs", "TagResources", "ResourceIds", "ResourceId"),
    repeat("ecs", "TagResources", "ResourceId", "ResourceId"),
    repeat("ecs", "UntagResources", "ResourceIds", "ResourceId"),
    repeat("ecs", "UntagResources", "ResourceId", "ResourceId"),
    repeat("ecs", "UntagResources", "TagKeys", "TagKey"),
    repeat("ecs", "UntagResources", "TagKey", "TagKey"),
    repeat("ecs", "ListTagResources", "ResourceIds", "ResourceId"),
    repeat("ecs", "ListTagResources", "ResourceId", "ResourceId"),
    repeat("ecs", "DescribeLaunchTemplates", "LaunchTemplateName", "LaunchTemplateName"),
    repeat("ecs", "DescribeLaunchTemplates", "LaunchTemplateId", "LaunchTemplateId"),
    repeat("ecs", "DescribeNetworkInterfaces", "NetworkInterfaceId", "NetworkInterfaceId"),
    repeat("ecs", "DescribeNetworkInterfaces", "NetworkInterfaceIds", "NetworkInterfaceId"),
    repeat("ecs", "*", "AdditionalAttributes", "AdditionalAttributes"),
    repeat("ecs", "*", "Ipv6Address", "Ipv6Address"),
    repeat("ecs", "*", "SecurityGroupIds", "SecurityGroupIds"),
    repeat("ecs", "*", "HostNames", "HostNames"),
    repeat("vpc", "*", "ResourceId", "ResourceId"),
    repeat("vpc", "*", "ResourceIds", "ResourceId"),
    json("slb", "*", "BackendServers"),
    json("hbr", "*", "ClientInfo"),
];

/// Products whose scalar lists are `Name.N` repeats by default (their APIs predate JSON lists).
const REPEAT_BY_DEFAULT: &[&str] = &["ess", "ecd", "tag", "resourcesharing"];

/// Products where `Tags` is itself a JSON document (OOS: `{"k":"v"}`, TAG: a map).
const TAGS_AS_JSON: &[&str] = &["oos", "tag"];

/// Products that name their tag list `Tags.N` rather than `Tag.N`.
const TAGS_KEEP_NAME: &[&str] = &["ess", "ros", "cs"];

/// Struct parameters written flat in templates (`SystemDiskCategory`) or as objects
/// (`SystemDisk: {Category: …}`), sent as `SystemDisk.Category`.
const STRUCT_PREFIXES: &[(&str, &[&str])] = &[(
    "ecs",
    &[
        "SystemDisk",
        "Temporary",
        "CpuOptions",
        "ImageOptions",
        "NetworkOptions",
        "SecurityOptions",
        "SchedulerOptions",
        "HibernationOptions",
        "PrivateDnsNameOptions",
    ],
)];

/// Serializes one call's parameters into ordered wire pairs.
pub fn serialize(service: &str, api: &str, parameters: &Map<String, Value>) -> Vec<(String, String)> {
    let service = service.to_ascii_lowercase();
    let mut pairs = Vec::with_capacity(parameters.len());
    for (name, value) in parameters {
        let wire_name = struct_wire_name(&service, name).unwrap_or_else(|| name.clone());
        match value {
            Value::Null => {}
            Value::Array(items) => serialize_list(&service, api, name, items, &mut pairs),
            Value::String(text) => {
                match parse_json_list(text).filter(|_| repeat_name(&service, api, name, false).is_some()) {
                    Some(items) => serialize_list(&service, api, name, &items, &mut pairs),
                    None => pairs.push((wire_name, text.clone())),
                }
            }
            Value::Object(fields) if is_struct_prefix(&service, name) => flatten_object(name, fields, &mut pairs),
            Value::Object(_) => pairs.push((wire_name, value.to_string())),
            scalar => pairs.push((wire_name, scalar_text(scalar))),
        }
    }
    pairs
}

/// A string parameter holding a JSON list (`'["i-1"]'`), for APIs that want a repeat list.
fn parse_json_list(text: &str) -> Option<Vec<Value>> {
    text.trim_start().starts_with('[').then(|| serde_json::from_str(text).ok()).flatten()
}

fn serialize_list(service: &str, api: &str, name: &str, items: &[Value], pairs: &mut Vec<(String, String)>) {
    let objects = !items.is_empty() && items.iter().all(Value::is_object);
    if name == "Tags" && objects {
        if TAGS_AS_JSON.contains(&service) {
            pairs.push((name.to_owned(), Value::Array(items.to_vec()).to_string()));
        } else {
            let wire = if TAGS_KEEP_NAME.contains(&service) { "Tags" } else { "Tag" };
            flatten_repeat(wire, items, pairs);
        }
        return;
    }
    match repeat_name(service, api, name, objects) {
        None => pairs.push((name.to_owned(), Value::Array(items.to_vec()).to_string())),
        Some(wire) => flatten_repeat(&wire, items, pairs),
    }
}

/// The repeat-list wire name for `name`, or `None` when the list travels as one JSON string:
/// the table entry if there is one, else the default for the product and item kind.
fn repeat_name(service: &str, api: &str, name: &str, objects: bool) -> Option<String> {
    let rule = LIST_RULES.iter().find(|rule| {
        rule.service == service && rule.name == name && (rule.api == "*" || rule.api.eq_ignore_ascii_case(api))
    });
    match rule {
        Some(ListRule { style: ListStyle::Repeat { wire }, .. }) => Some((*wire).to_owned()),
        Some(ListRule { style: ListStyle::Json, .. }) => None,
        None => (objects || REPEAT_BY_DEFAULT.contains(&service)).then(|| name.to_owned()),
    }
}

fn flatten_repeat(wire: &str, items: &[Value], pairs: &mut Vec<(String, String)>) {
    for (index, item) in items.iter().enumerate() {
        flatten_value(&format!("{wire}.{}", index + 1), item, pairs);
    }
}

fn flatten_object(prefix: &str, fields: &Map<String, Value>, pairs: &mut Vec<(String, String)>) {
    for (field, value) in fields {
        flatten_value(&format!("{prefix}.{field}"), value, pairs);
    }
}

fn flatten_value(key: &str, value: &Value, pairs: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Array(items) => flatten_repeat(key, items, pairs),
        Value::Object(fields) => flatten_object(key, fields, pairs),
        scalar => pairs.push((key.to_owned(), scalar_text(scalar))),
    }
}

/// Strings as they are, numbers in decimal, booleans `true`/`false`.
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn struct_prefixes(service: &str) -> &'static [&'static str] {
    STRUCT_PREFIXES.iter().find(|(code, _)| *code == service).map_or(&[], |(_, prefixes)| prefixes)
}

fn is_struct_prefix(service: &str, name: &str) -> bool {
    struct_prefixes(service).contains(&name)
}

/// `SystemDiskCategory` → `SystemDisk.Category` for a known struct prefix.
fn struct_wire_name(service: &str, name: &str) -> Option<String> {
    struct_prefixes(service).iter().find_map(|prefix| {
        let rest = name.strip_prefix(prefix)?;
        rest.starts_with(|first: char| first.is_ascii_uppercase()).then(|| format!("{prefix}.{rest}"))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn wire(service: &str, api: &str, parameters: Value) -> Vec<(String, String)> {
        serialize(service, api, parameters.as_object().unwrap())
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn ecs_instance_ids_list_becomes_a_json_string() {
        let got = wire("ECS", "DescribeInstances", json!({"RegionId": "cn-hangzhou", "InstanceIds": ["i-1", "i-2"]}));
        assert_eq!(got, pairs(&[("RegionId", "cn-hangzhou"), ("InstanceIds", r#"["i-1","i-2"]"#)]));
    }

    #[test]
    fn tags_list_becomes_tag_n_key_value() {
        let got = wire(
            "ecs",
            "DescribeInstances",
            json!({"Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ops"}]}),
        );
        assert_eq!(
            got,
            pairs(&[("Tag.1.Key", "env"), ("Tag.1.Value", "prod"), ("Tag.2.Key", "team"), ("Tag.2.Value", "ops")])
        );
        let ess = wire("ESS", "CreateScalingGroup", json!({"Tags": [{"Key": "a", "Value": "b"}]}));
        assert_eq!(ess, pairs(&[("Tags.1.Key", "a"), ("Tags.1.Value", "b")]));
        let oos = wire("OOS", "StartExecution", json!({"Tags": {"a": "b"}, "Parameters": {"x": 1}}));
        assert_eq!(oos, pairs(&[("Tags", r#"{"a":"b"}"#), ("Parameters", r#"{"x":1}"#)]));
    }

    #[test]
    fn table_repeat_lists_rename_and_accept_json_strings() {
        let got = wire("ecs", "TagResources", json!({"ResourceIds": ["i-1", "i-2"], "ResourceType": "instance"}));
        assert_eq!(got, pairs(&[("ResourceId.1", "i-1"), ("ResourceId.2", "i-2"), ("ResourceType", "instance")]));
        let got = wire("ecs", "runcommand", json!({"InstanceIds": r#"["i-9"]"#}));
        assert_eq!(got, pairs(&[("InstanceId.1", "i-9")]));
        let got = wire("ecs", "DescribeInstanceStatus", json!({"InstanceId": ["i-1"]}));
        assert_eq!(got, pairs(&[("InstanceId.1", "i-1")]));
    }

    #[test]
    fn product_defaults_and_json_exceptions() {
        let got = wire("ESS", "DescribeScalingInstances", json!({"CreationTypes": ["AutoCreated", "Attached"]}));
        assert_eq!(got, pairs(&[("CreationTypes.1", "AutoCreated"), ("CreationTypes.2", "Attached")]));
        let got = wire("SLB", "SetBackendServers", json!({"BackendServers": [{"ServerId": "i-1", "Weight": 0}]}));
        assert_eq!(got, pairs(&[("BackendServers", r#"[{"ServerId":"i-1","Weight":0}]"#)]));
        let got = wire("ROS", "CreateStack", json!({"Parameters": [{"ParameterKey": "Zone", "ParameterValue": "z"}]}));
        assert_eq!(got, pairs(&[("Parameters.1.ParameterKey", "Zone"), ("Parameters.1.ParameterValue", "z")]));
    }

    #[test]
    fn struct_parameters_flat_or_nested() {
        let got = wire(
            "ECS",
            "RunInstances",
            json!({"SystemDiskCategory": "cloud_essd", "SystemDisk": {"Size": 40}, "Temporary": {"StartTime": "t"},
                   "DataDisk": [{"Size": 20, "Encrypted": true}], "Amount": 2, "DryRun": false, "Description": null}),
        );
        assert_eq!(
            got,
            pairs(&[
                ("SystemDisk.Category", "cloud_essd"),
                ("SystemDisk.Size", "40"),
                ("Temporary.StartTime", "t"),
                ("DataDisk.1.Size", "20"),
                ("DataDisk.1.Encrypted", "true"),
                ("Amount", "2"),
                ("DryRun", "false"),
            ])
        );
    }

    #[test]
    fn strings_that_only_look_like_lists_pass_through() {
        let got = wire("ecs", "DescribeInstances", json!({"InstanceIds": r#"["i-1"]"#, "InstanceName": "[web]"}));
        assert_eq!(got, pairs(&[("InstanceIds", r#"["i-1"]"#), ("InstanceName", "[web]")]));
        let got = wire("ess", "ExitStandby", json!({"InstanceId": "[not json"}));
        assert_eq!(got, pairs(&[("InstanceId", "[not json")]));
    }
}
