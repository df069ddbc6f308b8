//! A real `oos server` process under attack, for the security regression tests: started on a fresh
//! data directory (or restarted on the same one after a kill -9), its root key, users with given
//! policies, raw signed calls, and executions waited for.
//!
//! `OOS_UNDER_TEST` names another `oos` binary to attack (e.g. a build of an older commit, to see
//! each test fail there).
#![allow(dead_code, reason = "each test binary uses a part of these")]

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use oos_acs::Credentials;
use oos_testkit::OosProcess;
use oos_testkit::wire::{Call, OOS, RAM};
use serde_json::{Value, json};

/// The binary under test.
pub fn binary() -> String {
    oos_testkit::binary_under_test(env!("CARGO_BIN_EXE_oos"))
}

/// A server process on its own data directory.
pub struct Target {
    process: Option<OosProcess>,
    pub dir: tempfile::TempDir,
    pub root: Credentials,
    args: Vec<String>,
}

impl Target {
    /// `oos server --listen 127.0.0.1:0 --data-dir <fresh> <extra…>`.
    pub fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap().to_owned();
        let mut args: Vec<String> = ["server", "--listen", "127.0.0.1:0", "--data-dir", &data].iter().map(|arg| (*arg).to_owned()).collect();
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        let process = spawn(&args);
        let saved: Value = serde_json::from_slice(&std::fs::read(Path::new(&data).join("root-credentials.json")).unwrap()).unwrap();
        let root = Credentials::new(saved["AccessKeyId"].as_str().unwrap(), saved["AccessKeySecret"].as_str().unwrap());
        Self { process: Some(process), dir, root, args }
    }

    pub fn addr(&self) -> SocketAddr {
        self.process().addr()
    }

    pub fn process(&self) -> &OosProcess {
        self.process.as_ref().expect("the server runs")
    }

    pub fn process_mut(&mut self) -> &mut OosProcess {
        self.process.as_mut().expect("the server runs")
    }

    /// Kills the server (SIGKILL) and starts it again on the same data directory.
    pub fn restart(&mut self) {
        self.restart_after(Duration::ZERO);
    }

    /// Kills the server (SIGKILL), leaves it down for `down`, and starts it again on the same data directory.
    pub fn restart_after(&mut self, down: Duration) {
        if let Some(process) = self.process.take() {
            process.kill();
        }
        std::thread::sleep(down);
        self.process = Some(spawn(&self.args));
    }

    /// Makes every later start listen on the port the server has now (as a browser's cookie
    /// expects), instead of a fresh one.
    pub fn keep_port(&mut self) {
        let addr = self.addr().to_string();
        let listen = self.args.iter().position(|arg| arg == "--listen").expect("a --listen argument") + 1;
        self.args[listen] = addr;
    }

    /// Kills the server (SIGKILL); its data directory stays, to be read afterwards.
    pub fn kill(&mut self) {
        if let Some(process) = self.process.take() {
            process.kill();
        }
    }

    /// The server's resident memory in KiB (Linux).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process().id())).unwrap();
        status.lines().find_map(|line| line.strip_prefix("VmRSS:")).and_then(|rest| rest.split_whitespace().next()).and_then(|kib| kib.parse().ok()).unwrap()
    }

    /// A call signed (ACS3) with `credentials`; the HTTP status and JSON body.
    pub async fn call(&self, credentials: &Credentials, version: &str, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
        Call::new(credentials, version, action, params).send(self.addr()).await
    }

    /// A call that must succeed.
    pub async fn ok(&self, credentials: &Credentials, version: &str, action: &str, params: &[(&str, &str)]) -> Value {
        let (status, body) = self.call(credentials, version, action, params).await;
        assert_eq!(status, 200, "{action} {params:?}: {body}");
        body
    }

    /// A root call of the OOS API that must succeed.
    pub async fn oos(&self, action: &str, params: &[(&str, &str)]) -> Value {
        self.ok(&self.root.clone(), OOS, action, params).await
    }

    /// A user with an AccessKey and a policy of `statements`.
    pub async fn user(&self, name: &str, statements: Value) -> Credentials {
        let root = self.root.clone();
        self.ok(&root, RAM, "CreateUser", &[("UserName", name)]).await;
        let key = self.ok(&root, RAM, "CreateAccessKey", &[("UserName", name)]).await;
        let document = json!({"Version": "1", "Statement": statements}).to_string();
        let policy = format!("{name}-policy");
        self.ok(&root, RAM, "CreatePolicy", &[("PolicyName", &policy), ("PolicyDocument", &document)]).await;
        self.ok(&root, RAM, "AttachPolicyToUser", &[("PolicyType", "Custom"), ("PolicyName", &policy), ("UserName", name)]).await;
        Credentials::new(key["AccessKey"]["AccessKeyId"].as_str().unwrap(), key["AccessKey"]["AccessKeySecret"].as_str().unwrap())
    }

    /// The execution `id` once it has finished (or waits for a person), as ListExecutions shows it.
    pub async fn finished(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let listed = self.oos("ListExecutions", &[("ExecutionId", id), ("IncludeChildExecution", "true")]).await;
            let execution = listed["Executions"][0].clone();
            if ["Success", "Failed", "Cancelled", "Waiting"].contains(&execution["Status"].as_str().unwrap_or_default()) {
                return execution;
            }
            assert!(Instant::now() < deadline, "execution {id} did not finish: {execution}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts `template` (JSON text) inline as root with `parameters`; returns the execution id.
    pub async fn run_inline(&self, template: &Value, parameters: &Value) -> String {
        let started = self.oos("StartExecution", &[("TemplateContent", &template.to_string()), ("Parameters", &parameters.to_string())]).await;
        started["Execution"]["ExecutionId"].as_str().unwrap().to_owned()
    }

    /// The task executions of `id`.
    pub async fn tasks(&self, id: &str) -> Vec<Value> {
        self.oos("ListTaskExecutions", &[("ExecutionId", id)]).await["TaskExecutions"].as_array().cloned().unwrap_or_default()
    }
}

fn spawn(args: &[String]) -> OosProcess {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    OosProcess::spawn(binary(), &args).expect("oos server starts")
}

/// A template (JSON) of one or more tasks.
pub fn template(tasks: Value) -> Value {
    json!({"FormatVersion": "OOS-2019-06-01", "Tasks": tasks})
}

/// Every `table.column` of the server's database holding `needle` in plain text (read through a
/// connection of its own; the server keeps running). Also searches the raw database and WAL files.
pub async fn tables_holding(dir: &Path, needle: &str) -> Vec<String> {
    use sqlx::{Connection, Row};
    let mut hits = Vec::new();
    let url = format!("sqlite://{}?mode=ro", dir.join("oos.db").display());
    let mut connection = sqlx::SqliteConnection::connect(&url).await.expect("the database opens read-only");
    let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(&mut connection).await.unwrap();
    for table in tables {
        let columns: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA table_info({table})")))
            .fetch_all(&mut connection)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>("name"))
            .collect();
        for column in columns {
            let sql = format!("SELECT COUNT(*) FROM \"{table}\" WHERE instr(CAST(\"{column}\" AS TEXT), ?1) > 0");
            let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(needle).fetch_one(&mut connection).await.unwrap();
            if count > 0 {
                hits.push(format!("{table}.{column}"));
            }
        }
    }
    for file in ["oos.db", "oos.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(file))
            && bytes.windows(needle.len()).any(|window| window == needle.as_bytes())
        {
            hits.push(format!("file {file}"));
        }
    }
    hits
}
