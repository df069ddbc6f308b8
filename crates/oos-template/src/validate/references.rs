//! `{{ }}` references: every parameter, task and task output named must exist and be able to have a
//! value at that point of the flow.

use oos_expr::Reference;
use serde_json::Value;

use super::flow::Flow;
use super::join_expr_path;
use crate::catalog::AtomicAction;
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::model::{ActionKind, Task, Template};
use crate::path::KeyPath;

/// Where an expression is evaluated, which decides what it may reference.
#[derive(Clone, Copy)]
enum Site {
    /// Parameter defaults, RamRole and a state template's States: before any task runs.
    BeforeTasks,
    /// Inside task `index`.
    Task(usize),
    /// Template outputs: after the tasks.
    AfterTasks,
}

pub(super) fn check_references(template: &Template, out: &mut Vec<Diagnostic>) {
    let checker = Checker { template, flow: Flow::new(template) };
    for parameter in template.parameters.values() {
        if let Some(default) = &parameter.default {
            checker.check(default, &parameter.path.key("Default"), Site::BeforeTasks, out);
        }
    }
    if let Some(ram_role) = &template.ram_role {
        checker.check(ram_role, &KeyPath::root().key("RamRole"), Site::BeforeTasks, out);
    }
    for state in &template.states {
        checker.check(&state.properties, &state.path.key("Properties"), Site::BeforeTasks, out);
    }
    for (index, task) in template.tasks.iter().enumerate() {
        for (value, path) in task_expressions(task) {
            checker.check(value, &path, Site::Task(index), out);
        }
    }
    for (name, output) in &template.outputs {
        checker.check(&output.value, &KeyPath::root().key("Outputs").key(name).key("Value"), Site::AfterTasks, out);
    }
}

/// Every value of a task that is evaluated as an expression, with its path. An inline
/// `TemplateContent` is a separate template and is not included.
fn task_expressions(task: &Task) -> Vec<(&Value, KeyPath)> {
    let mut values = Vec::new();
    let properties_path = task.path.key("Properties");
    match (&task.properties, task.action.kind) {
        (Value::Object(map), ActionKind::Atomic(AtomicAction::Template)) => {
            for (key, value) in map.iter().filter(|(key, _)| !key.eq_ignore_ascii_case("TemplateContent")) {
                values.push((value, properties_path.key(key)));
            }
        }
        (properties, _) => values.push((properties, properties_path)),
    }
    let optional = [
        ("When", &task.when),
        ("Retries", &task.retries),
        ("Delay", &task.delay),
        ("DelayType", &task.delay_type),
        ("BackOff", &task.back_off),
        ("MaxRetryInterval", &task.max_retry_interval),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            values.push((value, task.path.key(key)));
        }
    }
    if let Some(loop_) = &task.loop_ {
        let path = task.path.key("Loop");
        values.push((&loop_.items, path.key("Items")));
        let optional = [
            ("RateControl", &loop_.rate_control),
            ("Concurrency", &loop_.legacy_concurrency),
            ("MaxErrors", &loop_.legacy_max_errors),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                values.push((value, path.key(key)));
            }
        }
    }
    for (name, output) in &task.outputs {
        values.push((&output.value_selector, task.path.key("Outputs").key(name).key("ValueSelector")));
    }
    values
}

struct Checker<'t> {
    template: &'t Template,
    flow: Flow,
}

