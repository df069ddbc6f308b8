//! Turning a document's value tree into the typed [`Template`] model, collecting shape diagnostics.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::catalog::{AtomicAction, is_product_action_name};
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::model::{
    ActionKind, ActionName, Description, FORMAT_VERSION, Jump, STATE_FORMAT_VERSION, Loop, LoopOutput, Parameter, Task,
    TaskOutput, TasksForm, Template, TemplateOutput, ValueType,
};
use crate::path::KeyPath;
use crate::source::Document;

const TOP_LEVEL_KEYS: [&str; 7] =
    ["FormatVersion", "Description", "Parameters", "RamRole", "Tasks", "Outputs", "Metadata"];
/// `Tasks` is listed so that it is reported once, as an error of its own (`state::lower_states`).
const STATE_TOP_LEVEL_KEYS: [&str; 6] = ["FormatVersion", "Description", "Parameters", "States", "Metadata", "Tasks"];
const PARAMETER_KEYS: [&str; 14] = [
    "Type",
    "Default",
    "AllowedValues",
    "AllowedPattern",
    "MinLength",
    "MaxLength",
    "MinValue",
    "MaxValue",
    "NoEcho",
    "Label",
    "Description",
    "AssociationProperty",
    "AssociationPropertyMetadata",
    "ConstraintDescription",
];
const TASK_KEYS: [&str; 16] = [
    "Name",
    "Action",
    "Description",
    "Properties",
    "Outputs",
    "When",
    "OnSuccess",
    "OnError",
    "OnCancel",
    "IsCritical",
    "Loop",
    "Retries",
    "Delay",
    "DelayType",
    "BackOff",
    "MaxRetryInterval",
];
const LOOP_KEYS: [&str; 5] = ["Items", "RateControl", "Concurrency", "MaxErrors", "Outputs"];

/// Builds the model; shape problems become diagnostics and the affected parts get defaults.
/// Returns `None` only when the document is not a mapping at all.
pub(crate) fn lower(document: Document, diagnostics: &mut Vec<Diagnostic>) -> Option<Template> {
    let mut lowerer = Lowerer { diagnostics };
    let Some(root) = document.value.as_object() else {
        lowerer.error(codes::WRONG_TYPE, KeyPath::root(), "a template must be a mapping of top-level keys");
        return None;
    };
    let root_path = KeyPath::root();
    let format_version = lowerer.format_version(root);
    let is_state = format_version == STATE_FORMAT_VERSION;
    let known_keys: &[&str] = if is_state { &STATE_TOP_LEVEL_KEYS } else { &TOP_LEVEL_KEYS };
    lowerer.warn_unknown_keys(root, &root_path, known_keys, "top-level key");
    let (tasks, tasks_form) = if is_state { (Vec::new(), TasksForm::List) } else { lowerer.tasks(root) };
    let states = if is_state { crate::state::lower_states(root, lowerer.diagnostics) } else { Vec::new() };
    let template = Template {
        format_version,
        description: root.get("Description").map(description),
        parameters: lowerer.named_map(root, "Parameters", &root_path, Lowerer::parameter),
        ram_role: root.get("RamRole").cloned(),
        tasks,
        states,
        outputs: lowerer.named_map(root, "Outputs", &root_path, Lowerer::template_output),
        metadata: root.get("Metadata").cloned(),
        format: document.format,
        tasks_form,
        text: document.text,
        document: document.value.clone(),
        source_map: document.source_map,
    };
    Some(template)
}

fn description(value: &Value) -> Description {
    match value {
        Value::Object(map) => Description::Localized(map.clone()),
        Value::String(text) => Description::Text(text.clone()),
        other => Description::Text(other.to_string()),
    }
}

