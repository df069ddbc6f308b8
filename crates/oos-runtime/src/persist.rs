//! Mapping between the engine's [`Execution`] and the store's rows. Every field that is shown (the
//! parameters, status messages, properties, outputs, loop items, log lines) has the execution's
//! secrets masked ([`oos_engine::secrets`]); the real values an execution needs to go on after a restart
//! live only in its engine state, which is sealed with the [`Sealer`] whenever the execution has secrets.

use std::collections::HashMap;
use std::sync::Arc;

use oos_store::{ExecutionRecord, LogRecord, StepWrite, TaskRecord, TriggerRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::RuntimeError;
use oos_engine::secrets::{mask_text, mask_value, secret_texts, visible_parameters};
use oos_engine::{Changes, Execution, Flow, TaskRun, TriggerKind, Wake};
use oos_engine::{ExecutionStatus, Mode, TaskStatus};

/// Seals and opens text with a key the store does not hold (the server's master key).
pub trait Sealer: Send + Sync {
    /// `plaintext` sealed, bound to `context` (the execution or task execution id).
    fn seal(&self, plaintext: &str, context: &str) -> String;
    /// The plaintext of a value sealed with the same `context`.
    fn open(&self, sealed: &str, context: &str) -> Result<String, String>;
}

/// What an engine-state column holding sealed JSON starts with.
const SEALED: &str = "sealed:";

#[derive(Serialize, Deserialize)]
struct EngineState {
    flow: Flow,
    parameters: Map<String, Value>,
}

fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// How one execution's rows are written: its secrets, and the sealer when it has any.
struct Writer<'a> {
    secrets: Vec<String>,
    sealer: Option<&'a dyn Sealer>,
}

impl Writer<'_> {
    fn mask(&self, text: &str) -> String {
        mask_text(text, &self.secrets)
    }

    /// Engine-state JSON, sealed when the execution has secrets and a sealer is given.
    fn state(&self, json: String, context: &str) -> String {
        match self.sealer {
            Some(sealer) if !self.secrets.is_empty() => format!("{SEALED}{}", sealer.seal(&json, context)),
            _ => json,
        }
    }
}

fn execution_record(exec: &Execution, writer: &Writer<'_>) -> ExecutionRecord {
    let state = json_text(&EngineState { flow: exec.flow.clone(), parameters: exec.parameters.clone() });
    let (runnable, wake_ms) = match oos_engine::wake(exec) {
        Wake::Now => (true, None),
        Wake::At(at_ms) => (true, Some(at_ms)),
        Wake::Event => (false, None),
    };
    ExecutionRecord {
        id: exec.id.clone(),
        template_name: exec.template_name.clone(),
        template_version: exec.template_version.clone(),
        template_content: exec.template.text.clone(),
        parameters: json_text(&visible_parameters(exec)),
        mode: exec.mode.as_str().into(),
        status: exec.status.as_str().into(),
        status_message: writer.mask(&exec.status_message),
        outputs: exec.outputs.as_ref().map(|outputs| json_text(&mask_value(&Value::Object(outputs.clone()), &writer.secrets))),
        parent_execution_id: exec.parent_execution_id.clone(),
        parent_task_execution_id: exec.parent_task_execution_id.clone(),
        description: exec.description.clone(),
        engine_state: writer.state(state, &exec.id),
        runnable,
        wake_ms,
        created_ms: exec.created_ms,
        updated_ms: exec.updated_ms,
        start_ms: exec.start_ms,
        end_ms: exec.end_ms,
    }
}

