//! Task-level checks: names, actions, action properties (catalog or product-action template), retry knobs.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::get_ci;
use crate::catalog::{AtomicAction, OOS_ONLY_ACTIONS, is_dynamic};
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::library::TemplateLibrary;
use crate::model::{ActionKind, Task, Template, literal_u64};

const MAX_TASK_NAME: usize = 200;

pub(super) fn check_tasks(template: &Template, library: Option<&dyn TemplateLibrary>, out: &mut Vec<Diagnostic>) {
    let mut first_by_name: HashMap<&str, usize> = HashMap::new();
    for (index, task) in template.tasks.iter().enumerate() {
        check_name(task, out);
        if !task.name.is_empty()
            && let Some(first) = first_by_name.insert(&task.name, index)
        {
            out.push(Diagnostic::error(
                codes::DUPLICATE_TASK_NAME,
                task.path.key("Name"),
                format!("task name `{}` is already used by task {first}", task.name),
            ));
        }
        match task.action.kind {
            ActionKind::Atomic(action) => check_atomic_properties(task, action, out),
            ActionKind::Product => check_product_properties(task, library, out),
            ActionKind::Unknown if task.action.written.is_empty() => {}
            ActionKind::Unknown if OOS_ONLY_ACTIONS.iter().any(|name| name.eq_ignore_ascii_case(&task.action.canonical)) => {
                out.push(Diagnostic::warning(
                    codes::UNSUPPORTED_ACTION,
                    task.path.key("Action"),
                    format!("`{}` is an OOS-internal action this engine does not implement", task.action.written),
                ));
            }
            ActionKind::Unknown => out.push(Diagnostic::error(
                codes::ACTION_NOT_FOUND,
                task.path.key("Action"),
                format!("`{}` is not an OOS action (ACS::<Action> or ACS::<Product>::<Action>)", task.action.written),
            )),
        }
        check_retry_knobs(task, out);
    }
}

fn check_name(task: &Task, out: &mut Vec<Diagnostic>) {
    let name = &task.name;
    if name.is_empty() {
        return;
    }
    let valid_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid_chars || name.len() > MAX_TASK_NAME {
        out.push(Diagnostic::error(
            codes::TASK_NAME,
            task.path.key("Name"),
            format!("task name `{name}` must be 1-{MAX_TASK_NAME} characters of letters, digits, `_` and `-`"),
        ));
    }
}

/// The task's Properties as a mapping; a dynamic (`{{ }}`) value yields None, other shapes an error.
fn properties_map<'t>(task: &'t Task, out: &mut Vec<Diagnostic>) -> Option<&'t Map<String, Value>> {
    match &task.properties {
        Value::Object(map) => Some(map),
        Value::Null => None,
        value if is_dynamic(value) => None,
        other => {
            out.push(Diagnostic::error(
                codes::PROPERTY_TYPE,
                task.path.key("Properties"),
                format!("Properties must be a mapping, not {other}"),
            ));
            None
        }
    }
}

fn check_atomic_properties(task: &Task, action: AtomicAction, out: &mut Vec<Diagnostic>) {
    let Some(properties) = properties_map(task, out) else {
        if task.properties.is_null() && action != AtomicAction::Pause {
            missing(task, action, "Properties", out);
        }
        return;
    };
    let base = task.path.key("Properties");
    for spec in action.property_groups().iter().flat_map(|group| group.iter()) {
        match get_ci(properties, spec.name) {
            None if spec.required => missing(task, action, spec.name, out),
            Some((key, value)) if !spec.shape.accepts(value) => out.push(Diagnostic::error(
                codes::PROPERTY_TYPE,
                base.key(key),
                format!("{} property `{}` must be {}, not {value}", action.name(), spec.name, spec.shape.name()),
            )),
            _ => {}
        }
    }
    for key in properties.keys().filter(|key| action.property(key).is_none()) {
        out.push(Diagnostic::warning(
            codes::UNKNOWN_PROPERTY,
            base.key(key),
            format!("{} does not define property `{key}`", action.name()),
        ));
    }
    let has = |name: &str| get_ci(properties, name).is_some();
    match action {
        AtomicAction::WaitFor | AtomicAction::CheckFor if !has("DesiredValues") && !has("NotDesiredValues") => {
            missing(task, action, "DesiredValues (or NotDesiredValues)", out);
        }
        AtomicAction::Template if !has("TemplateName") && !has("TemplateContent") => {
            missing(task, action, "TemplateName (or TemplateContent)", out);
        }
        AtomicAction::Choice => check_choices(task, properties, out),
        _ => {}
    }
}

