//! The agents' door on the one listener: registration (`POST /agent/v1/register`, a JSON
//! [`Registration`] answered with the agent's identity) and the agent connection
//! (`GET /agent/v1/connect`, a WebSocket authenticated by the agent's credential and handed to the
//! [`Hub`](oos_assistant::hub::Hub)). Both live under the front door's limits; nothing is
//! parsed beyond a bounded JSON body before the activation or the credential is checked.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Response, StatusCode, header};
use axum::response::IntoResponse;
use hyper_util::rt::TokioIo;
use oos_acs::AcsError;
use oos_agent_proto::{AUTHORIZATION, Registration, SCHEME};
use oos_assistant::hub::{SESSION_TASK, socket_config};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::stream::switching_protocols;
use crate::transport::Connection;
use crate::transport::routes::{Routes, close_after, incoming, reply_response};

/// Largest registration body.
const MAX_REGISTRATION_BYTES: usize = 64 * 1024;

fn refuse(routes: &Routes, error: &AcsError) -> Response<Body> {
    close_after(reply_response(routes.api.refuse(error)))
}

/// Registers an agent with an activation.
pub(crate) async fn register(State(routes): State<Routes>, request: Request) -> Response<Body> {
    let Some(connection) = request.extensions().get::<Connection>().cloned() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if request.method() != axum::http::Method::POST {
        return refuse(&routes, &AcsError::with_code("MethodNotAllowed", 405, "Registration is a POST."));
    }
    let incoming = match incoming(&routes, &connection, request).await {
        Ok(incoming) => incoming,
        Err(error) => return refuse(&routes, &error),
    };
    if incoming.body.len() > MAX_REGISTRATION_BYTES {
        return refuse(&routes, &AcsError::with_code("RequestEntityTooLarge", 413, format!("A registration is at most {MAX_REGISTRATION_BYTES} bytes.")));
    }
    let registration: Registration = match serde_json::from_slice(&incoming.body) {
        Ok(registration) => registration,
        Err(error) => return refuse(&routes, &AcsError::invalid_parameter("body", format!("not a registration: {error}"))),
    };
    match oos_assistant::instances::register(&routes.api.assistant, &registration, connection.peer.ip()).await {
        Ok(registered) => {
            tracing::info!(instance = %registered.instance_id, activation = %registration.activation_id, peer = %connection.peer, "agent registered");
            let mut response = Response::new(Body::from(serde_json::to_vec(&registered).unwrap_or_default()));
            response.headers_mut().insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
            response
        }
        Err(error) => {
            tracing::warn!(activation = %registration.activation_id, peer = %connection.peer, code = %error.code, "agent registration refused");
            refuse(&routes, &error)
        }
    }
}

/// Opens an agent's connection: its credential must name a registered instance.
pub(crate) async fn connect(State(routes): State<Routes>, mut request: Request) -> Response<Body> {
    let websocket = request.headers().get(header::UPGRADE).is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let Some(accept_key) = request.headers().get("sec-websocket-key").map(|key| derive_accept_key(key.as_bytes())) else {
        return refuse(&routes, &AcsError::invalid_parameter("Sec-WebSocket-Key", "an agent connects with a WebSocket upgrade"));
    };
    if !websocket {
        return refuse(&routes, &AcsError::invalid_parameter("Upgrade", "an agent connects with a WebSocket upgrade"));
    }
    let credential = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix(SCHEME))
        .map(|value| value.trim().to_string());
    let unauthorized = || AcsError::with_code("InvalidAgentCredential", 401, "The agent credential is missing, unknown or deregistered.");
    let Some(credential) = credential else { return refuse(&routes, &unauthorized()) };
    let Some(instance) = oos_assistant::instances::authenticate(&routes.api.assistant, &credential).await else {
        return refuse(&routes, &unauthorized());
    };
    let upgrade = hyper::upgrade::on(&mut request);
    let hub = routes.hub.clone();
    let stop = routes.stop.clone();
    routes.tasks.spawn(SESSION_TASK, async move {
        let Ok(upgraded) = upgrade.await else { return };
        let socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(socket_config())).await;
        hub.serve(socket, instance, stop).await;
    });
    switching_protocols(&accept_key)
}
