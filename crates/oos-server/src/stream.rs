//! `/stream`: an execution's progress, pushed to the console and to tools. The opening request is a
//! signed `ListExecutionLogs` request (any signature the API takes; a browser's WebSocket puts it in
//! the query), or one carrying a console session's cookie (no CSRF header: EventSource sends none) and is answered by the pipeline as any request is — authenticated, authorized on the
//! execution, audited; only a success opens the stream. Then events follow: `status` (at once and
//! on every change), `log` (every log line, oldest first) and `end` (the execution is final), until
//! the client goes or the server stops.
//!
//! Over server-sent events (`Accept: text/event-stream`) each event is `event: <kind>` with its JSON
//! `data`; over a WebSocket (`Upgrade: websocket`) each is a text message
//! `{"event": <kind>, "data": <json>}`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::actions::common::date;
use crate::api::Api;
use crate::transport::{CONNECTION_TASK, Connection, stopped};
use crate::transport::routes::{Routes, close_after, incoming, reply_response};

/// The action a stream opens with.
pub const STREAM_ACTION: &str = "ListExecutionLogs";
/// Streams open at once in one process; more are refused (`503 ServiceUnavailable.TooManyStreams`).
pub const MAX_STREAMS: usize = 1024;
/// How often a stream looks for news.
const POLL: Duration = Duration::from_millis(250);

/// One stream's view of its execution.
struct Watch {
    api: Arc<Api>,
    execution_id: String,
    status: Option<String>,
    logs_sent: usize,
    ended: bool,
    _permit: OwnedSemaphorePermit,
}

impl Watch {
    /// The events since the last call: `(kind, data)`.
    async fn news(&mut self) -> Result<Vec<(&'static str, Value)>, AcsError> {
        let store = &self.api.store;
        let execution = store.execution(&self.execution_id).await.map_err(crate::error::store)?;
        let Some(execution) = execution else {
            self.ended = true;
            return Ok(vec![("end", json!({"ExecutionId": self.execution_id, "Status": "Deleted"}))]);
        };
        let mut events: Vec<(&'static str, Value)> = Vec::new();
        if self.status.as_deref() != Some(&execution.status) {
            events.push(("status", json!({"ExecutionId": execution.id, "Status": execution.status, "StatusMessage": execution.status_message})));
            self.status = Some(execution.status.clone());
        }
        let logs = store.logs(&self.execution_id, None).await.map_err(crate::error::store)?;
        events.extend(logs
            .iter()
            .skip(self.logs_sent)
            .map(|log| {
                let data = json!({"Timestamp": date(log.ts_ms), "TaskExecutionId": log.task_execution_id.clone().unwrap_or_default(), "LogType": log.log_type, "Message": log.message});
                ("log", data)
            })
            );
        self.logs_sent = logs.len().max(self.logs_sent);
        if matches!(execution.status.as_str(), "Success" | "Failed" | "Cancelled") {
            events.push(("end", json!({"ExecutionId": execution.id, "Status": execution.status})));
            self.ended = true;
        }
        Ok(events)
    }

    /// Waits for the next events; `None` once ended, when the server stops or the store fails.
    async fn next(&mut self, stop: &mut watch::Receiver<bool>, first: bool) -> Option<Vec<(&'static str, Value)>> {
        loop {
            if self.ended {
                return None;
            }
            if !first || self.status.is_some() {
                tokio::select! {
                    () = tokio::time::sleep(POLL) => {}
                    () = stopped(stop) => return None,
                }
            }
            match self.news().await {
                Ok(events) if events.is_empty() => {}
                Ok(events) => return Some(events),
                Err(error) => {
                    tracing::warn!(execution = %self.execution_id, %error, "a stream stopped: its execution could not be read");
                    return None;
                }
            }
        }
    }
}

/// Opens a stream, or answers why not.
pub(crate) async fn open(State(routes): State<Routes>, mut request: Request) -> Response<Body> {
    let Some(connection) = request.extensions().get::<Connection>().cloned() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let websocket = request.headers().get(header::UPGRADE).is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let accept_key = request.headers().get("sec-websocket-key").map(|key| derive_accept_key(key.as_bytes()));
    let upgrade = websocket.then(|| hyper::upgrade::on(&mut request));
    let refuse = |error: AcsError| close_after(reply_response(routes.api.refuse(&error)));
    let incoming = match incoming(&routes, &connection, request).await {
        Ok(incoming) => incoming,
        Err(error) => return refuse(error),
    };
    let rpc = match RpcRequest::parse(&incoming) {
        Ok(rpc) => rpc,
        Err(error) => return refuse(error),
    };
    if rpc.action != STREAM_ACTION {
        return refuse(AcsError::invalid_parameter("Action", format!("a stream opens with {STREAM_ACTION}, not {}", rpc.action)));
    }
    let Ok(permit) = Arc::clone(&routes.streams).try_acquire_owned() else {
        return refuse(AcsError::with_code("ServiceUnavailable.TooManyStreams", 503, format!("{MAX_STREAMS} streams are open; try again shortly.")));
    };
    let admitted = routes.api.handle_with(incoming, connection.peer, connection.secure, crate::console::Csrf::NotRequired).await;
    if admitted.status != 200 {
        return close_after(reply_response(admitted));
    }
    let watch = Watch { api: Arc::clone(&routes.api), execution_id: rpc.get("ExecutionId").unwrap_or_default().to_owned(), status: None, logs_sent: 0, ended: false, _permit: permit };
    match (upgrade, accept_key) {
        (Some(upgrade), Some(accept_key)) => websocket_stream(routes, watch, upgrade, accept_key),
        (Some(_), None) => refuse(AcsError::invalid_parameter("Sec-WebSocket-Key", "a WebSocket upgrade needs its key")),
        (None, _) => sse_stream(routes, watch),
    }
}

fn sse_stream(routes: Routes, watch: Watch) -> Response<Body> {
    let events = futures::stream::unfold((watch, routes.stop.clone(), true), |(mut watch, mut stop, first)| async move {
        let events = watch.next(&mut stop, first).await?;
        let events = events.into_iter().map(|(kind, data)| Ok::<_, std::convert::Infallible>(Event::default().event(kind).data(data.to_string())));
        Some((futures::stream::iter(events), (watch, stop, false)))
    })
    .flatten();
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

fn websocket_stream(routes: Routes, mut watch: Watch, upgrade: hyper::upgrade::OnUpgrade, accept_key: String) -> Response<Body> {
    let mut stop = routes.stop.clone();
    routes.tasks.spawn(CONNECTION_TASK, async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        let mut first = true;
        loop {
            let events = tokio::select! {
                events = watch.next(&mut stop, first) => events,
                // The client closed (or sent something: this stream only speaks).
                message = socket.next() => match message {
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    _ => None,
                },
            };
            first = false;
            let Some(events) = events else { break };
            for (kind, data) in events {
                if socket.send(Message::text(json!({"event": kind, "data": data}).to_string())).await.is_err() {
                    return;
                }
            }
        }
        let _ = socket.close(None).await;
    });
    switching_protocols(&accept_key)
}

/// The answer accepting a WebSocket upgrade whose key derives `accept_key`.
pub(crate) fn switching_protocols(accept_key: &str) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    if let Ok(accept) = HeaderValue::from_str(accept_key) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}
