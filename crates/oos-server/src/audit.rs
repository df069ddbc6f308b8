//! The `ApiCall` audit record of every API request: who (principal, AccessKeyId, source IP), what
//! (action, parameters with secrets redacted) and the outcome (result code, HTTP status, request id).
//! A request refused before it was authorized (unsigned, badly signed, replayed, forbidden) is
//! recorded in bounded form only: its action, claimed key, sizes and a digest, never its values, so
//! that what anyone can send costs a small constant.
//!
//! The pipeline runs the action inside [`oos_store::audit::scope`], so the first write transaction of
//! a mutating action commits the record with its change; a request that changed nothing (reads,
//! refusals, failures) gets its record appended afterwards, and so does the error of an action that
//! failed after its write.

use std::net::SocketAddr;

use oos_acs::{IncomingRequest, RpcRequest};
use oos_iam::Principal;
use oos_store::audit::{AuditKind, NewAudit, REDACTED, redact};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::api::Api;

/// Who a request without a verified signature is recorded as.
pub const ANONYMOUS: &str = "anonymous";

/// Parameters recorded as a digest instead of their (large) text.
const DIGESTED: [&str; 2] = ["Content", "TemplateContent"];
/// Longest client-chosen text (action name, claimed AccessKeyId) kept in a bounded record.
const MAX_CLAIM_CHARS: usize = 128;

/// What is known about one request so far.
#[derive(Debug, Clone)]
pub struct RequestAudit {
    time_ms: i64,
    request_id: String,
    source_ip: String,
    access_key_id: Option<String>,
    principal: String,
    user: String,
    action: String,
    execution_id: Option<String>,
    /// The redacted parameters, once the request is authorized; before, only [`RequestAudit::shape`].
    parameters: Option<Value>,
    /// Sizes and digest of the request as received.
    shape: Value,
    /// Why a console sign-in was refused.
    reason: Option<String>,
    /// Whether a write of the action committed the record.
    pub committed: bool,
}

impl RequestAudit {
    /// A request from `peer` that arrived at `time_ms`, before anything about it is known.
    pub fn new(peer: SocketAddr, request_id: &str, time_ms: i64) -> Self {
        Self {
            time_ms,
            request_id: request_id.to_string(),
            source_ip: peer.ip().to_string(),
            access_key_id: None,
            principal: ANONYMOUS.into(),
            user: ANONYMOUS.into(),
            action: String::new(),
            execution_id: None,
            parameters: None,
            shape: Value::Null,
            reason: None,
            committed: false,
        }
    }

    /// What the request claims before it is verified: its AccessKeyId (shortened), sizes and digest.
    pub fn claim(&mut self, request: &IncomingRequest) {
        self.access_key_id = crate::auth::claimed_key_id(request).ok().flatten().map(|id| bounded(&id));
        let mut digest = Sha256::new();
        digest.update(request.method.as_bytes());
        digest.update(b" ");
        digest.update(request.raw_query.as_bytes());
        digest.update(b"\n");
        digest.update(&request.body);
        self.shape = serde_json::json!({
            "QueryBytes": request.raw_query.len(),
            "BodyBytes": request.body.len(),
            "Digest": format!("sha256:{}", hex::encode(digest.finalize())),
        });
    }

    /// The action the request names (shortened; it is not yet known to exist).
    pub fn name_action(&mut self, action: &str) {
        self.action = bounded(action);
    }

    /// The verified caller.
    pub fn identify(&mut self, caller: &Caller) {
        self.access_key_id = Some(caller.access_key_id.clone());
        self.principal = caller.arn.clone();
        self.user = match &caller.principal {
            Principal::Root => "root".into(),
            Principal::User(name) | Principal::Role(name) => name.clone(),
        };
    }

    /// A console sign-in or sign-out (`action`) of `user_name` (as claimed, shortened): its only parameter.
    pub fn console(&mut self, action: &str, user_name: &str) {
        self.action = action.to_owned();
        self.parameters = Some(serde_json::json!({"UserName": bounded(user_name)}));
    }

    /// Why a console sign-in was refused (`InvalidCredentials`, `Locked`…), beside its code.
    pub fn reason(&mut self, reason: &str) {
        self.reason = (!reason.is_empty()).then(|| reason.to_owned());
    }

