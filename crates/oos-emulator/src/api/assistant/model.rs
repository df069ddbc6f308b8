//! What the Cloud Assistant keeps: saved commands, invocations with one target per instance,
//! file deliveries and the seed's scripted results. Everything is plain data (persisted with the
//! rest of the cloud); statuses are derived from the stored times when read.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::script::ScriptedResult;

/// The Cloud Assistant's state in one region-independent store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Assistant {
    /// Commands kept by CreateCommand or `RunCommand KeepCommand=true`, by id.
    pub commands: IndexMap<String, Command>,
    /// Command invocations, by InvokeId, oldest first.
    pub invocations: IndexMap<String, Invocation>,
    /// SendFile deliveries, by InvokeId, oldest first.
    pub file_sends: IndexMap<String, FileSend>,
    /// Results the seed scripted for matching commands (first match wins).
    pub scripts: Vec<ScriptedResult>,
    /// Files delivered so far, as `instance id` → full paths (for `Overwrite=false`).
    pub delivered_files: IndexMap<String, Vec<String>>,
}

/// A saved command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    pub command_id: String,
    pub region_id: String,
    pub name: String,
    pub description: String,
    /// `RunShellScript`, `RunBatScript` or `RunPowerShellScript`.
    pub command_type: String,
    /// The script as plain text.
    pub content: String,
    pub working_dir: String,
    /// Seconds.
    pub timeout: i64,
    pub enable_parameter: bool,
    /// Custom `{{name}}` parameters found in the content, in order of appearance.
    pub parameter_names: Vec<String>,
    pub creation_time: String,
    pub invoke_times: i64,
}

/// One RunCommand/InvokeCommand call: the command as it was run and one target per instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    pub invoke_id: String,
    pub region_id: String,
    pub command_id: String,
    pub command_name: String,
    pub command_description: String,
    pub command_type: String,
    /// The script as plain text, before parameters are filled in.
    pub content: String,
    pub working_dir: String,
    /// Seconds.
    pub timeout: i64,
    pub username: String,
    /// Custom parameter values the call passed.
    pub parameters: Map<String, Value>,
    pub termination_mode: String,
    pub created_ms: i64,
    pub targets: Vec<Target>,
}

/// The run of an invocation on one instance, decided when the invocation is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub instance_id: String,
    /// When the command started (ms since the epoch).
    pub start_ms: i64,
    /// When it ends or ended: finishes, or is killed at the timeout.
    pub end_ms: i64,
    pub exit_code: i64,
    /// Full output (the answers keep at most [`MAX_OUTPUT_BYTES`] of it).
    pub output: String,
    /// The command ran longer than the invocation's timeout and was killed at `end_ms`.
    pub timed_out: bool,
    /// The command was never delivered: `(ErrorCode, ErrorInfo)`.
    pub aborted: Option<(String, String)>,
    /// StopInvocation reached this target at that time.
    pub stopped_ms: Option<i64>,
}

/// The most output an answer carries; the rest is counted in `Dropped`.
pub const MAX_OUTPUT_BYTES: usize = 24 * 1024;

/// One SendFile call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSend {
    pub invoke_id: String,
    pub region_id: String,
    pub name: String,
    pub description: String,
    pub target_dir: String,
    /// As sent (`PlainText` or `Base64` per `content_type`).
    pub content: String,
    pub content_type: String,
    pub file_mode: String,
    pub file_owner: String,
    pub file_group: String,
    pub overwrite: bool,
    pub created_ms: i64,
    pub deliveries: Vec<Delivery>,
}

/// The delivery of a file to one instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub instance_id: String,
    /// When the file is in place (ms since the epoch).
    pub done_ms: i64,
    /// Why it failed: `(ErrorCode, ErrorInfo)`.
    pub failure: Option<(String, String)>,
}
