//! Test support shared by the workspace's integration tests: where `../shared` is, a Python
//! venv with the official Alibaba Cloud SDKs (created once, safely under concurrent tests),
//! free ports, `oos` child processes that are killed when dropped (or stopped by SIGTERM and waited
//! for), raw signed API exchanges ([`wire`]), a real Prometheus Alertmanager ([`alertmanager`]),
//! a real Prometheus server ([`prometheus`]), Chromium driven by Playwright ([`browser`]), a server-sent-events reader ([`event_stream`]) and templates several tests run ([`templates`]).

pub mod alertmanager;
pub mod browser;
pub mod event_stream;
mod daemon;
pub mod prometheus;
pub mod templates;
pub mod wire;

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The root AccessKey a server wrote into its data directory (`root-credentials.json`).
pub fn root_credentials(data_dir: &Path) -> oos_acs::Credentials {
    let text = fs::read(data_dir.join("root-credentials.json")).expect("root credentials written");
    let document: serde_json::Value = serde_json::from_slice(&text).expect("credentials JSON");
    let field = |key: &str| document[key].as_str().expect("credential field").to_string();
    oos_acs::Credentials::new(field("AccessKeyId"), field("AccessKeySecret"))
}

/// A test-support failure, with what was being done.
pub type Error = String;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `<repo root>/../shared`, the read-only fact sheets, corpus and conformance harnesses.
pub fn shared_dir() -> PathBuf {
    repo_root().join("../shared")
}

/// The `oos` binary a test runs: `$OOS_UNDER_TEST` when set (another build, e.g. a copy that
/// other worktrees sharing the target directory cannot overwrite), else `built` (the test's
/// `env!("CARGO_BIN_EXE_oos")`).
pub fn binary_under_test(built: &str) -> String {
    std::env::var("OOS_UNDER_TEST").unwrap_or_else(|_| built.to_owned())
}

/// A file under `shared/conformance/`.
pub fn conformance_file(name: &str) -> PathBuf {
    shared_dir().join("conformance").join(name)
}

/// The cargo target directory the running test binary was built into: `CARGO_TARGET_DIR`,
/// else derived from the test executable (`<target>/<profile>/deps/<test>`).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            repo_root().join(dir)
        };
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| repo_root().join("target"))
}

/// The Python interpreter of `<target>/conformance-venv`, created from
/// `shared/conformance/requirements.txt` on first use. Idempotent; concurrent callers (tests
/// in parallel, several test binaries) serialise on a file lock, and a venv whose recorded
/// requirements differ from the current file is reinstalled.
pub fn conformance_python() -> Result<PathBuf, Error> {
    let venv = target_dir().join("conformance-venv");
    let requirements_path = conformance_file("requirements.txt");
    let requirements = fs::read_to_string(&requirements_path)
        .map_err(|error| format!("reading {}: {error}", requirements_path.display()))?;
    fs::create_dir_all(target_dir())
        .map_err(|error| format!("creating {}: {error}", target_dir().display()))?;
    let lock_path = target_dir().join("conformance-venv.lock");
    let lock = File::create(&lock_path)
        .map_err(|error| format!("creating {}: {error}", lock_path.display()))?;
    lock.lock()
        .map_err(|error| format!("locking {}: {error}", lock_path.display()))?;
    let python = venv.join("bin").join("python");
    let stamp = venv.join(".installed-requirements");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(requirements.as_str()) && python.exists()
    {
        return Ok(python);
    }
    run_checked(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        "python3 -m venv",
    )?;
    run_checked(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements_path),
        "pip install -r requirements.txt",
    )?;
    fs::write(&stamp, &requirements)
        .map_err(|error| format!("writing {}: {error}", stamp.display()))?;
    Ok(python)
}

