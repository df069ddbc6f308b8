//! Runs `oos run --sandbox` as a real process in a temporary data directory and reads back what
//! it did: the exit status, the outputs, the task executions (`oos execution tasks`) and the
//! emulated cloud's state file. `OOS_UNDER_TEST` names another `oos` binary to run.

#![allow(dead_code)] // each test binary uses a part of it

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The repository's `examples/` file `name`.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name)
}

/// The corpus's `aliyun__oos-templates` directory (public templates and product actions).
pub fn corpus() -> PathBuf {
    oos_testkit::shared_dir().join("corpus/oos-templates/aliyun__oos-templates")
}

/// The `oos` binary under test.
pub fn binary() -> String {
    oos_testkit::binary_under_test(env!("CARGO_BIN_EXE_oos"))
}

/// A sandbox workspace: a data directory, a fleet seed and the emulator's state file.
pub struct SandboxDir {
    dir: tempfile::TempDir,
}

/// What one `oos run --sandbox` did.
#[derive(Debug)]
pub struct RunOutcome {
    pub success: bool,
    /// The run was killed at its time limit.
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    pub execution_id: String,
    data_dir: PathBuf,
}

impl SandboxDir {
    /// A fresh workspace whose sandbox starts from `seed_yaml`.
    pub fn new(seed_yaml: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("fleet.yaml"), seed_yaml).expect("writing the seed");
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `template` with `-p` parameters and extra options against the sandbox; the cloud
    /// state is kept across runs of the same workspace.
    pub fn run(&self, template: &Path, parameters: &[&str], options: &[&str]) -> RunOutcome {
        let output = self.command(template, parameters, options).output().expect("oos runs");
        self.outcome(output.status.success(), &output.stdout, &output.stderr, false)
    }

    /// Like [`SandboxDir::run`], but kills the run after `limit` (`timed_out` is then set and
    /// the execution id is the data directory's newest execution).
    pub fn run_within(&self, template: &Path, parameters: &[&str], options: &[&str], limit: Duration) -> RunOutcome {
        let mut child = self
            .command(template, parameters, options)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("oos starts");
        let mut stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let readers = std::thread::spawn(move || {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let _ = stdout.read_to_end(&mut out);
            let _ = stderr.read_to_end(&mut err);
            (out, err)
        });
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for oos") {
                break Some(status);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let (out, err) = readers.join().expect("output readers");
        let mut outcome = self.outcome(status.is_some_and(|s| s.success()), &out, &err, status.is_none());
        if outcome.execution_id.is_empty() {
            outcome.execution_id = outcome.newest_execution().unwrap_or_default();
        }
        outcome
    }

    fn command(&self, template: &Path, parameters: &[&str], options: &[&str]) -> Command {
        let mut command = Command::new(binary());
        command
            .arg("run")
            .arg(template)
            .arg("--sandbox")
            .arg("--fleet")
            .arg(self.path().join("fleet.yaml"))
            .arg("--sandbox-state")
            .arg(self.state_file())
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(options)
            .env_remove("OOS_CLOUD_ENDPOINT")
            .env_remove("OOS_DATA_DIR");
        for parameter in parameters {
            command.arg("-p").arg(parameter);
        }
        command
    }

    fn outcome(&self, success: bool, stdout: &[u8], stderr: &[u8], timed_out: bool) -> RunOutcome {
        let stdout = String::from_utf8_lossy(stdout).into_owned();
        let stderr = String::from_utf8_lossy(stderr).into_owned();
        let execution_id = execution_id(&stdout, &stderr);
        RunOutcome { success, timed_out, stdout, stderr, execution_id, data_dir: self.data_dir() }
    }

    fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    fn state_file(&self) -> PathBuf {
        self.path().join("cloud.json")
    }

    /// The emulated cloud as saved when the run ended.
    pub fn cloud(&self) -> Value {
        self.state()["cloud"].take()
    }

    /// Edits the saved cloud; the next run of this workspace starts from the edited state.
    pub fn rewrite_cloud(&self, change: impl FnOnce(&mut Value)) {
        let mut state = self.state();
        change(&mut state["cloud"]);
        std::fs::write(self.state_file(), state.to_string()).expect("rewriting the state");
    }

    /// The state file: `{"format": …, "cloud": {…}}`.
    fn state(&self) -> Value {
        let text = std::fs::read_to_string(self.state_file()).expect("the sandbox saved its state");
        serde_json::from_str(&text).expect("the state file is JSON")
    }

    /// The emulated instances (`instances` map of the state file), in seed order.
    pub fn instances(&self) -> Vec<Value> {
        self.cloud()["instances"].as_object().expect("instances map").values().cloned().collect()
    }

