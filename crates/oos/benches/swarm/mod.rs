//! Simulated agents for the fan-out bench: N agents in this one process, each registered over HTTP
//! and holding its own WebSocket (a real TCP connection) to the server, speaking the agent protocol
//! as `oos agent` does but without running anything: each `Run` is answered at once with
//! `Accepted` and a `Finished` whose output is what the command (`echo …`) would print.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use oos_agent_proto::{AgentMessage, FinishStatus, HEARTBEAT_SECS, HostInventory, Job, Outcome, Registered, Registration, ServerMessage};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Registrations in flight at once.
const REGISTERING_AT_ONCE: usize = 32;

/// The connected agents; dropping it closes them.
pub struct Swarm {
    agents: JoinSet<()>,
    /// Outcomes the server acknowledged (`Recorded`), over all agents.
    pub recorded: Arc<AtomicUsize>,
}

impl Swarm {
    /// Connects one agent per identity; returns once every one has sent its `Hello`.
    pub async fn connect(addr: SocketAddr, identities: Vec<Registered>) -> Self {
        let count = identities.len();
        let recorded = Arc::new(AtomicUsize::new(0));
        let (ready, mut said_hello) = tokio::sync::mpsc::channel::<()>(count.max(1));
        let mut agents = JoinSet::new();
        for (index, identity) in identities.into_iter().enumerate() {
            let (ready, recorded) = (ready.clone(), Arc::clone(&recorded));
            agents.spawn(async move { run_agent(addr, index, identity, ready, recorded).await });
        }
        for _ in 0..count {
            said_hello.recv().await.expect("every simulated agent connects");
        }
        Self { agents, recorded }
    }

    /// How many agent tasks still run (a closed connection ends one).
    pub fn alive(&self) -> usize {
        self.agents.len()
    }
}

fn inventory(index: usize) -> HostInventory {
    HostInventory {
        hostname: format!("sim-{index}"),
        os_type: "Linux".into(),
        os_name: "Simulated".into(),
        kernel: "6".into(),
        arch: "x86_64".into(),
        ip_addresses: vec!["127.0.0.1".into()],
        cpus: 1,
        memory_bytes: 1 << 30,
        agent_version: "swarm".into(),
    }
}

/// Registers `count` hosts with the activation, [`REGISTERING_AT_ONCE`] at a time.
pub async fn register_all(addr: SocketAddr, (activation_id, activation_code): &(String, String), count: usize) -> Vec<Registered> {
    let client = reqwest::Client::new();
    let url = format!("http://{addr}{}", oos_agent_proto::REGISTER_PATH);
    let requests = (0..count).map(|index| {
        let registration = Registration { activation_id: activation_id.clone(), activation_code: activation_code.clone(), inventory: inventory(index), sandbox_instance: None };
        let (client, url) = (client.clone(), url.clone());
        async move {
            let answer = client.post(url).json(&registration).send().await.expect("registration answered");
            assert!(answer.status().is_success(), "registration refused: {}", answer.text().await.unwrap_or_default());
            answer.json::<Registered>().await.expect("a registration answer")
        }
    });
    futures::stream::iter(requests).buffered(REGISTERING_AT_ONCE).collect().await
}

/// What `job` prints when run: the text after `echo ` plus a newline (nothing for other commands).
fn echoed(job: &Job) -> String {
    job.content.trim().strip_prefix("echo ").map(|text| format!("{}\n", text.trim())).unwrap_or_default()
}

/// One agent: connect, say hello, answer every `Run` at once, heartbeat; ends when the server closes.
async fn run_agent(addr: SocketAddr, index: usize, identity: Registered, ready: tokio::sync::mpsc::Sender<()>, recorded: Arc<AtomicUsize>) {
    let mut request = format!("ws://{addr}{}", oos_agent_proto::CONNECT_PATH).into_client_request().expect("a WebSocket request");
    let credential = format!("{} {}:{}", oos_agent_proto::SCHEME, identity.instance_id, identity.secret);
    request.headers_mut().insert(oos_agent_proto::AUTHORIZATION, credential.parse().expect("a header value"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("the agent connects");
    let send = |message: &AgentMessage| Message::text(serde_json::to_string(message).expect("JSON"));
    socket.send(send(&AgentMessage::Hello { inventory: inventory(index) })).await.expect("hello sent");
    let _ = ready.send(()).await;
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(HEARTBEAT_SECS), Duration::from_secs(HEARTBEAT_SECS));
    loop {
        let message = tokio::select! {
            message = socket.next() => message,
            _ = heartbeat.tick() => {
                if socket.send(send(&AgentMessage::Heartbeat)).await.is_err() { return }
                continue;
            }
        };
        let Some(Ok(Message::Text(text))) = message else {
            if matches!(message, Some(Ok(_))) {
                continue;
            }
            return;
        };
        match serde_json::from_str::<ServerMessage>(&text).expect("a server message") {
            ServerMessage::Run(job) => {
                let now = jiff::Timestamp::now().as_millisecond();
                let accepted = AgentMessage::Accepted { invoke_id: job.invoke_id.clone(), start_ms: now };
                let outcome = Outcome { invoke_id: job.invoke_id.clone(), status: FinishStatus::Success, exit_code: Some(0), start_ms: now, finish_ms: now, output: echoed(&job), dropped: 0, error_code: None, error_info: None };
                if socket.feed(send(&accepted)).await.is_err() || socket.send(send(&AgentMessage::Finished(outcome))).await.is_err() {
                    return;
                }
            }
            ServerMessage::Recorded { .. } => {
                recorded.fetch_add(1, Ordering::Relaxed);
            }
            // The bench sends nothing else.
            other => panic!("a simulated agent got {other:?}"),
        }
    }
}
