//! Mapping between the engine's [`Execution`] and the store's rows. Parameters marked `NoEcho` are
//! masked in the `parameters` column and in task `properties`; the real values live only in the engine
//! state (the execution's, and the task row's `engine_state` for properties that were redacted).

use std::collections::HashMap;
use std::sync::Arc;

use oos_store::{ExecutionRecord, LogRecord, StepWrite, TaskRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::RuntimeError;
use crate::state::{Changes, Execution, Flow, TaskRun};
use crate::status::{ExecutionStatus, Mode, TaskStatus};

/// Shown instead of a secret parameter value.
pub const MASK: &str = "******";

#[derive(Serialize, Deserialize)]
struct EngineState {
    flow: Flow,
    parameters: Map<String, Value>,
}

fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// The parameters as shown to users: `NoEcho` values masked.
pub fn visible_parameters(exec: &Execution) -> Map<String, Value> {
    let mut shown = exec.parameters.clone();
    for (name, definition) in &exec.template.parameters {
        if definition.no_echo && shown.contains_key(name) {
            shown.insert(name.clone(), Value::String(MASK.into()));
        }
    }
    shown
}

/// The values of the execution's `NoEcho` parameters (as text), which no audit record may show.
pub(crate) fn secret_values(exec: &Execution) -> Vec<String> {
    exec.template
        .parameters
        .iter()
        .filter(|(_, definition)| definition.no_echo)
        .filter_map(|(name, _)| exec.parameters.get(name))
        .map(|value| value.as_str().map_or_else(|| value.to_string(), str::to_string))
        .collect()
}

pub(crate) fn execution_record(exec: &Execution) -> ExecutionRecord {
    ExecutionRecord {
        id: exec.id.clone(),
        template_name: exec.template_name.clone(),
        template_version: exec.template_version.clone(),
        template_content: exec.template.text.clone(),
        parameters: json_text(&visible_parameters(exec)),
        mode: exec.mode.as_str().into(),
        status: exec.status.as_str().into(),
        status_message: exec.status_message.clone(),
        outputs: exec.outputs.as_ref().map(json_text),
        parent_execution_id: exec.parent_execution_id.clone(),
        parent_task_execution_id: exec.parent_task_execution_id.clone(),
        description: exec.description.clone(),
        engine_state: json_text(&EngineState { flow: exec.flow.clone(), parameters: exec.parameters.clone() }),
        runnable: exec.runnable(),
        created_ms: exec.created_ms,
        updated_ms: exec.updated_ms,
        start_ms: exec.start_ms,
        end_ms: exec.end_ms,
    }
}

/// Key of a task row's engine state holding the real rendered properties when the shown ones are redacted.
const RENDERED_PROPERTIES: &str = "renderedProperties";

/// The task's properties as shown (NoEcho values and secret-named keys redacted) and its engine state,
/// which keeps the real properties when they differ, so a re-driven call after a crash sends them.
fn shown_properties(run: &TaskRun, secrets: &[String]) -> (Option<String>, String) {
    let Some(properties) = &run.properties else { return (None, json_text(&run.state)) };
    let mut shown = properties.clone();
    oos_store::audit::redact(&mut shown, secrets);
    if shown == *properties {
        return (Some(json_text(properties)), json_text(&run.state));
    }
    let mut state = serde_json::to_value(&run.state).unwrap_or_else(|_| Value::Object(Map::new()));
    if let Value::Object(fields) = &mut state {
        fields.insert(RENDERED_PROPERTIES.into(), properties.clone());
    }
    (Some(json_text(&shown)), json_text(&state))
}

fn task_record(exec: &Execution, run: &TaskRun, secrets: &[String]) -> TaskRecord {
    let (properties, engine_state) = shown_properties(run, secrets);
    TaskRecord {
        id: run.id.clone(),
        execution_id: exec.id.clone(),
        seq: run.seq,
        task_name: run.name.clone(),
        task_action: run.action.clone(),
        status: run.status.as_str().into(),
        status_message: run.status_message.clone(),
        properties,
        outputs: run.outputs.as_ref().map(json_text),
        loop_item: run.loop_item.as_ref().map(json_text),
        loop_batch_number: run.batch_number,
        parent_task_execution_id: run.parent.clone(),
        child_execution_id: run.child_execution_id.clone(),
        engine_state,
        created_ms: run.created_ms,
        updated_ms: run.updated_ms,
        start_ms: run.start_ms,
        end_ms: run.end_ms,
    }
}

/// Adds what `changes` recorded about `exec` to `write`.
pub(crate) fn add_changes(write: &mut StepWrite, exec: &Execution, changes: Changes) {
    if !changes.execution && changes.tasks.is_empty() && changes.logs.is_empty() {
        return;
    }
    write.executions.push(execution_record(exec));
    let secrets = if changes.tasks.is_empty() { Vec::new() } else { secret_values(exec) };
    write.tasks.extend(changes.tasks.iter().map(|&pos| task_record(exec, &exec.tasks[pos], &secrets)));
    write.logs.extend(changes.logs.into_iter().map(|line| LogRecord {
        execution_id: exec.id.clone(),
        task_execution_id: line.task_execution_id,
        ts_ms: line.ts_ms,
        log_type: line.log_type,
        message: line.message,
    }));
}

fn corrupt(id: &str, what: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::Corrupt(format!("execution {id}: {what}"))
}

fn parse_json<T: for<'de> Deserialize<'de>>(id: &str, text: &str) -> Result<T, RuntimeError> {
    serde_json::from_str(text).map_err(|e| corrupt(id, e))
}

/// Rebuilds an execution from its rows.
pub fn load(record: ExecutionRecord, tasks: Vec<TaskRecord>) -> Result<Execution, RuntimeError> {
    let id = record.id.clone();
    let template = oos_template::parse(&record.template_content).map_err(|e| corrupt(&id, e))?;
    let state: EngineState = parse_json(&id, &record.engine_state)?;
    let mut runs = Vec::with_capacity(tasks.len());
    for row in tasks {
        let task = template.task_index(&row.task_name).ok_or_else(|| corrupt(&id, format!("unknown task {}", row.task_name)))?;
        let loop_item: Option<Value> = row.loop_item.as_deref().map(|t| parse_json(&id, t)).transpose()?;
        let mut engine_state: Value = parse_json(&id, &row.engine_state)?;
        let rendered = engine_state.as_object_mut().and_then(|fields| fields.remove(RENDERED_PROPERTIES));
        let properties = match rendered {
            Some(real) => Some(real),
            None => row.properties.as_deref().map(|t| parse_json(&id, t)).transpose()?,
        };
        runs.push(TaskRun {
            id: row.id,
            seq: row.seq,
            task,
            name: row.task_name,
            action: row.task_action,
            status: TaskStatus::parse(&row.status).ok_or_else(|| corrupt(&id, &row.status))?,
            status_message: row.status_message,
            properties,
            outputs: row.outputs.as_deref().map(|t| parse_json(&id, t)).transpose()?,
            loop_item,
            batch_number: row.loop_batch_number,
            parent: row.parent_task_execution_id,
            child_execution_id: row.child_execution_id,
            created_ms: row.created_ms,
            updated_ms: row.updated_ms,
            start_ms: row.start_ms,
            end_ms: row.end_ms,
            state: serde_json::from_value(engine_state).map_err(|e| corrupt(&id, e))?,
        });
    }
    let mut exec = Execution {
        id: record.id,
        template: Arc::new(template),
        template_name: record.template_name,
        template_version: record.template_version,
        parameters: state.parameters,
        mode: Mode::parse(&record.mode).ok_or_else(|| corrupt(&id, &record.mode))?,
        status: ExecutionStatus::parse(&record.status).ok_or_else(|| corrupt(&id, &record.status))?,
        status_message: record.status_message,
        outputs: record.outputs.as_deref().map(|t| parse_json(&id, t)).transpose()?,
        parent_execution_id: record.parent_execution_id,
        parent_task_execution_id: record.parent_task_execution_id,
        description: record.description,
        created_ms: record.created_ms,
        updated_ms: record.updated_ms,
        start_ms: record.start_ms,
        end_ms: record.end_ms,
        flow: state.flow,
        tasks: runs,
        by_id: HashMap::new(),
        latest: HashMap::new(),
        changes: Changes::default(),
    };
    exec.reindex();
    Ok(exec)
}
