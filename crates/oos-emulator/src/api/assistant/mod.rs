//! The Cloud Assistant of ECS 2014-05-26 for emulated instances: commands (Create/Describe/
//! DeleteCommand), invocations (Run/InvokeCommand, StopInvocation, DescribeInvocations,
//! DescribeInvocationResults), files (SendFile, DescribeSendFileResults) and the agent's status
//! (DescribeCloudAssistantStatus, InstallCloudAssistant). Nothing is ever executed: every
//! command's output and exit code come from the seed's scripted results.

mod agent;
mod commands;
mod describe;
mod files;
mod model;
mod run;
mod script;
mod status;

use base64::Engine as _;
use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

pub use agent::{describe_cloud_assistant_status, install_cloud_assistant};
pub use commands::{create_command, delete_command, describe_commands};
pub use describe::{describe_invocation_results, describe_invocations};
pub use files::{describe_send_file_results, send_file};
pub use model::Assistant;
pub use run::{invoke_command, run_command, stop_invocation};
pub use script::ScriptedResult;

use super::params::{PageLimits, id_list};
use crate::errors::{INSTANCE_IDS_EXCEED_LIMIT, INVALID_INSTANCE_NOT_FOUND};
use crate::model::Instance;
use crate::state::Cloud;

/// Page limits of the Cloud Assistant's Describe actions (at most 50 a page).
const PAGES: PageLimits = PageLimits {
    default_size: 10,
    max_size: 50,
    token_paging: true,
};

/// The most instances one call may target.
const MAX_TARGETS: usize = 100;

/// The command types the assistant runs.
const COMMAND_TYPES: [&str; 3] = ["RunShellScript", "RunBatScript", "RunPowerShellScript"];

/// The instances a call targets: `InstanceId.N` (or a JSON list in `InstanceId`/`InstanceIds`),
/// else the region's instances carrying every `ResourceTag.N`. Unknown ids (or ids of another
/// region) fail the call with `InvalidInstance.NotFound`.
fn targeted_instances<'a>(
    cloud: &'a Cloud,
    request: &RpcRequest,
    region: &str,
) -> Result<Vec<&'a Instance>, AcsError> {
    let ids = match request
        .get("InstanceId")
        .filter(|raw| raw.trim_start().starts_with('['))
    {
        Some(_) => id_list(request, "InstanceId", "InstanceId")?,
        None => id_list(request, "InstanceIds", "InstanceId")?,
    };
    let instances: Vec<&Instance> = match ids {
        Some(ids) => ids
            .iter()
            .map(|id| {
                cloud
                    .instances
                    .get(id)
                    .filter(|instance| instance.region_id == region)
                    .ok_or_else(|| {
                        AcsError::new(
                            INVALID_INSTANCE_NOT_FOUND,
                            format!("The specified instance does not exist: {id}."),
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
        None => {
            let tags = request.tags("ResourceTag");
            if tags.is_empty() {
                return Err(AcsError::missing_parameter("InstanceId"));
            }
            cloud
                .instances
                .values()
                .filter(|instance| instance.region_id == region)
                .filter(|instance| super::params::matches_tags(&instance.tags, &tags))
                .collect()
        }
    };
    if instances.len() > MAX_TARGETS {
        return Err(AcsError::new(
            INSTANCE_IDS_EXCEED_LIMIT,
            format!("The number of instance IDs exceeds the upper limit of {MAX_TARGETS}."),
        ));
    }
    Ok(instances)
}

/// Whether a Describe action answers in plain text (`ContentEncoding=PlainText`, any case);
/// the default is Base64.
fn plain_text(request: &RpcRequest) -> bool {
    request
        .get("ContentEncoding")
        .is_some_and(|encoding| encoding.eq_ignore_ascii_case("PlainText"))
}

/// `text` as an answer carries it: Base64 unless the request asked for plain text.
fn encode(text: &str, plain: bool) -> String {
    if plain {
        text.to_owned()
    } else {
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
    }
}

/// Decodes Base64 `content` of parameter `name` to text.
fn decode(name: &str, content: &str) -> Result<String, AcsError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content.trim())
        .map_err(|error| AcsError::invalid_parameter(name, format!("not valid Base64: {error}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `Type`, checked against the command types.
fn command_type(request: &RpcRequest) -> Result<String, AcsError> {
    let kind = request.require("Type")?;
    if !COMMAND_TYPES.contains(&kind) {
        return Err(AcsError::invalid_parameter(
            "Type",
            format!("{kind:?} is not one of {}", COMMAND_TYPES.join(", ")),
        ));
    }
    Ok(kind.to_owned())
}

/// `Timeout` in seconds (default 60, 10 to 86400).
fn timeout(request: &RpcRequest, default: i64) -> Result<i64, AcsError> {
    let seconds = request.int("Timeout")?.unwrap_or(default);
    if !(10..=86_400).contains(&seconds) {
        return Err(AcsError::invalid_parameter(
            "Timeout",
            "must be between 10 and 86400 seconds",
        ));
    }
    Ok(seconds)
}

/// The custom parameter names `{{name}}` in `content` (built-in `ACS::` ones excluded), in order.
fn parameter_names(content: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for found in placeholders().captures_iter(content) {
        let name = found[1].to_owned();
        if !name.starts_with("ACS::") && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

fn placeholders() -> &'static regex::Regex {
    static PLACEHOLDER: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    PLACEHOLDER.get_or_init(|| {
        regex::Regex::new(r"\{\{\s*([A-Za-z0-9_:-]+)\s*\}\}").expect("a valid pattern")
    })
}

/// An empty `{"Tag": []}` (the assistant's resources carry no tags here).
fn no_tags() -> Value {
    json!({"Tag": []})
}