/// The trigger row of a trigger execution (None for any other execution, the runs of its firings
/// included): what the intake matches and the API shows, secrets masked.
fn trigger_record(exec: &Execution, writer: &Writer<'_>) -> Option<TriggerRecord> {
    if exec.flow.firing.is_some() {
        return None;
    }
    let kind = TriggerKind::of_template(&exec.template)?;
    let run = exec.tasks.iter().find(|run| run.task == 0 && run.parent.is_none());
    let state = run.and_then(|run| run.state.trigger.as_ref());
    let status = match (exec.status.is_final(), state) {
        (true, _) => "Ended",
        (false, Some(state)) if state.paused => "Paused",
        (false, Some(_)) => "Active",
        (false, None) => "Pending",
    };
    let properties = run.and_then(|run| run.properties.as_ref()).map_or_else(|| "{}".to_owned(), |value| json_text(&shown(value, writer, true).0));
    let last = state.and_then(|state| state.last.as_ref());
    Some(TriggerRecord {
        execution_id: exec.id.clone(),
        kind: kind.category().into(),
        status: status.into(),
        properties,
        next_ms: state.and_then(|state| state.next_ms).filter(|_| !exec.status.is_final()),
        fired: state.map_or(0, |state| i64::try_from(state.fired).unwrap_or(i64::MAX)),
        last_ms: last.map(|last| last.fired_ms),
        last_status: last.map(|last| last.status.as_str().to_owned()),
        last_outputs: last.filter(|last| last.status.is_final()).map(|last| json_text(&mask_value(&Value::Object(last.outputs.clone()), &writer.secrets))),
        last_child_execution_id: last.map(|last| last.child_execution_id.clone()),
        last_success_ms: state.and_then(|state| state.last_success_ms),
        updated_ms: exec.updated_ms,
    })
}

/// Key of a task row's engine state holding the real values of fields whose shown copy is masked.
const REAL: &str = "real";

/// A task field as shown (secrets masked; for properties, secret-named keys too), and the real value
/// when the two differ.
fn shown(value: &Value, writer: &Writer<'_>, secret_names: bool) -> (Value, Option<Value>) {
    let mut masked = mask_value(value, &writer.secrets);
    if secret_names {
        oos_store::audit::redact(&mut masked, &[]);
    }
    let real = (masked != *value).then(|| value.clone());
    (masked, real)
}

fn task_record(exec: &Execution, run: &TaskRun, writer: &Writer<'_>) -> TaskRecord {
    let mut real = Map::new();
    let mut field = |name: &str, value: Option<&Value>, secret_names: bool| {
        value.map(|value| {
            let (masked, original) = shown(value, writer, secret_names);
            if let Some(original) = original {
                real.insert(name.to_owned(), original);
            }
            json_text(&masked)
        })
    };
    let properties = field("properties", run.properties.as_ref(), true);
    let outputs_value = run.outputs.clone().map(Value::Object);
    let outputs = field("outputs", outputs_value.as_ref(), false);
    let loop_item = field("loopItem", run.loop_item.as_ref(), false);
    let mut state = serde_json::to_value(&run.state).unwrap_or_else(|_| Value::Object(Map::new()));
    if let Value::Object(fields) = &mut state
        && !real.is_empty()
    {
        fields.insert(REAL.into(), Value::Object(real));
    }
    TaskRecord {
        id: run.id.clone(),
        execution_id: exec.id.clone(),
        seq: run.seq,
        task_name: run.name.clone(),
        task_action: run.action.clone(),
        status: run.status.as_str().into(),
        status_message: writer.mask(&run.status_message),
        properties,
        outputs,
        loop_item,
        loop_batch_number: run.batch_number,
        parent_task_execution_id: run.parent.clone(),
        child_execution_id: run.child_execution_id.clone(),
        engine_state: writer.state(json_text(&state), &run.id),
        created_ms: run.created_ms,
        updated_ms: run.updated_ms,
        start_ms: run.start_ms,
        end_ms: run.end_ms,
    }
}

/// Adds what `changes` recorded about `exec` to `write`, secrets masked and engine state sealed.
pub(crate) fn add_changes(write: &mut StepWrite, exec: &Execution, changes: Changes, sealer: Option<&dyn Sealer>) {
    if !changes.execution && changes.tasks.is_empty() && changes.logs.is_empty() {
        return;
    }
    let writer = Writer { secrets: secret_texts(exec), sealer };
    write.executions.push(execution_record(exec, &writer));
    write.triggers.extend(trigger_record(exec, &writer));
    write.tasks.extend(changes.tasks.iter().map(|&pos| task_record(exec, &exec.tasks[pos], &writer)));
    write.logs.extend(changes.logs.into_iter().map(|line| LogRecord {
        execution_id: exec.id.clone(),
        task_execution_id: line.task_execution_id,
        ts_ms: line.ts_ms,
        log_type: line.log_type,
        message: writer.mask(&line.message),
    }));
}