    /// The status of every instance.
    pub fn statuses(&self) -> Vec<String> {
        self.instances().iter().map(|i| i["status"].as_str().expect("status").to_owned()).collect()
    }
}

/// The id printed as `ExecutionId: …` (stdout) or named in the failure message (stderr).
fn execution_id(stdout: &str, stderr: &str) -> String {
    if let Some(id) = stdout.lines().find_map(|line| line.strip_prefix("ExecutionId: ")) {
        return id.trim().to_owned();
    }
    stderr
        .split_whitespace()
        .skip_while(|word| *word != "execution")
        .nth(1)
        .map(|id| id.trim_end_matches(':').to_owned())
        .unwrap_or_default()
}

impl RunOutcome {
    /// Execution `execution_id` as recorded in the store of `data_dir` (e.g. a stopped server's),
    /// judged by the caller: `success`, and `timed_out` when it was still running at its limit.
    pub fn recorded(data_dir: &Path, execution_id: &str, success: bool, timed_out: bool) -> Self {
        let (stdout, stderr) = (String::new(), String::new());
        Self { success, timed_out, stdout, stderr, execution_id: execution_id.to_owned(), data_dir: data_dir.to_owned() }
    }

    /// A start refused with `message` (no execution).
    pub fn refused(message: &str) -> Self {
        let stderr = format!("error: {message}");
        Self { success: false, timed_out: false, stdout: String::new(), stderr, execution_id: String::new(), data_dir: PathBuf::new() }
    }

    /// The outputs object printed before the execution id.
    pub fn outputs(&self) -> Value {
        let json = self.stdout.split("ExecutionId:").next().unwrap_or_default();
        serde_json::from_str(json).unwrap_or_else(|error| panic!("outputs are JSON ({error}):\n{}", self.stdout))
    }

    /// The task executions, from `oos execution tasks ID --output json`.
    pub fn tasks(&self) -> Vec<Value> {
        self.execution_json(&["tasks", &self.execution_id])
    }

    /// The task executions of execution `id` (e.g. a child execution), if the store has it.
    pub fn tasks_of(&self, id: &str) -> Option<Vec<Value>> {
        self.try_execution_json(&["tasks", id]).ok()
    }

    /// The execution record, from `oos execution show ID --output json`.
    pub fn execution(&self) -> Value {
        self.execution_json(&["show", &self.execution_id]).into_iter().next().unwrap_or_default()
    }

    fn newest_execution(&self) -> Option<String> {
        let newest = self.execution_json(&["list", "--limit", "1"]).into_iter().next()?;
        newest["ExecutionId"].as_str().map(str::to_owned)
    }

    /// `oos execution ARGS --output json` on this run's data directory, as a list.
    fn execution_json(&self, args: &[&str]) -> Vec<Value> {
        self.try_execution_json(args).unwrap_or_else(|error| panic!("{error}"))
    }

    fn try_execution_json(&self, args: &[&str]) -> Result<Vec<Value>, String> {
        let output = Command::new(binary())
            .arg("execution")
            .args(args)
            .args(["--output", "json", "--data-dir"])
            .arg(&self.data_dir)
            .output()
            .expect("oos execution runs");
        if !output.status.success() {
            return Err(format!("oos execution {args:?}: {}", String::from_utf8_lossy(&output.stderr)));
        }
        match serde_json::from_slice(&output.stdout).expect("JSON from oos execution") {
            Value::Array(items) => Ok(items),
            one => Ok(vec![one]),
        }
    }

    /// The task executions named `name` (a loop task has one per item plus its parent).
    pub fn task(&self, name: &str) -> Value {
        self.tasks()
            .into_iter()
            .find(|task| task["TaskName"] == name && task["LoopItem"].is_null())
            .unwrap_or_else(|| panic!("no task {name} in {}", self.execution_id))
    }

    /// The captured Approve webhook of this run's execution when the execution waits for an
    /// approval that the sandbox inbox shows (`oos sandbox inbox list --execution ID --kind
    /// Approve`); the coverage report counts such a run as reaching its approval.
    pub fn inbox_approval(&self) -> Option<Value> {
        if self.execution()["Status"] != "Waiting" {
            return None;
        }
        let output = Command::new(binary())
            .args(["sandbox", "inbox", "list", "--kind", "Approve", "--execution", &self.execution_id, "--output", "json", "--data-dir"])
            .arg(&self.data_dir)
            .output()
            .expect("oos sandbox inbox runs");
        let letters: Value = serde_json::from_slice(&output.stdout).ok()?;
        letters.as_array()?.first().cloned()
    }

    /// Panics with everything the run printed unless it succeeded.
    pub fn assert_success(&self) {
        assert!(self.success, "the run failed:\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
    }
}
