//! The WebSocket to the agent hub: opened with the agent's credential, `Hello` first, the
//! unrecorded outcomes again, a heartbeat every `HEARTBEAT_SECS`; lost, it is opened again after
//! a growing delay, rotating through the servers of the cluster.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use oos_agent_proto::{AUTHORIZATION, AgentMessage, CONNECT_PATH, HEARTBEAT_SECS, SCHEME, ServerMessage};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::rustls::ClientConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::agent::Core;
use crate::backoff::{Backoff, HEALTHY};
use crate::register::base_url;
use crate::state::Identity;
use crate::{AgentError, inventory};

/// An open connection to the hub.
pub type AgentSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where and as whom the agent connects.
#[derive(Debug)]
pub(crate) struct Link<'a> {
    pub(crate) servers: &'a [String],
    pub(crate) identity: &'a Identity,
    pub(crate) tls: &'a Arc<ClientConfig>,
}

/// Opens the WebSocket of `server` (`http` → `ws`, `https` → `wss`) with the agent's credential.
pub async fn connect(server: &str, identity: &Identity, tls: &Arc<ClientConfig>) -> Result<AgentSocket, AgentError> {
    let base = base_url(server)?;
    let url = match base.strip_prefix("https://") {
        Some(rest) => format!("wss://{rest}{CONNECT_PATH}"),
        None => format!("ws://{}{CONNECT_PATH}", base.trim_start_matches("http://")),
    };
    let mut request = url.into_client_request().map_err(|error| AgentError::Connection(error.to_string()))?;
    let mut credential = HeaderValue::from_str(&format!("{SCHEME} {}:{}", identity.instance_id, identity.secret))
        .map_err(|_| AgentError::Connection("the stored identity is not a valid header value".to_owned()))?;
    credential.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, credential);
    let connector = Connector::Rustls(Arc::clone(tls));
    let (socket, _response) = tokio_tungstenite::connect_async_tls_with_config(request, None, false, Some(connector))
        .await
        .map_err(|error| AgentError::Connection(error.to_string()))?;
    Ok(socket)
}

/// How a connection ended.
enum SessionEnd {
    Shutdown,
    Lost(String),
}

/// Connects, serves, reconnects, until `shutdown` turns true.
pub(crate) async fn serve(
    link: &Link<'_>,
    core: &Arc<Core>,
    outbox: &mut UnboundedReceiver<AgentMessage>,
    shutdown: &mut watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new();
    for server in link.servers.iter().cycle() {
        if *shutdown.borrow() {
            return;
        }
        let began = Instant::now();
        let opened = tokio::select! {
            opened = connect(server, link.identity, link.tls) => opened,
            _ = shutdown.changed() => return,
        };
        match opened {
            Ok(socket) => {
                tracing::info!(%server, instance_id = %link.identity.instance_id, "connected to the agent hub");
                match session(socket, core, outbox, shutdown).await {
                    SessionEnd::Shutdown => return,
                    SessionEnd::Lost(reason) => tracing::warn!(%server, %reason, "connection lost"),
                }
            }
            Err(error) => tracing::warn!(%server, %error, "cannot connect"),
        }
        if began.elapsed() >= HEALTHY {
            backoff.reset();
        }
        let delay = backoff.next_delay();
        tracing::debug!(?delay, "reconnecting after a delay");
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn session(
    mut socket: AgentSocket,
    core: &Arc<Core>,
    outbox: &mut UnboundedReceiver<AgentMessage>,
    shutdown: &mut watch::Receiver<bool>,
) -> SessionEnd {
    // What was queued while disconnected: outcomes are in the ledger (sent below), output is stale.
    while outbox.try_recv().is_ok() {}
    let greeting = std::iter::once(AgentMessage::Hello { inventory: inventory::host_inventory() })
        .chain(core.ledger.unrecorded().into_iter().map(AgentMessage::Finished));
    for message in greeting {
        if let Err(reason) = send(&mut socket, &message).await {
            return SessionEnd::Lost(reason);
        }
    }
    let period = Duration::from_secs(HEARTBEAT_SECS);
    let mut heartbeat = tokio::time::interval_at(Instant::now() + period, period);
    loop {
        let outgoing = tokio::select! {
            _ = shutdown.changed() => {
                let _already_closed = socket.close(None).await;
                return SessionEnd::Shutdown;
            }
            incoming = socket.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(message) => core.handle(message),
                        Err(error) => tracing::warn!(%error, "ignoring a message the agent does not understand"),
                    }
                    continue;
                }
                Some(Ok(Message::Close(_))) | None => return SessionEnd::Lost("closed by the server".to_owned()),
                // Pings are answered by the WebSocket layer itself.
                Some(Ok(_)) => continue,
                Some(Err(error)) => return SessionEnd::Lost(error.to_string()),
            },
            Some(message) = outbox.recv() => message,
            _ = heartbeat.tick() => AgentMessage::Heartbeat,
        };
        if let Err(reason) = send(&mut socket, &outgoing).await {
            return SessionEnd::Lost(reason);
        }
    }
}

async fn send(socket: &mut AgentSocket, message: &AgentMessage) -> Result<(), String> {
    let text = serde_json::to_string(message).expect("agent messages serialize");
    socket.send(Message::text(text)).await.map_err(|error| error.to_string())
}
