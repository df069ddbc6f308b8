//! Saved commands (CreateCommand, DescribeCommands, DeleteCommand) and starting them on managed
//! instances (RunCommand, InvokeCommand): each start is one invocation row with a target row per
//! instance, written in one transaction, after which this process's hub is woken.

use oos_acs::{AcsError, ErrorCode, RpcRequest};
use oos_store::{CommandQuery, CommandRow, InvocationRow, InvocationTarget, ManagedInstanceQuery};
use serde_json::{Map, Value, json};

use crate::content::{self, MAX_CONTENT_BYTES};
use crate::params::{self, bounded, text};
use crate::{Assistant, Fields, ids, store_error};

/// Default and largest `Timeout` of a command, in seconds.
const DEFAULT_TIMEOUT_SECS: i64 = 60;
const MAX_TIMEOUT_SECS: i64 = 86_400;

/// How long after its timeout a target may still report before it is failed.
pub(crate) const REPORT_GRACE_MS: i64 = 15_000;

pub(crate) const COMMAND_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidCmdId.NotFound", 404);
pub const INSTANCE_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidInstance.NotFound", 404);

/// RunCommand: a one-off command (kept as a saved command only with `KeepCommand`).
pub(crate) async fn run_command(assistant: &Assistant, request: &RpcRequest, creator: &str) -> Result<Fields, AcsError> {
    let script = content::decoded(request, "CommandContent", "ContentEncoding", "PlainText", MAX_CONTENT_BYTES)?;
    let command = command_of(assistant, request, &script)?;
    let instances = params::instance_ids(request, true)?;
    refuse_repeats(request)?;
    let kept = request.bool("KeepCommand")?.unwrap_or(false);
    if kept {
        assistant.store().create_command(&command).await.map_err(store_error)?;
    }
    let invoke_id = invoke(assistant, request, creator, &command, kept, &instances).await?;
    let mut fields = Fields::new();
    fields.insert("InvokeId".into(), Value::String(invoke_id));
    fields.insert("CommandId".into(), Value::String(if kept { command.command_id } else { String::new() }));
    Ok(fields)
}

/// InvokeCommand: a saved command on instances, with its own parameters and user.
pub(crate) async fn invoke_command(assistant: &Assistant, request: &RpcRequest, creator: &str) -> Result<Fields, AcsError> {
    let command_id = request.require("CommandId")?;
    let instances = params::instance_ids(request, true)?;
    refuse_repeats(request)?;
    let command = find_command(assistant, command_id).await?;
    let invoke_id = invoke(assistant, request, creator, &command, true, &instances).await?;
    let mut fields = Fields::new();
    fields.insert("InvokeId".into(), Value::String(invoke_id));
    Ok(fields)
}

/// The command a request describes (CreateCommand, or RunCommand's one-off), with `script` as its content.
fn command_of(assistant: &Assistant, request: &RpcRequest, script: &[u8]) -> Result<CommandRow, AcsError> {
    Ok(CommandRow {
        command_id: ids::command_id(),
        region_id: assistant.region_of(request),
        name: text(request, "Name", 128)?,
        description: text(request, "Description", 512)?,
        command_type: content::command_type(request)?,
        content_base64: content::encode(script),
        working_dir: text(request, "WorkingDir", 200)?,
        timeout_secs: bounded(request, "Timeout", DEFAULT_TIMEOUT_SECS, 1, MAX_TIMEOUT_SECS)?,
        enable_parameter: request.bool("EnableParameter")?.unwrap_or(false),
        parameter_names: json!(content::parameter_names(&String::from_utf8_lossy(script))).to_string(),
        created_ms: assistant.now_ms(),
        tags: tags_json(request),
    })
}

/// Starts `command` on `instances` with the request's parameters, user, timeout and working
/// directory (those of the command when the request gives none); `saved`: it names the command.
async fn invoke(assistant: &Assistant, request: &RpcRequest, creator: &str, command: &CommandRow, saved: bool, instances: &[String]) -> Result<String, AcsError> {
    let invoke_id = ids::invocation_id();
    let invocation = InvocationRow {
        parameters: assistant.seal_parameters(parameters_json(request)?, &invoke_id),
        invoke_id,
        region_id: assistant.region_of(request),
        kind: "Command".into(),
        command_id: saved.then(|| command.command_id.clone()),
        command_name: command.name.clone(),
        command_type: command.command_type.clone(),
        content_base64: command.content_base64.clone(),
        working_dir: request.get("WorkingDir").map_or(command.working_dir.clone(), str::to_string),
        timeout_secs: bounded(request, "Timeout", command.timeout_secs, 1, MAX_TIMEOUT_SECS)?,
        username: text(request, "Username", 255)?,
        enable_parameter: command.enable_parameter,
        file: String::from("{}"),
        created_ms: assistant.now_ms(),
        creator: creator.to_string(),
        client_token: request.get("ClientToken").map(str::to_string),
        tags: tags_json(request),
        traceparent: oos_telemetry::traceparent(&tracing::Span::current()),
    };
    start(assistant, &invocation, instances).await
}

