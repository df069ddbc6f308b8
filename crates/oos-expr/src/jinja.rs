//! Jinja expressions inside `{{ }}` (anything that is not a plain reference), evaluated by minijinja
//! with strict undefined handling, a fuel limit, no loader and a bounded result, in the installed
//! isolation when there is one. Names in the expression are resolved through the [`Context`] like
//! plain references.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use minijinja::{Environment, ErrorKind, UndefinedBehavior};
use regex::Regex;
use serde_json::Value;

use crate::context::Context;
use crate::error::{ExprError, codes};
use crate::isolation::{self, Job};
use crate::limits::check_output;
use crate::reference::canonical_builtin;

/// Instruction budget of one expression evaluation.
pub const FUEL: u64 = 20_000;

/// Prefix under which `ACS::Name` built-ins are exposed to Jinja (`ACS::RegionId` is not Jinja syntax).
const BUILTIN_PREFIX: &str = "__acs__";

static BUILTIN_IN_EXPRESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bacs\s*::\s*(\w+)").expect("valid regex"));

/// The minijinja environment, built once per [`crate::Evaluator`].
#[derive(Debug)]
pub(crate) struct Jinja {
    env: Environment<'static>,
}

impl Jinja {
    pub(crate) fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        Self { env }
    }

    /// Evaluates the Jinja expression `source` (the trimmed inside of a `{{ }}`), keeping the type of
    /// its result. The names it uses are resolved here; the evaluation itself runs in the installed
    /// [`isolation`] when there is one (minijinja bounds steps, not the size of what one step builds).
    pub(crate) fn eval(&self, source: &str, ctx: &dyn Context) -> Result<Value, ExprError> {
        let rewritten = rewrite_builtins(source);
        let expression = self
            .env
            .compile_expression(&rewritten)
            .map_err(|error| convert_error(source, &error))?;
        let dotted = expression.undeclared_variables(true);
        let mut names = BTreeMap::new();
        let mut missing = Vec::new();
        for path in &dotted {
            let name = path.split('.').next().unwrap_or(path);
            if names.contains_key(name) || missing.iter().any(|known| known == name) || self.env.globals().any(|(global, _)| global == name) {
                continue;
            }
            match variable(name, &dotted, ctx) {
                Some(value) => {
                    names.insert(name.to_owned(), value);
                }
                None => missing.push(name.to_owned()),
            }
        }
        if let Some(isolation) = isolation::installed() {
            return isolation.evaluate(&Job::Jinja { expression: source.to_owned(), names, missing });
        }
        self.eval_with(source, names, &missing)
    }

    /// Evaluates `source` with its names already resolved (`missing`: names the context did not know).
    pub(crate) fn eval_with(&self, source: &str, names: BTreeMap<String, Value>, missing: &[String]) -> Result<Value, ExprError> {
        let rewritten = rewrite_builtins(source);
        let expression = self
            .env
            .compile_expression(&rewritten)
            .map_err(|error| convert_error(source, &error))?;
        let names: BTreeMap<String, minijinja::Value> = names
            .into_iter()
            .map(|(name, value)| (name, minijinja::Value::from(minijinja::value::Serde(value))))
            .collect();
        let result = expression.eval(names).map_err(|error| {
            let mut converted = convert_error(source, &error);
            if !missing.is_empty()
                && matches!(
                    error.kind(),
                    ErrorKind::UndefinedError | ErrorKind::InvalidOperation
                )
            {
                converted.code = codes::UNDEFINED_REFERENCE;
                converted.message =
                    format!("{} (undefined: {})", converted.message, missing.join(", "));
            }
            converted
        })?;
        let value = serde_json::to_value(&result).map_err(|error| {
            ExprError::new(
                codes::TYPE_MISMATCH,
                format!("{{{{ {source} }}}} gave a non-JSON value: {error}"),
            )
        })?;
        check_output(&value).map_err(|exceeded| exceeded.error(source))?;
        Ok(value)
    }
}

/// `ACS::Name` built-ins spelled as Jinja names.
fn rewrite_builtins(source: &str) -> std::borrow::Cow<'_, str> {
    BUILTIN_IN_EXPRESSION.replace_all(source, |caps: &regex::Captures<'_>| {
        format!("{BUILTIN_PREFIX}{}", canonical_builtin(&caps[1]))
    })
}

/// The value of top-level name `name`: a built-in, a parameter, or a task (its raw result with its
/// declared outputs laid over it, for the `name.field` paths the expression uses).
fn variable(name: &str, dotted: &HashSet<String>, ctx: &dyn Context) -> Option<Value> {
    if let Some(builtin) = name.strip_prefix(BUILTIN_PREFIX) {
        return ctx.builtin(builtin);
    }
    if let Some(value) = ctx.parameter(name) {
        return Some(value);
    }
    let mut task = ctx.task_result(name);
    let prefix = format!("{name}.");
    for path in dotted.iter().filter_map(|path| path.strip_prefix(&prefix)) {
        let output = path.split('.').next().unwrap_or(path);
        if let Some(value) = ctx.task_output(name, output) {
            let object = task.get_or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Value::Object(map) = object {
                map.insert(output.to_owned(), value);
            }
        }
    }
    task
}

fn convert_error(source: &str, error: &minijinja::Error) -> ExprError {
    let code = match error.kind() {
        ErrorKind::OutOfFuel => codes::FUEL_EXHAUSTED,
        ErrorKind::UndefinedError => codes::UNDEFINED_REFERENCE,
        ErrorKind::InvalidOperation
        | ErrorKind::UnknownFilter
        | ErrorKind::UnknownTest
        | ErrorKind::UnknownFunction => codes::INVALID_EXPRESSION,
        ErrorKind::SyntaxError => codes::INVALID_EXPRESSION,
        _ => codes::TYPE_MISMATCH,
    };
    let detail = error
        .detail()
        .map_or_else(|| error.kind().to_string(), ToOwned::to_owned);
    ExprError::new(code, format!("{{{{ {source} }}}}: {detail}"))
}
