//! The agent protocol: how `oos agent` on a managed host and the agent hub of `oos server` talk.
//!
//! Registration is one HTTPS request: `POST` [`REGISTER_PATH`] with a [`Registration`] JSON body;
//! the answer is a [`Registered`] (the `mi-…` id and the agent's secret) or an OOS error body
//! (`{"Code": …, "Message": …}`). After that the agent keeps one WebSocket open to
//! [`CONNECT_PATH`], authenticated by the header [`AUTHORIZATION`] = `OosAgent <instance id>:<secret>`,
//! and the two sides exchange JSON text messages: [`AgentMessage`] up, [`ServerMessage`] down.
//!
//! Exactly once: the agent records an invocation id in its ledger (on disk) before it starts it and
//! answers [`AgentMessage::Accepted`]; an id already in the ledger is never run again — the agent
//! re-sends its stored [`Outcome`], or, when it has none (it died while the command ran), reports
//! the invocation interrupted. The server re-sends [`ServerMessage::Run`] for every invocation the
//! agent has not accepted on each (re)connection, and acknowledges each recorded outcome
//! ([`ServerMessage::Recorded`]); the agent keeps an outcome until it is acknowledged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where an agent registers (HTTP POST, JSON).
pub const REGISTER_PATH: &str = "/agent/v1/register";
/// Where an agent keeps its WebSocket.
pub const CONNECT_PATH: &str = "/agent/v1/connect";
/// The header carrying an agent's credential on [`CONNECT_PATH`]: `OosAgent <instance id>:<secret>`.
pub const AUTHORIZATION: &str = "authorization";
/// The scheme of [`AUTHORIZATION`].
pub const SCHEME: &str = "OosAgent";
/// How often an agent says it is alive (seconds); the hub counts an agent gone after three missed.
pub const HEARTBEAT_SECS: u64 = 20;

/// The registration request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub activation_id: String,
    pub activation_code: String,
    /// What the host is (also sent on every connection).
    pub inventory: HostInventory,
    /// Bind this agent to an emulated ECS instance (`i-…`) of a sandbox server, so Cloud Assistant
    /// calls naming that instance run on this host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_instance: Option<String>,
}

/// The registration answer: the agent's identity, kept on the host readable by its owner only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registered {
    /// `mi-…`
    pub instance_id: String,
    /// The agent's credential (256 random bits, hex); the server keeps only its hash.
    pub secret: String,
}

/// What an agent reports about its host.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostInventory {
    pub hostname: String,
    /// `Linux`, `Windows`, …
    pub os_type: String,
    /// The distribution and version (`Debian GNU/Linux 12 (bookworm)`).
    pub os_name: String,
    pub kernel: String,
    pub arch: String,
    /// Non-loopback addresses.
    pub ip_addresses: Vec<String>,
    pub cpus: u32,
    pub memory_bytes: u64,
    pub agent_version: String,
}

/// A message from the agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentMessage {
    /// First message of every connection.
    Hello { inventory: HostInventory },
    /// Every [`HEARTBEAT_SECS`].
    Heartbeat,
    /// The invocation is in the ledger and starting; it will never run again on this host.
    Accepted { invoke_id: String, start_ms: i64 },
    /// More output of a running invocation (already within the output limit).
    Output { invoke_id: String, data: String },
    /// The invocation ended (sent again after a reconnection until [`ServerMessage::Recorded`]).
    Finished(Outcome),
    /// The inventory asked for by [`ServerMessage::Collect`]: type name → its items.
    Inventory { data: Map<String, Value> },
}

/// How an invocation ended on the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub invoke_id: String,
    pub status: FinishStatus,
    /// The process's exit code, when it exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub start_ms: i64,
    pub finish_ms: i64,
    /// The whole output kept (at most the invocation's output limit).
    pub output: String,
    /// Bytes of output left out because of the limit.
    pub dropped: u64,
    /// A stable code when it did not succeed (`ExitCodeNonzero`, `ExecutionTimeout`,
    /// `ExecutionInterrupted`, `CommandNotApplicable`, `InvalidUser`, `InvalidWorkingDir`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_info: Option<String>,
}

/// The end state of an invocation on one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinishStatus {
    /// Exit code 0.
    Success,
    /// It ran and failed (non-zero exit), or could not start.
    Failed,
    /// Killed after its timeout.
    Timeout,
    /// Stopped by StopInvocation.
    Stopped,
}

/// A message from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Run a command.
    Run(Job),
    /// Write a file (SendFile).
    SendFile(FileJob),
    /// Stop a running invocation (its outcome is `Stopped`).
    Stop { invoke_id: String },
    /// The outcome of this invocation is recorded; the agent may forget it.
    Recorded { invoke_id: String },
    /// Collect these inventory types (`ACS:Application`, `ACS:File`, …) and answer [`AgentMessage::Inventory`].
    Collect { types: Vec<String> },
}

/// A command to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub invoke_id: String,
    /// `RunShellScript`, `RunPythonScript`, `RunPerlScript`, `RunPowerShellScript`, `RunBatScript`.
    pub command_type: String,
    /// The script text (decoded).
    pub content: String,
    /// Empty: the running user's home directory.
    #[serde(default)]
    pub working_dir: String,
    pub timeout_secs: u64,
    /// Empty: the agent's own user. Another user needs an agent running as root.
    #[serde(default)]
    pub username: String,
    /// Substitute `{{ name }}` in `content` from `parameters` (Cloud Assistant's `EnableParameter`).
    #[serde(default)]
    pub enable_parameter: bool,
    #[serde(default)]
    pub parameters: Map<String, Value>,
    /// Output bytes kept; more is dropped (and counted).
    pub output_limit: u64,
    /// Where the command's span goes: the W3C `traceparent` of the span that started the
    /// invocation, and the execution that did (none when a caller of the API did). Optional both
    /// ways: a server that sends none, and an agent that ignores them (unknown fields are skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<JobTrace>,
}

/// The trace context of a [`Job`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobTrace {
    pub traceparent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
}

/// A file to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileJob {
    pub invoke_id: String,
    pub target_dir: String,
    pub name: String,
    /// The bytes, base64.
    pub content_base64: String,
    /// Octal, e.g. `0644`.
    #[serde(default)]
    pub file_mode: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub group: String,
    pub overwrite: bool,
}
