//! The atomic actions (`ACS::<Name>`) and the shape of their properties.

use serde_json::Value;

/// Every built-in action of the OOS template language (spec §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtomicAction {
    ExecuteApi,
    WaitFor,
    CheckFor,
    Choice,
    SelectTargets,
    Sleep,
    Template,
    Approve,
    Notify,
    Pause,
    Loop,
    TimerTrigger,
    EventTrigger,
    AlarmTrigger,
    ExecuteHttpRequest,
}

/// The JSON shape a property literal must have (expressions are accepted for every shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    String,
    Number,
    Boolean,
    List,
    Object,
    /// String or object (e.g. ROA `Body`, `TemplateContent`).
    StringOrObject,
    /// A condition (bool literal, string, Fn:: object).
    Any,
}

impl Shape {
    /// Whether a literal value has this shape. Strings are always accepted where a scalar is
    /// expected, because they may be expressions or numeric text.
    pub fn accepts(self, value: &Value) -> bool {
        // Null means "omitted" (what `Fn::If` yields to drop a property).
        if value.is_null() || is_dynamic(value) {
            return true;
        }
        match self {
            Shape::String => matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_)),
            Shape::Number => matches!(value, Value::Number(_) | Value::String(_)),
            Shape::Boolean => matches!(value, Value::Bool(_) | Value::String(_)),
            Shape::List => value.is_array(),
            Shape::Object => value.is_object(),
            Shape::StringOrObject => value.is_string() || value.is_object(),
            Shape::Any => true,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shape::String => "a string",
            Shape::Number => "a number",
            Shape::Boolean => "a boolean",
            Shape::List => "a list",
            Shape::Object => "an object",
            Shape::StringOrObject => "a string or an object",
            Shape::Any => "a value",
        }
    }
}

/// A value decided only at run time: a `{{ }}` string or an `Fn::` object.
pub fn is_dynamic(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains("{{"),
        Value::Object(map) => map.len() == 1 && map.keys().all(|key| key.starts_with("Fn::")),
        _ => false,
    }
}

/// One property of an atomic action.
#[derive(Debug, Clone, Copy)]
pub struct PropertySpec {
    pub name: &'static str,
    pub shape: Shape,
    pub required: bool,
}

const fn required(name: &'static str, shape: Shape) -> PropertySpec {
    PropertySpec { name, shape, required: true }
}

const fn optional(name: &'static str, shape: Shape) -> PropertySpec {
    PropertySpec { name, shape, required: false }
}

const API: [PropertySpec; 10] = [
    required("Service", Shape::String),
    required("API", Shape::String),
    optional("Parameters", Shape::Object),
    optional("AutoPaging", Shape::Boolean),
    optional("Risk", Shape::String),
    optional("Method", Shape::String),
    optional("URI", Shape::String),
    optional("Headers", Shape::Object),
    optional("Body", Shape::StringOrObject),
    optional("Version", Shape::String),
];

const POLL: [PropertySpec; 4] = [
    required("PropertySelector", Shape::String),
    optional("DesiredValues", Shape::List),
    optional("NotDesiredValues", Shape::List),
    optional("StopRetryValues", Shape::List),
];

const WEBHOOK: [PropertySpec; 3] = [
    optional("NotifyType", Shape::String),
    optional("WebHook", Shape::Object),
    optional("Webhook", Shape::Object),
];

const CHOICE: [PropertySpec; 2] = [required("Choices", Shape::List), optional("DefaultTask", Shape::String)];
const SELECT_TARGETS: [PropertySpec; 3] = [
    required("ResourceType", Shape::String),
    optional("RegionId", Shape::String),
    optional("Filters", Shape::List),
];
const SLEEP: [PropertySpec; 1] = [required("Duration", Shape::String)];
const TEMPLATE: [PropertySpec; 5] = [
    optional("TemplateName", Shape::String),
    optional("TemplateVersion", Shape::String),
    optional("TemplateContent", Shape::StringOrObject),
    optional("Parameters", Shape::Object),
    optional("RegionId", Shape::String),
];
const APPROVE_EXTRA: [PropertySpec; 2] =
    [optional("Approvers", Shape::List), optional("MinRequiredApprovals", Shape::Number)];
const LOOP: [PropertySpec; 3] = [
    required("LoopItems", Shape::List),
    optional("LoopRateControl", Shape::Object),
    required("LoopTasks", Shape::List),
];
const TIMER: [PropertySpec; 5] = [
    required("Type", Shape::String),
    required("Expression", Shape::String),
    optional("EndDate", Shape::String),
    optional("TimeZone", Shape::String),
    optional("StartDate", Shape::String),
];
const EVENT: [PropertySpec; 7] = [
    required("Product", Shape::String),
    required("Name", Shape::List),
    optional("Level", Shape::List),
    optional("Content", Shape::Object),
    optional("RegionId", Shape::List),
    optional("Tags", Shape::Any),
    optional("OutputTransformer", Shape::Any),
];
const ALARM: [PropertySpec; 15] = [
    optional("Namespace", Shape::String),
    optional("MetricName", Shape::String),
    optional("Statistics", Shape::String),
    optional("ComparisonOperator", Shape::String),
    optional("Threshold", Shape::Number),
    optional("Times", Shape::Number),
    optional("Period", Shape::Number),
    optional("Interval", Shape::Number),
    optional("SilenceTime", Shape::Number),
    optional("EffectiveInterval", Shape::String),
    optional("Resources", Shape::Any),
    optional("Tags", Shape::Any),
    optional("OutputTransformer", Shape::Any),
    optional("RegionId", Shape::String),
    optional("Content", Shape::Any),
];
const HTTP: [PropertySpec; 5] = [
    required("URL", Shape::String),
    optional("Method", Shape::String),
    optional("Headers", Shape::Object),
    optional("Body", Shape::StringOrObject),
    optional("Timeout", Shape::Number),
];

