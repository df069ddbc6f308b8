//! The product's [`Actions`]: cloud calls through a [`CloudApi`], webhooks and HTTP requests through
//! an HTTP client.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::api_call::api_call;
use crate::cloud::CloudApi;
use crate::request::{ActionError, ActionRequest, Actions, CallKind};

/// Runs every action kind; cloud calls go to `cloud`.
pub struct Executors {
    cloud: Arc<dyn CloudApi>,
    http: reqwest::Client,
}

impl Executors {
    pub fn new(cloud: Arc<dyn CloudApi>) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap_or_default();
        Self { cloud, http }
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
        self.send("POST", uri, hook.get("Headers"), body, &request.task_name).await
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
        self.send(method, url, p.get("Headers"), body, &request.task_name).await
    }

    async fn send(&self, method: &str, url: &str, headers: Option<&Value>, body: String, task: &str) -> Result<Value, ActionError> {
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| ActionError::new("InvalidParameter.Method", format!("task {task}: bad HTTP method {method}")))?;
        let mut builder = self.http.request(method, url).body(body);
        for (name, value) in headers.and_then(Value::as_object).into_iter().flatten() {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            builder = builder.header(name, value);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| ActionError::new("Http.RequestFailed", format!("task {task}: {url}: {e}")))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status >= 400 {
            return Err(ActionError::new("Http.ErrorStatus", format!("task {task}: {url} answered HTTP {status}: {body}")));
        }
        Ok(json!({ "StatusCode": status, "Body": body }))
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
