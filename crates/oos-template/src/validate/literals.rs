//! Checks of literal values: parameter defaults and patterns, jq programs, durations, cron
//! expressions, loop items and rate control. Values holding `{{ }}` or `Fn::` are left to run time.

use oos_triggers::schedule::{cron_problem, rate_problem};
use serde_json::Value;

use super::{get_ci, walk};
use crate::catalog::{AtomicAction, is_dynamic};
use crate::codes;
use crate::constraints::{check_value, full_match_regex, pattern_is_unsupported};
use crate::diagnostic::Diagnostic;
use crate::model::{ActionKind, Task, Template};
use crate::path::KeyPath;
use crate::rate_control::RateControl;

pub(super) fn check_parameters(template: &Template, out: &mut Vec<Diagnostic>) {
    for (name, parameter) in &template.parameters {
        if let Some(pattern) = &parameter.allowed_pattern
            && let Err(error) = full_match_regex(pattern)
        {
            let path = parameter.path.key("AllowedPattern");
            let reason = error.to_string().lines().last().unwrap_or_default().trim_start_matches("error: ").to_owned();
            out.push(match pattern_is_unsupported(&error) {
                true => Diagnostic::warning(codes::UNSUPPORTED_PATTERN, path, format!("AllowedPattern of `{name}` is not enforced: {reason}")),
                false => Diagnostic::error(codes::PARAMETER_CONSTRAINT, path, format!("AllowedPattern of `{name}` is not a valid regex: {reason}")),
            });
            continue;
        }
        let Some(default) = &parameter.default else { continue };
        if contains_dynamic(default) {
            continue;
        }
        if let Err(violation) = check_value(parameter, default) {
            out.push(Diagnostic::error(
                codes::PARAMETER_DEFAULT,
                parameter.path.key("Default"),
                format!("Default of `{name}` violates its definition ({}): {}", violation.code, violation.message),
            ));
        }
    }
}

/// A literal `MinRequiredApprovals` must be at least 1 and, with a literal `Approvers` list, at most
/// its length: more could never be reached.
fn check_approvals(approvers: Option<&Value>, required: Option<(KeyPath, &Value)>, out: &mut Vec<Diagnostic>) {
    let Some((path, Value::Number(number))) = required else { return };
    let Some(required) = number.as_u64() else {
        out.push(Diagnostic::error(codes::APPROVALS, path, format!("MinRequiredApprovals must be a whole number of at least 1, not {number}")));
        return;
    };
    let listed = match approvers {
        Some(list @ Value::Array(items)) if !contains_dynamic(list) => Some(items.len()),
        _ => None,
    };
    match listed {
        _ if required == 0 => out.push(Diagnostic::error(codes::APPROVALS, path, "MinRequiredApprovals must be at least 1".to_owned())),
        Some(count) if count > 0 && required > count as u64 => out.push(Diagnostic::error(
            codes::APPROVALS,
            path,
            format!("MinRequiredApprovals is {required} but Approvers lists only {count}: the approval could never complete"),
        )),
        _ => {}
    }
}

/// Whether any string or object inside `value` is decided at run time.
fn contains_dynamic(value: &Value) -> bool {
    let mut dynamic = false;
    walk(value, &KeyPath::root(), &mut |node, _| dynamic |= is_dynamic(node));
    dynamic
}

pub(super) fn check_task_literals(template: &Template, out: &mut Vec<Diagnostic>) {
    for task in &template.tasks {
        for (name, output) in &task.outputs {
            check_jq(&output.value_selector, task.path.key("Outputs").key(name).key("ValueSelector"), out);
        }
        walk(&task.properties, &task.path.key("Properties"), &mut |node, path| check_functions(node, path, out));
        if let Some(when) = &task.when {
            walk(when, &task.path.key("When"), &mut |node, path| check_functions(node, path, out));
        }
        if let ActionKind::Atomic(action) = task.action.kind
            && let Value::Object(properties) = &task.properties
        {
            let base = task.path.key("Properties");
            let property = |name: &str| get_ci(properties, name).map(|(key, value)| (base.key(key), value));
            match action {
                AtomicAction::WaitFor | AtomicAction::CheckFor => {
                    if let Some((path, selector)) = property("PropertySelector") {
                        check_jq(selector, path, out);
                    }
                }
                AtomicAction::Sleep => {
                    if let Some((path, duration)) = property("Duration") {
                        check_duration(duration, path, out);
                    }
                }
                AtomicAction::TimerTrigger => check_timer(property("Type").map(|(_, v)| v), property("Expression"), out),
                AtomicAction::Approve => check_approvals(property("Approvers").map(|(_, v)| v), property("MinRequiredApprovals"), out),
                _ => {}
            }
        }
        check_loop(task, out);
    }
}

/// Compiles a literal jq program (a string without `{{ }}`), through the shared program cache
/// (compiling costs ~1.6 ms; templates share most selectors).
fn check_jq(program: &Value, path: KeyPath, out: &mut Vec<Diagnostic>) {
    if let Value::String(source) = program
        && !source.contains("{{")
        && let Err(error) = oos_expr::Evaluator::shared().jq_program(source)
    {
        let code = if error.code == oos_expr::codes::TOO_COMPLEX { codes::JQ_TOO_COMPLEX } else { codes::JQ };
        out.push(Diagnostic::error(code, path, error.message));
    }
}

