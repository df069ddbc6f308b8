//! The pure expression layer of the OOS template language: `{{ }}` references, `Fn::` functions, jq
//! selectors, value typing and durations. No I/O; the caller supplies values through [`Context`].
//!
//! Entry points: [`evaluate`] (a property value tree), [`evaluate_condition`] (`When`), [`references`]
//! (static scan), [`jq::select`] (`ValueSelector`), [`coerce`], [`parse_duration`] and [`aggregate`]
//! (loop outputs). The free functions share one process-wide [`Evaluator`] that caches compiled jq
//! programs; engines may also own an `Evaluator`.

mod aggregate;
mod condition;
mod context;
mod duration;
mod error;
mod evaluator;
mod functions;
pub mod isolation;
mod jinja;
pub mod jq;
pub mod limits;
mod reference;
mod render;
mod scanner;
mod value_type;

pub use aggregate::aggregate;
pub use context::Context;
pub use duration::parse_duration;
pub use error::{ExprError, Located, PathSegment, codes};
pub use evaluator::Evaluator;
pub use functions::{FUNCTIONS, UTC_FORMAT};
pub use reference::{Reference, canonical_builtin, references};
pub use serde_json::Value;
pub use value_type::{ValueType, coerce, coerce_output};

/// Evaluates a property value tree: renders every `{{ }}` in strings (at any depth) and applies `Fn::`
/// functions (arguments first). `Ok(None)` means the value was removed (an `Fn::If` that chose
/// `null`); inside maps and lists such removed entries are dropped.
pub fn evaluate(value: &Value, ctx: &dyn Context) -> Result<Option<Value>, ExprError> {
    Evaluator::shared().evaluate(value, ctx)
}

/// Evaluates a condition (`When`, Choice `When`): `Fn::` conditions, `'{{ boolParam }}'`, literal
/// booleans and the strings `"true"` / `"false"` (case-insensitive).
pub fn evaluate_condition(value: &Value, ctx: &dyn Context) -> Result<bool, ExprError> {
    Evaluator::shared().evaluate_condition(value, ctx)
}
