//! Control flow: jump targets (OnSuccess/OnError/OnCancel, Choice NextTask/DefaultTask) and which
//! tasks can run before which.

use serde_json::Value;

use super::get_ci;
use crate::catalog::AtomicAction;
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::model::{ActionKind, Jump, Task, Template};
use crate::path::KeyPath;

/// A jump written in the template, with where it was written.
struct WrittenJump {
    jump: Jump,
    path: KeyPath,
}

/// Every jump a task can take, with its path (Choice targets included).
fn written_jumps(task: &Task) -> Vec<WrittenJump> {
    let mut jumps = Vec::new();
    let keyed = [("OnSuccess", &task.on_success), ("OnError", &task.on_error), ("OnCancel", &task.on_cancel)];
    for (key, jump) in keyed {
        if let Some(jump) = jump {
            jumps.push(WrittenJump { jump: jump.clone(), path: task.path.key(key) });
        }
    }
    if task.action.kind == ActionKind::Atomic(AtomicAction::Choice)
        && let Value::Object(properties) = &task.properties
    {
        let base = task.path.key("Properties");
        if let Some((key, Value::Array(choices))) = get_ci(properties, "Choices") {
            for (index, choice) in choices.iter().enumerate() {
                if let Some((next_key, Value::String(target))) = choice.as_object().and_then(|c| get_ci(c, "NextTask")) {
                    jumps.push(WrittenJump { jump: Jump::parse(target), path: base.key(key).index(index).key(next_key) });
                }
            }
        }
        if let Some((key, Value::String(target))) = get_ci(properties, "DefaultTask") {
            jumps.push(WrittenJump { jump: Jump::parse(target), path: base.key(key) });
        }
    }
    jumps
}

/// Reports jumps to tasks that do not exist.
pub(super) fn check_jumps(template: &Template, out: &mut Vec<Diagnostic>) {
    for task in &template.tasks {
        for WrittenJump { jump, path } in written_jumps(task) {
            if let Jump::Task(target) = jump
                && template.task(&target).is_none()
            {
                out.push(Diagnostic::error(
                    codes::TASK_NOT_FOUND,
                    path,
                    format!("task `{}` jumps to `{target}`, which is not a task (nor ACS::NEXT / ACS::END)", task.name),
                ));
            }
        }
    }
}

/// The flow graph: `reaches[a][b]` is true when task `b` can run after task `a` in some execution.
pub(super) struct Flow {
    reaches: Vec<Vec<bool>>,
}

impl Flow {
    pub(super) fn new(template: &Template) -> Self {
        let count = template.tasks.len();
        let successors: Vec<Vec<usize>> = template
            .tasks
            .iter()
            .enumerate()
            .map(|(index, task)| {
                let mut next = Vec::new();
                // Default flow, skipped tasks (When) and ACS::NEXT all continue with the next task.
                if index + 1 < count {
                    next.push(index + 1);
                }
                for written in written_jumps(task) {
                    if let Jump::Task(target) = written.jump
                        && let Some(target) = template.task_index(&target)
                    {
                        next.push(target);
                    }
                }
                next
            })
            .collect();
        let reaches = (0..count)
            .map(|start| {
                let mut seen = vec![false; count];
                let mut stack = successors[start].clone();
                while let Some(node) = stack.pop() {
                    if !std::mem::replace(&mut seen[node], true) {
                        stack.extend(successors[node].iter().copied());
                    }
                }
                seen
            })
            .collect();
        Self { reaches }
    }

    /// Whether task `earlier` can have finished when task `later` runs.
    pub(super) fn can_run_before(&self, earlier: usize, later: usize) -> bool {
        self.reaches.get(earlier).and_then(|row| row.get(later)).copied().unwrap_or(false)
    }
}
