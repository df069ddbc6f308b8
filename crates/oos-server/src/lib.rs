//! oos-server: the OOS 2019-06-01 compatible RPC API of OpenOOS, in one process with the engine.
//!
//! [`Server::start`] opens nothing itself: it takes the data directory's store and a ready engine
//! worker, sets up the account (root AccessKey on first start, see [`bootstrap`]), and serves
//! `POST /` and `GET /` on its own HTTP/1.1 loop ([`http`]) through the request pipeline
//! ([`pipeline`]): parse → authenticate → authorize → action → JSON reply. The worker's actions are
//! wrapped in [`AuthorizedActions`], so every cloud call of an execution is checked against RAM first.

pub mod actions;
pub mod api;
pub mod authorized_actions;
mod audit;
mod auth;
pub mod bootstrap;
mod client_tokens;
mod engine;
pub mod error;
pub mod http;
mod identity;
pub mod pipeline;
mod resource_tags;
mod sealer;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oos_runtime::Worker;
use oos_store::ServerStore;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use auth::Caller;
pub use authorized_actions::AuthorizedActions;
pub use engine::{EngineHandle, StartError};
pub use identity::RecordIdentityStore;
pub use api::{Api, OOS_VERSION, Reply};
pub use sealer::KeySealer;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("setting up the data directory: {0}")]
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
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    root_credentials: PathBuf,
    created_root_key: bool,
    task: JoinHandle<()>,
}

impl Server {
    /// Sets up the account of `data_dir` (on `store`), starts `worker` and serves the API.
    pub async fn start(config: ServerConfig, store: Arc<dyn ServerStore>, data_dir: &Path, worker: Worker) -> Result<Self, ServerError> {
        let identity = bootstrap::open_identity(&store, data_dir).await?;
        let iam = Arc::new(identity.iam);
        let worker = worker.wrap_actions(|executors| Arc::new(AuthorizedActions::new(executors, iam.clone()))).with_sealer(Arc::new(KeySealer::open(data_dir)?));
        let listener = TcpListener::bind(config.listen).await.map_err(|source| ServerError::Listen { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Listen { addr: config.listen, source })?;
        let parameters = actions::parameters::StoreParameters { store: store.clone(), iam: iam.clone(), region: config.region.clone() };
        let engine = EngineHandle::spawn(worker.with_parameters(Arc::new(parameters)));
        let api = Arc::new(Api {
            store,
            iam,
            engine,
            host_id: format!("oos.{}.openoos.local", config.region),
            region: config.region.clone(),
            authenticator: auth::Authenticator::new(),
            outbound: oos_actions::Outbound::new(config.outbound.clone(), actions::template_url::FETCH_TIMEOUT),
            client_tokens: client_tokens::ClientTokens::default(),
        });
        let task = tokio::spawn(http::serve(listener, api));
        tracing::info!(%addr, "OOS API listening");
        Ok(Self { addr, root_credentials: identity.root_credentials, created_root_key: identity.created_root_key, task })
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

    /// Stops accepting connections.
    pub fn stop(self) {
        self.task.abort();
    }
}
