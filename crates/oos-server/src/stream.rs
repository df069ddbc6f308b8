//! `/stream`: an execution's progress, pushed to the console and to tools. The opening request is a
//! signed `ListExecutionLogs` request (any signature the API takes; a browser's WebSocket puts it in
//! the query), or one carrying a console session's cookie (no CSRF header: EventSource sends none) and is answered by the pipeline as any request is — authenticated, authorized on the
//! execution, audited; only a success opens the stream. Then events follow: `status` (at once and
//! on every change), `log` (every log line, oldest first), `task` (a task execution that changed:
//! one item of ListTaskExecutions' `TaskExecutions`, loop items included) and `end` (the execution
//! is final, or `Deleted`), until the client goes or the server stops.
//!
//! A stream does not poll. It subscribes to the store's change feed ([`oos_store::ChangeFeed`])
//! before its first read, sends the status and the logs so far, then sleeps until a change names its
//! execution (or the feed says announcements were missed), and reads only what is new: the status,
//! the log lines after the last one sent, the tasks updated since its last read (less
//! [`CLOCK_MARGIN_MS`], for the clocks of other processes' workers; a task already sent at that
//! update is not sent again). A slow timer ([`SAFETY_READ`]) reads anyway, for what no change announces.
//!
//! Over server-sent events (`Accept: text/event-stream`) each event is `event: <kind>` with its JSON
//! `data`; over a WebSocket (`Upgrade: websocket`) each is a text message
//! `{"event": <kind>, "data": <json>}`.

use std::collections::HashMap;
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
use oos_store::Change;
use serde_json::{Value, json};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::actions::logs::{log_json, task_json, template_id};
use crate::api::Api;
use crate::transport::{CONNECTION_TASK, Connection, stopped};
use crate::transport::routes::{Routes, close_after, incoming, reply_response};

/// The action a stream opens with.
pub const STREAM_ACTION: &str = "ListExecutionLogs";
/// Streams open at once in one process; more are refused (`503 ServiceUnavailable.TooManyStreams`).
pub const MAX_STREAMS: usize = 1024;
/// How far behind this process's clock another worker's may be: tasks are read from this long
/// before the last read.
pub const CLOCK_MARGIN_MS: i64 = 5_000;
/// How long a stream waits without a change before it reads anyway.
pub const SAFETY_READ: Duration = Duration::from_secs(30);

/// One stream's view of its execution.
struct Watch {
    api: Arc<Api>,
    execution_id: String,
    changes: broadcast::Receiver<Change>,
    /// Something may have changed since the last read (a read cancelled halfway leaves it set).
    stale: bool,
    template_id: Option<String>,
    status: Option<String>,
    last_log: i64,
    tasks_since_ms: i64,
    /// The update (time, status) at which each task still within reach of the next read was sent.
    tasks_sent: HashMap<String, (i64, String)>,
    ended: bool,
    _permit: OwnedSemaphorePermit,
}

impl Watch {
    /// Subscribes to the changes before anything is read.
    fn new(api: Arc<Api>, execution_id: String, permit: OwnedSemaphorePermit) -> Self {
        let changes = api.store.changes();
        let tasks_since_ms = api.clock.now_ms() - CLOCK_MARGIN_MS;
        Self { api, execution_id, changes, stale: true, template_id: None, status: None, last_log: 0, tasks_since_ms, tasks_sent: HashMap::new(), ended: false, _permit: permit }
    }

