//! The action call as the engine hands it over, and its failure.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which executor runs an action call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallKind {
    /// ExecuteAPI, WaitFor and CheckFor: one cloud API call described by the properties.
    CloudApi,
    /// SelectTargets: resolve the target resources.
    SelectTargets,
    /// Notify / Approve: an HTTP POST of `WebHook.Content` to `WebHook.URI`.
    Webhook,
    /// ExecuteHttpRequest: an HTTP request described by the properties.
    HttpRequest,
}

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
}

/// A failed action, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ActionError {
    pub code: String,
    pub message: String,
}

impl ActionError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }
}

/// Runs action calls.
#[async_trait::async_trait]
pub trait Actions: Send + Sync {
    async fn run(&self, request: &ActionRequest) -> Result<Value, ActionError>;
}
