//! Real `oos agent` processes for fleet tests and benches: each with its own state directory and
//! log file, on this host or inside a [`Host`]'s network namespace; killed (SIGKILL) when dropped.
//! [`Fleet`] puts a server and N agents together, on separate hosts when namespaces can be made.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::FleetServer;
use super::netns::Host;

/// Bound against hangs while agents start.
const START_BOUND: Duration = Duration::from_secs(60);

/// One `oos agent` process (restartable on its state directory).
pub struct AgentProcess {
    child: Child,
    pub state_dir: PathBuf,
    log: PathBuf,
    /// The namespace it runs in, if any.
    namespace: Option<String>,
    args: Vec<String>,
}

impl AgentProcess {
    /// Starts `oos agent` for `server_url` with the activation (used on its first start only).
    pub fn spawn(state_dir: &Path, host: Option<&Host>, server_url: &str, activation: &(String, String)) -> Self {
        Self::spawn_with(state_dir, host, server_url, activation, &[])
    }

    /// [`AgentProcess::spawn`] with further flags (kept for restarts).
    pub fn spawn_with(state_dir: &Path, host: Option<&Host>, server_url: &str, (activation_id, activation_code): &(String, String), flags: &[&str]) -> Self {
        std::fs::create_dir_all(state_dir).expect("a state dir");
        let dir = state_dir.to_str().expect("a UTF-8 state dir");
        let mut args: Vec<String> = ["agent", "--server", server_url, "--activation-id", activation_id, "--activation-code", activation_code, "--state-dir", dir].map(str::to_string).into();
        args.extend(flags.iter().map(|flag| (*flag).to_string()));
        let namespace = host.map(|host| host.namespace.clone());
        let log = state_dir.with_extension("log");
        let child = launch(namespace.as_deref(), &args, &log);
        Self { child, state_dir: state_dir.to_path_buf(), log, namespace, args }
    }

    /// Kills the agent with SIGKILL (as a crash or power loss would end it) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the agent again on its state directory (it keeps its identity and ledger).
    pub fn restart(&mut self) {
        self.kill();
        let mut log = OpenOptions::new().append(true).open(&self.log).expect("the agent's log file");
        let _ = writeln!(log, "--- restarted by the test ---");
        self.child = launch(self.namespace.as_deref(), &self.args, &self.log);
    }

    /// Everything the agent logged (all its starts).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The `mi-…` id it registered as (waits for its identity file).
    pub fn instance_id(&mut self) -> String {
        let deadline = Instant::now() + START_BOUND;
        loop {
            let identity: Option<Value> = std::fs::read(self.state_dir.join("identity.json")).ok().and_then(|text| serde_json::from_slice(&text).ok());
            if let Some(id) = identity.as_ref().and_then(|identity| identity["instance_id"].as_str()) {
                return id.to_string();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the agent exited ({status}) before registering:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "the agent did not register within {START_BOUND:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Spawns `oos args…` (inside `namespace` if given), its output appended to `log`.
fn launch(namespace: Option<&str>, args: &[String], log: &Path) -> Child {
    let mut command = match namespace {
        Some(namespace) => {
            let mut command = std::process::Command::new("ip");
            command.args(["netns", "exec", namespace, super::binary()]);
            command
        }
        None => std::process::Command::new(super::binary()),
    };
    let log: File = OpenOptions::new().create(true).append(true).open(log).expect("the agent's log file");
    command.args(args).env("RUST_LOG", "info").stdin(Stdio::null()).stdout(log.try_clone().expect("log handle")).stderr(log);
    command.spawn().expect("oos agent starts")
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How a fleet's hosts are separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Each agent in its own network namespace, reaching the server over its own veth link.
    Namespaces,
    /// Each agent a process of this host with its own state directory (namespaces unavailable: why).
    Processes(String),
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Namespaces => write!(f, "separate hosts (one network namespace and veth link each)"),
            Self::Processes(why) => write!(f, "separate processes on this host (no network namespaces: {why})"),
        }
    }
}

/// A server and its agents. Field order is drop order: agents first, then hosts, server, files.
pub struct Fleet {
    pub agents: Vec<AgentProcess>,
    /// The `mi-…` id of each agent, in the same order.
    pub instance_ids: Vec<String>,
    /// One per agent in [`Mode::Namespaces`], none otherwise.
    pub hosts: Vec<Host>,
    pub mode: Mode,
    pub server: FleetServer,
    pub dir: tempfile::TempDir,
}

impl Fleet {
    /// A server and `count` connected agents; on separate hosts when `namespaces` is asked for and
    /// possible. The mode is written to the test's standard error (not captured by the test harness).
    pub async fn start(count: usize, namespaces: bool) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let (hosts, mode) = match namespaces.then(|| Host::create_many(count)) {
            Some(Ok(hosts)) => (hosts, Mode::Namespaces),
            Some(Err(why)) => (Vec::new(), Mode::Processes(why)),
            None => (Vec::new(), Mode::Processes("not asked for".into())),
        };
        let listen = if hosts.is_empty() { "127.0.0.1:0" } else { "0.0.0.0:0" };
        let server = FleetServer::start(&dir.path().join("server"), listen, "info", &[]);
        let port = server.process.addr().port();
        let activation = server.activation(count).await;
        let mut agents: Vec<AgentProcess> = (0..count)
            .map(|index| {
                let host = hosts.get(index);
                let gateway = host.map_or("127.0.0.1".to_string(), |host| host.gateway.to_string());
                AgentProcess::spawn(&dir.path().join(format!("agent-{index}")), host, &format!("http://{gateway}:{port}"), &activation)
            })
            .collect();
        let instance_ids = agents.iter_mut().map(AgentProcess::instance_id).collect();
        server.connected(count, START_BOUND).await;
        let _ = writeln!(std::io::stderr(), "fleet of {count} agents: {mode}");
        Self { agents, instance_ids, hosts, mode, server, dir }
    }
}
