//! Running commands: RunCommand (a command given inline), InvokeCommand (a saved one) and
//! StopInvocation. Each targeted instance's result is decided at once from the scripted results
//! and plays out on the emulator's clock: Running now, over after the scripted duration (default
//! one transition step), killed at the timeout.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Map, Value, json};

use super::model::{Command, Invocation, Target};
use super::script::script_for;
use super::status::Phase;
use super::{command_type, decode, parameter_names, placeholders, targeted_instances, timeout};
use crate::api::params::{Ctx, check_dry_run};
use crate::errors::{
    CMD_CONTENT_EXCEED_LIMIT, INVALID_CMD_ID_NOT_FOUND, INVALID_INVOKE_ID_NOT_FOUND,
    PARAMETER_DISABLED, PARAMETER_NOT_MATCHED,
};
use crate::model::{Instance, instance_status};
use crate::state::{Cloud, new_id, utc_time};

/// The largest command, Base64-encoded.
const MAX_CONTENT_BASE64: usize = 24 * 1024;

/// Reads `CommandContent` per `ContentEncoding` (RunCommand default PlainText, CreateCommand
/// default Base64) and checks its Base64 size.
pub(super) fn command_content(
    request: &RpcRequest,
    base64_default: bool,
) -> Result<String, AcsError> {
    let raw = request.require("CommandContent")?;
    let base64 = request
        .get("ContentEncoding")
        .map_or(base64_default, |encoding| {
            encoding.eq_ignore_ascii_case("Base64")
        });
    let (content, encoded_len) = if base64 {
        (decode("CommandContent", raw)?, raw.trim().len())
    } else {
        (raw.to_owned(), raw.len().div_ceil(3) * 4)
    };
    if encoded_len > MAX_CONTENT_BASE64 {
        return Err(AcsError::new(
            CMD_CONTENT_EXCEED_LIMIT,
            format!(
                "The command content is {encoded_len} bytes Base64-encoded; at most {MAX_CONTENT_BASE64} are allowed."
            ),
        ));
    }
    Ok(content)
}

/// `Parameters` (a JSON object; entries with an empty name are ignored), refused when the
/// command takes no parameters.
fn call_parameters(request: &RpcRequest, enabled: bool) -> Result<Map<String, Value>, AcsError> {
    let mut parameters = match request
        .get("Parameters")
        .filter(|raw| !raw.trim().is_empty())
    {
        None => Map::new(),
        Some(raw) => match serde_json::from_str(raw) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err(AcsError::invalid_parameter(
                    "Parameters",
                    "expected a JSON object",
                ));
            }
        },
    };
    parameters.retain(|name, _| !name.is_empty());
    if !enabled && !parameters.is_empty() {
        return Err(AcsError::new(
            PARAMETER_DISABLED,
            "Parameters cannot be passed in when the command customization function is disabled.",
        ));
    }
    Ok(parameters)
}

/// Only one-off runs: schedules and reboot triggers are not emulated.
fn check_once(request: &RpcRequest) -> Result<(), AcsError> {
    let mode = request.get("RepeatMode").unwrap_or("Once");
    if !mode.eq_ignore_ascii_case("Once") || request.get("Frequency").is_some_and(|f| !f.is_empty())
    {
        return Err(AcsError::invalid_parameter(
            "RepeatMode",
            "the emulator runs commands once (RepeatMode=Once) only",
        ));
    }
    Ok(())
}

fn default_username(kind: &str) -> &'static str {
    if kind == "RunShellScript" {
        "root"
    } else {
        "System"
    }
}