    /// The parameters of an authorized request, redacted (`Signature`, secret-named keys, secret
    /// parameter values, NoEcho values of `Parameters`, template text as a digest).
    pub async fn describe(&mut self, api: &Api, rpc: &RpcRequest) {
        self.execution_id = rpc.get("ExecutionId").map(str::to_string);
        let mut parameters = Map::new();
        for (name, value) in rpc.params() {
            let shown = if DIGESTED.contains(&name.as_str()) {
                Value::String(format!("sha256:{} ({} bytes)", hex::encode(Sha256::digest(value.as_bytes())), value.len()))
            } else if name == "Value" && rpc.action.contains("SecretParameter") {
                Value::String(REDACTED.into())
            } else if name == "Parameters" {
                execution_parameters(api, rpc, value).await
            } else {
                Value::String(value.clone())
            };
            parameters.insert(name.clone(), shown);
        }
        let mut parameters = Value::Object(parameters);
        redact(&mut parameters, &[]);
        self.parameters = Some(parameters);
    }

    /// The record with this outcome (`Success` or an error code).
    pub fn entry(&self, result_code: &str, http_status: u16) -> NewAudit {
        let mut body = Map::new();
        body.insert("Principal".into(), Value::String(self.principal.clone()));
        body.insert("User".into(), Value::String(self.user.clone()));
        body.insert("AccessKeyId".into(), self.access_key_id.clone().map_or(Value::Null, Value::String));
        body.insert("SourceIp".into(), Value::String(self.source_ip.clone()));
        body.insert("Action".into(), Value::String(self.action.clone()));
        body.insert("ExecutionId".into(), self.execution_id.clone().map_or(Value::Null, Value::String));
        match &self.parameters {
            Some(parameters) => body.insert("Parameters".into(), parameters.clone()),
            None => body.insert("Request".into(), self.shape.clone()),
        };
        body.insert("ResultCode".into(), Value::String(result_code.to_string()));
        if let Some(reason) = &self.reason {
            body.insert("Reason".into(), Value::String(reason.clone()));
        }
        body.insert("HttpStatus".into(), Value::from(http_status));
        body.insert("RequestId".into(), Value::String(self.request_id.clone()));
        NewAudit { time_ms: self.time_ms, kind: AuditKind::ApiCall, body }
    }

    /// Appends the record of a request whose outcome no write committed.
    pub async fn finish(&self, api: &Api, result_code: &str, http_status: u16) {
        if self.committed && http_status == 200 {
            return;
        }
        if let Err(error) = api.store.append_audit(&[self.entry(result_code, http_status)]).await {
            tracing::error!(%error, request_id = %self.request_id, "audit record not written");
        }
    }
}

/// At most [`MAX_CLAIM_CHARS`] characters of client-chosen text.
fn bounded(text: &str) -> String {
    text.chars().take(MAX_CLAIM_CHARS).collect()
}

/// `Parameters` of StartExecution-like requests with the values of the template's NoEcho parameters
/// redacted; every value is redacted when the template cannot be read (or the text is not JSON).
async fn execution_parameters(api: &Api, rpc: &RpcRequest, text: &str) -> Value {
    let Ok(Value::Object(mut values)) = serde_json::from_str::<Value>(text) else {
        return Value::String(REDACTED.into());
    };
    let no_echo = no_echo_parameters(api, rpc).await;
    for (name, value) in values.iter_mut() {
        if no_echo.as_ref().is_none_or(|names| names.iter().any(|secret| secret.eq_ignore_ascii_case(name))) {
            *value = Value::String(REDACTED.into());
        }
    }
    Value::Object(values)
}

/// Names of the NoEcho parameters of the template the request names (inline or stored).
async fn no_echo_parameters(api: &Api, rpc: &RpcRequest) -> Option<Vec<String>> {
    let content = match rpc.get("TemplateContent") {
        Some(content) => content.to_string(),
        None => {
            let version = rpc.get("TemplateVersion").and_then(|v| v.strip_prefix('v')).and_then(|n| n.parse().ok());
            api.store.template(rpc.get("TemplateName")?, version).await.ok()??.content
        }
    };
    let template = crate::parsed::template(&content).ok()?;
    Some(template.parameters.iter().filter(|(_, definition)| definition.no_echo).map(|(name, _)| name.clone()).collect())
}
