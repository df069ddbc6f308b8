//! Declared value types (`String`, `Number`, `Boolean`, `List`, `Json`) and coercion into them.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::error::{ExprError, codes};

/// A declared type of a parameter or output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// Text.
    String,
    /// Integer or floating-point number.
    Number,
    /// `true` / `false`.
    Boolean,
    /// JSON array.
    List,
    /// Any JSON value (objects in practice). `Object` and `Map` are accepted aliases.
    Json,
}

impl FromStr for ValueType {
    type Err = ExprError;

    /// Parses a type name case-insensitively (`list`, `Json`, `Object`, `Map`, …).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.to_ascii_lowercase().as_str() {
            "string" => Ok(Self::String),
            "number" => Ok(Self::Number),
            "boolean" => Ok(Self::Boolean),
            "list" => Ok(Self::List),
            "json" | "object" | "map" => Ok(Self::Json),
            _ => Err(ExprError::new(
                codes::TYPE_MISMATCH,
                format!("unknown type {name:?}; expected String, Number, Boolean, List or Json"),
            )),
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::String => "String",
            Self::Number => "Number",
            Self::Boolean => "Boolean",
            Self::List => "List",
            Self::Json => "Json",
        })
    }
}

/// Converts `value` into type `to`: `"600"` → `600` for Number, `"True"` → `true` for Boolean, a JSON
/// text → its array / object for List / Json, numbers and booleans → their text for String, lists and
/// maps → compact JSON for String. `null` stays `null` for every type (an absent value).
pub fn coerce(value: &Value, to: ValueType) -> Result<Value, ExprError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let coerced = match (to, value) {
        (ValueType::String, Value::String(_)) => Some(value.clone()),
        (ValueType::String, other) => Some(Value::String(other.to_string())),
        (ValueType::Number, Value::Number(_)) => Some(value.clone()),
        (ValueType::Number, Value::String(text)) => parse_number(text),
        (ValueType::Boolean, Value::Bool(_)) => Some(value.clone()),
        (ValueType::Boolean, Value::String(text)) => parse_bool(text).map(Value::Bool),
        (ValueType::List, Value::Array(_)) => Some(value.clone()),
        (ValueType::List, Value::String(text)) => serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_array),
        (ValueType::Json, Value::String(text)) => {
            parse_container(text).or_else(|| Some(value.clone()))
        }
        (ValueType::Json, _) => Some(value.clone()),
        _ => None,
    };
    coerced.ok_or_else(|| {
        ExprError::new(
            codes::TYPE_MISMATCH,
            format!("cannot convert {} to {to}", preview(value)),
        )
    })
}

/// [`coerce`] for a template output's `Value`: a `List` output whose value is one scalar (a string
/// that is not a JSON array, a number, a boolean) is that one-element list, as a `List` task output
/// selecting one value is (ACS-ECS-CreateAndCopyImage's `imageIds: {Type: List, Value:
/// '{{ createImage.imageId }}'}` is `["m-…"]`).
pub fn coerce_output(value: &Value, to: ValueType) -> Result<Value, ExprError> {
    match coerce(value, to) {
        Err(_)
            if to == ValueType::List
                && matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_)) =>
        {
            Ok(Value::Array(vec![value.clone()]))
        }
        other => other,
    }
}

/// A JSON array or object written as text; `None` for anything else.
pub(crate) fn parse_container(text: &str) -> Option<Value> {
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(|parsed| parsed.is_array() || parsed.is_object())
}

/// Parses `"true"` / `"false"` in any letter case.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses a decimal number, preferring an integer representation.
pub(crate) fn parse_number(text: &str) -> Option<Value> {
    let text = text.trim();
    if let Ok(int) = text.parse::<i64>() {
        return Some(Value::from(int));
    }
    text.parse::<f64>().ok().and_then(number_from_f64)
}

/// A JSON number from a float, integral floats becoming integers; `None` for NaN / infinity.
pub(crate) fn number_from_f64(float: f64) -> Option<Value> {
    if float.fract() == 0.0 && float.abs() < 9.0e15 {
        // Exact: the float is integral and within the range where f64 represents every integer.
        #[allow(clippy::cast_possible_truncation)]
        return Some(Value::from(float as i64));
    }
    serde_json::Number::from_f64(float).map(Value::Number)
}

/// A short rendering of a value for error messages.
pub(crate) fn preview(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}
