//! A real Prometheus for tests (the Debian package `prometheus`, which `.ci/run` installs): started
//! on a free port with its storage in a temporary directory, scraping the `/metrics` of the given
//! targets every second (job `oos`), optionally with rule files loaded; queried through its HTTP
//! API (`/api/v1/query`, `/api/v1/rules`); killed when dropped. [`sample`] reads one value off a
//! `/metrics` page without it.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use oos_acs::encode::percent_encode;
use serde_json::Value;

use crate::Error;
use crate::daemon::Daemon;

/// The Prometheus binary the Debian package installs.
pub const PROMETHEUS_BINARY: &str = "prometheus";

/// How long Prometheus may take to become ready, and any one HTTP exchange with it to finish.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// The value of the sample `series` (name and labels as rendered, e.g. `oos_queue_depth` or
/// `oos_api_requests_total{action="ListTemplates",code="Success"}`) on a `/metrics` page.
pub fn sample(page: &str, series: &str) -> Option<f64> {
    page.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// A running Prometheus; killed when dropped.
#[derive(Debug)]
pub struct Prometheus {
    daemon: Daemon,
}

impl Prometheus {
    /// Starts Prometheus scraping `http://<target>/metrics` of each target every second, with the
    /// rules of `rule_files` evaluated every second, and waits until it answers `/-/ready`.
    pub fn start(targets: &[SocketAddr], rule_files: &[&Path]) -> Result<Self, Error> {
        let (data, addr) = Daemon::prepare("Prometheus")?;
        let config = data.path().join("prometheus.yml");
        let quoted = |text: &str| serde_json::to_string(text).map_err(|error| error.to_string());
        let targets = targets.iter().map(|target| quoted(&target.to_string())).collect::<Result<Vec<_>, _>>()?.join(", ");
        let rules = rule_files.iter().map(|file| quoted(&file.display().to_string())).collect::<Result<Vec<_>, _>>()?.join(", ");
        let text = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nrule_files: [{rules}]\nscrape_configs:\n  - job_name: oos\n    static_configs:\n      - targets: [{targets}]\n"
        );
        std::fs::write(&config, text).map_err(|error| format!("writing {}: {error}", config.display()))?;
        let args = [
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", data.path().join("tsdb").display()),
            format!("--web.listen-address={addr}"),
        ];
        Ok(Self { daemon: Daemon::start(PROMETHEUS_BINARY, "prometheus", &args, (data, addr), READY_WITHIN)? })
    }

    /// The address its API listens on.
    pub fn addr(&self) -> SocketAddr {
        self.daemon.addr()
    }

    /// The result (`data.result`) of the instant query `expr` (`GET /api/v1/query`).
    pub fn query(&self, expr: &str) -> Result<Value, Error> {
        let answer = self.api(&format!("/api/v1/query?query={}", percent_encode(expr)))?;
        Ok(answer["data"]["result"].clone())
    }

    /// The value of the instant query `expr` when it is one sample (`None` when it has none).
    pub fn value(&self, expr: &str) -> Result<Option<f64>, Error> {
        let result = self.query(expr)?;
        match result.as_array().map(Vec::as_slice) {
            Some([]) => Ok(None),
            Some([sample]) => sample["value"][1].as_str().and_then(|text| text.parse().ok()).map(Some).ok_or_else(|| format!("{expr}: no number in {sample}")),
            _ => Err(format!("{expr}: not one sample: {result}")),
        }
    }

    /// The rule groups loaded (`data.groups` of `GET /api/v1/rules`).
    pub fn rule_groups(&self) -> Result<Value, Error> {
        Ok(self.api("/api/v1/rules")?["data"]["groups"].clone())
    }

    /// Everything Prometheus logged so far.
    pub fn output(&self) -> String {
        self.daemon.output()
    }

    fn api(&self, path: &str) -> Result<Value, Error> {
        match self.daemon.http("GET", path, "text/plain", "")? {
            (200, body) => serde_json::from_str(&body).map_err(|error| format!("GET {path} is not JSON ({error}): {body}")),
            (status, body) => Err(format!("GET {path} answered {status}: {body}")),
        }
    }
}
