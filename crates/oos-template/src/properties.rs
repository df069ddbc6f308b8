//! Typed views of built-in action properties. They read *evaluated* properties (expressions already
//! resolved), except [`Choice`], whose targets are literal task names and can be read from the model.
//! Property names match case-insensitively, as in OOS.

use serde_json::{Map, Value};

use crate::model::Jump;

/// A property by name: exact spelling first, then case-insensitively.
pub fn get_ci<'v>(map: &'v Map<String, Value>, key: &str) -> Option<(&'v String, &'v Value)> {
    map.get_key_value(key).or_else(|| map.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)))
}

fn object(properties: &Value) -> Result<&Map<String, Value>, String> {
    properties.as_object().ok_or_else(|| format!("Properties must be a mapping, not {properties}"))
}

fn required<'v>(map: &'v Map<String, Value>, key: &str) -> Result<&'v Value, String> {
    get_ci(map, key).map(|(_, value)| value).ok_or_else(|| format!("property `{key}` is missing"))
}

fn text(map: &Map<String, Value>, key: &str) -> Result<String, String> {
    match required(map, key)? {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        other => Err(format!("property `{key}` must be text, not {other}")),
    }
}

fn optional_list(map: &Map<String, Value>, key: &str) -> Result<Option<Vec<Value>>, String> {
    match get_ci(map, key).map(|(_, value)| value) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items.clone())),
        Some(other) => Err(format!("property `{key}` must be a list, not {other}")),
    }
}

/// `ACS::Sleep`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sleep {
    pub duration: std::time::Duration,
}

impl Sleep {
    pub fn from_properties(properties: &Value) -> Result<Self, String> {
        let duration = text(object(properties)?, "Duration")?;
        let duration = oos_expr::parse_duration(&duration).map_err(|error| error.message)?;
        Ok(Self { duration })
    }
}

/// One branch of `ACS::Choice`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceBranch {
    /// The condition, unevaluated.
    pub when: Value,
    pub next_task: Jump,
}

/// `ACS::Choice`: branches in order, first true wins, else `default_task` (`ACS::NEXT` when absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub choices: Vec<ChoiceBranch>,
    pub default_task: Option<Jump>,
}

impl Choice {
    /// Reads the (unevaluated) task properties: conditions stay values, targets are literal names.
    pub fn from_properties(properties: &Value) -> Result<Self, String> {
        let map = object(properties)?;
        let jump = |value: &Value, what: &str| match value {
            Value::String(target) => Ok(Jump::parse(target)),
            other => Err(format!("{what} must be a task name, not {other}")),
        };
        let choices = match required(map, "Choices")? {
            Value::Array(items) => items
                .iter()
                .map(|item| {
                    let branch = item.as_object().ok_or_else(|| format!("a choice must be a mapping, not {item}"))?;
                    Ok(ChoiceBranch {
                        when: required(branch, "When")?.clone(),
                        next_task: jump(required(branch, "NextTask")?, "NextTask")?,
                    })
                })
                .collect::<Result<_, String>>()?,
            other => return Err(format!("property `Choices` must be a list, not {other}")),
        };
        let default_task = get_ci(map, "DefaultTask").map(|(_, value)| jump(value, "DefaultTask")).transpose()?;
        Ok(Self { choices, default_task })
    }
}

/// `ACS::WaitFor` / `ACS::CheckFor`: what to select from the API answer and what to compare it with.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    pub property_selector: String,
    pub desired_values: Option<Vec<Value>>,
    pub not_desired_values: Option<Vec<Value>>,
    /// WaitFor only: values that stop waiting and fail the task.
    pub stop_retry_values: Option<Vec<Value>>,
}

impl Poll {
    pub fn from_properties(properties: &Value) -> Result<Self, String> {
        let map = object(properties)?;
        let poll = Self {
            property_selector: text(map, "PropertySelector")?,
            desired_values: optional_list(map, "DesiredValues")?,
            not_desired_values: optional_list(map, "NotDesiredValues")?,
            stop_retry_values: optional_list(map, "StopRetryValues")?,
        };
        if poll.desired_values.is_none() && poll.not_desired_values.is_none() {
            return Err("one of `DesiredValues` / `NotDesiredValues` is required".to_owned());
        }
        Ok(poll)
    }
}

