//! The paths load balancers and Prometheus read, without authentication or audit record and at
//! bounded cost: `/healthz` and `/readyz` ([`crate::health`]), `/metrics` ([`crate::metrics`]; 404
//! `InvalidPath.NotFound` when the process records no metrics). `oos server` serves them on its API
//! listener ([`routes`]); `oos worker --listen` serves them alone on a listener of its own
//! ([`ProbeListener`]) under [`PROBE_LIMITS`], where every other path is 404 as well.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::Response;
use axum::routing::{any, get};
use oos_acs::AcsError;
use oos_runtime::TaskRegistry;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::ServerError;
use crate::health::{self, Health};
use crate::metrics::{self, METRICS_PATH, Scrape};
use crate::transport::edge::REFUSED_PATH;
use crate::transport::routes::{refused_answer, reply_response};
use crate::transport::{self, Front, Limits};

/// The kind of the probe listener's accept loop in its process's [`TaskRegistry`].
pub const PROBE_ACCEPT_TASK: &str = "probe-accept";

/// The limits of a probe listener: the front door's timeouts, and few connections (a scraper and a
/// load balancer or two); more are answered 503 `ServiceUnavailable.TooManyConnections`.
pub const PROBE_LIMITS: Limits = Limits {
    header_timeout: Duration::from_secs(10),
    request_timeout: Duration::from_secs(30),
    idle_timeout: Duration::from_secs(60),
    max_connections: 64,
};

/// The three paths, for a router of any state; `scrape` is None when the process records no
/// metrics. Refusals name `host_id`.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(health: Arc<Health>, scrape: Option<Arc<Scrape>>, host_id: &str) -> Router<S> {
    let router = Router::new()
        .route(health::HEALTHZ_PATH, get(|| async { health::alive() }))
        .route(health::READYZ_PATH, get(move || async move { health.ready().await }));
    match scrape {
        Some(scrape) => router.route(METRICS_PATH, get(move || async move { scrape.render().await })),
        None => router.route(METRICS_PATH, any(not_found(host_id))),
    }
}

/// A handler answering 404 `InvalidPath.NotFound`.
fn not_found(host_id: &str) -> impl Fn() -> std::future::Ready<Response<Body>> + Clone + Send + Sync + 'static {
    let host_id = host_id.to_owned();
    move || {
        let error = AcsError::with_code("InvalidPath.NotFound", 404, "This path is not served here.");
        std::future::ready(reply_response(crate::pipeline::refusal(&error, &host_id)))
    }
}

/// The probe paths on a listener of their own; stops with [`ProbeListener::stop`] or its process's
/// task registry.
#[derive(Debug)]
pub struct ProbeListener {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl ProbeListener {
    /// Listens on `addr` and serves `health` and, with a recorder installed (`scrape`), the
    /// metrics; the accept loop, its connections and the histograms' upkeep run in `tasks`.
    pub(crate) async fn start(addr: SocketAddr, health: Arc<Health>, scrape: Option<Arc<Scrape>>, host_id: String, tasks: &TaskRegistry) -> Result<Self, ServerError> {
        let listener = TcpListener::bind(addr).await.map_err(|source| ServerError::Listen { addr, source })?;
        let bound = listener.local_addr().map_err(|source| ServerError::Listen { addr, source })?;
        let (stop, stopping) = watch::channel(false);
        if scrape.is_some() {
            tasks.spawn(metrics::UPKEEP_TASK, metrics::upkeep(stopping.clone()));
        }
        let refusals = host_id.clone();
        let router = routes(health, scrape, &host_id)
            .route(&format!("{REFUSED_PATH}{{refusal}}"), any(move |Path(index): Path<String>| async move { refused_answer(&refusals, &PROBE_LIMITS, &index) }))
            .fallback(not_found(&host_id));
        let front = Front::new(router, host_id, PROBE_LIMITS, None, tasks.clone(), stopping);
        tasks.spawn(PROBE_ACCEPT_TASK, transport::serve(listener, front));
        tracing::info!(addr = %bound, "metrics and health listening");
        Ok(Self { addr: bound, stop })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting; the requests in progress are answered.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}
