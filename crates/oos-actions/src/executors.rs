//! The product's [`Actions`]: cloud calls through a [`CloudApi`], webhooks and HTTP requests through
//! the [`Outbound`] client and its address policy, or, in a sandbox, into its inbox unless the host
//! is on the sandbox's allow-list ([`SandboxDoor`]). Each webhook and HTTP request is counted in
//! [`OUTBOUND_REQUESTS`] by kind and outcome.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::api_call::api_call;
use crate::cloud::CloudApi;
use crate::outbound::sandbox::{CAPTURE_FAILED, LetterKind, Outgoing, SandboxDoor};
use crate::outbound::{AddressPolicy, Outbound};
use crate::request::{ActionError, ActionRequest, Actions, CallKind};

/// Largest answer of a webhook or HTTP request kept as the task's result.
pub const MAX_HTTP_ANSWER_BYTES: usize = 4 * 1024 * 1024;
/// Time allowed for one webhook or HTTP request, redirects included.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Webhooks and HTTP requests of executions ended, by kind (`Notify`, `Approve`, `HttpRequest`) and
/// outcome (`success`, `error_status`: an answer of HTTP 400 or more, `captured`: kept in the
/// sandbox inbox, else the error code: `Http.RequestFailed`, `Outbound.AddressDenied`…) (counter).
pub const OUTBOUND_REQUESTS: &str = "oos_outbound_requests_total";

/// Describes the executors' metrics to the installed recorder.
pub fn describe_metrics() {
    metrics::describe_counter!(OUTBOUND_REQUESTS, "Webhooks and HTTP requests of executions ended, by kind and outcome");
}

fn count(kind: LetterKind, outcome: &'static str) {
    metrics::counter!(OUTBOUND_REQUESTS, "kind" => kind.as_str(), "outcome" => outcome).increment(1);
}

/// Runs every action kind; cloud calls go to `cloud`, HTTP to `http`.
pub struct Executors {
    cloud: Arc<dyn CloudApi>,
    http: Outbound,
    sandbox: Option<SandboxDoor>,
}

impl Executors {
    /// Executors whose HTTP requests obey `policy`.
    pub fn new(cloud: Arc<dyn CloudApi>, policy: AddressPolicy) -> Self {
        Self { cloud, http: Outbound::new(policy, HTTP_TIMEOUT), sandbox: None }
    }

    /// These executors in a sandbox: requests `door` does not send are captured in its inbox.
    pub fn with_sandbox(self, door: SandboxDoor) -> Self {
        Self { sandbox: Some(door), ..self }
    }

    async fn webhook(&self, request: &ActionRequest) -> Result<Value, ActionError> {
        let hook = request.properties.get("WebHook").ok_or_else(|| {
            ActionError::new("InvalidTemplate.MissingProperty", format!("task {}: WebHook is required", request.task_name))
        })?;
        let uri = hook.get("URI").and_then(Value::as_str).ok_or_else(|| {
            ActionError::new("InvalidTemplate.MissingProperty", format!("task {}: WebHook.URI is required", request.task_name))
        })?;
        let body = match hook.get("Content") {
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => "{}".to_owned(),
        };
        let kind = if request.action == "ACS::Approve" { LetterKind::Approve } else { LetterKind::Notify };
        self.send(request, kind, "POST", uri, hook.get("Headers"), body).await
    }

    async fn http_request(&self, request: &ActionRequest) -> Result<Value, ActionError> {
        let p = &request.properties;
        let url = p.get("URL").or_else(|| p.get("URI")).and_then(Value::as_str).ok_or_else(|| {
            ActionError::new("InvalidTemplate.MissingProperty", format!("task {}: URL is required", request.task_name))
        })?;
        let method = p.get("Method").and_then(Value::as_str).unwrap_or("GET");
        let body = match p.get("Body") {
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        self.send(request, LetterKind::HttpRequest, method, url, p.get("Headers"), body).await
    }

    async fn send(&self, request: &ActionRequest, kind: LetterKind, method: &str, url: &str, headers: Option<&Value>, body: String) -> Result<Value, ActionError> {
        let task = &request.task_name;
        let headers: Vec<(String, String)> = headers
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.clone(), value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
            .collect();
        if let Some(door) = self.sandbox.as_ref().filter(|door| !door.sends(url)) {
            let outgoing = Outgoing { kind, execution_id: &request.execution_id, task_name: task, method, url, headers: &headers, body: &body };
            let id = door.capture(outgoing, &request.secrets).await.map_err(|e| {
                count(kind, CAPTURE_FAILED);
                ActionError::new(CAPTURE_FAILED, format!("task {task}: {e}"))
            })?;
            count(kind, "captured");
            return Ok(json!({ "StatusCode": 200, "Body": { "SandboxInboxId": id, "Captured": true } }));
        }
        let answer = self.http.send(method, url, &headers, body.into_bytes(), MAX_HTTP_ANSWER_BYTES).await.map_err(|e| {
            count(kind, e.code);
            ActionError::new(e.code, format!("task {task}: {}", e.message))
        })?;
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if answer.status >= 400 {
            count(kind, "error_status");
            return Err(ActionError::new("Http.ErrorStatus", format!("task {task}: {} answered HTTP {}: {body}", crate::outbound::display_url(url), answer.status)));
        }
        count(kind, "success");
        Ok(json!({ "StatusCode": answer.status, "Body": body }))
    }
}

#[async_trait::async_trait]
impl Actions for Executors {
    async fn run(&self, request: &ActionRequest) -> Result<Value, ActionError> {
        match request.kind {
            CallKind::CloudApi | CallKind::SelectTargets => {
                let call = api_call(request)?;
                self.cloud.call(&call).await.map_err(|e| ActionError::new(e.code, e.message))
            }
            CallKind::Webhook => self.webhook(request).await,
            CallKind::HttpRequest => self.http_request(request).await,
        }
    }
}
