//! A fleet around one real `oos server` process (embedded store in a temp data directory): signed
//! OOS and ECS calls as root, activations, executions started and waited for, the server's memory,
//! and the corpus template `ACS-ECS-BulkyRunCommand`; real agents ([`agents`]) on separate hosts
//! ([`netns`]). Shared by the fleet tests and the fan-out bench.
#![allow(dead_code, reason = "shared by several test crates, each using a part")]

pub mod agents;
pub mod netns;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use oos_acs::Credentials;
use oos_testkit::OosProcess;
use oos_testkit::wire::Call;
use serde_json::Value;

/// The ECS API version the Cloud Assistant actions are served under.
pub const ECS: &str = "2014-05-26";
/// The OOS API version.
pub const OOS: &str = "2019-06-01";

/// The `oos` binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_oos")
}

/// A running `oos server` on a data directory that outlives it (so it can be restarted on it).
pub struct FleetServer {
    pub process: OosProcess,
    pub data_dir: PathBuf,
    /// `--listen` it was started with (kept for restarts).
    listen: String,
    /// Further flags it was started with (kept for restarts).
    flags: Vec<String>,
    pub root: Credentials,
}

impl FleetServer {
    /// Starts `oos server --listen <listen> --data-dir <data_dir> <flags…>` (`RUST_LOG` as given,
    /// `warn` when empty) and reads the root key it wrote on its first start.
    pub fn start(data_dir: &Path, listen: &str, log: &str, flags: &[&str]) -> Self {
        let dir = data_dir.to_str().expect("a UTF-8 data dir");
        let log = if log.is_empty() { "warn" } else { log };
        let mut args = vec!["server", "--listen", listen, "--data-dir", dir];
        args.extend_from_slice(flags);
        let process = OosProcess::spawn_env(binary(), &args, &[("RUST_LOG", log)]).expect("oos server starts");
        let text = std::fs::read(data_dir.join("root-credentials.json")).expect("root credentials written");
        let document: Value = serde_json::from_slice(&text).expect("credentials JSON");
        let field = |key: &str| document[key].as_str().expect("credential field").to_string();
        let root = Credentials::new(field("AccessKeyId"), field("AccessKeySecret"));
        Self { process, data_dir: data_dir.to_path_buf(), listen: listen.to_string(), flags: flags.iter().map(|flag| (*flag).to_string()).collect(), root }
    }

    /// Kills the server with SIGKILL (as a crash ends it) and starts it again on the same data
    /// directory and port, so its agents find it again.
    pub fn crash_and_restart(&mut self) {
        let port = self.process.addr().port();
        let killed = std::process::Command::new("kill").args(["-KILL", &self.process.id().to_string()]).status().expect("kill runs");
        assert!(killed.success(), "kill -KILL {}", self.process.id());
        self.process.wait_exit(Duration::from_secs(30)).expect("the killed server exits");
        let host = self.listen.rsplit_once(':').map_or("127.0.0.1", |(host, _)| host).to_string();
        // The port is free again at once: the killed listener is gone, and tokio binds with SO_REUSEADDR.
        let flags: Vec<&str> = self.flags.iter().map(String::as_str).collect();
        self.process = Self::start(&self.data_dir, &format!("{host}:{port}"), "info", &flags).process;
    }

