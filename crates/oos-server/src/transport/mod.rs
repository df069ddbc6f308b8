//! The front door: the accept loop, TLS (rustls), HTTP/1.1 by hyper with axum routing, the limits
//! every connection lives under, and graceful shutdown. Each connection reads through its
//! [`edge::Edge`], which moves the SDKs' oversized request targets aside and turns refused heads
//! into answered requests; everything else is hyper's.
//!
//! Limits, each answered with its code: a connection beyond [`Limits::max_connections`] gets
//! `503 ServiceUnavailable.TooManyConnections` (plain HTTP) or is closed (TLS); a head not complete
//! [`Limits::header_timeout`] after its first byte gets `408 RequestTimeout`; a body not complete
//! [`Limits::request_timeout`] after its head gets `408 RequestTimeout`; a connection with no
//! complete request head for [`Limits::idle_timeout`] is closed; a TLS handshake not done within
//! the header timeout is closed.

pub mod edge;
pub(crate) mod routes;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use oos_runtime::TaskRegistry;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use edge::{Aside, Edge, HEAD_BUDGET_BYTES, HeadBudget, MAX_HEAD_BYTES};

/// Kind of the accept loop's task in the server's [`TaskRegistry`].
pub const ACCEPT_TASK: &str = "accept";
/// Kind of the task serving one connection (and of a WebSocket it was upgraded to).
pub const CONNECTION_TASK: &str = "connection";
/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// What each connection lives under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// From a head's first byte to its end.
    pub header_timeout: Duration,
    /// From the end of a head to the end of its body.
    pub request_timeout: Duration,
    /// With no request head complete: a kept-alive connection between requests, or a new one.
    pub idle_timeout: Duration,
    /// Connections served at once (streams included); more are refused at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { header_timeout: Duration::from_secs(10), request_timeout: Duration::from_secs(30), idle_timeout: Duration::from_secs(60), max_connections: 4096 }
    }
}

/// What a request learns of its connection.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub peer: SocketAddr,
    /// Over TLS: `acs:SecureTransport` is true.
    pub secure: bool,
    pub aside: Arc<Aside>,
}

/// The listener's shared parts.
pub(crate) struct Front {
    /// The endpoint host named in refusals.
    pub host_id: String,
    pub limits: Limits,
    pub tls: Option<TlsAcceptor>,
    pub tasks: TaskRegistry,
    pub stop: watch::Receiver<bool>,
    router: axum::Router,
    heads: Arc<HeadBudget>,
}

impl Front {
    /// A listener serving `router`, whose refusals name `host_id`.
    pub fn new(router: axum::Router, host_id: String, limits: Limits, tls: Option<TlsAcceptor>, tasks: TaskRegistry, stop: watch::Receiver<bool>) -> Self {
        Self { host_id, limits, tls, tasks, stop, router, heads: Arc::new(HeadBudget::new(HEAD_BUDGET_BYTES)) }
    }
}

/// Accepts connections until `stop` turns true (or its sender is dropped); each connection is served
/// on its own task of the registry. Returning drops the listener: new connections are refused.
pub(crate) async fn serve(listener: TcpListener, front: Front) {
    let front = Arc::new(front);
    let permits = Arc::new(Semaphore::new(front.limits.max_connections));
    let mut stop = front.stop.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut stop) => return,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, or a connection reset before it was accepted.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            refuse_busy(&front, &stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection_front = Arc::clone(&front);
        front.tasks.spawn(CONNECTION_TASK, async move {
            let _permit = permit;
            connection(stream, peer, &connection_front).await;
        });
    }
}

/// A connection beyond the cap: plain HTTP gets its answer in one non-blocking write; TLS is closed
/// (a handshake would cost what the cap is there to save).
fn refuse_busy(front: &Front, stream: &TcpStream) {
    tracing::debug!(max = front.limits.max_connections, "refusing a connection: too many open");
    if front.tls.is_none() {
        let error = oos_acs::AcsError::with_code("ServiceUnavailable.TooManyConnections", 503, "The server has too many open connections; try again shortly.");
        let reply = crate::pipeline::refusal(&error, &front.host_id);
        let mut bytes = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json;charset=utf-8\r\nx-acs-request-id: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            reply.request_id,
            reply.body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(&reply.body);
        let _ = stream.try_write(&bytes);
    }
}

async fn connection(stream: TcpStream, peer: SocketAddr, front: &Front) {
    match &front.tls {
        None => serve_http(stream, peer, false, front).await,
        Some(acceptor) => match tokio::time::timeout(front.limits.header_timeout, acceptor.accept(stream)).await {
            Ok(Ok(tls)) => serve_http(tls, peer, true, front).await,
            Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
        },
    }
}

async fn serve_http<S>(io: S, peer: SocketAddr, secure: bool, front: &Front)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let aside = Arc::new(Aside::default());
    let connection = Connection { peer, secure, aside: Arc::clone(&aside) };
    let router = front.router.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(connection.clone());
        router.clone().oneshot(request)
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    // Clients that send a request and shut their side (as the SDK test tools do) still get the answer.
    http.timer(TokioTimer::new()).half_close(true).header_read_timeout(front.limits.idle_timeout).max_buf_size(MAX_HEAD_BYTES + 64 * 1024);
    let served = http.serve_connection(TokioIo::new(Edge::new(io, aside, Arc::clone(&front.heads), front.limits.header_timeout)), service).with_upgrades();
    tokio::pin!(served);
    let mut stop = front.stop.clone();
    let result = tokio::select! {
        result = served.as_mut() => result,
        () = stopped(&mut stop) => {
            // Idle connections close now; a request in progress is answered first (its reply says
            // `Connection: close`).
            served.as_mut().graceful_shutdown();
            served.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}

/// Returns once the server stops (or the sender is gone).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}
