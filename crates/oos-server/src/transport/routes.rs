//! What each request path is: the console's sign-in (`/console/api/session`, [`crate::console`]), `/healthz` and `/readyz` ([`crate::health`]), `/metrics` ([`crate::metrics`]), `/stream` (an execution's progress as server-sent events or over a
//! WebSocket), the agents' registration and connection (`/agent/v1/…`), the event and alarm intake
//! (`/events/v1`, `/alarms/v1`, `/alertmanager/v1`), the web console (`/console`, [`oos_console`]), [`REFUSED_PATH`] (the answers to heads the edge refused) and, for every other path,
//! the RPC API. The RPC handler reads the body under the request timeout and the size limit, takes
//! back a request target the edge moved aside, and hands the request to the pipeline.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::routing::{any, get, post};
use oos_acs::encode::is_well_formed_form;
use oos_acs::{AcsError, ErrorCode, IncomingRequest};
use oos_runtime::TaskRegistry;
use tokio::sync::{Semaphore, watch};

use super::edge::{ASIDE_QUERY, REFUSED_PATH, Refusal};
use super::{Connection, Limits, MAX_BODY_BYTES};
use crate::api::{Api, Reply};
use crate::health::{self, Health};
use crate::metrics::{METRICS_PATH, Scrape};
use crate::stream;

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct Routes {
    pub api: Arc<Api>,
    pub limits: Limits,
    pub tasks: TaskRegistry,
    pub stop: watch::Receiver<bool>,
    /// Permits of the streams open at once ([`stream::MAX_STREAMS`]).
    pub streams: Arc<Semaphore>,
    /// The connected agents.
    pub hub: oos_assistant::hub::Hub,
    /// The readiness checks.
    pub health: Arc<Health>,
    /// What `/metrics` reads.
    pub scrape: Arc<Scrape>,
}

pub(super) fn router(api: Arc<Api>, hub: oos_assistant::hub::Hub, health: Arc<Health>, limits: Limits, tasks: TaskRegistry, stop: watch::Receiver<bool>) -> Router {
    Router::new()
        .route(health::HEALTHZ_PATH, get(|| async { health::alive() }))
        .route(health::READYZ_PATH, get(|State(routes): State<Routes>| async move { routes.health.ready().await }))
        .route(METRICS_PATH, get(|State(routes): State<Routes>| async move { routes.scrape.render().await }))
        .route("/stream", any(stream::open))
        .route(crate::console::SESSION_PATH, any(crate::console::session))
        .route(oos_agent_proto::REGISTER_PATH, any(crate::agents::register))
        .route(oos_agent_proto::CONNECT_PATH, any(crate::agents::connect))
        .route(crate::intake::EVENTS_PATH, post(intake))
        .route(crate::intake::ALARMS_PATH, post(intake))
        .route(crate::intake::ALERTMANAGER_PATH, post(intake))
        .route(&format!("{REFUSED_PATH}{{refusal}}"), any(refused))
        .merge(oos_console::router())
        .fallback(rpc)
        .with_state(Routes {
            scrape: Arc::new(Scrape::new(api.store.clone(), api.clock.clone(), hub.clone())),
            api,
            limits,
            tasks,
            stop,
            streams: Arc::new(Semaphore::new(stream::MAX_STREAMS)),
            hub,
            health,
        })
}

/// The HTTP response of an API reply.
pub(crate) fn reply_response(reply: Reply) -> Response<Body> {
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=utf-8"));
    if let Ok(id) = HeaderValue::from_str(&reply.request_id) {
        headers.insert("x-acs-request-id", id);
    }
    response
}