    /// Where API calls go (loopback, whatever address the server listens on).
    pub fn api_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.process.addr().port()))
    }

    /// One signed call; panics unless it answers 200. Parameters named in `form` go in the body.
    pub async fn call(&self, version: &str, action: &str, query: &[(&str, &str)], form: &[(&str, &str)]) -> Value {
        let (status, body) = Call::new(&self.root, version, action, query).with_form(form).send(self.api_addr()).await;
        assert_eq!(status, 200, "{action} {query:?}: {body}\n--- server output ---\n{}", self.process.output());
        body
    }

    pub async fn ecs(&self, action: &str, params: &[(&str, &str)]) -> Value {
        self.call(ECS, action, params, &[]).await
    }

    pub async fn oos(&self, action: &str, params: &[(&str, &str)]) -> Value {
        self.call(OOS, action, params, &[]).await
    }

    /// CreateActivation for `count` instances: (ActivationId, ActivationCode).
    pub async fn activation(&self, count: usize) -> (String, String) {
        let body = self.ecs("CreateActivation", &[("InstanceCount", &count.to_string()), ("TimeToLiveInHours", "4")]).await;
        (body["ActivationId"].as_str().expect("ActivationId").to_string(), body["ActivationCode"].as_str().expect("ActivationCode").to_string())
    }

    /// Registers a host named `hostname` with the activation over HTTP, with no agent behind it;
    /// its `mi-…` id.
    pub async fn register_bare(&self, (activation_id, activation_code): &(String, String), hostname: &str) -> String {
        let inventory = oos_agent_proto::HostInventory { hostname: hostname.into(), os_type: "Linux".into(), ..Default::default() };
        let registration = oos_agent_proto::Registration { activation_id: activation_id.clone(), activation_code: activation_code.clone(), inventory, sandbox_instance: None };
        let url = format!("http://{}{}", self.api_addr(), oos_agent_proto::REGISTER_PATH);
        let answer = reqwest::Client::new().post(url).json(&registration).send().await.expect("registration answered");
        assert!(answer.status().is_success(), "registration refused: {}", answer.text().await.unwrap_or_default());
        answer.json::<oos_agent_proto::Registered>().await.expect("a registration answer").instance_id
    }

    /// StartExecution of `template` (text) with `parameters` (JSON); the execution id.
    pub async fn start_execution(&self, template: &str, parameters: &Value) -> String {
        let parameters = parameters.to_string();
        let body = self.call(OOS, "StartExecution", &[], &[("TemplateContent", template), ("Parameters", &parameters)]).await;
        body["Execution"]["ExecutionId"].as_str().expect("ExecutionId").to_string()
    }

    /// The execution as ListExecutions shows it.
    pub async fn execution(&self, id: &str) -> Value {
        self.oos("ListExecutions", &[("ExecutionId", id)]).await["Executions"][0].clone()
    }

    /// Polls every `every` until execution `id` ends (Success, Failed or Cancelled), at most `bound`;
    /// the execution as listed then.
    pub async fn finished_execution(&self, id: &str, every: Duration, bound: Duration) -> Value {
        let deadline = Instant::now() + bound;
        loop {
            let execution = self.execution(id).await;
            if matches!(execution["Status"].as_str(), Some("Success" | "Failed" | "Cancelled")) {
                return execution;
            }
            assert!(Instant::now() < deadline, "execution {id} did not end within {bound:?}: {execution}\n--- server output ---\n{}", self.process.output());
            tokio::time::sleep(every).await;
        }
    }

    /// Polls until `count` managed instances are connected (at most `bound`).
    pub async fn connected(&self, count: usize, bound: Duration) {
        let deadline = Instant::now() + bound;
        loop {
            let listed = self.ecs("DescribeManagedInstances", &[("Connected", "true"), ("PageSize", "1")]).await;
            if listed["TotalCount"].as_u64() == Some(count as u64) {
                return;
            }
            assert!(Instant::now() < deadline, "{} of {count} agents connected after {bound:?}\n--- server output ---\n{}", listed["TotalCount"], self.process.output());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The server's resident memory (`VmRSS`), in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process.id())).expect("/proc/<pid>/status");
        status.lines().find_map(|line| line.strip_prefix("VmRSS:")).and_then(|rest| rest.split_whitespace().next()).and_then(|kib| kib.parse().ok()).expect("VmRSS")
    }
}

impl FleetServer {
    /// RunCommand of a shell script on `instances`; the InvokeId.
    pub async fn run_command(&self, instances: &[String], content: &str, timeout_secs: u64) -> String {
        let names: Vec<String> = (1..=instances.len()).map(|n| format!("InstanceId.{n}")).collect();
        let timeout = timeout_secs.to_string();
        let mut params: Vec<(&str, &str)> = vec![("Type", "RunShellScript"), ("CommandContent", content), ("Timeout", &timeout)];
        params.extend(names.iter().map(String::as_str).zip(instances.iter().map(String::as_str)));
        self.ecs("RunCommand", &params).await["InvokeId"].as_str().expect("InvokeId").to_string()
    }

    /// The result of `invoke_id` on `instance` as DescribeInvocationResults shows it now.
    pub async fn result(&self, invoke_id: &str, instance: &str) -> Value {
        let results = self.ecs("DescribeInvocationResults", &[("InvokeId", invoke_id), ("InstanceId", instance)]).await;
        results["Invocation"]["InvocationResults"]["InvocationResult"][0].clone()
    }

    /// Polls until the result of `invoke_id` on `instance` has a status `wanted` accepts (at most `bound`).
    pub async fn result_when(&self, invoke_id: &str, instance: &str, bound: Duration, wanted: impl Fn(&str) -> bool) -> Value {
        let deadline = Instant::now() + bound;
        loop {
            let result = self.result(invoke_id, instance).await;
            if result["InvocationStatus"].as_str().is_some_and(&wanted) {
                return result;
            }
            assert!(Instant::now() < deadline, "{invoke_id} on {instance} not as wanted after {bound:?}: {result}\n--- server output ---\n{}", self.process.output());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls until the result of `invoke_id` on `instance` is final (at most `bound`).
    pub async fn final_result(&self, invoke_id: &str, instance: &str, bound: Duration) -> Value {
        self.result_when(invoke_id, instance, bound, |status| !matches!(status, "Pending" | "Running" | "Stopping")).await
    }
}

/// A result's `Output` (base64) decoded.
pub fn decoded(output: &Value) -> String {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(output.as_str().unwrap_or_default()).expect("base64 output");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The execution's `Outputs` (a JSON text in ListExecutions) parsed.
pub fn outputs(execution: &Value) -> Value {
    execution["Outputs"].as_str().and_then(|text| serde_json::from_str(text).ok()).unwrap_or(Value::Null)
}

/// The public template `ACS-ECS-BulkyRunCommand` from the corpus, unmodified.
pub fn bulky_run_command() -> String {
    let path = oos_testkit::shared_dir().join("corpus/oos-templates/aliyun__oos-templates/PublicTemplates/YAML/ACS-ECS-BulkyRunCommand.yml");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}