/// Functions seen in published templates that only Alibaba's service implements (OOS package internals).
const OOS_ONLY_FUNCTIONS: [&str; 1] = ["FindMatchedPackage"];

/// Template outputs: their `Fn::` functions.
pub(super) fn check_output_literals(template: &Template, out: &mut Vec<Diagnostic>) {
    for (name, output) in &template.outputs {
        let path = KeyPath::root().key("Outputs").key(name).key("Value");
        walk(&output.value, &path, &mut |node, path| check_functions(node, path, out));
    }
}

/// A `{"Fn::Name": args}` object: the function must exist; `Fn::Jq` arguments are checked too.
fn check_functions(node: &Value, path: &KeyPath, out: &mut Vec<Diagnostic>) {
    let Some(map) = node.as_object().filter(|map| map.len() == 1) else { return };
    let Some((key, arguments)) = map.iter().next() else { return };
    let Some(function) = key.strip_prefix("Fn::") else { return };
    if OOS_ONLY_FUNCTIONS.contains(&function) {
        out.push(Diagnostic::warning(
            codes::UNSUPPORTED_FUNCTION,
            path.key(key),
            format!("`{key}` is an OOS-internal function this engine does not implement"),
        ));
    } else if !oos_expr::FUNCTIONS.contains(&function) {
        out.push(Diagnostic::error(codes::FUNCTION, path.key(key), format!("unknown function `{key}`")));
    } else if function == "Jq" {
        check_fn_jq(arguments, path, out);
    }
}

/// `Fn::Jq: [First|All, program, data]`: checks the mode and compiles a literal program.
fn check_fn_jq(arguments: &Value, path: &KeyPath, out: &mut Vec<Diagnostic>) {
    let path = path.key("Fn::Jq");
    match arguments.as_array().map(Vec::as_slice) {
        Some([mode, program, _data]) => {
            if let Value::String(mode) = mode
                && !mode.contains("{{")
                && !mode.eq_ignore_ascii_case("First")
                && !mode.eq_ignore_ascii_case("All")
            {
                out.push(Diagnostic::error(codes::EXPRESSION, path.index(0), format!("Fn::Jq mode must be First or All, not {mode:?}")));
            }
            check_jq(program, path.index(1), out);
        }
        _ => out.push(Diagnostic::error(codes::EXPRESSION, path, "Fn::Jq takes [First|All, jqProgram, data]")),
    }
}

fn check_duration(duration: &Value, path: KeyPath, out: &mut Vec<Diagnostic>) {
    let text = match duration {
        Value::String(text) if !text.contains("{{") => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => return,
    };
    if let Err(error) = oos_expr::parse_duration(&text) {
        out.push(Diagnostic::error(codes::DURATION, path, error.message));
    }
}

fn check_timer(kind: Option<&Value>, expression: Option<(KeyPath, &Value)>, out: &mut Vec<Diagnostic>) {
    let (Some(Value::String(kind)), Some((path, Value::String(expression)))) = (kind, expression) else { return };
    if expression.contains("{{") {
        return;
    }
    let problem = if kind.eq_ignore_ascii_case("cron") {
        cron_problem(expression)
    } else if kind.eq_ignore_ascii_case("rate") {
        rate_problem(expression)
    } else {
        None
    };
    if let Some(problem) = problem {
        out.push(Diagnostic::error(codes::CRON, path, problem));
    }
}

fn check_loop(task: &Task, out: &mut Vec<Diagnostic>) {
    let Some(loop_) = &task.loop_ else { return };
    let path = task.path.key("Loop");
    if !loop_.items.is_array() && !is_dynamic(&loop_.items) {
        out.push(Diagnostic::error(codes::LOOP, path.key("Items"), format!("Loop Items must be a list or an expression, not {}", loop_.items)));
    }
    walk(&loop_.items, &path.key("Items"), &mut |node, path| check_functions(node, path, out));
    let literal = |value: &Option<Value>| value.as_ref().is_none_or(|value| !contains_dynamic(value));
    if literal(&loop_.rate_control) && literal(&loop_.legacy_concurrency) && literal(&loop_.legacy_max_errors)
        && let Err(problem) = RateControl::from_value(
            loop_.rate_control.as_ref(),
            loop_.legacy_concurrency.as_ref(),
            loop_.legacy_max_errors.as_ref(),
        )
    {
        let at = if loop_.rate_control.is_some() { path.key("RateControl") } else { path.clone() };
        out.push(Diagnostic::error(codes::RATE_CONTROL, at, problem));
    }
    for (name, output) in &loop_.outputs {
        if !output.aggregate_field.is_empty() && !task.outputs.contains_key(&output.aggregate_field) {
            // Warning: the field may name a raw result field (seen in published templates).
            out.push(Diagnostic::warning(
                codes::UNDEFINED_TASK_OUTPUT,
                path.key("Outputs").key(name).key("AggregateField"),
                format!("AggregateField `{}` is not an output of task `{}`", output.aggregate_field, task.name),
            ));
        }
    }
}
