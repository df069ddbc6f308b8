//! The agent: its configuration, its identity (registering when the state directory has none),
//! and what it does with each message of the hub, every invocation through the ledger.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oos_agent_proto::{AgentMessage, Outcome, Registration, ServerMessage};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;
use tokio_rustls::rustls::ClientConfig;
use tracing::Instrument;

use crate::ledger::{Admission, Ledger};
use crate::runner::{self, StopSignal};
use crate::state::{Identity, StateDir};
use crate::{AgentError, codes, connection, files, inventory, register, span, tls};

/// How long a stopping agent waits for its running commands.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// An activation to register with (used once, when the state directory has no identity).
#[derive(Clone)]
pub struct Activation {
    pub id: String,
    pub code: String,
}

impl std::fmt::Debug for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Activation").field("id", &self.id).field("code", &"<redacted>").finish()
    }
}

/// How the agent is started.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The servers of the cluster (tried in turn); empty: those it registered with.
    pub servers: Vec<String>,
    pub state_dir: PathBuf,
    /// Trust only this CA (PEM) instead of the system's roots.
    pub ca_cert: Option<PathBuf>,
    /// Needed only when the state directory has no identity yet.
    pub activation: Option<Activation>,
    /// Bind the registration to this emulated instance (`i-…`) of a sandbox server.
    pub sandbox_instance: Option<String>,
}

/// A started agent, ready to connect.
#[derive(Debug)]
pub struct Agent {
    identity: Identity,
    servers: Vec<String>,
    tls: Arc<ClientConfig>,
    core: Arc<Core>,
    outbox: UnboundedReceiver<AgentMessage>,
}

impl Agent {
    /// Opens the state directory and its ledger, registering first when there is no identity yet.
    /// The flag says whether this start registered.
    pub async fn start(config: AgentConfig) -> Result<(Self, bool), AgentError> {
        let state = StateDir::open(&config.state_dir)?;
        let tls = tls::client_config(config.ca_cert.as_deref())?;
        let (identity, registered) = match state.identity()? {
            Some(identity) => (identity, false),
            None => {
                let activation = config.activation.clone().ok_or(AgentError::ActivationRequired)?;
                let registration = Registration {
                    activation_id: activation.id,
                    activation_code: activation.code,
                    inventory: inventory::host_inventory(),
                    sandbox_instance: config.sandbox_instance.clone(),
                };
                let answer = register::register(&config.servers, &tls, &registration).await?;
                let identity =
                    Identity { servers: config.servers.clone(), instance_id: answer.instance_id, secret: answer.secret };
                state.save_identity(&identity)?;
                (identity, true)
            }
        };
        let servers = if config.servers.is_empty() { identity.servers.clone() } else { config.servers.clone() };
        if servers.is_empty() {
            return Err(AgentError::NoServer);
        }
        for server in &servers {
            register::base_url(server)?;
        }
        let ledger = Ledger::open(state.ledger_dir())?;
        let (sender, outbox) = mpsc::unbounded_channel();
        let core = Arc::new(Core {
            instance_id: identity.instance_id.clone(),
            ledger,
            running: Mutex::default(),
            outbox: sender,
            accepting: AtomicBool::new(true),
        });
        Ok((Self { identity, servers, tls, core, outbox }, registered))
    }

    /// The `mi-…` id of this host.
    pub fn instance_id(&self) -> &str {
        &self.identity.instance_id
    }

    /// Stays connected (reconnecting as needed) until `shutdown` turns true (or its sender is
    /// dropped); then accepts nothing more and waits up to 10 s for the running commands. What
    /// still runs when this returns is killed when the runtime drops it, and reported
    /// `ExecutionInterrupted` by the next start.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let link = connection::Link { servers: &self.servers, identity: &self.identity, tls: &self.tls };
        connection::serve(&link, &self.core, &mut self.outbox, &mut shutdown).await;
        self.core.accepting.store(false, Ordering::SeqCst);
        self.core.wait_idle(SHUTDOWN_GRACE).await;
    }
}