fn missing(task: &Task, action: AtomicAction, property: &str, out: &mut Vec<Diagnostic>) {
    out.push(Diagnostic::error(
        codes::MISSING_PROPERTY,
        task.path.key("Properties"),
        format!("{} requires property `{property}` (task `{}`)", action.name(), task.name),
    ));
}

fn check_choices(task: &Task, properties: &Map<String, Value>, out: &mut Vec<Diagnostic>) {
    let Some((key, Value::Array(choices))) = get_ci(properties, "Choices") else { return };
    let base = task.path.key("Properties").key(key);
    for (index, choice) in choices.iter().enumerate() {
        let path = base.index(index);
        let Some(choice) = choice.as_object() else {
            out.push(Diagnostic::error(codes::PROPERTY_TYPE, path, "a choice must be a mapping with `When` and `NextTask`"));
            continue;
        };
        for required in ["When", "NextTask"] {
            if get_ci(choice, required).is_none() {
                out.push(Diagnostic::error(codes::MISSING_PROPERTY, path.clone(), format!("a choice needs `{required}`")));
            }
        }
    }
}

fn check_product_properties(task: &Task, library: Option<&dyn TemplateLibrary>, out: &mut Vec<Diagnostic>) {
    let Some(library) = library else { return };
    let Some(action_template) = library.find(&task.action.canonical) else {
        out.push(Diagnostic::warning(
            codes::ACTION_UNKNOWN,
            task.path.key("Action"),
            format!("product action `{}` is not in the template library; its properties are not checked", task.action.written),
        ));
        return;
    };
    let Some(properties) = properties_map(task, out) else { return };
    let base = task.path.key("Properties");
    let declared = |name: &str| {
        action_template.parameters.contains_key(name)
            || action_template.parameters.keys().any(|p| p.eq_ignore_ascii_case(name))
    };
    for key in properties.keys().filter(|key| !declared(key)) {
        out.push(Diagnostic::warning(
            codes::UNKNOWN_PROPERTY,
            base.key(key),
            format!("{} has no parameter `{key}`", task.action.written),
        ));
    }
    for (name, parameter) in &action_template.parameters {
        if parameter.is_required() && get_ci(properties, name).is_none() {
            out.push(Diagnostic::error(
                codes::MISSING_PROPERTY,
                base.clone(),
                format!("{} requires property `{name}` (task `{}`)", task.action.written, task.name),
            ));
        }
    }
}

fn check_retry_knobs(task: &Task, out: &mut Vec<Diagnostic>) {
    let knobs = [
        ("Retries", &task.retries),
        ("Delay", &task.delay),
        ("BackOff", &task.back_off),
        ("MaxRetryInterval", &task.max_retry_interval),
    ];
    for (key, value) in knobs {
        if let Some(value) = value
            && !is_dynamic(value)
            && literal_u64(Some(value)).is_none()
        {
            out.push(Diagnostic::error(
                codes::RETRY,
                task.path.key(key),
                format!("{key} must be a non-negative integer, not {value}"),
            ));
        }
    }
    if let Some(value) = &task.delay_type
        && !is_dynamic(value)
        && task.delay_type_literal().is_none()
    {
        out.push(Diagnostic::error(
            codes::RETRY,
            task.path.key("DelayType"),
            format!("DelayType must be Exponential, Constant or Linear, not {value}"),
        ));
    }
}
