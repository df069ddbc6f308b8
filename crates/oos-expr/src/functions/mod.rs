//! `Fn::` functions: recognition of a function object and dispatch by name. Arguments are evaluated
//! first (innermost functions first), except for `Fn::If`, `Fn::And` and `Fn::Or`, which evaluate
//! lazily.

mod args;
mod arith;
mod collections;
mod logic;
mod strings;
mod time;

use serde_json::{Map, Value};

use crate::context::Context;
use crate::error::{ExprError, PathSegment, codes};
use crate::evaluator::Evaluator;

pub use time::UTC_FORMAT;

/// Every function name [`call`] accepts (without the `Fn::` prefix).
pub const FUNCTIONS: &[&str] = &[
    "AddHour",
    "And",
    "Base64Decode",
    "Base64Encode",
    "CalculateBatch",
    "ContainsSubString",
    "ConvertMapToList",
    "Difference",
    "DurationBetween",
    "Equals",
    "Escape",
    "Eval",
    "First",
    "FormatUTCTime",
    "If",
    "Intersection",
    "IsIpInCIDR",
    "Join",
    "Jq",
    "Last",
    "ListJoin",
    "MapJoin",
    "Max",
    "MergeList",
    "MergeMap",
    "MergeMapToList",
    "Min",
    "Not",
    "Or",
    "RangeSelect",
    "Replace",
    "Select",
    "Split",
    "Sub",
    "Sum",
    "Union",
];

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
    match name {
        "If" => return logic::if_(evaluator, argument, ctx),
        "And" | "Or" => return logic::and_or(evaluator, name, argument, ctx).map(Some),
        _ if !FUNCTIONS.contains(&name) => return Err(unknown(name)),
        _ => {}
    }
    let argument = evaluator.evaluate_present(argument, ctx)?;
    if name == "Jq" {
        return jq(evaluator, argument).map(Some);
    }
    apply_pure(name, argument).map(Some)
}

/// Applies a function that needs neither laziness nor the evaluator to an evaluated argument.
pub(crate) fn apply_pure(name: &str, argument: Value) -> Result<Value, ExprError> {
    match name {
        "Equals" => logic::equals(argument),
        "Not" => logic::not(argument),
        "Select" => collections::select(argument),
        "First" | "Last" => collections::first_last(name, argument),
        "Min" | "Max" => collections::min_max(name, argument),
        "Sum" => collections::sum(argument),
        "ListJoin" | "MergeList" => collections::concat(name, argument),
        "MergeMap" => collections::merge_map(argument),
        "MergeMapToList" => collections::merge_map_to_list(argument),
        "ConvertMapToList" => collections::convert_map_to_list(argument),
        "MapJoin" => collections::map_join(argument),
        "Intersection" | "Union" | "Difference" => collections::set_operation(name, argument),
        "RangeSelect" => collections::range_select(argument),
        "CalculateBatch" => collections::calculate_batch(argument),
        "Join" => strings::join(argument),
        "Split" => strings::split(argument),
        "Replace" => strings::replace(argument),
        "Sub" => strings::sub(argument),
        "Base64Encode" | "Base64Decode" => strings::base64(name, argument),
        "ContainsSubString" => strings::contains_substring(argument),
        "Escape" => strings::escape(argument),
        "IsIpInCIDR" => strings::is_ip_in_cidr(argument),
        "AddHour" => time::add_hour(argument),
        "FormatUTCTime" => time::format_utc_time(argument),
        "DurationBetween" => time::duration_between(argument),
        "Eval" => arith::eval(argument),
        _ => Err(unknown(name)),
    }
}

/// `Fn::Jq: [First|All, program, data]`: `First` → the first output (`null` when none), `All` → the
/// list of outputs. `data` given as JSON text is parsed first.
fn jq(evaluator: &Evaluator, argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[First|All, program, data]";
    let [mode, program, data] = args::positional("Jq", EXPECTED, argument)?;
    let all = match mode.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("all") => true,
        Some("first") => false,
        _ => return Err(args::shape_error("Jq", EXPECTED, &mode)),
    };
    let program = args::text_arg("Jq", EXPECTED, &program)?;
    let data = match data {
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        other => other,
    };
    let outputs = evaluator
        .jq_program(&program)
        .map_err(|e| e.within(PathSegment::Index(1)))?
        .run(&data)?;
    Ok(if all {
        Value::Array(outputs)
    } else {
        outputs.into_iter().next().unwrap_or(Value::Null)
    })
}

fn unknown(name: &str) -> ExprError {
    ExprError::new(
        codes::INVALID_FUNCTION,
        format!("unknown function Fn::{name}"),
    )
}
