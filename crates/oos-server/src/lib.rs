//! oos-server: the OOS 2019-06-01 compatible RPC API of OpenOOS, in one process with the engine.
//!
//! [`Server::start`] opens nothing itself: it takes the data directory's store and a ready engine
//! worker, sets up the account (root AccessKey on first start, see [`bootstrap`]), and serves the
//! API over HTTP/1.1, plain or TLS ([`transport`]: hyper, axum, rustls), through the request
//! pipeline ([`pipeline`]): parse → authenticate → authorize → action → JSON reply; `/stream`
//! pushes an execution's progress ([`stream`]); `/healthz` and `/readyz` answer load balancers ([`health`]), `/metrics`
//! Prometheus ([`metrics`]), all three through [`probes`], which also serves them alone for `oos worker --listen`; agents register and keep their connection on the
//! same listener ([`agents`], served by the hub of [`oos_assistant`]). The worker's actions are
//! wrapped in [`AuthorizedActions`], so every cloud call of an execution is checked against RAM first.
//! Every task the server spawns (accept loop, connections, the worker loop, its calls and timers)
//! runs in one [`TaskRegistry`]; [`Server::shutdown`] stops them in order.

pub mod actions;
mod agents;
pub mod api;
pub mod authorized_actions;
mod audit;
mod auth;
pub mod console;
pub mod bootstrap;
mod engine;
mod parsed;
pub mod error;
pub mod health;
mod identity;
pub mod intake;
pub mod metrics;
mod node;
pub mod pipeline;
pub mod probes;
pub mod retention;
mod resource_tags;
pub mod sandbox_inbox;
mod sealer;
pub mod stream;
pub mod transport;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use oos_runtime::{TaskRegistry, Worker};
use oos_store::ServerStore;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use auth::Caller;
pub use authorized_actions::AuthorizedActions;
pub use engine::{ENGINE_TASK, EngineStop};
pub use identity::RecordIdentityStore;
pub use api::{Api, OOS_VERSION, Reply};
pub use actions::cloud_reads::ForwardedCloud;
pub use bootstrap::KeyFiles;
pub use node::WorkerNode;
pub use sealer::KeySealer;
pub use sandbox_inbox::{INBOX_KEEP, StoreInbox, letter_json};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("setting up: {0}")]
    Setup(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Region of requests without `RegionId`.
    pub region: String,
    /// Where TemplateURL fetches may go (the worker's webhooks and HTTP requests get theirs from
    /// its executors; `oos server` gives both the same).
    pub outbound: oos_actions::AddressPolicy,
    /// TLS on the listener; plain HTTP without.
    pub tls: Option<transport::tls::TlsSource>,
    /// Timeouts and the connection cap.
    pub limits: transport::Limits,
    /// Whether the output of commands run on managed instances goes into the audit trail.
    pub audit_command_output: bool,
    /// Whether the process records metrics and serves `/metrics` (`false`: no recorder is
    /// installed by this server, and `/metrics` is 404).
    pub metrics: bool,
    /// The cloud its workers call, which the console's reads (ECS DescribeInstances…) are forwarded to.
    pub cloud: ForwardedCloud,
}

/// The task kind of the loop carrying work to the connected agents.
pub const HUB_TASK: &str = "agent-hub";

/// How long a shutdown waits for the requests in progress, and then for the worker's calls in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A running server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    tls: bool,
    root_credentials: PathBuf,
    created_root_key: bool,
    store: Arc<dyn ServerStore>,
    tasks: TaskRegistry,
    stop_accepting: watch::Sender<bool>,
    engine: EngineStop,
    clock: Arc<dyn oos_clock::Clock>,
}

