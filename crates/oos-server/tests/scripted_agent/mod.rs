//! A scripted agent: registration and the agent protocol over a real WebSocket, driven by a test
//! message by message (the real `oos agent` is tested in the `oos` crate).

#![allow(dead_code)]

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use oos_agent_proto::{AgentMessage, HostInventory, Registered, Registration, ServerMessage};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// An agent's connection to the hub.
pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub fn inventory(host: &str) -> HostInventory {
    HostInventory { hostname: host.into(), os_type: "Linux".into(), os_name: "Test".into(), kernel: "6".into(), arch: "x86_64".into(), ip_addresses: vec!["10.0.0.9".into()], cpus: 2, memory_bytes: 1 << 30, agent_version: "test".into() }
}

/// Registers a host with `activation` (CreateActivation's answer); the error body when refused.
pub async fn register(addr: std::net::SocketAddr, activation: &Value, host: &str) -> Result<Registered, Value> {
    let registration = Registration {
        activation_id: activation["ActivationId"].as_str().unwrap().into(),
        activation_code: activation["ActivationCode"].as_str().unwrap().into(),
        inventory: inventory(host),
        sandbox_instance: None,
    };
    let answer = reqwest::Client::new().post(format!("http://{addr}{}", oos_agent_proto::REGISTER_PATH)).json(&registration).send().await.unwrap();
    let ok = answer.status().is_success();
    let body: Value = answer.json().await.unwrap();
    if ok { Ok(serde_json::from_value(body).unwrap()) } else { Err(body) }
}

/// Opens the agent's WebSocket with `credential` (`<instance id>:<secret>`) and says hello.
pub async fn connect(addr: std::net::SocketAddr, credential: &str) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{addr}{}", oos_agent_proto::CONNECT_PATH).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("OosAgent {credential}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    send(&mut socket, &AgentMessage::Hello { inventory: inventory("h") }).await;
    Ok(socket)
}

/// Registers and connects an agent; its id and connection.
pub async fn connected(addr: std::net::SocketAddr, activation: &Value, host: &str) -> (String, Socket) {
    let registered = register(addr, activation, host).await.unwrap();
    let socket = connect(addr, &format!("{}:{}", registered.instance_id, registered.secret)).await.unwrap();
    (registered.instance_id, socket)
}

pub async fn send(socket: &mut Socket, message: &AgentMessage) {
    socket.send(Message::text(serde_json::to_string(message).unwrap())).await.unwrap();
}

/// The next message of the hub (within ten seconds).
pub async fn next(socket: &mut Socket) -> ServerMessage {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("the hub sent nothing").unwrap().unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}
