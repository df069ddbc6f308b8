//! Task outputs (`ValueSelector` jq over the task's result) and template outputs (`Value` expressions).

use serde_json::{Map, Value};

use crate::context::EvalContext;
use crate::state::Execution;

/// The declared outputs of task execution `pos`, selected from its raw `result`.
pub(crate) fn task_outputs(exec: &Execution, pos: usize, result: &Value, now: i64) -> Result<Map<String, Value>, String> {
    let run = &exec.tasks[pos];
    let task = &exec.template.tasks[run.task];
    let ctx = EvalContext { execution: exec, now_ms: now, loop_item: run.loop_item.as_ref(), task_execution_id: Some(&run.id) };
    let mut outputs = Map::new();
    for (name, output) in &task.outputs {
        let program = match oos_expr::evaluate(&output.value_selector, &ctx) {
            Ok(Some(Value::String(program))) => program,
            Ok(other) => return Err(format!("Outputs.{name}.ValueSelector must be a jq program, got {other:?}")),
            Err(error) => return Err(format!("Outputs.{name}.ValueSelector: {error}")),
        };
        let value = oos_expr::jq::select(&program, result, output.ty).map_err(|e| format!("Outputs.{name}: {e}"))?;
        outputs.insert(name.clone(), value);
    }
    Ok(outputs)
}

/// The template's `Outputs`, evaluated at the end of a successful flow and coerced to their types
/// (one scalar for a `List` output is a one-element list).
pub(crate) fn template_outputs(exec: &Execution, now: i64) -> Result<Map<String, Value>, String> {
    let ctx = EvalContext::new(exec, now);
    let mut outputs = Map::new();
    for (name, output) in &exec.template.outputs {
        let value = oos_expr::evaluate(&output.value, &ctx)
            .map_err(|e| format!("Outputs.{name}: {e}"))?
            .unwrap_or(Value::Null);
        let value = oos_expr::coerce_output(&value, output.ty).map_err(|e| format!("Outputs.{name}: {e}"))?;
        outputs.insert(name.clone(), value);
    }
    Ok(outputs)
}
