//! A real Prometheus for tests (the Debian package `prometheus`, which `.ci/run` installs): started
//! on a free port with its storage in a temporary directory, scraping the `/metrics` of the given
//! targets every second (job `oos`), optionally with rule files loaded; queried through its HTTP
//! API (`/api/v1/query`, `/api/v1/rules`); killed when dropped.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oos_acs::encode::percent_encode;
use serde_json::Value;

use crate::{Error, drain, free_port, http_exchange, lock};

/// The Prometheus binary the Debian package installs.
pub const PROMETHEUS_BINARY: &str = "prometheus";

/// How long Prometheus may take to become ready, and any one HTTP exchange with it to finish.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A running Prometheus; killed when dropped.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    addr: SocketAddr,
    output: Arc<Mutex<String>>,
    _data: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `http://<target>/metrics` of each target every second, with the
    /// rules of `rule_files` evaluated every second, and waits until it answers `/-/ready`.
    pub fn start(targets: &[SocketAddr], rule_files: &[&Path]) -> Result<Self, Error> {
        let data = tempfile::tempdir().map_err(|error| format!("creating Prometheus's directory: {error}"))?;
        let config = data.path().join("prometheus.yml");
        let quoted = |text: &str| serde_json::to_string(text).map_err(|error| error.to_string());
        let targets = targets.iter().map(|target| quoted(&target.to_string())).collect::<Result<Vec<_>, _>>()?.join(", ");
        let rules = rule_files.iter().map(|file| quoted(&file.display().to_string())).collect::<Result<Vec<_>, _>>()?.join(", ");
        let text = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nrule_files: [{rules}]\nscrape_configs:\n  - job_name: oos\n    static_configs:\n      - targets: [{targets}]\n"
        );
        std::fs::write(&config, text).map_err(|error| format!("writing {}: {error}", config.display()))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let mut child = Command::new(PROMETHEUS_BINARY)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.path().join("tsdb").display()))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("spawning {PROMETHEUS_BINARY} (install the Debian package prometheus, as .ci/run does): {error}"))?;
        let output = Arc::new(Mutex::new(String::new()));
        drain(child.stdout.take().expect("stdout is piped"), Arc::clone(&output), None);
        drain(child.stderr.take().expect("stderr is piped"), Arc::clone(&output), None);
        let mut prometheus = Self { child, addr, output, _data: data };
        prometheus.wait_ready()?;
        Ok(prometheus)
    }

    fn wait_ready(&mut self) -> Result<(), Error> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if matches!(self.get("/-/ready"), Ok((200, _))) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("Prometheus exited ({status}); output:\n{}", self.output()));
            }
            if Instant::now() > deadline {
                return Err(format!("Prometheus is not ready after {READY_WITHIN:?}; output:\n{}", self.output()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The address its API listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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
        lock(&self.output).clone()
    }

    fn api(&self, path: &str) -> Result<Value, Error> {
        match self.get(path)? {
            (200, body) => serde_json::from_str(&body).map_err(|error| format!("GET {path} is not JSON ({error}): {body}")),
            (status, body) => Err(format!("GET {path} answered {status}: {body}")),
        }
    }

    fn get(&self, path: &str) -> Result<(u16, String), Error> {
        http_exchange(self.addr, "GET", path, "text/plain", "", READY_WITHIN)
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