fn run_checked(command: &mut Command, what: &str) -> Result<(), Error> {
    let output = command
        .output()
        .map_err(|error| format!("{what}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Runs a conformance harness script with the venv's Python; returns its output whatever
/// the exit status (callers assert on it and print it on failure).
pub fn run_conformance(script: &str, args: &[&str]) -> Result<Output, Error> {
    run_conformance_env(script, args, &[])
}

/// [`run_conformance`] with these environment variables added (a CA bundle for HTTPS, say).
pub fn run_conformance_env(script: &str, args: &[&str], env: &[(&str, &str)]) -> Result<Output, Error> {
    let python = conformance_python()?;
    Command::new(python)
        .arg(conformance_file(script))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(shared_dir().join("conformance"))
        .output()
        .map_err(|error| format!("running {script}: {error}"))
}

/// `(passed, failed)` from a conformance harness's closing `N passed, N failed[, N skipped]` line.
pub fn harness_summary(report: &str) -> Option<(u32, u32)> {
    let line = report.lines().find(|line| line.contains(" passed, ") && line.contains(" failed"))?;
    let mut numbers = line.split([' ', ',']).filter_map(|word| word.parse::<u32>().ok());
    Some((numbers.next()?, numbers.next()?))
}

/// Runs the official-SDK harness `script` against `server` with the key pair `ak`/`sk`; panics with
/// the harness and server output unless it passes at least `minimum_passed` checks and fails none.
pub fn check_sdk_harness(server: &OosProcess, script: &str, ak: &str, sk: &str, extra: &[&str], minimum_passed: u32) {
    check_sdk_harness_env(server, script, ak, sk, extra, &[], minimum_passed);
}

/// [`check_sdk_harness`] with these environment variables added.
pub fn check_sdk_harness_env(server: &OosProcess, script: &str, ak: &str, sk: &str, extra: &[&str], env: &[(&str, &str)], minimum_passed: u32) {
    let endpoint = server.endpoint();
    let mut args = vec!["--endpoint", endpoint.as_str(), "--ak", ak, "--sk", sk, "--timeout", "60"];
    args.extend_from_slice(extra);
    let output = run_conformance_env(script, &args, env).expect("the conformance venv is usable");
    let report = format!("{}{}\n--- server output ---\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr), server.output());
    let (passed, failed) = harness_summary(&report).unwrap_or_else(|| panic!("no summary line:\n{report}"));
    assert!(output.status.success() && failed == 0 && passed >= minimum_passed, "{script}: {passed} passed, {failed} failed:\n{report}");
}

/// A currently free TCP port on 127.0.0.1 (free when returned; prefer letting a server bind
/// port 0 and report its port, see [`OosProcess`]).
pub fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|error| format!("binding a free port: {error}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|error| error.to_string())
}

/// A spawned `oos` process; killed when dropped. Its output is drained continuously (so it
/// never blocks on a full pipe) and kept for diagnostics.
#[derive(Debug)]
pub struct OosProcess {
    child: Child,
    addr: SocketAddr,
    output: Arc<Mutex<String>>,
    drains: Vec<JoinHandle<()>>,
}

impl OosProcess {
    /// Spawns `binary args…` (e.g. `env!("CARGO_BIN_EXE_oos")`, `["emulator", "--listen",
    /// "127.0.0.1:0"]`) and waits for a line holding `http://<addr>` on its standard output.
    pub fn spawn(binary: impl AsRef<Path>, args: &[&str]) -> Result<Self, Error> {
        Self::spawn_until(binary, args, &[], address_in)
    }

    /// [`OosProcess::spawn`] with these environment variables added.
    pub fn spawn_env(binary: impl AsRef<Path>, args: &[&str], env: &[(&str, &str)]) -> Result<Self, Error> {
        Self::spawn_until(binary, args, env, address_in)
    }

    /// Spawns an `oos worker` and waits for its `OOS worker running` line; its [`OosProcess::addr`]
    /// is that of its health and metrics listener (`--listen`), else unspecified.
    pub fn spawn_worker(binary: impl AsRef<Path>, args: &[&str], env: &[(&str, &str)]) -> Result<Self, Error> {
        Self::spawn_until(binary, args, env, |line| line.contains("OOS worker running").then(|| address_in(line).unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)))))
    }

    /// Spawns `binary args…` and waits for the first standard-output line `ready` finds an address in.
    fn spawn_until(binary: impl AsRef<Path>, args: &[&str], env: &[(&str, &str)], ready: fn(&str) -> Option<SocketAddr>) -> Result<Self, Error> {
        let mut child = Command::new(binary.as_ref())
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("spawning {}: {error}", binary.as_ref().display()))?;
        let output = Arc::new(Mutex::new(String::new()));
        let (found, address) = mpsc::channel();
        let drains = [
            drain(child.stdout.take().expect("stdout is piped"), Arc::clone(&output), Some((found, ready))),
            drain(child.stderr.take().expect("stderr is piped"), Arc::clone(&output), None),
        ];
        match address.recv() {
            Ok(addr) => Ok(Self {
                child,
                addr,
                output,
                drains: drains.into(),
            }),
            Err(_) => {
                let _ = child.wait();
                // Both pipes are closed now: let the readers finish, so the error shows all output.
                for reader in drains {
                    let _ = reader.join();
                }
                Err(format!(
                    "the process exited before printing its address; output:\n{}",
                    lock(&output)
                ))
            }
        }
    }

    /// The address the process listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `host:port`.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process at once (SIGKILL), as a crash would end it, and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Everything the process printed so far (stdout and stderr interleaved by line).
    pub fn output(&self) -> String {
        lock(&self.output).clone()
    }

    /// Sends SIGTERM (the signal a service manager stops a service with) and returns at once.
    pub fn terminate(&self) -> Result<(), Error> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .map_err(|error| format!("running kill: {error}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("kill -TERM {} failed: {status}", self.child.id()))
        }
    }

    /// Waits at most `bound` for the process to exit and for its output to be read to the end;
    /// its exit status. An error (the process still runs) when `bound` passes first.
    pub fn wait_exit(&mut self, bound: Duration) -> Result<ExitStatus, Error> {
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|error| error.to_string())? {
                while !self.drains.iter().all(JoinHandle::is_finished) {
                    if Instant::now() > deadline {
                        return Err(format!("the output of the exited process ({status}) is still open"));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                return Ok(status);
            }
            if Instant::now() > deadline {
                return Err(format!("the process still runs after {bound:?}; output:\n{}", self.output()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the process (SIGTERM first where available, so it can save state) and waits.
    pub fn stop(mut self) -> Result<(), Error> {
        #[cfg(unix)]
        if self.terminate().is_ok() {
            return self
                .child
                .wait()
                .map(|_| ())
                .map_err(|error| error.to_string());
        }
        let _ = self.child.kill();
        self.child
            .wait()
            .map(|_| ())
            .map_err(|error| error.to_string())
    }
}

impl Drop for OosProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One HTTP/1.0 exchange with `addr` (so the answer is neither chunked nor kept alive), each step
/// bounded by `timeout`: the status and the body.
fn http_exchange(addr: SocketAddr, method: &str, path: &str, content_type: &str, body: &str, timeout: Duration) -> Result<(u16, String), Error> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|error| format!("connecting to {addr}: {error}"))?;
    stream.set_read_timeout(Some(timeout)).map_err(|error| error.to_string())?;
    let request = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    stream.write_all(request.as_bytes()).map_err(|error| format!("{method} {path}: {error}"))?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|error| format!("{method} {path}: {error}"))?;
    let (head, body) = answer.split_once("\r\n\r\n").ok_or_else(|| format!("{method} {path}: no HTTP answer: {answer:.300}"))?;
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).ok_or_else(|| format!("{method} {path}: bad status line: {head:.300}"))?;
    Ok((status, body.to_string()))
}

fn lock(output: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    output
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The first `http://<addr>` of `line`.
fn address_in(line: &str) -> Option<SocketAddr> {
    line.split("://").nth(1).and_then(|rest| rest.split_whitespace().next()).and_then(|text| text.parse().ok())
}

/// Where to report the first address found in a process's output, and how to find it in a line.
type AddressReport = (mpsc::Sender<SocketAddr>, fn(&str) -> Option<SocketAddr>);

/// Copies `pipe` line by line into `output`; reports the first address `ready` finds in a line.
fn drain(
    pipe: impl Read + Send + 'static,
    output: Arc<Mutex<String>>,
    mut found: Option<AddressReport>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let addr = found.as_ref().and_then(|(_, ready)| ready(&line));
            lock(&output).push_str(&format!("{line}\n"));
            if let Some(addr) = addr
                && let Some((sender, _)) = found.take()
            {
                let _ = sender.send(addr);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_shared_directory() {
        assert!(
            conformance_file("ecs_sdk_check.py").is_file(),
            "{}",
            shared_dir().display()
        );
    }

    #[test]
    fn free_ports_can_be_bound() {
        let port = free_port().unwrap();
        assert!(TcpListener::bind(("127.0.0.1", port)).is_ok());
    }

    #[test]
    fn a_process_without_an_address_is_a_clear_error() {
        let error = OosProcess::spawn("sh", &["-c", "echo hello; echo oops >&2"]).unwrap_err();
        assert!(error.contains("hello") && error.contains("oops"), "{error}");
    }
}
