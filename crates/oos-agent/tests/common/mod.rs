//! Test helpers: jobs, a hub played by a real WebSocket server, agents started on a scratch state
//! directory with a stored identity.
#![allow(dead_code, clippy::result_large_err)]

use std::path::Path;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use oos_agent::state::{Identity, StateDir};
use oos_agent::{Agent, AgentConfig};
use oos_agent_proto::{AgentMessage, Job, Outcome, ServerMessage};
use serde_json::Map;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// A guard against a hang: far longer than anything here takes.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub async fn patiently<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future).await.unwrap_or_else(|_| panic!("gave up waiting for {what}"))
}

/// A shell job with the usual defaults.
pub fn job(invoke_id: &str, command_type: &str, content: &str) -> Job {
    Job {
        invoke_id: invoke_id.to_owned(),
        command_type: command_type.to_owned(),
        content: content.to_owned(),
        working_dir: String::new(),
        timeout_secs: 120,
        username: String::new(),
        enable_parameter: false,
        parameters: Map::new(),
        output_limit: 24 * 1024,
        trace: None,
    }
}

/// The identity tests store instead of registering.
pub fn identity(server: &str) -> Identity {
    Identity { servers: vec![server.to_owned()], instance_id: "mi-test0001".to_owned(), secret: "s3cr3t-value".to_owned() }
}

/// An agent on `state_dir` (identity stored first) connected to `server`; send `true` to stop it.
pub async fn start_agent(state_dir: &Path, server: &str) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let state = StateDir::open(state_dir).unwrap();
    if state.identity().unwrap().is_none() {
        state.save_identity(&identity(server)).unwrap();
    }
    let config = AgentConfig {
        servers: vec![server.to_owned()],
        state_dir: state_dir.to_owned(),
        ca_cert: None,
        activation: None,
        sandbox_instance: None,
    };
    let (agent, registered) = Agent::start(config).await.unwrap();
    assert!(!registered);
    let (stop, shutdown) = watch::channel(false);
    (stop, tokio::spawn(agent.run(shutdown)))
}

/// The agent hub, played: accepts WebSockets and hands them out.
pub struct Hub {
    pub url: String,
    connections: mpsc::UnboundedReceiver<HubConnection>,
}

impl Hub {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (sender, connections) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                tokio::spawn(async move {
                    let mut authorization = String::new();
                    let capture = |request: &Request, response: Response| {
                        authorization = request
                            .headers()
                            .get("authorization")
                            .map(|value| value.to_str().unwrap().to_owned())
                            .unwrap_or_default();
                        assert_eq!(request.uri().path(), "/agent/v1/connect");
                        Ok(response)
                    };
                    if let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, capture).await {
                        let _ = sender.send(HubConnection { socket, authorization });
                    }
                });
            }
        });
        Self { url, connections }
    }

    pub async fn next_connection(&mut self) -> HubConnection {
        patiently("a connection", self.connections.recv()).await.unwrap()
    }
}

/// One agent's connection, seen from the hub.
pub struct HubConnection {
    socket: WebSocketStream<TcpStream>,
    pub authorization: String,
}

impl HubConnection {
    pub async fn send(&mut self, message: &ServerMessage) {
        self.socket.send(Message::text(serde_json::to_string(message).unwrap())).await.unwrap();
    }

    /// The next message other than a heartbeat or output.
    pub async fn recv(&mut self) -> AgentMessage {
        patiently("a message", async {
            loop {
                let message = self.socket.next().await.expect("the agent closed").unwrap();
                let Message::Text(text) = message else { continue };
                match serde_json::from_str::<AgentMessage>(&text).unwrap() {
                    AgentMessage::Heartbeat | AgentMessage::Output { .. } => {}
                    other => return other,
                }
            }
        })
        .await
    }

    /// Skips messages up to the outcome of `invoke_id`.
    pub async fn finished(&mut self, invoke_id: &str) -> Outcome {
        loop {
            if let AgentMessage::Finished(outcome) = self.recv().await
                && outcome.invoke_id == invoke_id
            {
                return outcome;
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// The lines of a file (none when missing).
pub fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|text| text.lines().count()).unwrap_or(0)
}