    /// The events since the last call: `(kind, data)`.
    async fn news(&mut self) -> Result<Vec<(&'static str, Value)>, AcsError> {
        let (store, id) = (&self.api.store, self.execution_id.as_str());
        let read_ms = self.api.clock.now_ms();
        let template_id = match &self.template_id {
            Some(template_id) => template_id.clone(),
            None => template_id(&self.api, id).await?,
        };
        let execution = store.execution(id).await.map_err(crate::error::store)?;
        let Some(execution) = execution else {
            self.ended = true;
            return Ok(vec![("end", json!({"ExecutionId": self.execution_id, "Status": "Deleted"}))]);
        };
        let tasks = store.tasks_updated_since(id, self.tasks_since_ms).await.map_err(crate::error::store)?;
        let logs = store.logs_after(id, self.last_log).await.map_err(crate::error::store)?;
        // Nothing is awaited from here on: a read cancelled above changed nothing.
        let mut events: Vec<(&'static str, Value)> = Vec::new();
        if self.status.as_deref() != Some(&execution.status) {
            events.push(("status", json!({"ExecutionId": execution.id, "Status": execution.status, "StatusMessage": execution.status_message})));
            self.status = Some(execution.status.clone());
        }
        for task in &tasks {
            let update = (task.updated_ms, task.status.clone());
            if self.tasks_sent.get(&task.id) != Some(&update) {
                events.push(("task", task_json(task, &template_id)));
                self.tasks_sent.insert(task.id.clone(), update);
            }
        }
        self.tasks_since_ms = self.tasks_since_ms.max(read_ms - CLOCK_MARGIN_MS);
        let since = self.tasks_since_ms;
        self.tasks_sent.retain(|_, (updated_ms, _)| *updated_ms >= since);
        events.extend(logs.iter().map(|numbered| ("log", log_json(&numbered.log))));
        self.last_log = logs.last().map_or(self.last_log, |numbered| numbered.id);
        self.template_id = Some(template_id);
        if matches!(execution.status.as_str(), "Success" | "Failed" | "Cancelled") {
            events.push(("end", json!({"ExecutionId": execution.id, "Status": execution.status})));
            self.ended = true;
        }
        Ok(events)
    }

    /// Waits for the next events; `None` once ended, when the server stops or the store fails.
    async fn next(&mut self, stop: &mut watch::Receiver<bool>) -> Option<Vec<(&'static str, Value)>> {
        loop {
            if self.ended {
                return None;
            }
            if !self.stale {
                tokio::select! {
                    announced = announced(&mut self.changes, &self.execution_id) => if !announced { return None },
                    () = tokio::time::sleep(SAFETY_READ) => {}
                    () = stopped(stop) => return None,
                }
                self.stale = true;
            }
            // The read below sees everything announced so far.
            while !matches!(self.changes.try_recv(), Err(TryRecvError::Empty | TryRecvError::Closed)) {}
            match self.news().await {
                Ok(events) => {
                    self.stale = false;
                    if !events.is_empty() {
                        return Some(events);
                    }
                }
                Err(error) => {
                    tracing::warn!(execution = %self.execution_id, %error, "a stream stopped: its execution could not be read");
                    return None;
                }
            }
        }
    }
}

/// Waits for an announcement that may concern `execution_id` (a lagging receiver missed some: it
/// may); false when the store's feed is gone.
async fn announced(changes: &mut broadcast::Receiver<Change>, execution_id: &str) -> bool {
    loop {
        match changes.recv().await {
            Ok(change) if !change.concerns(execution_id) => {}
            Ok(_) | Err(RecvError::Lagged(_)) => return true,
            Err(RecvError::Closed) => return false,
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
    let watch = Watch::new(Arc::clone(&routes.api), rpc.get("ExecutionId").unwrap_or_default().to_owned(), permit);
    match (upgrade, accept_key) {
        (Some(upgrade), Some(accept_key)) => websocket_stream(routes, watch, upgrade, accept_key),
        (Some(_), None) => refuse(AcsError::invalid_parameter("Sec-WebSocket-Key", "a WebSocket upgrade needs its key")),
        (None, _) => sse_stream(routes, watch),
    }
}

fn sse_stream(routes: Routes, watch: Watch) -> Response<Body> {
    let events = futures::stream::unfold((watch, routes.stop.clone()), |(mut watch, mut stop)| async move {
        let events = watch.next(&mut stop).await?;
        let events = events.into_iter().map(|(kind, data)| Ok::<_, std::convert::Infallible>(Event::default().event(kind).data(data.to_string())));
        Some((futures::stream::iter(events), (watch, stop)))
    })
    .flatten();
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

fn websocket_stream(routes: Routes, mut watch: Watch, upgrade: hyper::upgrade::OnUpgrade, accept_key: String) -> Response<Body> {
    let mut stop = routes.stop.clone();
    routes.tasks.spawn(CONNECTION_TASK, async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        loop {
            let events = tokio::select! {
                events = watch.next(&mut stop) => events,
                // The client closed (or sent something: this stream only speaks).
                message = socket.next() => match message {
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    _ => None,
                },
            };
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
