//! Checking one value against a parameter definition: Type coercion and every constraint.

use regex::Regex;
use serde_json::Value;

use crate::codes;
use crate::model::{Parameter, ValueType};

/// A broken rule: the stable code and a message naming the rule and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub code: &'static str,
    pub message: String,
}

fn violation(code: &'static str, message: String) -> Violation {
    Violation { code, message }
}

/// `AllowedPattern` as a full-match regex.
pub(crate) fn full_match_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
}

/// Whether a pattern failed only because it uses features the `regex` crate lacks (look-around,
/// backreferences), as opposed to being malformed.
pub(crate) fn pattern_is_unsupported(error: &regex::Error) -> bool {
    let text = error.to_string();
    text.contains("look-around") || text.contains("backreferences")
}

/// The text form used to compare values with AllowedValues (`1` and `"1"` are equal).
fn text_form(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn is_allowed(value: &Value, allowed: &[Value]) -> bool {
    allowed.iter().any(|candidate| candidate == value || text_form(candidate) == text_form(value))
}

/// Coerces `value` to the parameter's Type and checks every constraint; returns the coerced value.
pub(crate) fn check_value(parameter: &Parameter, value: &Value) -> Result<Value, Violation> {
    let value = match (parameter.ty, value) {
        // A scalar where a List is declared counts as a one-element list (published templates
        // declare `Type: List` with `Default: InService`).
        (ValueType::List, Value::String(text)) if !text.trim_start().starts_with('[') => Value::Array(vec![value.clone()]),
        (ValueType::List, Value::Number(_) | Value::Bool(_)) => Value::Array(vec![value.clone()]),
        _ => value.clone(),
    };
    let value = oos_expr::coerce(&value, parameter.ty).map_err(|error| {
        violation(codes::PARAMETER_VALUE_TYPE, format!("expected a {} value: {}", parameter.ty, error.message))
    })?;
    if let Some(allowed) = &parameter.allowed_values {
        let elements: Vec<&Value> = match (&value, parameter.ty) {
            (Value::Array(items), ValueType::List) => items.iter().collect(),
            _ => vec![&value],
        };
        if let Some(bad) = elements.into_iter().find(|element| !is_allowed(element, allowed)) {
            let allowed_text: Vec<String> = allowed.iter().map(text_form).collect();
            return Err(violation(
                codes::ALLOWED_VALUES,
                format!("value {bad} is not one of the AllowedValues [{}]", allowed_text.join(", ")),
            ));
        }
    }
    if let Some(pattern) = &parameter.allowed_pattern {
        let regex = match full_match_regex(pattern) {
            Ok(regex) => Some(regex),
            Err(error) if pattern_is_unsupported(&error) => None,
            Err(error) => {
                return Err(violation(codes::ALLOWED_PATTERN, format!("AllowedPattern {pattern:?} is not a valid regex: {error}")));
            }
        };
        let Some(regex) = regex else { return check_lengths_and_bounds(parameter, value) };
        let texts: Vec<String> = match &value {
            Value::Array(items) => items.iter().map(text_form).collect(),
            Value::String(text) => vec![text.clone()],
            Value::Number(_) | Value::Bool(_) => vec![text_form(&value)],
            Value::Object(_) | Value::Null => Vec::new(),
        };
        if let Some(bad) = texts.iter().find(|text| !regex.is_match(text)) {
            return Err(violation(codes::ALLOWED_PATTERN, format!("value {bad:?} does not match AllowedPattern {pattern:?}")));
        }
    }
    check_lengths_and_bounds(parameter, value)
}

fn check_lengths_and_bounds(parameter: &Parameter, value: Value) -> Result<Value, Violation> {
    let length = match &value {
        Value::String(text) => Some(text.chars().count() as u64),
        Value::Array(items) => Some(items.len() as u64),
        _ => None,
    };
    if let (Some(length), Some(min)) = (length, parameter.min_length)
        && length < min
    {
        return Err(violation(codes::MIN_LENGTH, format!("length {length} is below MinLength {min}")));
    }
    if let (Some(length), Some(max)) = (length, parameter.max_length)
        && length > max
    {
        return Err(violation(codes::MAX_LENGTH, format!("length {length} is above MaxLength {max}")));
    }
    if let Some(number) = value.as_f64() {
        if let Some(min) = parameter.min_value.filter(|min| number < *min) {
            return Err(violation(codes::MIN_VALUE, format!("value {number} is below MinValue {min}")));
        }
        if let Some(max) = parameter.max_value.filter(|max| number > *max) {
            return Err(violation(codes::MAX_VALUE, format!("value {number} is above MaxValue {max}")));
        }
    }
    Ok(value)
}
