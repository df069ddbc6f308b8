//! `/healthz` and `/readyz`, for load balancers and orchestrators: no authentication, no audit
//! record, bounded cost. `/healthz` answers 200 while the process serves, touching nothing else.
//! `/readyz` answers 200 when the database answers within [`PROBE_TIMEOUT`], its applied migrations
//! are exactly this binary's, and the node's worker is claiming (its last successful poll is at most
//! [`oos_runtime::STALE_POLLS`] poll intervals old); otherwise 503, naming each failed check. One
//! probe serves every request for [`REUSE_FOR`], and concurrent requests share it, so the
//! database sees at most one probe query per interval however many ask.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use oos_runtime::Heartbeat;
use oos_store::ServerStore;
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// The liveness path.
pub const HEALTHZ_PATH: &str = "/healthz";
/// The readiness path.
pub const READYZ_PATH: &str = "/readyz";
/// Longest wait for the database's answer to the probe.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one probe's outcome answers `/readyz`.
pub const REUSE_FOR: Duration = Duration::from_secs(1);

/// What `/readyz` checks, and its last outcome.
pub(crate) struct Health {
    store: Arc<dyn ServerStore>,
    worker: Heartbeat,
    last: Mutex<Option<(Instant, Arc<Readiness>)>>,
}

/// One probe's outcome.
#[derive(Debug)]
struct Readiness {
    ready: bool,
    body: String,
}

impl Health {
    pub(crate) fn new(store: Arc<dyn ServerStore>, worker: Heartbeat) -> Self {
        Self { store, worker, last: Mutex::new(None) }
    }

    /// The answer to `/readyz`: the last probe's when it is recent, else a new probe's.
    pub(crate) async fn ready(&self) -> Response<Body> {
        let mut last = self.last.lock().await;
        let outcome = match &*last {
            Some((at, outcome)) if at.elapsed() < REUSE_FOR => outcome.clone(),
            _ => {
                let outcome = Arc::new(self.probe().await);
                *last = Some((Instant::now(), outcome.clone()));
                outcome
            }
        };
        drop(last);
        let status = if outcome.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
        json_response(status, outcome.body.clone())
    }

    async fn probe(&self) -> Readiness {
        let (database, migrations) = match tokio::time::timeout(PROBE_TIMEOUT, self.store.migrations()).await {
            Ok(Ok(migrations)) if migrations.current() => (passed(), passed()),
            Ok(Ok(migrations)) => (
                passed(),
                failed(format!("the database's migrations are not this binary's: missing {:?}, not known to it {:?}", migrations.missing, migrations.foreign)),
            ),
            Ok(Err(error)) => (failed(format!("the database did not answer: {error}")), unchecked()),
            Err(_) => (failed(format!("the database did not answer within {} s", PROBE_TIMEOUT.as_secs_f64())), unchecked()),
        };
        let worker = match self.worker.age() {
            _ if self.worker.claiming() => passed(),
            Some(age) => failed(format!("the worker's last successful poll was {} ms ago (more than {} ms)", age.as_millis(), self.worker.stale_after().as_millis())),
            None => failed("the worker has not polled the store yet".to_owned()),
        };
        let checks = [("database", database), ("migrations", migrations), ("worker", worker)];
        let failures: Vec<&str> = checks.iter().filter(|(_, check)| check["status"] != "ok").map(|(name, _)| *name).collect();
        let ready = failures.is_empty();
        let checks: serde_json::Map<String, Value> = checks.into_iter().map(|(name, check)| (name.to_owned(), check)).collect();
        let body = json!({"status": if ready { "ready" } else { "unready" }, "failed": failures, "checks": checks});
        Readiness { ready, body: body.to_string() }
    }
}

/// The answer to `/healthz`.
pub(crate) fn alive() -> Response<Body> {
    json_response(StatusCode::OK, json!({"status": "alive"}).to_string())
}

fn passed() -> Value {
    json!({"status": "ok"})
}

fn failed(detail: String) -> Value {
    json!({"status": "failed", "detail": detail})
}

fn unchecked() -> Value {
    failed("not checked: the database did not answer".to_owned())
}

fn json_response(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
