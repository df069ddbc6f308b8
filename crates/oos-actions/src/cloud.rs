//! The outbound cloud API seam: every ExecuteAPI/WaitFor/CheckFor/SelectTargets call goes through [`CloudApi`].

use serde_json::{Map, Value};

/// One outbound cloud API call made by ExecuteAPI/WaitFor/CheckFor/SelectTargets.
#[async_trait::async_trait]
pub trait CloudApi: Send + Sync {
    /// Performs the call and returns the decoded response body.
    async fn call(&self, call: &ApiCall) -> Result<Value, CloudError>;
}

/// A fully evaluated API call: parameters are already rendered from the template.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    /// Product code as written in the template (`ECS`, `ecs`, `OOS`…).
    pub service: String,
    /// API name (`DescribeInstances`).
    pub api: String,
    /// Region the call targets, when the template or execution says so.
    pub region_id: Option<String>,
    /// RPC-style parameters (for ROA APIs: the query/path parameters not in `roa`).
    pub parameters: Map<String, Value>,
    /// Set for ROA-style (RESTful) APIs.
    pub roa: Option<RoaRequest>,
    /// Follow NextToken/PageNumber and merge all pages.
    pub auto_paging: bool,
    /// Stable across crash re-drives of the same task attempt, so a repeated mutating call is not applied twice.
    pub client_token: String,
    /// Execution making the call (for logs and tracing).
    pub execution_id: String,
    /// Task making the call (for logs and error messages).
    pub task_name: String,
    /// RAM role the execution runs as, if any.
    pub ram_role: Option<String>,
}

/// The HTTP shape of a ROA-style call.
#[derive(Debug, Clone, PartialEq)]
pub struct RoaRequest {
    pub method: String,
    pub uri: String,
    pub headers: Map<String, Value>,
    pub body: Option<Value>,
}

/// A failed cloud call, as the service reported it (or as the client classified a transport failure).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CloudError {
    /// OOS-style error code (`Throttling.User`, `InvalidInstanceId.NotFound`…).
    pub code: String,
    pub message: String,
    pub http_status: Option<u16>,
    pub request_id: Option<String>,
}
