//! `Fn::` functions: recognition of a function object and dispatch by name.

use serde_json::{Map, Value};

use crate::context::Context;
use crate::error::{ExprError, codes};
use crate::evaluator::Evaluator;

/// `Some((name, argument))` when `map` is a function call: exactly one key, `Fn::<name>`.
pub(crate) fn single_function(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    if map.len() != 1 {
        return None;
    }
    let (key, argument) = map.iter().next()?;
    key.strip_prefix("Fn::").map(|name| (name, argument))
}

/// Calls `Fn::<name>` on its unevaluated `argument`. `Ok(None)` = the value is removed.
pub(crate) fn call(
    evaluator: &Evaluator,
    name: &str,
    argument: &Value,
    ctx: &dyn Context,
) -> Result<Option<Value>, ExprError> {
    let argument = evaluator.evaluate_present(argument, ctx)?;
    apply_pure(name, argument).map(Some)
}

/// Applies a function that needs neither laziness nor the evaluator to an evaluated argument.
pub(crate) fn apply_pure(name: &str, _argument: Value) -> Result<Value, ExprError> {
    Err(ExprError::new(codes::INVALID_FUNCTION, format!("unknown function Fn::{name}")))
}
