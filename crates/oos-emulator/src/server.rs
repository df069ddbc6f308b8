//! The HTTP face: one axum fallback route serving `POST /` and `GET /` with Alibaba's RPC
//! protocol, the ECS metadata service under `/latest/` when configured, the admin endpoints under
//! `/_emulator/` when enabled, JSON errors for everything else, and the background state saver.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use oos_acs::IncomingRequest;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::{Emulator, EmulatorError};

/// How long the saver waits after a change so a burst of changes is written once.
const SAVE_COALESCE: Duration = Duration::from_millis(100);

async fn serve_rpc(
    State(emulator): State<Emulator>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.path().starts_with("/latest/") {
        let token = headers.get(crate::TOKEN_HEADER).and_then(|value| value.to_str().ok());
        if let Some(reply) = emulator.metadata(method.as_str(), uri.path(), token) {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, reply.body).into_response();
        }
    }
    let incoming = IncomingRequest {
        method: method.as_str().to_string(),
        path: uri.path().to_string(),
        raw_query: uri.query().unwrap_or_default().to_string(),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    let reply = emulator.handle(&incoming);
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, reply.body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&reply.request_id) {
        headers.insert("x-acs-request-id", value);
    }
    response
}

/// A running emulator server.
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    emulator: Emulator,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
    saver: Option<JoinHandle<()>>,
}

impl EmulatorHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `host:port`, the form SDK configurations take as `endpoint`.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The emulator behind the server (in-process access to its state).
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// Stops accepting requests, waits for the server to finish, saves the state.
    pub async fn shutdown(mut self) -> Result<(), EmulatorError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = (&mut self.server).await;
        if let Some(saver) = self.saver.take() {
            saver.abort();
        }
        self.emulator.save()?;
        match served {
            Ok(result) => result.map_err(|error| EmulatorError::Serve(error.to_string())),
            Err(error) => Err(EmulatorError::Serve(error.to_string())),
        }
    }
}

impl Emulator {
    /// Serves the emulator on `addr` (port 0 picks a free port) until the handle shuts it down.
    pub async fn spawn(&self, addr: SocketAddr) -> Result<EmulatorHandle, EmulatorError> {
        let listener =
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|error| EmulatorError::Bind {
                    addr,
                    message: error.to_string(),
                })?;
        let addr = listener.local_addr().map_err(|error| EmulatorError::Bind {
            addr,
            message: error.to_string(),
        })?;
        let mut router = Router::new();
        if self.admin() {
            router = router.merge(crate::admin::routes());
        }
        let router = router.fallback(serve_rpc).with_state(self.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        let saver = self.persists().then(|| {
            let emulator = self.clone();
            tokio::spawn(async move {
                loop {
                    emulator.changed().await;
                    tokio::time::sleep(SAVE_COALESCE).await;
                    if let Err(error) = emulator.save() {
                        tracing::warn!(%error, "could not save the emulator state");
                    }
                }
            })
        });
        Ok(EmulatorHandle {
            addr,
            emulator: self.clone(),
            stop: Some(stop),
            server,
            saver,
        })
    }
}
