//! oos-assistant: the Cloud Assistant of OpenOOS for managed instances — hosts that run `oos agent`
//! and dial out to the server (no inbound port on the host).
//!
//! [`Assistant`] serves the Cloud Assistant part of the ECS API (2014-05-26) over the store's
//! [`AssistantStore`](oos_store::AssistantStore): activations and registration ([`instances`]),
//! saved commands and invocations ([`commands`], [`invocations`]); it answers in the ECS API's
//! shapes, so the official SDKs and the public `ACS::ECS::RunCommand` templates work unmodified.
//! The [`hub`] holds the agents' WebSocket connections and carries invocations to them and their
//! outcomes back; [`router::AssistantActions`] sends an execution's Cloud Assistant calls for
//! managed instances here instead of to a cloud. [`inventory`] applies state configurations: their
//! inventory collections are invocations too. Any server can hold any agent: invocations are
//! rows, and each hub delivers the ones of the agents connected to it.

mod audit;
pub mod commands;
mod content;
pub mod hub;
mod ids;
pub mod instances;
pub mod inventory;
pub mod invocations;
mod poke;
mod params;
pub mod router;
mod select;
mod shapes;

use std::sync::Arc;

use oos_acs::{AcsError, RpcRequest, unknown_action};
use oos_clock::Clock;
use oos_store::ServerStore;
use serde_json::{Map, Value};
use tokio::sync::Notify;

pub use ids::{is_assistant_command, is_assistant_invocation};

/// The ECS API version whose Cloud Assistant part is served here.
pub const ECS_VERSION: &str = "2014-05-26";

/// Output bytes kept per instance and invocation (as Cloud Assistant keeps 24 KiB); more is dropped
/// and counted.
pub const OUTPUT_LIMIT: u64 = 24 * 1024;

/// The Cloud Assistant over one store, shared by the API, the hub and the worker's router.
#[derive(Clone)]
pub struct Assistant {
    store: Arc<dyn ServerStore>,
    clock: Arc<dyn Clock>,
    region: String,
    /// Pulsed after every write an agent connected to this process may be waiting for.
    work: Arc<Notify>,
    /// Whether command output goes into the audit trail (it always goes into the invocation).
    audit_output: bool,
    /// Seals command parameters at rest (they may carry secrets); none: kept as given.
    sealer: Option<Arc<dyn oos_runtime::Sealer>>,
}

impl std::fmt::Debug for Assistant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assistant").field("region", &self.region).field("audit_output", &self.audit_output).field("sealed", &self.sealer.is_some()).finish_non_exhaustive()
    }
}

/// The fields of an answer (without `RequestId`).
pub type Fields = Map<String, Value>;

impl Assistant {
    pub fn new(store: Arc<dyn ServerStore>, clock: Arc<dyn Clock>, region: &str) -> Self {
        Self { store, clock, region: region.to_string(), work: Arc::new(Notify::new()), audit_output: true, sealer: None }
    }

    /// Leaves command output out of the audit trail (`oos server --audit-command-output false`).
    pub fn with_output_audit(mut self, audit_output: bool) -> Self {
        self.audit_output = audit_output;
        self
    }

    /// Seals command parameters with the master key before they are stored.
    pub fn with_sealer(mut self, sealer: Arc<dyn oos_runtime::Sealer>) -> Self {
        self.sealer = Some(sealer);
        self
    }

    /// `parameters` (a JSON object's text) as stored for invocation `invoke_id`.
    pub(crate) fn seal_parameters(&self, parameters: String, invoke_id: &str) -> String {
        match &self.sealer {
            Some(sealer) if parameters != "{}" => format!("{SEALED}{}", sealer.seal(&parameters, &sealing_context(invoke_id))),
            _ => parameters,
        }
    }