/// `ACS::Template` (and product actions, which are templates): the child execution to start.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateCall {
    pub template_name: Option<String>,
    pub template_version: Option<String>,
    /// An inline template (object or text) instead of a name.
    pub template_content: Option<Value>,
    pub parameters: Map<String, Value>,
}

impl TemplateCall {
    pub fn from_properties(properties: &Value) -> Result<Self, String> {
        let map = object(properties)?;
        let optional_text = |key: &str| get_ci(map, key).filter(|(_, v)| !v.is_null()).map(|_| text(map, key)).transpose();
        let parameters = match get_ci(map, "Parameters").map(|(_, value)| value) {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(parameters)) => parameters.clone(),
            Some(other) => return Err(format!("property `Parameters` must be a mapping, not {other}")),
        };
        let call = Self {
            template_name: optional_text("TemplateName")?,
            template_version: optional_text("TemplateVersion")?,
            template_content: get_ci(map, "TemplateContent").map(|(_, value)| value.clone()),
            parameters,
        };
        if call.template_name.is_none() && call.template_content.is_none() {
            return Err("one of `TemplateName` / `TemplateContent` is required".to_owned());
        }
        Ok(call)
    }
}

/// `ACS::Notify` / `ACS::Approve`: the webhook to call, and for Approve who approves.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub notify_type: Option<String>,
    /// `WebHook: {URI, Headers, Content}` as written.
    pub webhook: Option<Map<String, Value>>,
    pub approvers: Option<Vec<Value>>,
    pub min_required_approvals: Option<u64>,
}

impl Webhook {
    pub fn from_properties(properties: &Value) -> Result<Self, String> {
        let map = object(properties)?;
        let webhook = match get_ci(map, "WebHook").map(|(_, value)| value) {
            None | Some(Value::Null) => None,
            Some(Value::Object(webhook)) => Some(webhook.clone()),
            Some(other) => return Err(format!("property `WebHook` must be a mapping, not {other}")),
        };
        Ok(Self {
            notify_type: get_ci(map, "NotifyType").and_then(|(_, value)| value.as_str()).map(str::to_owned),
            webhook,
            approvers: optional_list(map, "Approvers")?,
            min_required_approvals: crate::model::literal_u64(get_ci(map, "MinRequiredApprovals").map(|(_, v)| v)),
        })
    }

    /// The webhook URI, if any.
    pub fn uri(&self) -> Option<&str> {
        self.webhook.as_ref().and_then(|webhook| get_ci(webhook, "URI")).and_then(|(_, value)| value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_each_action_case_insensitively() {
        let sleep = Sleep::from_properties(&json!({"duration": "PT1M"})).unwrap();
        assert_eq!(sleep.duration.as_secs(), 60);
        let choice = Choice::from_properties(&json!({
            "Choices": [{"When": true, "NextTask": "stop"}], "DefaultTask": "ACS::END"
        }))
        .unwrap();
        assert_eq!(choice.choices[0].next_task, Jump::Task("stop".to_owned()));
        assert_eq!(choice.default_task, Some(Jump::End));
        let poll = Poll::from_properties(&json!({"PropertySelector": ".Status", "DesiredValues": ["Running"]})).unwrap();
        assert_eq!(poll.desired_values, Some(vec![json!("Running")]));
        assert!(Poll::from_properties(&json!({"PropertySelector": ".Status"})).is_err());
        let call = TemplateCall::from_properties(&json!({"TemplateName": "ACS-ECS-X", "Parameters": {"a": 1}})).unwrap();
        assert_eq!(call.template_name.as_deref(), Some("ACS-ECS-X"));
        assert!(TemplateCall::from_properties(&json!({"Parameters": {}})).is_err());
        let webhook = Webhook::from_properties(&json!({"NotifyType": "WebHook", "WebHook": {"URI": "http://h/x"}, "Approvers": ["a"], "MinRequiredApprovals": 1})).unwrap();
        assert_eq!((webhook.uri(), webhook.min_required_approvals), (Some("http://h/x"), Some(1)));
        assert!(Sleep::from_properties(&json!({"Duration": "soon"})).is_err());
    }
}
