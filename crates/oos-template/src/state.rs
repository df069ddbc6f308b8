//! State templates (`FormatVersion: OOS-2019-06-01-State`): their `States` list, the resource types
//! a state may have (`ACS:Inventory`), the inventory types a managed instance can report with their
//! attributes, and the inventory `Policy` — which types to collect.

use serde_json::{Map, Value};

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::model::{State, Template};
use crate::parameters::{ParameterError, check_parameters};
use crate::path::KeyPath;

/// The resource type of inventory collection.
pub const INVENTORY: &str = "ACS:Inventory";

/// Every state resource type this engine applies.
pub const RESOURCE_TYPES: &[&str] = &[INVENTORY];

/// An inventory type a managed instance can report, with its attributes (name, data type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InventoryType {
    /// `ACS:Application`, …
    pub name: &'static str,
    pub attributes: &'static [(&'static str, &'static str)],
}

/// The schema version of every [`InventoryType`].
pub const INVENTORY_SCHEMA_VERSION: &str = "1.0";

/// The inventory types a policy may name (GetInventorySchema lists them). `oos agent` collects
/// `ACS:InstanceInformation` and `ACS:Application`; the others are answered with no items.
pub const INVENTORY_TYPES: &[InventoryType] = &[
    InventoryType {
        name: "ACS:InstanceInformation",
        attributes: &[
            ("hostname", "string"),
            ("os_type", "string"),
            ("os_name", "string"),
            ("kernel", "string"),
            ("arch", "string"),
            ("ip_addresses", "list"),
            ("cpus", "number"),
            ("memory_bytes", "number"),
            ("agent_version", "string"),
        ],
    },
    InventoryType { name: "ACS:Application", attributes: &[("Name", "string"), ("Version", "string")] },
    InventoryType {
        name: "ACS:File",
        attributes: &[("Name", "string"), ("Size", "number"), ("Directory", "string"), ("ModificationTime", "string")],
    },
    InventoryType { name: "ACS:Network", attributes: &[("Name", "string"), ("IPV4", "string"), ("IPV6", "string"), ("MacAddress", "string")] },
    InventoryType { name: "ACS:Service", attributes: &[("Name", "string"), ("Status", "string"), ("StartType", "string")] },
    InventoryType { name: "ACS:WindowsRole", attributes: &[("Name", "string"), ("DisplayName", "string"), ("Installed", "string")] },
    InventoryType { name: "ACS:WindowsUpdate", attributes: &[("HotFixId", "string"), ("Description", "string"), ("InstalledTime", "string")] },
    InventoryType { name: "ACS:WindowsRegistry", attributes: &[("KeyPath", "string"), ("ValueName", "string"), ("Value", "string")] },
];

/// The inventory type named `name` (exactly).
pub fn inventory_type(name: &str) -> Option<&'static InventoryType> {
    INVENTORY_TYPES.iter().find(|kind| kind.name == name)
}

/// One entry of an inventory policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEntry {
    /// An [`INVENTORY_TYPES`] name.
    pub type_name: String,
    /// `Collection: Enabled` (else `Disabled`).
    pub enabled: bool,
    /// `Filters`, as written (a JSON text); kept, not interpreted by the collector yet.
    pub filters: Option<String>,
}

/// An `ACS:Inventory` policy: a JSON object (or its text) of inventory type → `{Collection,
/// Filters}`. The error is a message for [`codes::POLICY`].
pub fn inventory_policy(value: &Value) -> Result<Vec<PolicyEntry>, String> {
    let parsed;
    let object = match value {
        Value::Object(object) => object,
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|error| format!("Policy is not JSON: {error}"))?;
            parsed.as_object().ok_or("Policy must be a JSON object of inventory type → {\"Collection\": …}")?
        }
        _ => return Err("Policy must be a JSON object of inventory type → {\"Collection\": …}".into()),
    };
    object.iter().map(|(type_name, entry)| policy_entry(type_name, entry)).collect()
}

fn policy_entry(type_name: &str, entry: &Value) -> Result<PolicyEntry, String> {
    if inventory_type(type_name).is_none() {
        let known: Vec<&str> = INVENTORY_TYPES.iter().map(|kind| kind.name).collect();
        return Err(format!("`{type_name}` is not an inventory type; known: {}", known.join(", ")));
    }
    let entry: &Map<String, Value> = entry.as_object().ok_or_else(|| format!("`{type_name}` must be an object with `Collection`"))?;
    let enabled = match entry.get("Collection").and_then(Value::as_str) {
        Some("Enabled") => true,
        Some("Disabled") => false,
        _ => return Err(format!("`{type_name}`.Collection must be `Enabled` or `Disabled`")),
    };
    let filters = match entry.get("Filters") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => {
            serde_json::from_str::<Vec<Value>>(text).map_err(|_| format!("`{type_name}`.Filters must be the text of a JSON list"))?;
            Some(text.clone())
        }
        Some(list @ Value::Array(_)) => Some(list.to_string()),
        Some(_) => return Err(format!("`{type_name}`.Filters must be a JSON list (or its text)")),
    };
    if let Some(key) = entry.keys().find(|key| !matches!(key.as_str(), "Collection" | "Filters")) {
        return Err(format!("`{type_name}` has an unknown key `{key}`"));
    }
    Ok(PolicyEntry { type_name: type_name.to_string(), enabled, filters })
}