impl Checker<'_> {
    fn check(&self, value: &Value, base: &KeyPath, site: Site, out: &mut Vec<Diagnostic>) {
        for located in oos_expr::references(value) {
            let path = join_expr_path(base, &located.path);
            match located.value {
                Reference::Parameter(name) => self.parameter(&name, &path, site, out),
                Reference::TaskOutput { task, output } => self.task_output(&task, &output, &path, site, out),
                Reference::TaskResult { task, .. } => {
                    if self.template.parameters.contains_key(&task) {
                        continue;
                    }
                    match self.find_task(&task) {
                        Some(index) => self.order(index, &task, &path, site, out),
                        None => out.push(Diagnostic::error(
                            codes::TASK_NOT_FOUND,
                            path,
                            format!("`{{{{ {task}… }}}}` names no task or parameter `{task}`"),
                        )),
                    }
                }
                Reference::Builtin(_) | Reference::StoreParameter { .. } | Reference::Expression(_) => {}
            }
        }
    }

    /// The task named `name`: exact match first, then case-insensitive.
    fn find_task(&self, name: &str) -> Option<usize> {
        let tasks = &self.template.tasks;
        tasks.iter().position(|t| t.name == name).or_else(|| tasks.iter().position(|t| t.name.eq_ignore_ascii_case(name)))
    }

    fn parameter(&self, name: &str, path: &KeyPath, site: Site, out: &mut Vec<Diagnostic>) {
        if self.template.parameters.contains_key(name) {
            return;
        }
        if let Some(declared) = self.template.parameters.keys().find(|declared| declared.eq_ignore_ascii_case(name)) {
            out.push(Diagnostic::warning(
                codes::REFERENCE_CASE,
                path.clone(),
                format!("`{{{{ {name} }}}}` matches parameter `{declared}` only when case is ignored"),
            ));
            return;
        }
        // `{{ taskName }}`: the whole result of a task.
        if !matches!(site, Site::BeforeTasks)
            && let Some(index) = self.find_task(name)
        {
            self.order(index, name, path, site, out);
            return;
        }
        out.push(Diagnostic::error(
            codes::UNDEFINED_PARAMETER,
            path.clone(),
            format!("`{{{{ {name} }}}}` references parameter `{name}`, which is not declared"),
        ));
    }

    fn task_output(&self, task_name: &str, output: &str, path: &KeyPath, site: Site, out: &mut Vec<Diagnostic>) {
        if matches!(site, Site::BeforeTasks) || self.template.parameters.contains_key(task_name) {
            // Before tasks only parameters exist; `{{ jsonParam.field }}` reads a field of a parameter.
            if !self.template.parameters.contains_key(task_name) {
                out.push(Diagnostic::error(
                    codes::UNDEFINED_PARAMETER,
                    path.clone(),
                    format!("`{{{{ {task_name}.{output} }}}}` cannot reference task outputs here; `{task_name}` is not a parameter"),
                ));
            }
            return;
        }
        let Some(index) = self.find_task(task_name) else {
            let message = format!("`{{{{ {task_name}.{output} }}}}` references task `{task_name}`, which does not exist");
            // Template outputs are computed after the run; published templates carry such stale references.
            out.push(match site {
                Site::AfterTasks => Diagnostic::warning(codes::TASK_NOT_FOUND, path.clone(), message),
                _ => Diagnostic::error(codes::TASK_NOT_FOUND, path.clone(), message),
            });
            return;
        };
        let task = &self.template.tasks[index];
        let loop_outputs = task.loop_.iter().flat_map(|l| l.outputs.keys());
        let declared: Vec<&String> = task.outputs.keys().chain(loop_outputs).collect();
        if !declared.iter().any(|name| *name == output) {
            match declared.iter().find(|name| name.eq_ignore_ascii_case(output)) {
                Some(name) => out.push(Diagnostic::warning(
                    codes::REFERENCE_CASE,
                    path.clone(),
                    format!("`{{{{ {task_name}.{output} }}}}` matches output `{name}` of task `{}` only when case is ignored", task.name),
                )),
                None => out.push(Diagnostic::error(
                    codes::UNDEFINED_TASK_OUTPUT,
                    path.clone(),
                    format!("task `{}` declares no output `{output}`", task.name),
                )),
            }
        }
        self.order(index, task_name, path, site, out);
    }

    /// Warns when the referenced task cannot have run before the referencing one.
    fn order(&self, referenced: usize, name: &str, path: &KeyPath, site: Site, out: &mut Vec<Diagnostic>) {
        let Site::Task(current) = site else { return };
        if !self.flow.can_run_before(referenced, current) {
            out.push(Diagnostic::warning(
                codes::REFERENCE_ORDER,
                path.clone(),
                format!("task `{}` references task `{name}`, which cannot have run before it", self.template.tasks[current].name),
            ));
        }
    }
}
