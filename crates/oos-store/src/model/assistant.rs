//! Rows of the Cloud Assistant part of the ECS API for managed instances: activations, managed
//! instances (hosts running `oos agent`), saved commands, and invocations with one target row per
//! instance. Times are Unix milliseconds; JSON columns hold their text.

/// An activation: what an agent needs to register (the code is kept as its SHA-256, hex).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActivationRow {
    pub activation_id: String,
    pub region_id: String,
    pub code_hash: String,
    pub description: String,
    /// The name given to instances registered with it.
    pub instance_name: String,
    /// Source addresses allowed to register (CIDR); empty: any.
    pub ip_address_range: String,
    pub usage_limit: i64,
    pub usage_count: i64,
    /// Instances registered with it and since deregistered.
    pub deregistered_count: i64,
    pub created_ms: i64,
    pub expires_ms: i64,
    /// A JSON object.
    pub tags: String,
}

/// What a registration attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOutcome {
    Registered,
    /// No such activation, or the code does not match (told apart nowhere, so codes cannot be probed).
    NotFound,
    Expired,
    UsedUp,
}

/// A host that registered with an activation.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ManagedInstanceRow {
    /// `mi-…`
    pub instance_id: String,
    pub region_id: String,
    pub activation_id: String,
    /// SHA-256 (hex) of the agent's secret.
    pub secret_hash: String,
    pub instance_name: String,
    pub hostname: String,
    pub os_type: String,
    pub os_name: String,
    pub agent_version: String,
    /// The first reported address.
    pub ip_address: String,
    /// The last reported host inventory (a JSON object).
    pub inventory: String,
    /// Collected inventory by type (a JSON object: type → what its last collection recorded).
    pub collected: String,
    pub registered_ms: i64,
    pub last_seen_ms: i64,
    /// Whether an agent connection is open (as last recorded by the hub holding it).
    pub connected: bool,
    /// The emulated instance (`i-…`) it stands for in a sandbox, if bound.
    pub sandbox_instance: Option<String>,
    /// A JSON object.
    pub tags: String,
}

/// Which managed instances to list.
#[derive(Debug, Clone, Default)]
pub struct ManagedInstanceQuery {
    /// Only these ids (all when empty).
    pub ids: Vec<String>,
    pub activation_id: Option<String>,
    pub instance_name: Option<String>,
    /// Only instances bound to this emulated instance.
    pub sandbox_instance: Option<String>,
    /// Only instances carrying every one of these tags.
    pub tags: Vec<(String, String)>,
}

/// A saved command (CreateCommand).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CommandRow {
    /// `c-…`
    pub command_id: String,
    pub region_id: String,
    pub name: String,
    pub description: String,
    pub command_type: String,
    /// Base64, as CreateCommand takes it.
    pub content_base64: String,
    pub working_dir: String,
    pub timeout_secs: i64,
    pub enable_parameter: bool,
    /// The `{{ name }}` references of the content (a JSON array).
    pub parameter_names: String,
    pub created_ms: i64,
    /// A JSON object.
    pub tags: String,
}

/// Which saved commands to list.
#[derive(Debug, Clone, Default)]
pub struct CommandQuery {
    pub command_id: Option<String>,
    pub name: Option<String>,
    pub command_type: Option<String>,
}

/// One invocation (RunCommand, InvokeCommand or SendFile) of one command on some instances.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvocationRow {
    /// `t-…` (`f-…` for SendFile)
    pub invoke_id: String,
    pub region_id: String,
    /// `Command` or `File`.
    pub kind: String,
    /// Set for InvokeCommand.
    pub command_id: Option<String>,
    pub command_name: String,
    pub command_type: String,
    /// Base64 (for a file: its bytes).
    pub content_base64: String,
    pub working_dir: String,
    pub timeout_secs: i64,
    pub username: String,
    pub enable_parameter: bool,
    /// A JSON object (sealed text when it holds secret parameters).
    pub parameters: String,
    /// For SendFile: target directory, name, mode, owner, group, overwrite (a JSON object).
    pub file: String,
    pub created_ms: i64,
    /// Who asked (an execution id, or the API caller's ARN).
    pub creator: String,
    /// Idempotency: a second create with the same token answers the first invocation.
    pub client_token: Option<String>,
    /// A JSON object.
    pub tags: String,
    /// The W3C `traceparent` of the span that created it (None: tracing was off).
    pub traceparent: Option<String>,
}

/// The state of an invocation on one instance.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvocationTarget {
    pub invoke_id: String,
    pub instance_id: String,
    /// `Pending` (not yet accepted by the agent), `Running`, `Stopping`, then one of `Success`,
    /// `Failed`, `Stopped`, `Timeout`.
    pub status: String,
    pub exit_code: Option<i64>,
    /// The output kept (UTF-8; at most the output limit).
    pub output: String,
    /// Bytes of output left out.
    pub dropped: i64,
    pub error_code: String,
    pub error_info: String,
    pub start_ms: Option<i64>,
    pub finish_ms: Option<i64>,
    /// A target not finished by then fails (`ClientNotResponse` if never accepted, else `ExecutionTimeout`).
    pub deadline_ms: i64,
}