/// RunCommand: `{CommandId, InvokeId}`.
pub fn run_command(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let content = command_content(request, false)?;
    let kind = command_type(request)?;
    let enable_parameter = request.bool("EnableParameter")?.unwrap_or(false);
    let parameters = call_parameters(request, enable_parameter)?;
    check_once(request)?;
    let command = Command {
        command_id: new_id("c"),
        region_id: region.clone(),
        name: request.get("Name").unwrap_or_default().to_owned(),
        description: request.get("Description").unwrap_or_default().to_owned(),
        parameter_names: parameter_names(&content),
        working_dir: request.get("WorkingDir").unwrap_or_default().to_owned(),
        timeout: timeout(request, 60)?,
        command_type: kind,
        content,
        enable_parameter,
        creation_time: utc_time(ctx.now),
        invoke_times: 1,
    };
    let targets = target_ids(cloud, request, &region)?;
    check_dry_run(request)?;
    let invoke_id = start(cloud, request, ctx, &command, parameters, &targets)?;
    let command_id = command.command_id.clone();
    if request.bool("KeepCommand")?.unwrap_or(false) {
        cloud.assistant.commands.insert(command_id.clone(), command);
    }
    Ok(json!({"CommandId": command_id, "InvokeId": invoke_id}))
}

/// InvokeCommand: runs a saved command; `{InvokeId}`.
pub fn invoke_command(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let command_id = request.require("CommandId")?;
    let saved = cloud
        .assistant
        .commands
        .get(command_id)
        .filter(|command| command.region_id == region)
        .cloned();
    let public = saved.is_none() && command_id.starts_with(PUBLIC_COMMAND_PREFIX);
    let command = saved
        .or_else(|| public.then(|| public_command(command_id, &region, ctx)))
        .ok_or_else(|| {
            AcsError::new(
                INVALID_CMD_ID_NOT_FOUND,
                format!("The specified command ID does not exist: {command_id}."),
            )
        })?;
    let parameters = call_parameters(request, command.enable_parameter)?;
    if let Some(unknown) = parameters
        .keys()
        .find(|name| !public && !command.parameter_names.contains(name))
    {
        return Err(AcsError::new(
            PARAMETER_NOT_MATCHED,
            format!(
                "The passed-in parameter {unknown:?} is not defined by the command (it defines {:?}).",
                command.parameter_names
            ),
        ));
    }
    check_once(request)?;
    let command = Command {
        timeout: timeout(request, command.timeout)?,
        working_dir: request
            .get("WorkingDir")
            .map_or(command.working_dir.clone(), str::to_owned),
        ..command
    };
    let targets = target_ids(cloud, request, &region)?;
    check_dry_run(request)?;
    let invoke_id = start(cloud, request, ctx, &command, parameters, &targets)?;
    if let Some(saved) = cloud.assistant.commands.get_mut(&command.command_id) {
        saved.invoke_times += 1;
    }
    Ok(json!({"InvokeId": invoke_id}))
}

/// Alibaba's public commands are invoked by name (`ACS-ECS-GenerateRsaKeypair-linux.sh`).
const PUBLIC_COMMAND_PREFIX: &str = "ACS-";

/// A public command: its "content" is its name (what scripted results match), it takes any
/// parameters.
fn public_command(name: &str, region: &str, ctx: &Ctx) -> Command {
    let windows = name.ends_with(".ps1") || name.ends_with(".bat");
    Command {
        command_id: name.to_owned(),
        region_id: region.to_owned(),
        name: name.to_owned(),
        description: "Alibaba Cloud public command (emulated: scripted results only)".into(),
        command_type: if windows {
            "RunPowerShellScript"
        } else {
            "RunShellScript"
        }
        .into(),
        content: name.to_owned(),
        working_dir: String::new(),
        timeout: 60,
        enable_parameter: true,
        parameter_names: Vec::new(),
        creation_time: utc_time(ctx.now),
        invoke_times: 0,
    }
}

fn target_ids(cloud: &Cloud, request: &RpcRequest, region: &str) -> Result<Vec<String>, AcsError> {
    Ok(targeted_instances(cloud, request, region)?
        .into_iter()
        .map(|instance| instance.instance_id.clone())
        .collect())
}

