//! The worker as every OpenOOS process runs it — in `oos server` beside the API, or alone in
//! `oos worker` ([`WorkerNode`]): cloud calls checked against RAM ([`AuthorizedActions`]), the
//! parameter store read under IAM, engine state sealed with the master key, every task in the
//! process's [`TaskRegistry`], and a shutdown that stops it between turns and hands its work back.
//! A worker alone may serve its health and metrics on a listener of its own ([`ProbeListener`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use oos_assistant::Assistant;
use oos_assistant::router::AssistantActions;
use oos_iam::Iam;
use oos_runtime::{TaskRegistry, Worker};
use oos_store::ServerStore;

use crate::actions::parameters::StoreParameters;
use crate::bootstrap::{self, KeyFiles};
use crate::engine::{self, EngineStop};
use crate::health::Health;
use crate::metrics::{self, Scrape};
use crate::probes::ProbeListener;
use crate::{AuthorizedActions, KeySealer, RecordIdentityStore, SHUTDOWN_GRACE, ServerError};

/// `worker` wired to `store`, `iam`, the master key of `files` and the Cloud Assistant of managed
/// instances (`assistant`), spawning into `tasks`.
pub(crate) fn wire(worker: Worker, store: &Arc<dyn ServerStore>, iam: &Arc<Iam<RecordIdentityStore>>, files: &KeyFiles, assistant: &Assistant, tasks: &TaskRegistry) -> Result<Worker, ServerError> {
    let clock = worker.clock().clone();
    let parameters = StoreParameters { store: store.clone(), iam: iam.clone(), region: assistant.region().to_string(), clock: clock.clone() };
    let authorized = iam.clone();
    let assistant = assistant.clone();
    let tags = store.clone();
    Ok(worker
        .wrap_actions(|executors| {
            let routed = Arc::new(AssistantActions::new(executors, assistant));
            Arc::new(AuthorizedActions::new(routed, authorized, clock).with_resource_tags(tags))
        })
        .with_sealer(Arc::new(KeySealer::open(&files.master_key)?))
        .with_parameters(Arc::new(parameters))
        .with_tasks(tasks.clone()))
}

/// Stops a worker loop gracefully (its calls get [`SHUTDOWN_GRACE`], its leases are released),
/// then what is left of `tasks`, then closes `store`.
pub(crate) async fn stop(engine: EngineStop, tasks: &TaskRegistry, store: &Arc<dyn ServerStore>) {
    match engine.stop().await {
        Some(worker) => {
            if let Err(error) = worker.shutdown(SHUTDOWN_GRACE).await {
                tracing::error!(%error, "the engine worker did not stop cleanly; its executions are taken over when their leases expire");
            }
        }
        None => tracing::error!("the engine worker had ended before the shutdown"),
    }
    let aborted = tasks.shutdown(Duration::from_secs(1)).await;
    if aborted > 0 {
        tracing::warn!(aborted, "tasks aborted at shutdown");
    }
    store.close().await;
}

/// A worker without the API: takes executions from a store shared with servers and other workers.
#[derive(Debug)]
pub struct WorkerNode {
    store: Arc<dyn ServerStore>,
    tasks: TaskRegistry,
    engine: EngineStop,
    probes: Option<ProbeListener>,
}

impl WorkerNode {
    /// Opens the IAM layer (the master key must be the store's), wires `worker` and starts its loop;
    /// with `probes`, first installs the process's metrics recorder and serves `/healthz`, `/readyz`
    /// (of this worker) and `/metrics` on that address.
    pub async fn start(store: Arc<dyn ServerStore>, files: &KeyFiles, region: &str, worker: Worker, probes: Option<SocketAddr>) -> Result<Self, ServerError> {
        let iam = Arc::new(bootstrap::open_iam(&store, files, worker.clock().clone()).await?);
        let tasks = TaskRegistry::new();
        let assistant = Assistant::new(store.clone(), worker.clock().clone(), region).with_sealer(Arc::new(KeySealer::open(&files.master_key)?));
        let worker = wire(worker, &store, &iam, files, &assistant, &tasks)?;
        let probes = match probes {
            Some(addr) => {
                metrics::handle();
                let health = Arc::new(Health::new(store.clone(), worker.heartbeat()));
                let scrape = Arc::new(Scrape::new(store.clone(), worker.clock().clone(), None));
                Some(ProbeListener::start(addr, health, Some(scrape), crate::pipeline::host_id(region), &tasks).await?)
            }
            None => None,
        };
        let engine = engine::spawn(worker, &tasks);
        tracing::info!("OOS worker started");
        Ok(Self { store, tasks, engine, probes })
    }

    /// The address of its health and metrics listener, when it has one.
    pub fn probes_addr(&self) -> Option<SocketAddr> {
        self.probes.as_ref().map(ProbeListener::addr)
    }

    /// The worker's live tasks by kind.
    pub fn tasks(&self) -> &TaskRegistry {
        &self.tasks
    }

    /// Stops between turns, commits what its calls answered, releases its leases, closes the store.
    pub async fn shutdown(self) {
        if let Some(probes) = &self.probes {
            probes.stop();
        }
        stop(self.engine, &self.tasks, &self.store).await;
        tracing::info!("OOS worker stopped");
    }
}
