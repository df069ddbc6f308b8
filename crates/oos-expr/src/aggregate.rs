//! Loop output aggregation (`Loop.Outputs.*.AggregateType`).

use serde_json::Value;

use crate::error::{ExprError, codes};
use crate::functions::apply_pure;

/// Aggregates per-iteration values (in item order) with an aggregate function: `Fn::ListJoin` (the
/// values as a list, not flattened), `Fn::Sum` (numeric sum), or any other list function taking one
/// list (`Fn::Max`, `Fn::Min`, `Fn::MergeList`, `Fn::Union`, `Fn::First`, `Fn::Last`, …). The `Fn::`
/// prefix is optional.
pub fn aggregate(kind: &str, values: Vec<Value>) -> Result<Value, ExprError> {
    let name = kind.strip_prefix("Fn::").unwrap_or(kind);
    match name {
        "ListJoin" => Ok(Value::Array(values)),
        "Sum" | "Max" | "Min" | "MergeList" | "First" | "Last" | "Union" | "Intersection" => {
            apply_pure(name, Value::Array(values))
        }
        _ => Err(ExprError::new(
            codes::INVALID_FUNCTION,
            format!("unsupported AggregateType {kind:?}"),
        )),
    }
}