/// Records the invocation of `command` on `targets` and decides each target's result.
fn start(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
    command: &Command,
    parameters: Map<String, Value>,
    targets: &[String],
) -> Result<String, AcsError> {
    let invoke_id = new_id("t");
    let now_ms = ctx.now.as_millisecond();
    let mut invocation = Invocation {
        invoke_id: invoke_id.clone(),
        region_id: command.region_id.clone(),
        command_id: command.command_id.clone(),
        command_name: command.name.clone(),
        command_description: command.description.clone(),
        command_type: command.command_type.clone(),
        content: command.content.clone(),
        working_dir: command.working_dir.clone(),
        timeout: command.timeout,
        username: request
            .get("Username")
            .filter(|name| !name.is_empty())
            .unwrap_or(default_username(&command.command_type))
            .to_owned(),
        parameters,
        termination_mode: request
            .get("TerminationMode")
            .unwrap_or("Process")
            .to_owned(),
        created_ms: now_ms,
        targets: Vec::new(),
    };
    for id in targets {
        let instance = &cloud.instances[id];
        let target = if instance.status == instance_status::RUNNING {
            let script = render(&invocation, command.enable_parameter, instance);
            run_on(
                &cloud.assistant.scripts,
                &script,
                instance,
                now_ms,
                ctx.delay_ms,
                invocation.timeout,
            )
        } else {
            Target {
                instance_id: id.clone(),
                start_ms: now_ms,
                end_ms: now_ms,
                exit_code: 0,
                output: String::new(),
                timed_out: false,
                aborted: Some((
                    "InstanceNotRunning".into(),
                    "the instance is not running when create task".into(),
                )),
                stopped_ms: None,
            }
        };
        invocation.targets.push(target);
    }
    cloud
        .assistant
        .invocations
        .insert(invoke_id.clone(), invocation);
    Ok(invoke_id)
}

/// The target's run as scripted: output, exit code, and when it ends.
fn run_on(
    scripts: &[super::ScriptedResult],
    script: &str,
    instance: &Instance,
    now_ms: i64,
    delay_ms: i64,
    timeout_s: i64,
) -> Target {
    let scripted = script_for(
        scripts,
        script,
        &instance.instance_id,
        &instance.instance_name,
    );
    let duration = scripted.duration_ms.unwrap_or(delay_ms).max(0);
    let limit = timeout_s.saturating_mul(1000);
    let timed_out = duration > limit;
    Target {
        instance_id: instance.instance_id.clone(),
        start_ms: now_ms,
        end_ms: now_ms.saturating_add(duration.min(limit)),
        exit_code: if timed_out { -1 } else { scripted.exit_code },
        output: scripted.output,
        timed_out,
        aborted: None,
        stopped_ms: None,
    }
}

/// The command as the instance would run it: custom parameters and `ACS::` built-ins filled in
/// when the command takes parameters.
fn render(invocation: &Invocation, enable_parameter: bool, instance: &Instance) -> String {
    if !enable_parameter {
        return invocation.content.clone();
    }
    placeholders()
        .replace_all(&invocation.content, |found: &regex::Captures<'_>| {
            let name = &found[1];
            let builtin = match name {
                "ACS::InstanceId" => Some(instance.instance_id.clone()),
                "ACS::InstanceName" => Some(instance.instance_name.clone()),
                "ACS::RegionId" => Some(invocation.region_id.clone()),
                "ACS::InvokeId" => Some(invocation.invoke_id.clone()),
                "ACS::CommandId" => Some(invocation.command_id.clone()),
                _ => None,
            };
            builtin
                .or_else(|| {
                    invocation.parameters.get(name).map(|value| match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    })
                })
                .unwrap_or_else(|| found[0].to_owned())
        })
        .into_owned()
}

/// StopInvocation: stops the targets (all, or `InstanceId.N`) still pending or running.
pub fn stop_invocation(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let invoke_id = request.require("InvokeId")?;
    let only = request.repeated("InstanceId");
    let now_ms = ctx.now.as_millisecond();
    let invocation = cloud
        .assistant
        .invocations
        .get_mut(invoke_id)
        .filter(|invocation| invocation.region_id == region)
        .ok_or_else(|| {
            AcsError::new(
                INVALID_INVOKE_ID_NOT_FOUND,
                format!("The specified invoke ID does not exist: {invoke_id}."),
            )
        })?;
    for target in &mut invocation.targets {
        let chosen = only.is_empty() || only.contains(&target.instance_id);
        if chosen && !Phase::of(target, now_ms).is_over() {
            target.stopped_ms = Some(now_ms);
        }
    }
    Ok(json!({}))
}
