//! A Prometheus-family daemon for tests (Alertmanager, Prometheus): spawned from the PATH on a free
//! port with a temporary directory of its own, its output drained and kept, ready once it answers
//! `/-/ready`, killed when dropped.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{Error, drain, free_port, http_exchange, lock};

/// A running daemon; killed when dropped.
#[derive(Debug)]
pub(crate) struct Daemon {
    child: Child,
    addr: SocketAddr,
    output: Arc<Mutex<String>>,
    /// Its configuration and storage, removed when it is dropped.
    _data: tempfile::TempDir,
    /// The bound on readiness and on any one HTTP exchange.
    within: Duration,
}

impl Daemon {
    /// A temporary directory for `name`'s configuration and storage, and a free address.
    pub(crate) fn prepare(name: &str) -> Result<(tempfile::TempDir, SocketAddr), Error> {
        let data = tempfile::tempdir().map_err(|error| format!("creating {name}'s directory: {error}"))?;
        Ok((data, SocketAddr::from(([127, 0, 0, 1], free_port()?))))
    }

    /// Spawns `binary args…` (of the Debian package `package`, which `.ci/run` installs) listening on
    /// `addr`, and waits at most `within` until it answers `/-/ready`.
    pub(crate) fn start(binary: &str, package: &str, args: &[String], (data, addr): (tempfile::TempDir, SocketAddr), within: Duration) -> Result<Self, Error> {
        let mut child = Command::new(binary)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("spawning {binary} (install the Debian package {package}, as .ci/run does): {error}"))?;
        let output = Arc::new(Mutex::new(String::new()));
        drain(child.stdout.take().expect("stdout is piped"), Arc::clone(&output), None);
        drain(child.stderr.take().expect("stderr is piped"), Arc::clone(&output), None);
        let mut daemon = Self { child, addr, output, _data: data, within };
        let deadline = Instant::now() + within;
        loop {
            if matches!(daemon.http("GET", "/-/ready", "text/plain", ""), Ok((200, _))) {
                return Ok(daemon);
            }
            if let Ok(Some(status)) = daemon.child.try_wait() {
                return Err(format!("{binary} exited ({status}); output:\n{}", daemon.output()));
            }
            if Instant::now() > deadline {
                return Err(format!("{binary} is not ready after {within:?}; output:\n{}", daemon.output()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn output(&self) -> String {
        lock(&self.output).clone()
    }

    /// One HTTP exchange with it: the status and the body.
    pub(crate) fn http(&self, method: &str, path: &str, content_type: &str, body: &str) -> Result<(u16, String), Error> {
        http_exchange(self.addr, method, path, content_type, body, self.within)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
