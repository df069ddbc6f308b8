//! Parameter checking for an execution: coercion, defaults (with expressions), constraints, masking.

use serde_json::{Map, Value};

use crate::codes;
use crate::constraints::check_value;
use crate::model::Template;

/// The mask shown instead of a NoEcho parameter's value.
pub const REDACTED: &str = "******";

/// A parameter that cannot be accepted: a stable code, the parameter's name and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: parameter `{parameter}`: {message}")]
pub struct ParameterError {
    pub code: &'static str,
    pub parameter: String,
    pub message: String,
}

/// Gives parameter defaults the values already resolved; everything else comes from `inner`.
struct DefaultsContext<'a> {
    inner: &'a dyn oos_expr::Context,
    resolved: &'a Map<String, Value>,
}

impl oos_expr::Context for DefaultsContext<'_> {
    fn parameter(&self, name: &str) -> Option<Value> {
        self.resolved.get(name).cloned()
    }
    fn task_output(&self, _task: &str, _output: &str) -> Option<Value> {
        None
    }
    fn task_result(&self, _task: &str) -> Option<Value> {
        None
    }
    fn builtin(&self, name: &str) -> Option<Value> {
        self.inner.builtin(name)
    }
    fn store_parameter(&self, name: &str, secret: bool) -> Option<Value> {
        self.inner.store_parameter(name, secret)
    }
}

/// Checks the parameters given to an execution against the template and returns the complete,
/// typed parameter map in declaration order (given values coerced, defaults evaluated).
/// A default may refer to any other parameter (`UpdateImage_from_{{ sourceImageId }}`, declared
/// before or after it): defaults are evaluated once the values they refer to are known; defaults
/// that refer to each other in a cycle are refused.
/// `ctx` supplies `ACS::` built-ins and parameter-store values for default expressions.
pub fn check_parameters(
    template: &Template,
    given: &Map<String, Value>,
    ctx: &dyn oos_expr::Context,
) -> Result<Map<String, Value>, ParameterError> {
    if let Some(unknown) = given.keys().find(|name| !template.parameters.contains_key(*name)) {
        return Err(ParameterError {
            code: codes::UNKNOWN_PARAMETER,
            parameter: unknown.clone(),
            message: "the template declares no such parameter".to_owned(),
        });
    }
    let mut resolved = Map::new();
    let mut defaulted = Vec::new();
    for (name, parameter) in &template.parameters {
        let error = |code: &'static str, message: String| ParameterError { code, parameter: name.clone(), message };
        match (given.get(name), &parameter.default) {
            (Some(value), _) => {
                let value = check_value(parameter, value).map_err(|violation| error(violation.code, violation.message))?;
                resolved.insert(name.clone(), value);
            }
            (None, Some(default)) => defaulted.push((name, parameter, default)),
            (None, None) => return Err(error(codes::MISSING_PARAMETER, "the parameter is required (it has no Default)".to_owned())),
        }
    }
    // Each pass evaluates the defaults whose references are known; one that fails waits for the
    // next pass unless the pass resolved nothing (its error is then final).
    while !defaulted.is_empty() {
        let mut waiting = Vec::new();
        let mut first_error = None;
        for (name, parameter, default) in defaulted.iter().copied() {
            let error = |code: &'static str, message: String| ParameterError { code, parameter: name.clone(), message };
            let context = DefaultsContext { inner: ctx, resolved: &resolved };
            match oos_expr::evaluate(default, &context) {
                Ok(value) => {
                    let value = value.unwrap_or(Value::Null);
                    let value = check_value(parameter, &value).map_err(|violation| error(violation.code, violation.message))?;
                    resolved.insert(name.clone(), value);
                }
                Err(e) => {
                    first_error.get_or_insert_with(|| error(codes::DEFAULT_EVALUATION, format!("Default cannot be evaluated: {}", e.message)));
                    waiting.push((name, parameter, default));
                }
            }
        }
        if let Some(error) = first_error.filter(|_| waiting.len() == defaulted.len()) {
            return Err(error);
        }
        defaulted = waiting;
    }
    Ok(template.parameters.keys().filter_map(|name| Some((name.clone(), resolved.remove(name)?))).collect())
}

/// A copy of `parameters` with the values of NoEcho parameters replaced by [`REDACTED`].
pub fn redact_parameters(template: &Template, parameters: &Map<String, Value>) -> Map<String, Value> {
    parameters
        .iter()
        .map(|(name, value)| {
            let secret = template.parameters.get(name).is_some_and(|p| p.no_echo);
            (name.clone(), if secret { Value::from(REDACTED) } else { value.clone() })
        })
        .collect()
}
