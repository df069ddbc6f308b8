//! The typed model of an OOS template (`FormatVersion: OOS-2019-06-01`).
//!
//! Values that may hold expressions (`{{ }}`, `Fn::`) stay `serde_json::Value`: they are resolved at
//! run time. Typed accessors give the literal form when there is one.

use indexmap::IndexMap;
use serde_json::Value;

pub use oos_expr::ValueType;

use crate::path::KeyPath;
use crate::source::TemplateFormat;
use crate::source_map::SourceMap;

/// The only automation template format version.
pub const FORMAT_VERSION: &str = "OOS-2019-06-01";

/// The format version of state templates: a desired state (`States`) that a state configuration
/// applies to managed instances, instead of tasks that an execution runs.
pub const STATE_FORMAT_VERSION: &str = "OOS-2019-06-01-State";

/// A parsed template. `text` is the original content, byte for byte.
#[derive(Debug, Clone)]
pub struct Template {
    pub format_version: String,
    pub description: Option<Description>,
    pub parameters: IndexMap<String, Parameter>,
    /// `RamRole`, usually an expression such as `'{{ OOSAssumeRole }}'`.
    pub ram_role: Option<Value>,
    /// Tasks in document order (also for the map form `Tasks: {Name: {...}}`).
    pub tasks: Vec<Task>,
    /// The desired states of a state template (empty for an automation template).
    pub states: Vec<State>,
    pub outputs: IndexMap<String, TemplateOutput>,
    /// UI metadata, kept but not interpreted.
    pub metadata: Option<Value>,
    pub format: TemplateFormat,
    pub tasks_form: TasksForm,
    pub text: String,
    /// The whole document as a value tree.
    pub document: Value,
    pub source_map: SourceMap,
}

impl Template {
    /// Whether this is a state template (`OOS-2019-06-01-State`), applied rather than executed.
    pub fn is_state(&self) -> bool {
        self.format_version == STATE_FORMAT_VERSION
    }

    /// The task with this exact name.
    pub fn task(&self, name: &str) -> Option<&Task> {
        self.tasks.iter().find(|task| task.name == name)
    }

    /// The index of the task with this exact name.
    pub fn task_index(&self, name: &str) -> Option<usize> {
        self.tasks.iter().position(|task| task.name == name)
    }
}

/// One desired state of a state template: a resource type and its properties (which may hold
/// `{{ parameter }}` references, resolved when the state is applied).
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// `ACS:Inventory`, …
    pub resource_type: String,
    pub properties: Value,
    pub path: KeyPath,
}

/// Whether `Tasks` was written as a list (normal) or as a map keyed by task name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TasksForm {
    List,
    Map,
}

/// A description: plain text, or an object with per-language texts (`en`, `zh-cn`, `name-en`, …).
#[derive(Debug, Clone, PartialEq)]
pub enum Description {
    Text(String),
    Localized(serde_json::Map<String, Value>),
}

impl Description {
    /// The English (or only) text, if any.
    pub fn english(&self) -> Option<&str> {
        match self {
            Description::Text(text) => Some(text),
            Description::Localized(map) => map.get("en").and_then(Value::as_str),
        }
    }
}

/// A template parameter definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// `Type`; String when not written.
    pub ty: ValueType,
    /// `Default`; a parameter without one is required. May contain expressions.
    pub default: Option<Value>,
    pub allowed_values: Option<Vec<Value>>,
    pub allowed_pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub no_echo: bool,
    pub label: Option<Value>,
    pub description: Option<Value>,
    pub association_property: Option<Value>,
    pub association_property_metadata: Option<Value>,
    pub constraint_description: Option<Value>,
    /// Where the definition sits (`Parameters.name`).
    pub path: KeyPath,
}

impl Parameter {
    pub fn is_required(&self) -> bool {
        self.default.is_none()
    }
}

/// One task of the template.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub name: String,
    pub action: ActionName,
    pub description: Option<Value>,
    /// Action properties, unresolved (expressions are evaluated at run time).
    pub properties: Value,
    pub outputs: IndexMap<String, TaskOutput>,
    /// `When`: a condition; false ⇒ the task is skipped.
    pub when: Option<Value>,
    pub on_success: Option<Jump>,
    pub on_error: Option<Jump>,
    pub on_cancel: Option<Jump>,
    pub is_critical: Option<bool>,
    pub loop_: Option<Loop>,
    pub retries: Option<Value>,
    pub delay: Option<Value>,
    pub delay_type: Option<Value>,
    pub back_off: Option<Value>,
    pub max_retry_interval: Option<Value>,
    /// Where the task sits (`Tasks[3]`, or `Tasks.name` in the map form).
    pub path: KeyPath,
}