/// `response`, and the connection closes after it.
pub(crate) fn close_after(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn refusal(api: &Api, error: &AcsError) -> Response<Body> {
    close_after(reply_response(api.refuse(error)))
}

async fn refused(State(routes): State<Routes>, Path(index): Path<String>) -> Response<Body> {
    let error = match Refusal::from_index(&index) {
        Some(Refusal::HeadTooLarge) => AcsError::with_code("RequestHeaderTooLarge", 431, format!("The request line and headers exceed {} bytes.", super::edge::MAX_HEAD_BYTES)),
        Some(Refusal::TooManyHeaders) => AcsError::with_code("RequestHeaderTooLarge", 431, format!("The request has more than {} headers.", super::edge::MAX_HEADERS)),
        Some(Refusal::BadContentLength) => AcsError::new(ErrorCode::INVALID_PARAMETER, "The Content-Length header is not one number."),
        Some(Refusal::HeadTimeout) => request_timeout("head", routes.limits.header_timeout),
        Some(Refusal::HeadBudget) => AcsError::with_code("ServiceUnavailable.LargeRequests", 503, "Too many large requests are arriving at once; try again shortly."),
        Some(Refusal::Malformed) | None => malformed("The HTTP request is malformed."),
    };
    refusal(&routes.api, &error)
}

fn malformed(message: &str) -> AcsError {
    AcsError::with_code("MalformedRequest", 400, message)
}

fn request_timeout(part: &str, limit: Duration) -> AcsError {
    AcsError::with_code("RequestTimeout", 408, format!("The request {part} did not arrive within {} s.", limit.as_secs_f64()))
}

/// The request as the pipeline reads it: the original target, the headers and the whole body.
pub(crate) async fn incoming(routes: &Routes, connection: &Connection, request: Request) -> Result<IncomingRequest, AcsError> {
    let (parts, body) = request.into_parts();
    let given = parts.uri.path_and_query().map_or("/", |target| target.as_str());
    let target = match parts.uri.query() {
        Some(ASIDE_QUERY) => connection.aside.take().unwrap_or_else(|| given.to_owned()),
        _ => given.to_owned(),
    };
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()).and_then(|value| value.parse::<usize>().ok());
    let too_large = || AcsError::with_code("RequestEntityTooLarge", 413, format!("The request body exceeds {MAX_BODY_BYTES} bytes."));
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let body = match tokio::time::timeout(routes.limits.request_timeout, axum::body::to_bytes(Body::new(body), MAX_BODY_BYTES)).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) => {
            let limited = error.into_inner().is::<http_body_util::LengthLimitError>();
            return Err(if limited { too_large() } else { malformed("The request body could not be read.") });
        }
        Err(_) => return Err(request_timeout("body", routes.limits.request_timeout)),
    };
    let query = target.split_once('?').map_or("", |(_, query)| query);
    let form = parts.headers.get(header::CONTENT_TYPE).is_some_and(|value| value.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
    if !is_well_formed_form(query) || (form && !std::str::from_utf8(&body).is_ok_and(is_well_formed_form)) {
        return Err(malformed("The query string or form body is not valid percent-encoded UTF-8."));
    }
    let headers = parts.headers.iter().map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())).collect();
    Ok(IncomingRequest::from_target(parts.method.as_str(), &target, headers, body.to_vec()))
}

/// The event and alarm intake (`crate::intake`): read like an RPC request, served by its door.
async fn intake(State(routes): State<Routes>, request: Request) -> Response<Body> {
    let Some(connection) = request.extensions().get::<Connection>().cloned() else {
        return refusal(&routes.api, &AcsError::with_code("InternalError", 500, "The request arrived without its connection."));
    };
    let incoming = match incoming(&routes, &connection, request).await {
        Ok(incoming) => incoming,
        Err(error) => return refusal(&routes.api, &error),
    };
    let api = &routes.api;
    let outcome = match incoming.path.as_str() {
        crate::intake::EVENTS_PATH => crate::intake::events(api, &incoming).await,
        crate::intake::ALARMS_PATH => crate::intake::alarms(api, &incoming).await,
        _ => crate::intake::alertmanager(api, &incoming).await,
    };
    reply_response(api.reply(outcome))
}

async fn rpc(State(routes): State<Routes>, request: Request) -> Response<Body> {
    let Some(connection) = request.extensions().get::<Connection>().cloned() else {
        return refusal(&routes.api, &AcsError::with_code("InternalError", 500, "The request arrived without its connection."));
    };
    match incoming(&routes, &connection, request).await {
        Ok(incoming) => reply_response(routes.api.handle(incoming, connection.peer, connection.secure).await),
        Err(error) => refusal(&routes.api, &error),
    }
}
