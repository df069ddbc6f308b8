//! One API request, end to end: parse → authenticate (signature, replay; or a console session's cookie and CSRF token) → authorize (IAM, every
//! action as `oos:<Action>` on its resources, RAM management actions as `ram:<Action>`) → action handler → JSON reply with `RequestId`;
//! each request counted in [`crate::metrics::API_REQUESTS`] by action and result code, and traced in
//! an `api.request` span (action, request id, caller, code on error, the execution it started or
//! named; never parameter values) that continues the caller's `traceparent` when it sends a valid one.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use oos_acs::{AcsError, ErrorBody, ErrorCode, IncomingRequest, RpcRequest, new_request_id, unknown_action, unsupported_version};
use oos_iam::oos_actions::oos_action_authz;
use oos_iam::cloud_calls::ecs_request_authz;
use oos_iam::ram_actions::{RAM_VERSION, ram_action_authz};
use oos_iam::{ArnScope, AuthzRequest, Context, IamError};
use serde_json::{Map, Value};
use tracing::Instrument;
use tracing::field::Empty;

use crate::api::{Api, Fields, OOS_VERSION, Reply};

use crate::actions;
use crate::audit::RequestAudit;
use crate::auth::Caller;
use crate::console::Csrf;
use crate::error;

/// The endpoint host named in the answers of a server of `region`.
pub(crate) fn host_id(region: &str) -> String {
    format!("oos.{region}.openoos.local")
}

/// The reply for a request refused before it could be parsed, answered by `host_id`.
pub(crate) fn refusal(error: &AcsError, host_id: &str) -> Reply {
    error_reply(error, new_request_id(), host_id)
}

fn error_reply(error: &AcsError, request_id: String, host_id: &str) -> Reply {
    let body = ErrorBody::new(error, request_id.clone(), host_id);
    Reply { status: error.status, body: serde_json::to_vec(&body).unwrap_or_default(), request_id }
}

/// The action an OOS request is authorized as: reading a public (library, `OpenOOS-…`) template
/// is allowed to whoever may list templates, as public templates are on OOS.
fn authorized_as(rpc: &RpcRequest) -> &str {
    let reads = matches!(rpc.action.as_str(), "GetTemplate" | "ListTemplateVersions");
    if reads && rpc.get("TemplateName").is_some_and(oos_library::is_library_name) { "ListTemplates" } else { &rpc.action }
}

/// The request's `traceparent`: None when absent or sent more than once (W3C: then it is invalid).
fn incoming_traceparent(request: &IncomingRequest) -> Option<&str> {
    let mut values = request.headers.iter().filter(|(name, _)| name.eq_ignore_ascii_case(oos_telemetry::HEADER));
    let (_, value) = values.next()?;
    values.next().is_none().then_some(value.as_str())
}

/// The execution a reply is about: the one started (`Execution.ExecutionId`) or named (`ExecutionId`).
fn execution_of(fields: &Fields) -> Option<&str> {
    fields.get("ExecutionId").or_else(|| fields.get("Execution").and_then(|execution| execution.get("ExecutionId"))).and_then(Value::as_str)
}

/// The APIs served on the one endpoint, told apart by the request's `Version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// OOS 2019-06-01: templates, executions.
    Oos,
    /// RAM 2015-05-01: users, groups, roles, policies, AccessKeys.
    Ram,
    /// ECS 2014-05-26: its Cloud Assistant part (managed instances, commands, invocations) served
    /// here, and the cloud's reads of [`actions::cloud_reads`] forwarded to the server's cloud.
    Ecs,
}

impl Version {
    fn of(rpc: &RpcRequest) -> Result<Self, AcsError> {
        match rpc.version.as_str() {
            OOS_VERSION => Ok(Self::Oos),
            RAM_VERSION => Ok(Self::Ram),
            oos_assistant::ECS_VERSION => Ok(Self::Ecs),
            other => Err(unsupported_version(other)),
        }
    }
}

