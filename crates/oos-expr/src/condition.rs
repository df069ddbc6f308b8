//! Truth of evaluated condition values.

use serde_json::Value;

use crate::error::{ExprError, codes};
use crate::value_type::{parse_bool, preview};

/// The truth of an evaluated condition: booleans; the strings `"true"` / `"false"` in any case (and
/// `""` as false); numbers (zero is false); `null` is false. Lists, maps and other strings are a
/// `Expression.TypeMismatch` error rather than a guess.
pub(crate) fn truthy(value: &Value) -> Result<bool, ExprError> {
    let truth = match value {
        Value::Bool(flag) => Some(*flag),
        Value::Null => Some(false),
        Value::String(text) if text.trim().is_empty() => Some(false),
        Value::String(text) => parse_bool(text),
        Value::Number(number) => Some(number.as_f64().is_some_and(|n| n != 0.0)),
        Value::Array(_) | Value::Object(_) => None,
    };
    truth.ok_or_else(|| {
        ExprError::new(
            codes::TYPE_MISMATCH,
            format!("condition {} is not a boolean", preview(value)),
        )
    })
}
