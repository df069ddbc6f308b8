//! Resolving references against a [`Context`] and rendering strings that contain `{{ }}`.

use serde_json::Value;

use crate::context::Context;
use crate::error::{ExprError, codes};
use crate::evaluator::Evaluator;
use crate::limits::{Scope, json_size, produce};
use crate::reference::Reference;
use crate::scanner::{Segment, scan, whole_expression};
use crate::value_type::ValueType;

impl Evaluator {
    /// Renders one string. A string that is exactly one `{{ x }}` becomes x's value with its JSON type;
    /// otherwise every `{{ }}` is replaced by its value's text (strings raw, anything else compact JSON)
    /// and the result is a string. A string without a complete `{{ }}` is returned unchanged.
    pub fn render(&self, text: &str, ctx: &dyn Context) -> Result<Value, ExprError> {
        let _scope = Scope::enter();
        if let Some(inner) = whole_expression(text) {
            return self.resolve(&Reference::parse(inner), ctx);
        }
        let segments = scan(text);
        if !segments
            .iter()
            .any(|segment| matches!(segment, Segment::Expr(_)))
        {
            return Ok(Value::String(text.to_owned()));
        }
        let mut rendered = String::with_capacity(text.len());
        for segment in segments {
            match segment {
                Segment::Text(literal) => rendered.push_str(literal),
                Segment::Expr(inner) => {
                    push_text(&mut rendered, &self.resolve(&Reference::parse(inner), ctx)?)
                }
            }
        }
        Ok(Value::String(rendered))
    }

    /// The value of one reference. Unknown names are `Expression.UndefinedReference` errors naming the
    /// reference; a value that takes the evaluation past its output budget is `Expression.OutputTooLarge`.
    pub fn resolve(&self, reference: &Reference, ctx: &dyn Context) -> Result<Value, ExprError> {
        let _scope = Scope::enter();
        let value = self.lookup(reference, ctx)?;
        produce(json_size(&value), || format!("{{{{ {reference} }}}}"))?;
        Ok(value)
    }

    fn lookup(&self, reference: &Reference, ctx: &dyn Context) -> Result<Value, ExprError> {
        let found = match reference {
            Reference::Parameter(name) => ctx.parameter(name).or_else(|| ctx.task_result(name)),
            Reference::TaskOutput { task, output } => ctx
                .task_output(task, output)
                .or_else(|| {
                    ctx.task_result(task)
                        .and_then(|result| field(result, output))
                })
                .or_else(|| {
                    ctx.parameter(task)
                        .and_then(|parameter| field(parameter, output))
                }),
            Reference::TaskResult { task, path: None } => ctx.task_result(task),
            Reference::TaskResult {
                task,
                path: Some(path),
            } => {
                let (base, path) = match output_then_path(ctx, task, path) {
                    Some(found) => found,
                    None => (
                        ctx.task_result(task).or_else(|| ctx.parameter(task)),
                        path.as_str(),
                    ),
                };
                match base {
                    Some(base) => Some(self.result_path(path, &base)?),
                    None => None,
                }
            }
            Reference::Builtin(name) => ctx.builtin(name),
            Reference::StoreParameter { name, secret } => ctx.store_parameter(name, *secret),
            Reference::Expression(source) => return self.jinja().eval(source, ctx),
        };
        found.ok_or_else(|| undefined(reference))
    }

    /// Applies a jq path written in a reference: a path that iterates (`[]`) gives a list, otherwise
    /// its first output (`null` when none).
    fn result_path(&self, path: &str, base: &Value) -> Result<Value, ExprError> {
        let program = if path.starts_with('.') {
            self.jq_program(path)?
        } else {
            self.jq_program(&format!(".{path}"))?
        };
        let ty = if path.contains("[]") {
            ValueType::List
        } else {
            ValueType::Json
        };
        let outputs = program.run(base)?;
        if ty == ValueType::List {
            Ok(Value::Array(outputs))
        } else {
            Ok(outputs.into_iter().next().unwrap_or(Value::Null))
        }
    }
}

/// Appends a value's text: strings raw, everything else (numbers, booleans, null, lists, maps) as
/// compact JSON.
pub(crate) fn push_text(out: &mut String, value: &Value) {
    match value {
        Value::String(text) => out.push_str(text),
        other => out.push_str(&other.to_string()),
    }
}

/// The text of a value as spliced into a string.
pub(crate) fn to_text(value: &Value) -> String {
    let mut text = String::new();
    push_text(&mut text, value);
    text
}

/// When a jq path starts with the name of a declared output (`{{ task.output[0] }}`), that output and
/// the rest of the path.
fn output_then_path<'p>(
    ctx: &dyn Context,
    task: &str,
    path: &'p str,
) -> Option<(Option<Value>, &'p str)> {
    let after_dot = path.strip_prefix('.')?;
    let end = after_dot.find(['.', '[', '?']).unwrap_or(after_dot.len());
    let output = ctx.task_output(task, &after_dot[..end])?;
    let rest = &after_dot[end..];
    Some((Some(output), if rest.is_empty() { "." } else { rest }))
}

/// Field `name` of an object (exact name first, then case-insensitively).
fn field(value: Value, name: &str) -> Option<Value> {
    let Value::Object(mut map) = value else {
        return None;
    };
    if let Some(found) = map.remove(name) {
        return Some(found);
    }
    map.into_iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, found)| found)
}

fn undefined(reference: &Reference) -> ExprError {
    let message = match reference {
        Reference::Parameter(name) => {
            format!("{{{{ {name} }}}}: no parameter or task named {name:?}")
        }
        Reference::TaskOutput { task, output } => {
            format!(
                "{{{{ {task}.{output} }}}}: task {task:?} has no output {output:?} (or has not run)"
            )
        }
        Reference::TaskResult { task, path } => {
            format!(
                "{{{{ {task}{} }}}}: task {task:?} has no result (or has not run)",
                path.as_deref().unwrap_or("")
            )
        }
        Reference::Builtin(name) => {
            format!("{{{{ ACS::{name} }}}}: built-in ACS::{name} is not available here")
        }
        Reference::StoreParameter { name, secret } => {
            let prefix = if *secret { "oos-secret" } else { "oos" };
            format!("{{{{ {prefix}:{name} }}}}: parameter store has no entry {name:?}")
        }
        Reference::Expression(source) => format!("{{{{ {source} }}}}: undefined"),
    };
    ExprError::new(codes::UNDEFINED_REFERENCE, message)
}
