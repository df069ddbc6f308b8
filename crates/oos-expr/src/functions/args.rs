//! Argument shapes shared by the `Fn::` functions: positional arrays, lists and maps (also when they
//! arrive as JSON text), text, integers and numbers.

use serde_json::{Map, Value};

use crate::error::{ExprError, codes};
use crate::render::to_text;
use crate::value_type::{parse_container, parse_number, preview};

/// `Fn::<name> expects <expected>` error for a malformed argument.
pub(super) fn shape_error(name: &str, expected: &str, got: &Value) -> ExprError {
    ExprError::new(
        codes::INVALID_FUNCTION,
        format!("Fn::{name} expects {expected}, got {}", preview(got)),
    )
}

/// The `N` positional arguments of `Fn::<name>`.
pub(super) fn positional<const N: usize>(
    name: &str,
    expected: &str,
    argument: Value,
) -> Result<[Value; N], ExprError> {
    match argument {
        Value::Array(items) if items.len() == N => Ok(items
            .try_into()
            .unwrap_or_else(|_| unreachable!("length checked"))),
        other => Err(shape_error(name, expected, &other)),
    }
}

/// A string holding a JSON array or object becomes that value (a `{{ }}` spliced into a longer
/// string renders lists and maps as JSON); anything else is returned as is.
fn parse_text(value: Value) -> Value {
    match &value {
        Value::String(text) => parse_container(text).unwrap_or(value),
        _ => value,
    }
}

/// A list, also given as JSON text.
pub(super) fn as_list(value: Value) -> Result<Vec<Value>, Value> {
    match parse_text(value) {
        Value::Array(items) => Ok(items),
        other => Err(other),
    }
}

/// A map, also given as JSON text.
pub(super) fn as_map(value: Value) -> Result<Map<String, Value>, Value> {
    match parse_text(value) {
        Value::Object(map) => Ok(map),
        other => Err(other),
    }
}

/// `value` as a list for `Fn::<name>`, or a shape error.
pub(super) fn list_arg(name: &str, expected: &str, value: Value) -> Result<Vec<Value>, ExprError> {
    as_list(value).map_err(|other| shape_error(name, expected, &other))
}

/// `value` as a map for `Fn::<name>`, or a shape error.
pub(super) fn map_arg(
    name: &str,
    expected: &str,
    value: Value,
) -> Result<Map<String, Value>, ExprError> {
    as_map(value).map_err(|other| shape_error(name, expected, &other))
}

/// The text of a scalar (strings raw, numbers and booleans as written); lists and maps are refused.
pub(super) fn text_arg(name: &str, expected: &str, value: &Value) -> Result<String, ExprError> {
    match value {
        Value::Array(_) | Value::Object(_) => Err(shape_error(name, expected, value)),
        other => Ok(to_text(other)),
    }
}

/// The texts of a two-element `[a, b]` argument.
pub(super) fn text_pair(
    name: &str,
    expected: &str,
    argument: Value,
) -> Result<(String, String), ExprError> {
    let [first, second] = positional(name, expected, argument)?;
    Ok((
        text_arg(name, expected, &first)?,
        text_arg(name, expected, &second)?,
    ))
}

/// A number (or numeric text) as f64.
pub(super) fn number_arg(name: &str, value: &Value) -> Result<f64, ExprError> {
    let number = match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => parse_number(text).and_then(|parsed| parsed.as_f64()),
        _ => None,
    };
    number.ok_or_else(|| {
        ExprError::new(
            codes::TYPE_MISMATCH,
            format!("Fn::{name}: {} is not a number", preview(value)),
        )
    })
}

/// An integer (or integral text).
pub(super) fn int_arg(name: &str, value: &Value) -> Result<i64, ExprError> {
    let number = number_arg(name, value)?;
    if number.fract() == 0.0 && number.abs() < 9.0e15 {
        // Exact: integral and within f64's exact-integer range.
        #[allow(clippy::cast_possible_truncation)]
        Ok(number as i64)
    } else {
        Err(ExprError::new(
            codes::TYPE_MISMATCH,
            format!("Fn::{name}: {} is not an integer", preview(value)),
        ))
    }
}