impl Server {
    /// Sets up the account on `store` (with the keys of `files`), starts `worker` and serves the API.
    pub async fn start(config: ServerConfig, store: Arc<dyn ServerStore>, files: &KeyFiles, worker: Worker) -> Result<Self, ServerError> {
        let tls = config.tls.as_ref().map(transport::tls::TlsSource::acceptor).transpose().map_err(|error| ServerError::Setup(error.to_string()))?;
        let identity = bootstrap::open_identity(&store, files, worker.clock().clone()).await?;
        let iam = Arc::new(identity.iam);
        let listener = TcpListener::bind(config.listen).await.map_err(|source| ServerError::Listen { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Listen { addr: config.listen, source })?;
        let tasks = TaskRegistry::new();
        if config.metrics {
            metrics::handle();
        }
        let assistant = oos_assistant::Assistant::new(store.clone(), worker.clock().clone(), &config.region)
            .with_output_audit(config.audit_command_output)
            .with_sealer(Arc::new(KeySealer::open(&files.master_key)?));
        let worker = node::wire(worker, &store, &iam, files, &assistant, &tasks)?;
        let starter = worker.starter();
        let clock = worker.clock().clone();
        let retention_clock = clock.clone();
        let health = Arc::new(health::Health::new(store.clone(), worker.heartbeat()));
        let engine_stop = engine::spawn(worker, &tasks);
        let api = Arc::new(Api {
            store: store.clone(),
            iam,
            starter,
            clock,
            host_id: pipeline::host_id(&config.region),
            region: config.region.clone(),
            authenticator: auth::Authenticator::new(),
            console: console::ConsoleGuard::default(),
            outbound: oos_actions::Outbound::new(config.outbound.clone(), actions::template_url::FETCH_TIMEOUT),
            assistant: assistant.clone(),
            cloud: config.cloud.clone(),
        });
        let (stop_accepting, stop) = watch::channel(false);
        let hub = oos_assistant::hub::Hub::new(assistant);
        tasks.spawn(HUB_TASK, hub.clone().dispatch(stop.clone()));
        let scrape = config.metrics.then(|| {
            tasks.spawn(metrics::UPKEEP_TASK, metrics::upkeep(stop.clone()));
            Arc::new(metrics::Scrape::new(store.clone(), api.clock.clone(), Some(hub.clone())))
        });
        let host_id = api.host_id.clone();
        let probes = probes::routes(health, scrape, &host_id);
        let router = transport::routes::router(api, hub, probes, config.limits.clone(), tasks.clone(), stop.clone());
        let front = transport::Front::new(router, host_id, config.limits.clone(), tls, tasks.clone(), stop);
        tasks.spawn(transport::ACCEPT_TASK, transport::serve(listener, front));
        tracing::info!(%addr, tls = config.tls.is_some(), "OOS API listening");
        Ok(Self {
            addr,
            tls: config.tls.is_some(),
            root_credentials: identity.root_credentials,
            created_root_key: identity.created_root_key,
            store,
            tasks,
            stop_accepting,
            engine: engine_stop,
            clock: retention_clock,
        })
    }

    /// `https` over TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls { "https" } else { "http" }
    }

    /// The address the API listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The file holding the root AccessKey pair.
    pub fn root_credentials(&self) -> &Path {
        &self.root_credentials
    }

    /// Whether this start created the root AccessKey (first start of the data directory).
    pub fn created_root_key(&self) -> bool {
        self.created_root_key
    }

    /// The server's live tasks by kind ([`transport::ACCEPT_TASK`], [`transport::CONNECTION_TASK`],
    /// [`ENGINE_TASK`], [`oos_runtime::CALL_TASK`]).
    pub fn tasks(&self) -> &TaskRegistry {
        &self.tasks
    }

    /// Runs the retention `policy` now and every `every` ([`retention::RETENTION_TASK`]); refused
    /// when the policy cannot be applied (`InvalidRetention.*`).
    pub fn retain(&self, policy: oos_store::RetentionPolicy, every: Duration) -> Result<(), oos_store::retention::PolicyError> {
        policy.check()?;
        self.tasks.spawn(retention::RETENTION_TASK, retention::run(self.store.clone(), self.clock.clone(), policy, every));
        Ok(())
    }

    /// Stops at once, waiting for nothing: no new connections, the worker loop ends after its turn.
    /// Nothing is drained or released (as after a crash, the next start takes over).
    pub fn stop(self) {
        let _ = self.stop_accepting.send(true);
    }

    /// Stops gracefully and returns when done: no new connections (the listener closes), the
    /// requests in progress are answered (at most [`SHUTDOWN_GRACE`], then cut), the worker stops
    /// between turns, commits what its calls answered (they get [`SHUTDOWN_GRACE`] too) and releases
    /// its leases, the remaining tasks are aborted and the store is closed (SQLite checkpoints its
    /// WAL). Failures on the way are logged; the steps after them still run.
    pub async fn shutdown(self) {
        let _ = self.stop_accepting.send(true);
        self.tasks.wait(Some(transport::ACCEPT_TASK), SHUTDOWN_GRACE).await;
        let requests = self.tasks.count(Some(transport::CONNECTION_TASK));
        tracing::info!(connections = requests, "OOS API shutting down: new connections are refused, requests in progress finish");
        if !self.tasks.wait(Some(transport::CONNECTION_TASK), SHUTDOWN_GRACE).await {
            tracing::warn!(connections = self.tasks.count(Some(transport::CONNECTION_TASK)), grace = ?SHUTDOWN_GRACE, "cutting the requests still in progress");
            self.tasks.abort(transport::CONNECTION_TASK);
        }
        node::stop(self.engine, &self.tasks, &self.store).await;
        tracing::info!("OOS API stopped");
    }
}