const ALL: [AtomicAction; 15] = [
    AtomicAction::ExecuteApi,
    AtomicAction::WaitFor,
    AtomicAction::CheckFor,
    AtomicAction::Choice,
    AtomicAction::SelectTargets,
    AtomicAction::Sleep,
    AtomicAction::Template,
    AtomicAction::Approve,
    AtomicAction::Notify,
    AtomicAction::Pause,
    AtomicAction::Loop,
    AtomicAction::TimerTrigger,
    AtomicAction::EventTrigger,
    AtomicAction::AlarmTrigger,
    AtomicAction::ExecuteHttpRequest,
];

impl AtomicAction {
    /// Every atomic action.
    pub fn all() -> &'static [AtomicAction] {
        &ALL
    }

    /// The canonical name, e.g. `ACS::ExecuteAPI`.
    pub fn name(self) -> &'static str {
        match self {
            AtomicAction::ExecuteApi => "ACS::ExecuteAPI",
            AtomicAction::WaitFor => "ACS::WaitFor",
            AtomicAction::CheckFor => "ACS::CheckFor",
            AtomicAction::Choice => "ACS::Choice",
            AtomicAction::SelectTargets => "ACS::SelectTargets",
            AtomicAction::Sleep => "ACS::Sleep",
            AtomicAction::Template => "ACS::Template",
            AtomicAction::Approve => "ACS::Approve",
            AtomicAction::Notify => "ACS::Notify",
            AtomicAction::Pause => "ACS::Pause",
            AtomicAction::Loop => "ACS::Loop",
            AtomicAction::TimerTrigger => "ACS::TimerTrigger",
            AtomicAction::EventTrigger => "ACS::EventTrigger",
            AtomicAction::AlarmTrigger => "ACS::AlarmTrigger",
            AtomicAction::ExecuteHttpRequest => "ACS::ExecuteHttpRequest",
        }
    }

    /// Finds an atomic action by name, case-insensitively (`acs::executeapi`).
    pub fn find(name: &str) -> Option<Self> {
        ALL.iter().copied().find(|action| action.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The properties this action defines, in groups (e.g. WaitFor = API + polling).
    pub fn property_groups(self) -> &'static [&'static [PropertySpec]] {
        match self {
            AtomicAction::ExecuteApi => &[&API],
            AtomicAction::WaitFor | AtomicAction::CheckFor => &[&API, &POLL],
            AtomicAction::Choice => &[&CHOICE],
            AtomicAction::SelectTargets => &[&SELECT_TARGETS],
            AtomicAction::Sleep => &[&SLEEP],
            AtomicAction::Template => &[&TEMPLATE],
            AtomicAction::Approve => &[&WEBHOOK, &APPROVE_EXTRA],
            AtomicAction::Notify => &[&WEBHOOK],
            AtomicAction::Pause => &[],
            AtomicAction::Loop => &[&LOOP],
            AtomicAction::TimerTrigger => &[&TIMER],
            AtomicAction::EventTrigger => &[&EVENT],
            AtomicAction::AlarmTrigger => &[&ALARM],
            AtomicAction::ExecuteHttpRequest => &[&HTTP],
        }
    }

    /// The property spec for `name` (matched case-insensitively), if the action defines it.
    pub fn property(self, name: &str) -> Option<&'static PropertySpec> {
        self.property_groups().iter().flat_map(|group| group.iter()).find(|spec| spec.name.eq_ignore_ascii_case(name))
    }

    /// Trigger actions put the execution into Waiting until they fire.
    pub fn is_trigger(self) -> bool {
        matches!(self, AtomicAction::TimerTrigger | AtomicAction::EventTrigger | AtomicAction::AlarmTrigger)
    }
}

/// Actions seen in published templates that only Alibaba's service implements (no template defines
/// them): valid in a template, but this engine cannot run them.
pub const OOS_ONLY_ACTIONS: [&str; 1] = ["ACS::GitCodeRepo"];

/// Whether `name` has the product-action form `ACS::<Product>::<Name>`.
pub fn is_product_action_name(name: &str) -> bool {
    let mut parts = name.split("::");
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(prefix), Some(product), Some(action), None)
            if prefix.eq_ignore_ascii_case("ACS") && !product.is_empty() && !action.is_empty()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_actions_case_insensitively() {
        assert_eq!(AtomicAction::find("ACS::ExecuteApi"), Some(AtomicAction::ExecuteApi));
        assert_eq!(AtomicAction::find("acs::waitfor"), Some(AtomicAction::WaitFor));
        assert_eq!(AtomicAction::find("ACS::Parallel"), None);
        assert!(is_product_action_name("ACS::ECS::StopInstance"));
        assert!(!is_product_action_name("ACS::Sleep"));
    }
}