impl Api {
    /// Serves one request; never fails (every error becomes a JSON error reply). `secure`: it came
    /// over TLS (`acs:SecureTransport`).
    pub async fn handle(&self, request: IncomingRequest, peer: SocketAddr, secure: bool) -> Reply {
        self.handle_with(request, peer, secure, Csrf::Required).await
    }

    /// [`Api::handle`]; a console session's request needs its CSRF header unless `csrf` says not.
    pub(crate) async fn handle_with(&self, request: IncomingRequest, peer: SocketAddr, secure: bool, csrf: Csrf) -> Reply {
        let request_id = new_request_id();
        let started = std::time::Instant::now();
        let mut audit = RequestAudit::new(peer, &request_id, self.clock.now_ms());
        let mut named = None;
        let span = tracing::info_span!(target: oos_telemetry::TARGET, "api.request", otel.kind = "server",
            oos.request_id = %request_id, oos.action = Empty, oos.principal = Empty, oos.code = Empty, oos.execution_id = Empty);
        oos_telemetry::continue_from(&span, incoming_traceparent(&request));
        let processed = crate::parsed::scope(self.process(&request, peer, secure, csrf, &mut audit, &mut named)).instrument(span.clone()).await;
        let (reply, result_code) = match processed {
            Ok(fields) => {
                if let Some(id) = execution_of(&fields) {
                    span.record("oos.execution_id", id);
                }
                let mut body = Map::with_capacity(fields.len() + 1);
                body.insert("RequestId".into(), Value::String(request_id.clone()));
                body.extend(fields);
                (Reply { status: 200, body: serde_json::to_vec(&body).unwrap_or_default(), request_id }, "Success".into())
            }
            Err(error) => {
                span.record("oos.code", &*error.code);
                (self.error_reply(&error, request_id), error.code)
            }
        };
        drop(span);
        audit.finish(self, &result_code, reply.status).await;
        // An unnamed request's code is cut to its first part: an error code may carry a parameter's name.
        let (action, code) = match named {
            Some(action) => (action, result_code.to_string()),
            None => (crate::metrics::UNNAMED_ACTION.to_owned(), result_code.split('.').next().unwrap_or_default().to_owned()),
        };
        metrics::histogram!(crate::metrics::API_REQUEST_SECONDS, "action" => action.clone()).record(started.elapsed().as_secs_f64());
        metrics::counter!(crate::metrics::API_REQUESTS, "action" => action, "code" => code).increment(1);
        reply
    }

    /// The reply of a request served outside the RPC pipeline (the event and alarm intake).
    pub(crate) fn reply(&self, outcome: Result<Fields, AcsError>) -> Reply {
        let request_id = new_request_id();
        match outcome {
            Ok(fields) => {
                let mut body = Map::with_capacity(fields.len() + 1);
                body.insert("RequestId".into(), Value::String(request_id.clone()));
                body.extend(fields);
                Reply { status: 200, body: serde_json::to_vec(&body).unwrap_or_default(), request_id }
            }
            Err(error) => self.error_reply(&error, request_id),
        }
    }

    /// The reply for a request refused before it could be parsed (oversized, malformed).
    pub fn refuse(&self, error: &AcsError) -> Reply {
        refusal(error, &self.host_id)
    }

    fn error_reply(&self, error: &AcsError, request_id: String) -> Reply {
        error_reply(error, request_id, &self.host_id)
    }