/// A boolean written as `true` or as the text `"true"` (any case).
fn literal_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Some(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn literal_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

struct Lowerer<'d> {
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Lowerer<'_> {
    fn error(&mut self, code: &'static str, path: KeyPath, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(code, path, message));
    }

    /// `Tasks`, as a list or as a map of name → task.
    fn tasks(&mut self, root: &Map<String, Value>) -> (Vec<Task>, TasksForm) {
        let root_path = KeyPath::root();
        let tasks_path = root_path.key("Tasks");
        match root.get("Tasks") {
            None => {
                self.error(codes::MISSING_KEY, root_path, "the template has no `Tasks`");
                (Vec::new(), TasksForm::List)
            }
            Some(Value::Array(items)) => {
                let tasks = items.iter().enumerate().filter_map(|(index, item)| self.task(item, tasks_path.index(index), None)).collect();
                (tasks, TasksForm::List)
            }
            Some(Value::Object(map)) => {
                let tasks = map.iter().filter_map(|(name, item)| self.task(item, tasks_path.key(name), Some(name))).collect();
                (tasks, TasksForm::Map)
            }
            Some(_) => {
                self.error(codes::WRONG_TYPE, tasks_path, "`Tasks` must be a list of tasks (or a map of name → task)");
                (Vec::new(), TasksForm::List)
            }
        }
    }

    fn warn_unknown_keys(&mut self, map: &Map<String, Value>, path: &KeyPath, known: &[&str], what: &str) {
        for key in map.keys().filter(|key| !known.contains(&key.as_str())) {
            self.diagnostics.push(Diagnostic::warning(
                codes::UNKNOWN_KEY,
                path.key(key),
                format!("unknown {what} `{key}` is ignored"),
            ));
        }
    }

    fn format_version(&mut self, root: &Map<String, Value>) -> String {
        let path = KeyPath::root().key("FormatVersion");
        match root.get("FormatVersion") {
            None => {
                self.error(codes::FORMAT_VERSION, KeyPath::root(), format!("`FormatVersion: {FORMAT_VERSION}` is missing"));
                String::new()
            }
            Some(Value::String(version)) if version == FORMAT_VERSION || version == STATE_FORMAT_VERSION => version.clone(),
            Some(other) => {
                let shown = other.as_str().map_or_else(|| other.to_string(), str::to_owned);
                self.error(
                    codes::FORMAT_VERSION,
                    path,
                    format!("FormatVersion `{shown}` is not supported; only `{FORMAT_VERSION}` (automation) and `{STATE_FORMAT_VERSION}` (state) templates are"),
                );
                shown
            }
        }
    }

    /// Reads a `name → definition` mapping (Parameters, Outputs) with one lowering function per entry.
    fn named_map<T>(
        &mut self,
        parent: &Map<String, Value>,
        key: &str,
        parent_path: &KeyPath,
        lower_entry: fn(&mut Self, &Map<String, Value>, KeyPath) -> T,
    ) -> IndexMap<String, T> {
        let path = parent_path.key(key);
        let Some(value) = parent.get(key) else { return IndexMap::new() };
        let Some(map) = value.as_object() else {
            if !value.is_null() {
                self.error(codes::WRONG_TYPE, path, format!("`{key}` must be a mapping of name → definition"));
            }
            return IndexMap::new();
        };
        let mut entries = IndexMap::new();
        for (name, definition) in map {
            let entry_path = path.key(name);
            match definition.as_object() {
                Some(definition) => {
                    entries.insert(name.clone(), lower_entry(self, definition, entry_path));
                }
                None => self.error(codes::WRONG_TYPE, entry_path, format!("`{name}` must be a mapping")),
            }
        }
        entries
    }

    fn value_type(&mut self, map: &Map<String, Value>, path: &KeyPath, code: &'static str) -> ValueType {
        match map.get("Type") {
            None => ValueType::String,
            Some(Value::String(name)) => name.parse().unwrap_or_else(|_| {
                self.error(code, path.key("Type"), format!("unknown Type `{name}`; expected String, Number, Boolean, List or Json"));
                ValueType::String
            }),
            Some(other) => {
                self.error(code, path.key("Type"), format!("Type must be a type name, not {other}"));
                ValueType::String
            }
        }
    }

    fn parameter(&mut self, map: &Map<String, Value>, path: KeyPath) -> Parameter {
        self.warn_unknown_keys(map, &path, &PARAMETER_KEYS, "parameter key");
        let ty = self.value_type(map, &path, codes::PARAMETER_TYPE);
        let length = |lowerer: &mut Self, key: &str| {
            let value = map.get(key)?;
            let length = value.as_u64().or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()));
            if length.is_none() {
                lowerer.error(codes::PARAMETER_CONSTRAINT, path.key(key), format!("{key} must be a non-negative integer"));
            }
            length
        };
        let min_length = length(self, "MinLength");
        let max_length = length(self, "MaxLength");
        let bound = |lowerer: &mut Self, key: &str| {
            let value = map.get(key)?;
            let bound = literal_f64(value);
            if bound.is_none() {
                lowerer.error(codes::PARAMETER_CONSTRAINT, path.key(key), format!("{key} must be a number"));
            }
            bound
        };
        let min_value = bound(self, "MinValue");
        let max_value = bound(self, "MaxValue");
        let allowed_values = match map.get("AllowedValues") {
            None => None,
            Some(Value::Array(values)) => Some(values.clone()),
            Some(_) => {
                self.error(codes::PARAMETER_CONSTRAINT, path.key("AllowedValues"), "AllowedValues must be a list");
                None
            }
        };
        let allowed_pattern = match map.get("AllowedPattern") {
            None => None,
            Some(Value::String(pattern)) => Some(pattern.clone()),
            Some(_) => {
                self.error(codes::PARAMETER_CONSTRAINT, path.key("AllowedPattern"), "AllowedPattern must be a string");
                None
            }
        };
        let no_echo = match map.get("NoEcho") {
            None => false,
            Some(value) => literal_bool(value).unwrap_or_else(|| {
                self.error(codes::PARAMETER_CONSTRAINT, path.key("NoEcho"), "NoEcho must be true or false");
                false
            }),
        };
        Parameter {
            ty,
            default: map.get("Default").cloned(),
            allowed_values,
            allowed_pattern,
            min_length,
            max_length,
            min_value,
            max_value,
            no_echo,
            label: map.get("Label").cloned(),
            description: map.get("Description").cloned(),
            association_property: map.get("AssociationProperty").cloned(),
            association_property_metadata: map.get("AssociationPropertyMetadata").cloned(),
            constraint_description: map.get("ConstraintDescription").cloned(),
            path,
        }
    }

    /// An output definition `{Type, <value_key>}` (template outputs: `Value`; task outputs: `ValueSelector`).
    fn typed_output(&mut self, map: &Map<String, Value>, path: KeyPath, value_key: &str, what: &str) -> (ValueType, Value) {
        self.warn_unknown_keys(map, &path, &["Type", value_key, "Description"], "output key");
        let ty = self.value_type(map, &path, codes::OUTPUT_TYPE);
        let value = map.get(value_key).cloned().unwrap_or_else(|| {
            self.error(codes::MISSING_KEY, path.clone(), format!("a {what} output needs a `{value_key}`"));
            Value::Null
        });
        (ty, value)
    }

    fn template_output(&mut self, map: &Map<String, Value>, path: KeyPath) -> TemplateOutput {
        let (ty, value) = self.typed_output(map, path, "Value", "template");
        TemplateOutput { ty, value }
    }

    fn task_output(&mut self, map: &Map<String, Value>, path: KeyPath) -> TaskOutput {
        let (ty, value_selector) = self.typed_output(map, path, "ValueSelector", "task");
        TaskOutput { ty, value_selector }
    }

    fn loop_output(&mut self, map: &Map<String, Value>, path: KeyPath) -> LoopOutput {
        self.warn_unknown_keys(map, &path, &["AggregateType", "AggregateField"], "loop output key");
        let mut text = |key: &str, default: Option<&str>| match (map.get(key), default) {
            (Some(Value::String(text)), _) => text.clone(),
            (None, Some(default)) => default.to_owned(),
            _ => {
                self.error(codes::LOOP, path.key(key), format!("a loop output needs `{key}` (a string)"));
                String::new()
            }
        };
        LoopOutput { aggregate_type: text("AggregateType", Some("Fn::ListJoin")), aggregate_field: text("AggregateField", None) }
    }

    fn task(&mut self, value: &Value, path: KeyPath, map_name: Option<&String>) -> Option<Task> {
        let Some(map) = value.as_object() else {
            self.error(codes::WRONG_TYPE, path, "a task must be a mapping");
            return None;
        };
        self.warn_unknown_keys(map, &path, &TASK_KEYS, "task key");
        let name = match (map_name, map.get("Name")) {
            (Some(name), _) => name.clone(),
            (None, Some(Value::String(name))) => name.clone(),
            (None, Some(_)) => {
                self.error(codes::TASK_NAME, path.key("Name"), "a task Name must be a string");
                String::new()
            }
            (None, None) => {
                self.error(codes::MISSING_KEY, path.clone(), "the task has no `Name`");
                String::new()
            }
        };
        let action = match map.get("Action") {
            Some(Value::String(action)) => action_name(action),
            other => {
                let message = match other {
                    None => "the task has no `Action`",
                    Some(_) => "a task Action must be a string",
                };
                self.error(codes::MISSING_KEY, path.clone(), message);
                action_name("")
            }
        };
        let outputs = self.named_map(map, "Outputs", &path, Self::task_output);
        let loop_ = map.get("Loop").and_then(|value| self.loop_(value, path.key("Loop")));
        let is_critical = map.get("IsCritical").and_then(|value| {
            let flag = literal_bool(value);
            if flag.is_none() {
                self.error(codes::RETRY, path.key("IsCritical"), "IsCritical must be true or false");
            }
            flag
        });
        Some(Task {
            name,
            action,
            description: map.get("Description").cloned(),
            properties: map.get("Properties").cloned().unwrap_or_else(|| Value::Object(Map::new())),
            outputs,
            when: map.get("When").cloned(),
            on_success: self.jump(map, "OnSuccess", &path),
            on_error: self.jump(map, "OnError", &path),
            on_cancel: self.jump(map, "OnCancel", &path),
            is_critical,
            loop_,
            retries: map.get("Retries").cloned(),
            delay: map.get("Delay").cloned(),
            delay_type: map.get("DelayType").cloned(),
            back_off: map.get("BackOff").cloned(),
            max_retry_interval: map.get("MaxRetryInterval").cloned(),
            path,
        })
    }

    fn jump(&mut self, map: &Map<String, Value>, key: &str, task_path: &KeyPath) -> Option<Jump> {
        match map.get(key)? {
            Value::String(target) => Some(Jump::parse(target)),
            other => {
                self.error(codes::JUMP, task_path.key(key), format!("{key} must be a task name, ACS::NEXT or ACS::END, not {other}"));
                None
            }
        }
    }

    fn loop_(&mut self, value: &Value, path: KeyPath) -> Option<Loop> {
        let Some(map) = value.as_object() else {
            self.error(codes::LOOP, path, "Loop must be a mapping with `Items`");
            return None;
        };
        self.warn_unknown_keys(map, &path, &LOOP_KEYS, "loop key");
        let items = map.get("Items").cloned().unwrap_or_else(|| {
            self.error(codes::LOOP, path.clone(), "Loop has no `Items`");
            Value::Array(Vec::new())
        });
        Some(Loop {
            items,
            rate_control: map.get("RateControl").cloned(),
            legacy_concurrency: map.get("Concurrency").cloned(),
            legacy_max_errors: map.get("MaxErrors").cloned(),
            outputs: self.named_map(map, "Outputs", &path, Self::loop_output),
        })
    }
}

/// Classifies an action name: atomic (canonical spelling), product action, or unknown.
pub fn action_name(written: &str) -> ActionName {
    let (canonical, kind) = match AtomicAction::find(written) {
        Some(atomic) => (atomic.name().to_owned(), ActionKind::Atomic(atomic)),
        None if is_product_action_name(written) => (written.trim().to_owned(), ActionKind::Product),
        None => (written.trim().to_owned(), ActionKind::Unknown),
    };
    ActionName { canonical, written: written.to_owned(), kind }
}
