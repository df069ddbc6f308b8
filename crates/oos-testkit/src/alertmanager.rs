//! A real Prometheus Alertmanager for tests (the Debian package `prometheus-alertmanager`, which
//! `.ci/run` installs): started on a free port with one route to a webhook the test gives, its own
//! storage in a temporary directory, no cluster gossip, and short group and repeat intervals;
//! the webhook may be called with HTTP Basic credentials (`basic_auth` with a `password_file`);
//! alerts are posted through its API v2; killed when dropped.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;

use crate::Error;
use crate::daemon::Daemon;

/// The Alertmanager binary the Debian package installs.
pub const ALERTMANAGER_BINARY: &str = "prometheus-alertmanager";

/// How long Alertmanager may take to become ready, and any one HTTP exchange with it to finish.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// The route's timing: a first notification a second after an alert arrives, changes to the group
/// a second apart, and an unchanged firing alert notified again every two seconds.
const ROUTE_TIMING: &str = "group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 2s";

/// A running Alertmanager; killed when dropped.
#[derive(Debug)]
pub struct Alertmanager {
    daemon: Daemon,
}

impl Alertmanager {
    /// Starts Alertmanager with one route that sends every alert, each in its own group, to
    /// `webhook_url` (resolutions too), and waits until it answers `/-/ready`.
    pub fn start(webhook_url: &str) -> Result<Self, Error> {
        Self::start_with(webhook_url, None)
    }

    /// As [`Alertmanager::start`], the webhook called with HTTP Basic `(username, password)` when
    /// given (the password in a file of Alertmanager's directory, as `password_file`).
    pub fn start_with(webhook_url: &str, basic_auth: Option<(&str, &str)>) -> Result<Self, Error> {
        let (data, addr) = Daemon::prepare("Alertmanager")?;
        let config = data.path().join("alertmanager.yml");
        let quoted = |text: &str| serde_json::to_string(text).map_err(|error| error.to_string());
        let url = quoted(webhook_url)?;
        let auth = match basic_auth {
            None => String::new(),
            Some((username, password)) => {
                let password_file = data.path().join("webhook-password");
                std::fs::write(&password_file, password).map_err(|error| format!("writing {}: {error}", password_file.display()))?;
                let file = quoted(&password_file.display().to_string())?;
                format!("        http_config:\n          basic_auth:\n            username: {}\n            password_file: {file}\n", quoted(username)?)
            }
        };
        let text = format!(
            "route:\n  receiver: webhook\n  group_by: ['...']\n  {ROUTE_TIMING}\nreceivers:\n  - name: webhook\n    webhook_configs:\n      - url: {url}\n        send_resolved: true\n{auth}"
        );
        std::fs::write(&config, text).map_err(|error| format!("writing {}: {error}", config.display()))?;
        let args = [
            format!("--config.file={}", config.display()),
            format!("--storage.path={}", data.path().join("storage").display()),
            format!("--web.listen-address={addr}"),
            "--cluster.listen-address=".to_owned(),
        ];
        let daemon = Daemon::start(ALERTMANAGER_BINARY, "prometheus-alertmanager", &args, (data, addr), READY_WITHIN)?;
        Ok(Self { daemon })
    }

    /// The address its API listens on.
    pub fn addr(&self) -> SocketAddr {
        self.daemon.addr()
    }

    /// Posts `alerts` (a list of `{labels, annotations, startsAt, endsAt, generatorURL}`) to
    /// `POST /api/v2/alerts`.
    pub fn post_alerts(&self, alerts: &Value) -> Result<(), Error> {
        match self.http("POST", "/api/v2/alerts", Some(alerts))? {
            (200, _) => Ok(()),
            (status, body) => Err(format!("POST /api/v2/alerts answered {status}: {body}")),
        }
    }

    /// The alerts Alertmanager holds (`GET /api/v2/alerts`), each with its `fingerprint`.
    pub fn alerts(&self) -> Result<Value, Error> {
        match self.http("GET", "/api/v2/alerts", None)? {
            (200, body) => serde_json::from_str(&body).map_err(|error| format!("GET /api/v2/alerts is not JSON ({error}): {body}")),
            (status, body) => Err(format!("GET /api/v2/alerts answered {status}: {body}")),
        }
    }

    /// Everything Alertmanager logged so far.
    pub fn output(&self) -> String {
        self.daemon.output()
    }

    fn http(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, String), Error> {
        let body = body.map(Value::to_string).unwrap_or_default();
        self.daemon.http(method, path, "application/json", &body)
    }
}
