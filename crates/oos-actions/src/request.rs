//! The action call as the engine hands it over (its kind and failure are the engine core's types).

use serde_json::Value;

pub use oos_engine::{ActionError, CallKind};

/// One action invocation with its rendered properties.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    pub kind: CallKind,
    pub properties: Value,
    /// Stable across crash re-drives of the same task attempt.
    pub client_token: String,
    pub execution_id: String,
    pub task_name: String,
    pub region_id: String,
    /// The RAM role the execution acts as; None: it acts as `executed_by`.
    pub ram_role: Option<String>,
    /// Who started the execution: the caller's ARN on a server (`acs:ram::<account>:user/<name>`), `oos` locally.
    pub executed_by: String,
    /// The task's action, canonically spelled (`ACS::Approve`); empty when not known.
    pub action: String,
    /// Texts that must not be stored or shown: the execution's secrets (see
    /// [`oos_engine::secrets::secret_texts`]).
    pub secrets: Vec<String>,
}

/// Runs action calls.
#[async_trait::async_trait]
pub trait Actions: Send + Sync {
    async fn run(&self, request: &ActionRequest) -> Result<Value, ActionError>;
}