impl Task {
    /// `Retries` when it is a literal non-negative integer.
    pub fn retries_literal(&self) -> Option<u64> {
        literal_u64(self.retries.as_ref())
    }

    /// `Delay` in seconds when literal.
    pub fn delay_literal(&self) -> Option<u64> {
        literal_u64(self.delay.as_ref())
    }

    /// `BackOff` in seconds when literal.
    pub fn back_off_literal(&self) -> Option<u64> {
        literal_u64(self.back_off.as_ref())
    }

    /// `MaxRetryInterval` in seconds when literal.
    pub fn max_retry_interval_literal(&self) -> Option<u64> {
        literal_u64(self.max_retry_interval.as_ref())
    }

    /// `DelayType` when literal and known.
    pub fn delay_type_literal(&self) -> Option<DelayType> {
        self.delay_type.as_ref()?.as_str().and_then(DelayType::parse)
    }

    /// The jump taken after success (`ACS::NEXT` when not written).
    pub fn on_success_or_default(&self) -> Jump {
        self.on_success.clone().unwrap_or(Jump::Next)
    }

    /// The jump taken after failure (`ACS::END` when not written).
    pub fn on_error_or_default(&self) -> Jump {
        self.on_error.clone().unwrap_or(Jump::End)
    }
}

/// A non-negative integer written as a number or a numeric string.
pub(crate) fn literal_u64(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// How the retry interval grows between polls (WaitFor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayType {
    Exponential,
    Constant,
    Linear,
}

impl DelayType {
    /// Parses a DelayType case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "exponential" => Some(Self::Exponential),
            "constant" => Some(Self::Constant),
            "linear" => Some(Self::Linear),
            _ => None,
        }
    }
}

/// An action name: the canonical spelling (for built-ins) and how the template wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionName {
    /// `ACS::ExecuteAPI` for `ACS::ExecuteApi`; product actions keep the written spelling.
    pub canonical: String,
    pub written: String,
    pub kind: ActionKind,
}

/// Built-in (atomic) action, or a product action `ACS::<Product>::<Name>` (itself a template).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Atomic(crate::catalog::AtomicAction),
    Product,
    /// Neither a known atomic action nor of the product form.
    Unknown,
}

/// Where control goes after a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jump {
    /// `ACS::NEXT` (also legacy `NEXT` / `CONTINUE`): the next task in document order.
    Next,
    /// `ACS::END` (also legacy `END`): end the execution.
    End,
    /// A task name.
    Task(String),
}

impl Jump {
    /// Reads a jump target; the reserved words are matched case-insensitively.
    pub fn parse(text: &str) -> Self {
        let word = text.trim();
        let bare = word.strip_prefix("ACS::").or_else(|| word.strip_prefix("acs::")).unwrap_or(word);
        if bare.eq_ignore_ascii_case("NEXT") || bare.eq_ignore_ascii_case("CONTINUE") {
            Jump::Next
        } else if bare.eq_ignore_ascii_case("END") {
            Jump::End
        } else {
            Jump::Task(word.to_owned())
        }
    }
}

/// A declared task output: `{Type, ValueSelector}`.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskOutput {
    pub ty: ValueType,
    /// A jq program (string, possibly with `{{ }}`), or an `Fn::` object producing one.
    pub value_selector: Value,
}

/// A template output: `{Type, Value}`.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateOutput {
    pub ty: ValueType,
    pub value: Value,
}

/// A task's `Loop`.
#[derive(Debug, Clone, PartialEq)]
pub struct Loop {
    /// `Items`: a list, a `{{ }}` expression or an `Fn::` object.
    pub items: Value,
    /// `RateControl`: an object or an expression (often `'{{ rateControl }}'`).
    pub rate_control: Option<Value>,
    /// Legacy flat `Concurrency`.
    pub legacy_concurrency: Option<Value>,
    /// Legacy flat `MaxErrors`.
    pub legacy_max_errors: Option<Value>,
    pub outputs: IndexMap<String, LoopOutput>,
}

/// An aggregated loop output.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopOutput {
    /// `Fn::ListJoin` (default) or `Fn::Sum`.
    pub aggregate_type: String,
    /// The per-iteration task output to aggregate.
    pub aggregate_field: String,
}
