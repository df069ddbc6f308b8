//! Conditions and branching: `Fn::If` (lazy), `Fn::And` / `Fn::Or` (short-circuit), `Fn::Not`,
//! `Fn::Equals` (tolerant equality).

use serde_json::Value;

use super::args::shape_error;
use crate::condition::truthy;
use crate::context::Context;
use crate::error::{ExprError, PathSegment};
use crate::evaluator::Evaluator;
use crate::render::to_text;
use crate::value_type::parse_bool;

/// `Fn::If: [condition, then, else]`; only the chosen branch is evaluated. A chosen `null` removes
/// the enclosing value (`Ok(None)`).
pub(super) fn if_(
    evaluator: &Evaluator,
    argument: &Value,
    ctx: &dyn Context,
) -> Result<Option<Value>, ExprError> {
    let Some([condition, then, otherwise]) = argument
        .as_array()
        .and_then(|items| <&[Value; 3]>::try_from(items.as_slice()).ok())
    else {
        return Err(shape_error(
            "If",
            "[condition, valueIfTrue, valueIfFalse]",
            argument,
        ));
    };
    let (chosen, index) = if evaluator
        .evaluate_condition(condition, ctx)
        .map_err(|e| e.within(PathSegment::Index(0)))?
    {
        (then, 1)
    } else {
        (otherwise, 2)
    };
    let value = evaluator
        .evaluate(chosen, ctx)
        .map_err(|e| e.within(PathSegment::Index(index)))?;
    Ok(value.filter(|value| !value.is_null()))
}

/// `Fn::And: [c1, c2, …]` / `Fn::Or: [c1, c2, …]`, evaluated left to right with short-circuit.
pub(super) fn and_or(
    evaluator: &Evaluator,
    name: &str,
    argument: &Value,
    ctx: &dyn Context,
) -> Result<Value, ExprError> {
    let Some(conditions) = argument.as_array().filter(|items| !items.is_empty()) else {
        return Err(shape_error(
            name,
            "a non-empty list of conditions",
            argument,
        ));
    };
    let stop_at = name == "Or";
    for (index, condition) in conditions.iter().enumerate() {
        if evaluator
            .evaluate_condition(condition, ctx)
            .map_err(|e| e.within(PathSegment::Index(index)))?
            == stop_at
        {
            return Ok(Value::Bool(stop_at));
        }
    }
    Ok(Value::Bool(!stop_at))
}

/// `Fn::Not: condition` (or `[condition]`).
pub(super) fn not(argument: Value) -> Result<Value, ExprError> {
    let condition = match argument {
        Value::Array(mut items) if items.len() == 1 => items.remove(0),
        Value::Array(_) => return Err(shape_error("Not", "a condition or [condition]", &argument)),
        other => other,
    };
    Ok(Value::Bool(!truthy(&condition)?))
}

/// `Fn::Equals: [a, b]`.
pub(super) fn equals(argument: Value) -> Result<Value, ExprError> {
    match argument {
        Value::Array(items) if items.len() == 2 => {
            Ok(Value::Bool(tolerant_equal(&items[0], &items[1])))
        }
        other => Err(shape_error("Equals", "[value1, value2]", &other)),
    }
}

/// Same JSON value; else equal numbers; else a boolean and its text in any case (`true` = `"True"`);
/// else equal text forms (`'{{ n }}'` = `"5"`, `[]` = `"[]"`).
pub(crate) fn tolerant_equal(left: &Value, right: &Value) -> bool {
    if left == right {
        return true;
    }
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Bool(flag), Value::String(text)) | (Value::String(text), Value::Bool(flag)) => {
            parse_bool(text) == Some(*flag)
        }
        _ => to_text(left) == to_text(right),
    }
}