/// An inbox event's payload, sealed when it carries secrets (a child's outputs to its parent).
pub(crate) fn inbox_payload(event: &oos_engine::Event, execution_id: &str, sealer: Option<&dyn Sealer>) -> String {
    let json = json_text(event);
    match (event, sealer) {
        (oos_engine::Event::ChildFinished { secrets, .. }, Some(sealer)) if !secrets.is_empty() => format!("{SEALED}{}", sealer.seal(&json, execution_id)),
        _ => json,
    }
}

/// An inbox event read back (opened when sealed).
pub(crate) fn inbox_event(payload: &str, execution_id: &str, sealer: Option<&dyn Sealer>) -> Result<oos_engine::Event, RuntimeError> {
    let json = opened(payload, execution_id, sealer)?;
    serde_json::from_str(&json).map_err(|e| corrupt(execution_id, format!("inbox event: {e}")))
}

fn corrupt(id: &str, what: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::Corrupt(format!("execution {id}: {what}"))
}

fn parse_json<T: for<'de> Deserialize<'de>>(id: &str, text: &str) -> Result<T, RuntimeError> {
    serde_json::from_str(text).map_err(|e| corrupt(id, e))
}

/// Engine-state text, opened when it was sealed.
fn opened(text: &str, context: &str, sealer: Option<&dyn Sealer>) -> Result<String, RuntimeError> {
    let Some(sealed) = text.strip_prefix(SEALED) else { return Ok(text.to_owned()) };
    let sealer = sealer.ok_or_else(|| corrupt(context, "sealed engine state, but no key to open it"))?;
    sealer.open(sealed, context).map_err(|e| corrupt(context, format!("sealed engine state: {e}")))
}

/// Rebuilds an execution from its rows (opening sealed engine state with `sealer`).
pub fn load(record: ExecutionRecord, tasks: Vec<TaskRecord>, sealer: Option<&dyn Sealer>) -> Result<Execution, RuntimeError> {
    let id = record.id.clone();
    let template = oos_template::parse(&record.template_content).map_err(|e| corrupt(&id, e))?;
    let state: EngineState = parse_json(&id, &opened(&record.engine_state, &id, sealer)?)?;
    let mut runs = Vec::with_capacity(tasks.len());
    for row in tasks {
        let task = template.task_index(&row.task_name).ok_or_else(|| corrupt(&id, format!("unknown task {}", row.task_name)))?;
        let mut engine_state: Value = parse_json(&id, &opened(&row.engine_state, &row.id, sealer)?)?;
        let mut real = match engine_state.as_object_mut().and_then(|fields| fields.remove(REAL)) {
            Some(Value::Object(real)) => real,
            _ => Map::new(),
        };
        let mut field = |name: &str, shown: Option<&str>| -> Result<Option<Value>, RuntimeError> {
            match real.remove(name) {
                Some(value) => Ok(Some(value)),
                None => shown.map(|text| parse_json(&id, text)).transpose(),
            }
        };
        let properties = field("properties", row.properties.as_deref())?;
        let outputs = match field("outputs", row.outputs.as_deref())? {
            Some(Value::Object(outputs)) => Some(outputs),
            Some(other) => return Err(corrupt(&id, format!("task outputs {other}"))),
            None => None,
        };
        let loop_item = field("loopItem", row.loop_item.as_deref())?;
        runs.push(TaskRun {
            id: row.id,
            seq: row.seq,
            task,
            name: row.task_name,
            action: row.task_action,
            status: TaskStatus::parse(&row.status).ok_or_else(|| corrupt(&id, &row.status))?,
            status_message: row.status_message,
            properties,
            outputs,
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