    /// Parse, authenticate, authorize and run the action; `audit` learns each fact as it is known, and
    /// the action runs with its record pending so that its write commits the record too. `named`
    /// gets the action's name for metrics once an authenticated caller asked for a known action
    /// (so that no label is made of what anyone may send).
    async fn process(&self, request: &IncomingRequest, peer: SocketAddr, secure: bool, csrf: Csrf, audit: &mut RequestAudit, named: &mut Option<String>) -> Result<Fields, AcsError> {
        audit.claim(request);
        let rpc = RpcRequest::parse(request)?;
        audit.name_action(&rpc.action);
        let api = Version::of(&rpc)?;
        let caller = match crate::console::authenticate(self, request, csrf).await? {
            Some(caller) => caller,
            None => self.authenticator.authenticate(&self.iam, request, self.clock.timestamp()).await?,
        };
        audit.identify(&caller);
        tracing::Span::current().record("oos.principal", caller.arn.as_str());
        if caller.password_reset_required && !(api == Version::Ram && rpc.action == actions::ram::CHANGE_PASSWORD) {
            return Err(AcsError::new(crate::console::PASSWORD_RESET_REQUIRED, "The user must change their password (ChangePassword) before anything else."));
        }
        let authorized = self.authorize(&caller, &rpc, api, peer, secure).await;
        if authorized.as_ref().is_ok() || authorized.as_ref().is_err_and(|error| error.code != ErrorCode::INVALID_ACTION_NOT_FOUND.code) {
            *named = Some(rpc.action.clone());
            tracing::Span::current().record("oos.action", rpc.action.as_str());
        }
        authorized?;
        audit.describe(self, &rpc).await;
        let action = async {
            match api {
                Version::Oos => actions::dispatch(self, &caller, &rpc).await,
                Version::Ram => actions::ram::dispatch(self, &caller, &rpc).await,
                Version::Ecs if actions::cloud_reads::serves(&rpc.action) => actions::cloud_reads::forward(&self.cloud, &self.region, &rpc).await,
                Version::Ecs => actions::assistant::dispatch(self, &caller, &rpc).await,
            }
        };
        let (outcome, committed) = oos_store::audit::scope(audit.entry("Success", 200), action).await;
        audit.committed = committed;
        outcome
    }

    /// `oos:<Action>` on the resources the request names, for the caller's policies; each resource
    /// is checked with its own `oos:ResourceTag/<key>` values.
    ///
    /// The authorization question is built before any await (`Iam::require_api_action` holds a
    /// non-`Sync` `&dyn RequestParams` across its await, which a multi-threaded server cannot).
    async fn authorize(&self, caller: &Caller, rpc: &RpcRequest, api: Version, peer: SocketAddr, secure: bool) -> Result<(), AcsError> {
        let (action, resources, context) = {
            let params: BTreeMap<String, String> = rpc.params().iter().cloned().collect();
            let scope = ArnScope::new(self.region_of(rpc), self.iam.account().to_string());
            let authz = match api {
                Version::Oos => oos_action_authz(authorized_as(rpc), &params, &scope),
                Version::Ram => {
                    let own = match &caller.principal {
                        oos_iam::Principal::User(name) => Some(name.as_str()),
                        _ => None,
                    };
                    ram_action_authz(&rpc.action, &params, self.iam.account(), own)
                }
                Version::Ecs if actions::assistant::serves(&rpc.action) || actions::cloud_reads::serves(&rpc.action) => Ok(ecs_request_authz(&rpc.action, &params, &scope)),
                Version::Ecs => Err(IamError::UnknownAction(rpc.action.clone())),
            };
            let authz = match authz {
                Ok(authz) => authz,
                Err(IamError::UnknownAction(action)) => return Err(unknown_action(&action)),
                Err(other) => return Err(error::iam(other)),
            };
            let context = authz.extend_context(Context::for_request(peer.ip(), self.clock.timestamp(), secure, caller.mfa_present));
            (authz.action, authz.resources, context)
        };
        if resources.is_empty() {
            // Nothing to check is never everything allowed.
            let request = AuthzRequest { action, resources, context };
            return self.iam.require(&caller.principal, &request).await.map(|_| ()).map_err(error::iam);
        }
        for resource in resources {
            let tags = crate::resource_tags::of(self, &resource).await;
            let request = AuthzRequest { action: action.clone(), resources: vec![resource], context: crate::resource_tags::with_tags(context.clone(), &tags) };
            self.iam.require(&caller.principal, &request).await.map_err(error::iam)?;
        }
        Ok(())
    }
}
