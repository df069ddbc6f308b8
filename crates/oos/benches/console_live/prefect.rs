//! The peer: a Prefect server (`prefect server start`, its UI on, SQLite in a temporary home) from
//! the virtualenv that `shared/bench/peers/setup.sh prefect` makes, and the flows of
//! `prefect_flows.py` run against it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oos_testkit::{free_port, repo_root};
use serde_json::{Value, json};

/// A running Prefect server, stopped when dropped.
pub struct Prefect {
    child: Child,
    venv: PathBuf,
    pub url: String,
    home: tempfile::TempDir,
}

impl Prefect {
    /// Starts the server of `peers/.venv-prefect` and waits (up to 120 s) for `/api/health`.
    pub async fn start(peers: &Path) -> Self {
        let venv = peers.join(".venv-prefect");
        assert!(venv.join("bin/prefect").exists(), "{} has no Prefect: run its setup.sh prefect", peers.display());
        let home = tempfile::tempdir().expect("a temporary directory");
        let port = free_port().expect("a free port").to_string();
        let url = format!("http://127.0.0.1:{port}");
        let child = Command::new(venv.join("bin/prefect"))
            .args(["server", "start", "--host", "127.0.0.1", "--port", &port])
            .envs(Self::environment(home.path(), &url))
            .env("PREFECT_SERVER_UI_ENABLED", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prefect server starts");
        let prefect = Self { child, venv, url, home };
        let client = reqwest::Client::new();
        let started = Instant::now();
        while client.get(format!("{}/api/health", prefect.url)).send().await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(120), "the Prefect server did not become healthy");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        prefect
    }

    fn environment(home: &Path, url: &str) -> Vec<(String, String)> {
        [
            ("PREFECT_HOME", home.to_string_lossy().into_owned()),
            ("PREFECT_API_URL", format!("{url}/api")),
            ("PREFECT_SERVER_ANALYTICS_ENABLED", "false".to_owned()),
            ("DO_NOT_TRACK", "1".to_owned()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `prefect_flows.py <what> <count>` with this server's settings, its output piped.
    fn flows(&self, what: &str, count: usize) -> Child {
        Command::new(self.venv.join("bin/python"))
            .arg(repo_root().join("crates/oos/benches/console_live/prefect_flows.py"))
            .args([what, &count.to_string()])
            .envs(Self::environment(self.home.path(), &self.url))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the Prefect flows run")
    }

    /// `count` flow runs created in state Paused; their ids.
    pub fn paused_runs(&self, count: usize) -> Vec<String> {
        let output = self.flows("paused", count).wait_with_output().expect("the paused runs are made");
        assert!(output.status.success(), "prefect_flows.py paused failed");
        String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect()
    }

    /// Starts the chain flow of `tasks` tasks; its flow run id and the running process.
    pub fn start_chain(&self, tasks: usize) -> (String, Child) {
        let mut child = self.flows("chain", tasks);
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        loop {
            line.clear();
            assert!(stdout.read_line(&mut line).expect("the flow's output") > 0, "the chain flow ended before it started");
            if let Some(id) = line.strip_prefix("FLOW_RUN ") {
                return (id.trim().to_owned(), child);
            }
        }
    }

    /// Each task run's end (unix ms) in flow run `id` once all `tasks` have one (up to 60 s: the
    /// client sends task states to the server as events, after the fact).
    pub async fn task_ends(&self, id: &str, tasks: usize) -> BTreeMap<String, i64> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let filter = json!({"flow_runs": {"id": {"any_": [id]}}, "limit": 200});
            let runs: Vec<Value> = client.post(format!("{}/api/task_runs/filter", self.url)).json(&filter).send().await.expect("task runs").json().await.expect("JSON");
            let ends: BTreeMap<String, i64> = runs
                .iter()
                .filter_map(|run| {
                    let name = run["name"].as_str()?.rsplit_once('-')?.0.to_owned();
                    let end: jiff::Timestamp = run["end_time"].as_str()?.parse().ok()?;
                    Some((name, end.as_millisecond()))
                })
                .collect();
            if ends.len() >= tasks || started.elapsed() > Duration::from_secs(60) {
                return ends;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

impl Drop for Prefect {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