impl InvocationTarget {
    /// A new target, not yet delivered.
    pub fn pending(invoke_id: &str, instance_id: &str, deadline_ms: i64) -> Self {
        Self {
            invoke_id: invoke_id.to_string(),
            instance_id: instance_id.to_string(),
            status: TargetStatus::PENDING.to_string(),
            exit_code: None,
            output: String::new(),
            dropped: 0,
            error_code: String::new(),
            error_info: String::new(),
            start_ms: None,
            finish_ms: None,
            deadline_ms,
        }
    }

    /// Whether nothing will change it any more.
    pub fn is_final(&self) -> bool {
        TargetStatus::is_final(&self.status)
    }
}

/// The statuses of [`InvocationTarget::status`].
#[derive(Debug)]
pub struct TargetStatus;

impl TargetStatus {
    pub const PENDING: &str = "Pending";
    pub const RUNNING: &str = "Running";
    pub const STOPPING: &str = "Stopping";
    pub const SUCCESS: &str = "Success";
    pub const FAILED: &str = "Failed";
    pub const STOPPED: &str = "Stopped";
    pub const TIMEOUT: &str = "Timeout";

    pub fn is_final(status: &str) -> bool {
        matches!(status, Self::SUCCESS | Self::FAILED | Self::STOPPED | Self::TIMEOUT)
    }
}

/// A change to one target; each applies only while the target is not final (a late or repeated
/// report changes nothing and the call answers `false`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetChange {
    /// The agent accepted it: `Pending` → `Running`.
    Accepted { start_ms: i64 },
    /// More output; what goes past `limit` bytes in total is counted in `dropped` instead.
    Output { data: String, limit: i64 },
    /// StopInvocation: `Pending` ends `Stopped` at once; `Running` becomes `Stopping`.
    StopRequested { now_ms: i64 },
    /// The end, as the agent or the hub reports it.
    Finished { status: String, exit_code: Option<i64>, output: String, dropped: i64, error_code: String, error_info: String, start_ms: Option<i64>, finish_ms: i64 },
}

/// Which invocations to list.
#[derive(Debug, Clone, Default)]
pub struct InvocationQuery {
    pub invoke_id: Option<String>,
    pub command_id: Option<String>,
    /// Only invocations with a target on this instance (and only that target).
    pub instance_id: Option<String>,
    /// Only invocations made by this creator.
    pub creator: Option<String>,
    /// Only invocations of this kind (`Command`, `File`, `Inventory`).
    pub kind: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// Work the hub has for connected agents: targets `Pending` (to run) or `Stopping` (to stop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub invocation: InvocationRow,
    pub target: InvocationTarget,
}

/// A state configuration (CreateStateConfiguration): a state template applied to managed instances.
/// Applying it writes one invocation of kind `Inventory` with a target per instance, in the same
/// transaction as the configuration's row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StateConfigurationRow {
    /// `sc-…`
    pub state_configuration_id: String,
    pub region_id: String,
    pub template_name: String,
    /// `v3`: the version applied.
    pub template_version: String,
    pub template_id: String,
    pub description: String,
    /// A JSON object: the template's parameters.
    pub parameters: String,
    /// The targets as given (a JSON object: `ResourceType`, `Type`, `ResourceIds` or `Tags`).
    pub targets: String,
    /// `ApplyOnce` or `ApplyAndMonitor`.
    pub configure_mode: String,
    /// `rate` or empty.
    pub schedule_type: String,
    /// `30 minutes`, `1 hour`, … or empty.
    pub schedule_expression: String,
    pub resource_group_id: String,
    /// A JSON object.
    pub tags: String,
    /// What applying it collects: the enabled inventory types of its policy (a JSON array).
    pub inventory_types: String,
    /// When a scheduled configuration is applied next; `None`: applied once.
    pub next_apply_ms: Option<i64>,
    pub client_token: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// Which state configurations to list (newest first).
#[derive(Debug, Clone, Default)]
pub struct StateConfigurationQuery {
    /// Only these ids (all when empty).
    pub ids: Vec<String>,
    pub template_name: Option<String>,
    pub template_version: Option<String>,
    /// Only configurations carrying every one of these tags.
    pub tags: Vec<(String, String)>,
    pub offset: i64,
    pub limit: i64,
}

/// One application of a state configuration: the invocation carrying it and its targets.
#[derive(Debug, Clone, Copy)]
pub struct Application<'a> {
    pub invocation: &'a InvocationRow,
    pub targets: &'a [InvocationTarget],
}