/// The `States` of a state template's root (and an error for `Tasks`, which it must not have).
pub(crate) fn lower_states(root: &Map<String, Value>, diagnostics: &mut Vec<Diagnostic>) -> Vec<State> {
    let root_path = KeyPath::root();
    if root.contains_key("Tasks") {
        diagnostics.push(Diagnostic::error(
            codes::TASKS_IN_STATE,
            root_path.key("Tasks"),
            "a state template (`OOS-2019-06-01-State`) has `States`, not `Tasks`",
        ));
    }
    let path = root_path.key("States");
    let items = match root.get("States") {
        Some(Value::Array(items)) => items,
        None => {
            diagnostics.push(Diagnostic::error(codes::MISSING_KEY, root_path, "the state template has no `States`"));
            return Vec::new();
        }
        Some(_) => {
            diagnostics.push(Diagnostic::error(codes::WRONG_TYPE, path, "`States` must be a list of states"));
            return Vec::new();
        }
    };
    items.iter().enumerate().filter_map(|(index, item)| lower_state(item, path.index(index), diagnostics)).collect()
}

fn lower_state(item: &Value, path: KeyPath, diagnostics: &mut Vec<Diagnostic>) -> Option<State> {
    let Some(map) = item.as_object() else {
        diagnostics.push(Diagnostic::error(codes::WRONG_TYPE, path, "a state must be a mapping with `ResourceType` and `Properties`"));
        return None;
    };
    for key in map.keys().filter(|key| !matches!(key.as_str(), "ResourceType" | "Properties")) {
        diagnostics.push(Diagnostic::warning(codes::UNKNOWN_KEY, path.key(key), format!("unknown state key `{key}` is ignored")));
    }
    let resource_type = match map.get("ResourceType") {
        Some(Value::String(name)) => name.clone(),
        Some(_) => {
            diagnostics.push(Diagnostic::error(codes::WRONG_TYPE, path.key("ResourceType"), "ResourceType must be a string"));
            return None;
        }
        None => {
            diagnostics.push(Diagnostic::error(codes::MISSING_KEY, path, "the state has no `ResourceType`"));
            return None;
        }
    };
    let properties = match map.get("Properties") {
        Some(properties @ Value::Object(_)) => properties.clone(),
        Some(_) => {
            diagnostics.push(Diagnostic::error(codes::WRONG_TYPE, path.key("Properties"), "Properties must be a mapping"));
            return None;
        }
        None => {
            diagnostics.push(Diagnostic::error(codes::MISSING_KEY, path, "the state has no `Properties`"));
            return None;
        }
    };
    Some(State { resource_type, properties, path })
}

/// The checks of one state: a known resource type, and for `ACS:Inventory` a `Policy` that, when
/// written literally (no `{{ }}`), is a valid policy.
pub(crate) fn check_state(state: &State, out: &mut Vec<Diagnostic>) {
    if !RESOURCE_TYPES.contains(&state.resource_type.as_str()) {
        out.push(Diagnostic::error(
            codes::RESOURCE_TYPE,
            state.path.key("ResourceType"),
            format!("ResourceType `{}` is not supported; supported: {}", state.resource_type, RESOURCE_TYPES.join(", ")),
        ));
        return;
    }
    let properties_path = state.path.key("Properties");
    let Some(properties) = state.properties.as_object() else { return };
    for key in properties.keys().filter(|key| *key != "Policy") {
        out.push(Diagnostic::warning(codes::UNKNOWN_PROPERTY, properties_path.key(key), format!("`{INVENTORY}` has no property `{key}`")));
    }
    let Some(policy) = properties.get("Policy") else {
        out.push(Diagnostic::error(codes::MISSING_PROPERTY, properties_path, format!("`{INVENTORY}` needs a `Policy`")));
        return;
    };
    if !oos_expr::references(policy).is_empty() {
        return;
    }
    if let Err(message) = inventory_policy(policy) {
        out.push(Diagnostic::error(codes::POLICY, properties_path.key("Policy"), message));
    }
}

/// The inventory types a state template collects with these parameters: the enabled types of
/// every `ACS:Inventory` policy, evaluated (`{{ parameter }}`), each once, in the order written.
/// A parameter that does not check fails with its code; a policy that is not valid with
/// [`codes::POLICY`] (its `parameter` is the policy's key path).
pub fn inventory_types(template: &Template, given: &Map<String, Value>) -> Result<Vec<String>, ParameterError> {
    let parameters = check_parameters(template, given, &ParametersOnly(&Map::new()))?;
    let mut types: Vec<String> = Vec::new();
    for state in template.states.iter().filter(|state| state.resource_type == INVENTORY) {
        let path = state.path.key("Properties").key("Policy");
        let policy_error = |message: String| ParameterError { code: codes::POLICY, parameter: path.to_string(), message };
        let written = state.properties.get("Policy").cloned().unwrap_or(Value::Null);
        let policy = oos_expr::evaluate(&written, &ParametersOnly(&parameters))
            .map_err(|error| policy_error(error.message))?
            .unwrap_or(Value::Null);
        for entry in inventory_policy(&policy).map_err(policy_error)? {
            if entry.enabled && !types.contains(&entry.type_name) {
                types.push(entry.type_name);
            }
        }
    }
    Ok(types)
}

/// What a state template's expressions may read: its parameters (no tasks, built-ins or parameter
/// store — a state is applied outside any execution).
struct ParametersOnly<'a>(&'a Map<String, Value>);

impl oos_expr::Context for ParametersOnly<'_> {
    fn parameter(&self, name: &str) -> Option<Value> {
        self.0.get(name).cloned()
    }
    fn task_output(&self, _task: &str, _output: &str) -> Option<Value> {
        None
    }
    fn task_result(&self, _task: &str) -> Option<Value> {
        None
    }
    fn builtin(&self, _name: &str) -> Option<Value> {
        None
    }
    fn store_parameter(&self, _name: &str, _secret: bool) -> Option<Value> {
        None
    }
}