/// Writes `invocation` with a pending target per instance (each must be known) and wakes the hub.
/// A repeated ClientToken answers the first invocation.
pub(crate) async fn start(assistant: &Assistant, invocation: &InvocationRow, instances: &[String]) -> Result<String, AcsError> {
    known_instances(assistant, instances).await?;
    let deadline = invocation.created_ms + invocation.timeout_secs * 1000 + REPORT_GRACE_MS;
    let targets: Vec<InvocationTarget> = instances.iter().map(|instance| InvocationTarget::pending(&invocation.invoke_id, instance, deadline)).collect();
    let existing = assistant.store().create_invocation(invocation, &targets).await.map_err(store_error)?;
    assistant.wake_hub();
    Ok(existing.unwrap_or_else(|| invocation.invoke_id.clone()))
}

/// Every id must be a registered managed instance, or an emulated instance one is bound to.
async fn known_instances(assistant: &Assistant, instances: &[String]) -> Result<(), AcsError> {
    let managed: Vec<String> = instances.iter().filter(|id| ids::is_managed_instance(id)).cloned().collect();
    let found = if managed.is_empty() {
        Vec::new()
    } else {
        assistant.store().managed_instances(&ManagedInstanceQuery { ids: managed.clone(), ..Default::default() }).await.map_err(store_error)?
    };
    for id in instances {
        let known = if ids::is_managed_instance(id) {
            found.iter().any(|row| &row.instance_id == id)
        } else {
            crate::router::bound_instance(assistant, id).await?.is_some()
        };
        if !known {
            return Err(AcsError::new(INSTANCE_NOT_FOUND, format!("The instance {id} is not a registered managed instance.")));
        }
    }
    Ok(())
}

/// `RepeatMode` other than `Once` (schedules belong to OOS's own triggers here).
fn refuse_repeats(request: &RpcRequest) -> Result<(), AcsError> {
    match request.get("RepeatMode") {
        None | Some("Once") => Ok(()),
        Some(other) => Err(AcsError::invalid_parameter("RepeatMode", format!("only Once is supported, got {other:?}; schedule runs with an OOS timer trigger"))),
    }
}

/// `Parameters` (a JSON object), checked.
fn parameters_json(request: &RpcRequest) -> Result<String, AcsError> {
    let parameters: Map<String, Value> = request.json("Parameters")?.unwrap_or_default();
    Ok(Value::Object(parameters).to_string())
}

fn tags_json(request: &RpcRequest) -> String {
    let tags: Map<String, Value> = request.tags("Tag").into_iter().map(|(key, value)| (key, Value::String(value))).collect();
    Value::Object(tags).to_string()
}

pub(crate) async fn find_command(assistant: &Assistant, command_id: &str) -> Result<CommandRow, AcsError> {
    let query = CommandQuery { command_id: Some(command_id.to_string()), ..Default::default() };
    let mut found = assistant.store().commands(&query).await.map_err(store_error)?;
    found.pop().ok_or_else(|| AcsError::new(COMMAND_NOT_FOUND, format!("The command {command_id} does not exist.")))
}

/// CreateCommand: a saved command (content in base64).
pub(crate) async fn create_command(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    request.require("Name")?;
    let script = content::decoded(request, "CommandContent", "ContentEncoding", "Base64", MAX_CONTENT_BYTES)?;
    let command = command_of(assistant, request, &script)?;
    assistant.store().create_command(&command).await.map_err(store_error)?;
    let mut fields = Fields::new();
    fields.insert("CommandId".into(), Value::String(command.command_id));
    Ok(fields)
}

/// DescribeCommands: by id, name or type, paged.
pub(crate) async fn describe_commands(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let page = params::page(request)?;
    let query = CommandQuery {
        command_id: request.get("CommandId").map(str::to_string),
        name: request.get("Name").map(str::to_string),
        command_type: request.get("Type").map(str::to_string),
    };
    let commands = assistant.store().commands(&query).await.map_err(store_error)?;
    let listed: Vec<Value> = page.of(&commands).iter().map(command_json).collect();
    let mut fields = Fields::new();
    fields.insert("Commands".into(), json!({"Command": listed}));
    Ok(page.answer(fields, commands.len()))
}

fn command_json(command: &CommandRow) -> Value {
    let names: Vec<String> = serde_json::from_str(&command.parameter_names).unwrap_or_default();
    json!({
        "CommandId": command.command_id,
        "Name": command.name,
        "Description": command.description,
        "Type": command.command_type,
        "CommandContent": command.content_base64,
        "WorkingDir": command.working_dir,
        "Timeout": command.timeout_secs,
        "EnableParameter": command.enable_parameter,
        "ParameterNames": {"ParameterName": names},
        "CreationTime": crate::shapes::time(Some(command.created_ms)),
        "Provider": "",
        "Tags": {"Tag": crate::shapes::tags(&command.tags)},
    })
}

/// DeleteCommand.
pub(crate) async fn delete_command(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let command_id = request.require("CommandId")?;
    if !assistant.store().delete_command(command_id).await.map_err(store_error)? {
        return Err(AcsError::new(COMMAND_NOT_FOUND, format!("The command {command_id} does not exist.")));
    }
    Ok(Fields::new())
}