/// What the connection hands messages to.
#[derive(Debug)]
pub(crate) struct Core {
    /// This host's `mi-…` id.
    instance_id: String,
    pub(crate) ledger: Ledger,
    running: Mutex<HashMap<String, StopSignal>>,
    outbox: UnboundedSender<AgentMessage>,
    accepting: AtomicBool,
}

impl Core {
    /// Acts on one message of the hub (never blocks: work runs in tasks).
    pub(crate) fn handle(self: &Arc<Self>, message: ServerMessage) {
        match message {
            ServerMessage::Run(job) => {
                let output = self.outbox.clone();
                let invoke_id = job.invoke_id.clone();
                let instance_id = self.instance_id.clone();
                self.launch(&invoke_id, move |start_ms, stop| {
                    let span = span::command(&instance_id, &job);
                    let traced = span.clone();
                    async move {
                        let outcome = runner::run_job(&job, start_ms, &output, &stop).await;
                        span::ended(&traced, &outcome);
                        outcome
                    }
                    .instrument(span)
                });
            }
            ServerMessage::SendFile(job) => {
                let invoke_id = job.invoke_id.clone();
                self.launch(&invoke_id, move |start_ms, _stop| async move {
                    let invoke_id = job.invoke_id.clone();
                    tokio::task::spawn_blocking(move || files::write_file(&job, start_ms)).await.unwrap_or_else(|error| {
                        runner::failed(&invoke_id, start_ms, codes::FILE_WRITE_FAILED, error.to_string())
                    })
                });
            }
            ServerMessage::Stop { invoke_id } => {
                if let Some(stop) = self.running().get(&invoke_id) {
                    stop.stop();
                }
            }
            ServerMessage::Recorded { invoke_id } => {
                if let Err(error) = self.ledger.forget(&invoke_id) {
                    tracing::error!(%invoke_id, %error, "cannot forget a recorded invocation");
                }
            }
            ServerMessage::Collect { types } => {
                let outbox = self.outbox.clone();
                tokio::spawn(async move {
                    let data = inventory::collect(&types).await;
                    let _closed = outbox.send(AgentMessage::Inventory { data });
                });
            }
        }
    }

    /// Admits an invocation through the ledger and starts `work` only when it is new; otherwise
    /// says again what the ledger knows.
    fn launch<Work, Running>(self: &Arc<Self>, invoke_id: &str, work: Work)
    where
        Work: FnOnce(i64, StopSignal) -> Running,
        Running: Future<Output = Outcome> + Send + 'static,
    {
        if !self.accepting.load(Ordering::SeqCst) {
            return;
        }
        let start_ms = match self.ledger.admit(invoke_id) {
            Ok(Admission::New { start_ms }) => start_ms,
            Ok(Admission::Running { start_ms }) => {
                self.send(AgentMessage::Accepted { invoke_id: invoke_id.to_owned(), start_ms });
                return;
            }
            Ok(Admission::Ended(outcome)) => {
                self.send(AgentMessage::Finished(outcome));
                return;
            }
            Err(error) => {
                tracing::error!(%invoke_id, %error, "cannot record the invocation; it does not start");
                return;
            }
        };
        let stop = StopSignal::new();
        self.running().insert(invoke_id.to_owned(), stop.clone());
        self.send(AgentMessage::Accepted { invoke_id: invoke_id.to_owned(), start_ms });
        tracing::info!(%invoke_id, "invocation started");
        let running = work(start_ms, stop);
        let core = Arc::clone(self);
        tokio::spawn(async move {
            let outcome = running.await;
            core.conclude(outcome);
        });
    }

    fn conclude(&self, outcome: Outcome) {
        tracing::info!(invoke_id = %outcome.invoke_id, status = ?outcome.status, "invocation ended");
        if let Err(error) = self.ledger.finish(&outcome) {
            tracing::error!(invoke_id = %outcome.invoke_id, %error, "cannot record the outcome");
        }
        self.running().remove(&outcome.invoke_id);
        self.send(AgentMessage::Finished(outcome));
    }

    fn send(&self, message: AgentMessage) {
        let _closed = self.outbox.send(message);
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, StopSignal>> {
        self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn wait_idle(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.running().is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
