//! A cluster of real processes on one PostgreSQL database for whole-product tests: an `oos emulator`
//! as the cloud, `oos server` and `oos worker` processes sharing a scratch database and one master
//! key file, and signed calls to any server.
#![allow(dead_code, reason = "shared by several test crates, each using a part")]

use std::path::PathBuf;

use oos_acs::Credentials;
use oos_store::postgres::ScratchDatabase;
use oos_testkit::OosProcess;
use oos_testkit::wire::Call;
use serde_json::Value;
use sqlx::Connection;

pub const OOS: &str = "2019-06-01";

/// The shared pieces: the database, the cloud, the master key, a directory per process.
pub struct Cluster {
    pub database: ScratchDatabase,
    /// The cloud's URL (an emulator with its default key pair).
    cloud: String,
    _emulator: Option<OosProcess>,
    root: tempfile::TempDir,
}

impl Cluster {
    /// A cluster whose cloud is an `oos emulator` process.
    pub async fn new() -> Self {
        let emulator = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &["emulator", "--listen", "127.0.0.1:0"]).expect("the emulator starts");
        let mut cluster = Self::with_cloud(format!("http://{}", emulator.endpoint())).await;
        cluster._emulator = Some(emulator);
        cluster
    }

    /// A cluster whose cloud is at `url` (e.g. an emulator in the test process).
    pub async fn with_cloud(url: String) -> Self {
        let database = ScratchDatabase::create().await.expect("a scratch database");
        Self { database, cloud: url, _emulator: None, root: tempfile::tempdir().expect("a temp dir") }
    }

    /// The master key file every process is given (the first one creates it).
    pub fn master_key(&self) -> PathBuf {
        self.root.path().join("master.key")
    }

    pub fn data_dir(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn cloud_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OOS_DATABASE_URL", self.database.url()),
            ("OOS_CLOUD_ENDPOINT", self.cloud.clone()),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", oos_emulator::DEFAULT_ACCESS_KEY_ID.into()),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", oos_emulator::DEFAULT_ACCESS_KEY_SECRET.into()),
            ("RUST_LOG", "warn".into()),
        ]
    }

    fn args(&self, command: &str, name: &str, extra: &[&str]) -> Vec<String> {
        let dir = self.data_dir(name);
        let mut args = vec![command.to_string(), "--data-dir".into(), dir.display().to_string(), "--master-key-file".into(), self.master_key().display().to_string()];
        args.extend(extra.iter().map(|arg| (*arg).to_string()));
        args
    }

    /// Starts `oos server` `name` (its data directory holds the root credentials if it is first).
    pub fn server(&self, name: &str, extra: &[&str]) -> OosProcess {
        let mut extra = extra.to_vec();
        extra.extend(["--listen", "127.0.0.1:0"]);
        let args = self.args("server", name, &extra);
        let env = self.cloud_env();
        let env: Vec<(&str, &str)> = env.iter().map(|(key, value)| (*key, value.as_str())).collect();
        OosProcess::spawn_env(env!("CARGO_BIN_EXE_oos"), &args.iter().map(String::as_str).collect::<Vec<_>>(), &env).expect("oos server starts")
    }

    /// Starts `oos worker` `name`.
    pub fn worker(&self, name: &str, extra: &[&str]) -> OosProcess {
        let args = self.args("worker", name, extra);
        let env = self.cloud_env();
        let env: Vec<(&str, &str)> = env.iter().map(|(key, value)| (*key, value.as_str())).collect();
        OosProcess::spawn_worker(env!("CARGO_BIN_EXE_oos"), &args.iter().map(String::as_str).collect::<Vec<_>>(), &env).expect("oos worker starts")
    }

    /// The root AccessKey the first server `name` wrote.
    pub fn root(&self, name: &str) -> Credentials {
        oos_testkit::root_credentials(&self.data_dir(name))
    }
}

/// One signed OOS call to `server`; panics unless it answers 200.
pub async fn call(server: &OosProcess, root: &Credentials, action: &str, params: &[(&str, &str)]) -> Value {
    let (status, body) = Call::new(root, OOS, action, params).send(server.addr()).await;
    assert_eq!(status, 200, "{action} {params:?}: {body}");
    body
}

/// A signed call that may meet a server whose database connections were just cut: retried (for
/// about 10 s) until it answers 200.
pub async fn call_retrying(server: &OosProcess, root: &Credentials, action: &str, params: &[(&str, &str)]) -> Value {
    for _ in 0..50 {
        let (status, body) = Call::new(root, OOS, action, params).send(server.addr()).await;
        if status == 200 {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("{action} kept failing at {}", server.endpoint());
}

/// Cuts every connection of every process to the cluster's database (`pg_terminate_backend`);
/// returns how many were cut.
pub async fn terminate_connections(cluster: &Cluster) -> u64 {
    let mut admin = sqlx::PgConnection::connect(&cluster.database.admin_url()).await.expect("an admin connection");
    let cut: Vec<bool> = sqlx::query_scalar("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
        .bind(cluster.database.name())
        .fetch_all(&mut admin)
        .await
        .expect("terminating the backends");
    cut.into_iter().filter(|done| *done).count() as u64
}

/// The status of execution `id` as `server` shows it.
pub async fn status(server: &OosProcess, root: &Credentials, id: &str) -> String {
    let body = call(server, root, "ListExecutions", &[("ExecutionId", id)]).await;
    body["Executions"][0]["Status"].as_str().unwrap_or_default().to_string()
}

/// Waits (at most `bound`) until execution `id` has status `want` on `server`.
pub async fn wait_status(server: &OosProcess, root: &Credentials, id: &str, want: &str, bound: std::time::Duration) {
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        let now = status(server, root, id).await;
        if now == want {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "execution {id} is {now}, not {want}, after {bound:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