    /// The parameters of an invocation as given (opened when sealed; none when they cannot be).
    pub(crate) fn open_parameters(&self, stored: &str, invoke_id: &str) -> serde_json::Map<String, Value> {
        let text = match (stored.strip_prefix(SEALED), &self.sealer) {
            (Some(sealed), Some(sealer)) => match sealer.open(sealed, &sealing_context(invoke_id)) {
                Ok(text) => text,
                Err(error) => {
                    tracing::error!(invoke_id, %error, "the parameters of an invocation cannot be opened with this master key");
                    return serde_json::Map::new();
                }
            },
            _ => stored.to_string(),
        };
        serde_json::from_str(&text).unwrap_or_default()
    }

    pub(crate) fn audits_output(&self) -> bool {
        self.audit_output
    }

    /// Whether `action` is one this module serves.
    pub fn serves(action: &str) -> bool {
        ACTIONS.contains(&action)
    }

    /// Runs one ECS API action; `creator` is who asks (an execution id or a caller's ARN).
    pub async fn call(&self, request: &RpcRequest, creator: &str) -> Result<Fields, AcsError> {
        match request.action.as_str() {
            "RunCommand" => commands::run_command(self, request, creator).await,
            "InvokeCommand" => commands::invoke_command(self, request, creator).await,
            "CreateCommand" => commands::create_command(self, request).await,
            "DescribeCommands" => commands::describe_commands(self, request).await,
            "DeleteCommand" => commands::delete_command(self, request).await,
            "DescribeInvocations" => invocations::describe_invocations(self, request).await,
            "DescribeInvocationResults" => invocations::describe_invocation_results(self, request).await,
            "StopInvocation" => invocations::stop_invocation(self, request).await,
            "SendFile" => invocations::send_file(self, request, creator).await,
            "DescribeSendFileResults" => invocations::describe_send_file_results(self, request).await,
            "DescribeCloudAssistantStatus" => instances::describe_cloud_assistant_status(self, request).await,
            "CreateActivation" => instances::create_activation(self, request).await,
            "DescribeActivations" => instances::describe_activations(self, request).await,
            "DeleteActivation" => instances::delete_activation(self, request).await,
            "DescribeManagedInstances" => instances::describe_managed_instances(self, request).await,
            "DeregisterManagedInstance" => instances::deregister_managed_instance(self, request).await,
            other => Err(unknown_action(other)),
        }
    }

    pub(crate) fn store(&self) -> &Arc<dyn ServerStore> {
        &self.store
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The region of requests without `RegionId`.
    pub fn region(&self) -> &str {
        &self.region
    }

    pub(crate) fn region_of(&self, request: &RpcRequest) -> String {
        request.get("RegionId").unwrap_or(&self.region).to_string()
    }

    /// Tells this process's hub there is new work for its agents.
    pub(crate) fn wake_hub(&self) {
        self.work.notify_one();
    }

    pub(crate) fn work(&self) -> &Arc<Notify> {
        &self.work
    }
}

/// What sealed invocation parameters start with.
pub(crate) const SEALED: &str = "sealed:";

fn sealing_context(invoke_id: &str) -> String {
    format!("invocation-parameters/{invoke_id}")
}

/// Every action [`Assistant::call`] serves.
pub const ACTIONS: &[&str] = &[
    "RunCommand",
    "InvokeCommand",
    "CreateCommand",
    "DescribeCommands",
    "DeleteCommand",
    "DescribeInvocations",
    "DescribeInvocationResults",
    "StopInvocation",
    "SendFile",
    "DescribeSendFileResults",
    "DescribeCloudAssistantStatus",
    "CreateActivation",
    "DescribeActivations",
    "DeleteActivation",
    "DescribeManagedInstances",
    "DeregisterManagedInstance",
];

/// A store failure as an API error (its detail goes to the log, not to the caller).
pub(crate) fn store_error(error: oos_store::StoreError) -> AcsError {
    tracing::error!(%error, "the Cloud Assistant's store failed");
    AcsError::new(oos_acs::ErrorCode::INTERNAL_ERROR, "The request could not be completed; try again.")
}
