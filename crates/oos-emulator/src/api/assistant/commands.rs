//! Saved commands: CreateCommand, DescribeCommands, DeleteCommand.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::model::Command;
use super::run::command_content;
use super::{PAGES, command_type, encode, no_tags, parameter_names, plain_text, timeout};
use crate::api::params::{Ctx, list_body, paginate};
use crate::errors::INVALID_CMD_ID_NOT_FOUND;
use crate::state::{Cloud, new_id, utc_time};

/// CreateCommand: `{CommandId}`; the content is Base64 unless `ContentEncoding=PlainText`.
pub fn create_command(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let name = request.require("Name")?;
    if name.chars().count() > 128 {
        return Err(AcsError::invalid_parameter(
            "Name",
            "at most 128 characters",
        ));
    }
    let content = command_content(request, true)?;
    let command = Command {
        command_id: new_id("c"),
        region_id: region,
        name: name.to_owned(),
        description: request.get("Description").unwrap_or_default().to_owned(),
        command_type: command_type(request)?,
        parameter_names: parameter_names(&content),
        content,
        working_dir: request.get("WorkingDir").unwrap_or_default().to_owned(),
        timeout: timeout(request, 60)?,
        enable_parameter: request.bool("EnableParameter")?.unwrap_or(false),
        creation_time: utc_time(ctx.now),
        invoke_times: 0,
    };
    let id = command.command_id.clone();
    cloud.assistant.commands.insert(id.clone(), command);
    Ok(json!({"CommandId": id}))
}

/// DescribeCommands: the region's saved commands, newest first, filtered by `CommandId`,
/// `Name` and `Type`.
pub fn describe_commands(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let plain = plain_text(request);
    let wanted = |field: &str, value: &str| {
        request
            .get(field)
            .is_none_or(|wanted| wanted.is_empty() || wanted == value)
    };
    let matching: Vec<&Command> = cloud
        .assistant
        .commands
        .values()
        .rev()
        .filter(|command| command.region_id == region)
        .filter(|command| {
            wanted("CommandId", &command.command_id)
                && wanted("Name", &command.name)
                && wanted("Type", &command.command_type)
        })
        .collect();
    let (page, paging) = paginate(request, matching, PAGES)?;
    let items = page
        .into_iter()
        .map(|command| command_json(command, plain))
        .collect();
    Ok(list_body("Commands", "Command", items, paging))
}

fn command_json(command: &Command, plain: bool) -> Value {
    json!({
        "Category": "",
        "CommandContent": encode(&command.content, plain),
        "CommandId": command.command_id,
        "CreationTime": command.creation_time,
        "Description": command.description,
        "EnableParameter": command.enable_parameter,
        "InvokeTimes": command.invoke_times,
        "Latest": true,
        "Launcher": "",
        "Name": command.name,
        "ParameterDefinitions": {"ParameterDefinition": []},
        "ParameterNames": {"ParameterName": command.parameter_names},
        "Provider": "",
        "ResourceGroupId": "",
        "Tags": no_tags(),
        "Timeout": command.timeout,
        "Type": command.command_type,
        "Version": 1,
        "WorkingDir": command.working_dir,
    })
}

/// DeleteCommand: forgets a saved command (its past invocations stay).
pub fn delete_command(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = request.require("CommandId")?;
    let saved = cloud
        .assistant
        .commands
        .get(id)
        .is_some_and(|command| command.region_id == region);
    if !saved {
        return Err(AcsError::new(
            INVALID_CMD_ID_NOT_FOUND,
            format!("The specified command ID does not exist: {id}."),
        ));
    }
    cloud.assistant.commands.shift_remove(id);
    Ok(json!({}))
}
