//! `oos server`: the OOS-compatible API with the engine's worker in one process, on the embedded
//! store of a data directory or on a PostgreSQL database shared with other servers and workers
//! (`--database`); `--sandbox` adds the ECS emulator in-process and sends every cloud call there.
//! SIGTERM or SIGINT stops it gracefully ([`Server::shutdown`]); a second one, at once.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use oos_actions::outbound::{AddressPolicy, Allow};
use oos_clock::SystemClock;
use oos_server::transport::Limits;
use oos_server::transport::tls::{TlsSource, self_signed_paths};
use oos_server::{ForwardedCloud, Server, ServerConfig};
use oos_store::RetentionPolicy;

use super::process::{LogFormat, StopSignals, TraceArgs};
use super::run::{WorkerArgs, cloud, worker_on};
use super::sandbox::{Sandbox, SandboxArgs};
use super::store::StoreArgs;

/// Options of `oos server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Address of the API (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    sandbox: SandboxArgs,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    worker: WorkerArgs,
    #[command(flatten)]
    pub traces: TraceArgs,
    /// Let webhooks, ExecuteHttpRequest and TemplateURL reach this internal destination (a network
    /// such as 10.1.0.0/16 or 127.0.0.1, or a host name); repeatable. Loopback, private, link-local
    /// and metadata addresses are refused otherwise.
    #[arg(long = "outbound-allow", env = "OOS_OUTBOUND_ALLOW", value_delimiter = ',')]
    outbound_allow: Vec<Allow>,
    /// Record the output of commands run on managed instances in the audit trail (`false`: only
    /// their status and exit code; the output stays with the invocation).
    #[arg(long, env = "OOS_AUDIT_COMMAND_OUTPUT", default_value_t = true, action = clap::ArgAction::Set)]
    audit_command_output: bool,
    #[command(flatten)]
    front: FrontArgs,
    #[command(flatten)]
    retention: RetentionArgs,
    /// Record no metrics: no recorder is installed and /metrics answers 404 (to measure what
    /// metrics cost, or where nothing scrapes).
    #[arg(long, env = "OOS_NO_METRICS")]
    no_metrics: bool,
}

/// What the server prunes, and how often (docs/operations.md, "Retention"); nothing without a flag.
#[derive(Debug, clap::Args)]
struct RetentionArgs {
    /// Delete finished top-level executions (with their whole tree) this many days after they ended.
    #[arg(long, env = "OOS_RETAIN_EXECUTIONS_DAYS")]
    retain_executions_days: Option<u64>,
    /// The finished statuses --retain-executions-days applies to.
    #[arg(long, env = "OOS_RETAIN_STATUSES", value_delimiter = ',', default_value = "Success,Failed,Cancelled")]
    retain_statuses: Vec<String>,
    /// Delete the logs and task outputs of finished executions this many days after they ended.
    #[arg(long, env = "OOS_RETAIN_DETAILS_DAYS")]
    retain_details_days: Option<u64>,
    /// Export audit records older than this many days to --audit-segments-dir, then delete them.
    #[arg(long, env = "OOS_RETAIN_AUDIT_DAYS", requires = "audit_segments_dir")]
    retain_audit_days: Option<u64>,
    /// Where exported audit segments are written (one JSON-lines file per segment).
    #[arg(long, env = "OOS_AUDIT_SEGMENTS_DIR")]
    audit_segments_dir: Option<PathBuf>,
    /// Seconds between retention passes (the first runs at start).
    #[arg(long, env = "OOS_RETENTION_INTERVAL", default_value_t = 600)]
    retention_interval: u64,
    /// Top-level executions per retention transaction.
    #[arg(long, env = "OOS_RETENTION_BATCH", default_value_t = 200)]
    retention_batch: i64,
}

impl RetentionArgs {
    /// The policy, unless no retention flag is given.
    fn policy(&self) -> Option<RetentionPolicy> {
        let ms = |days: Option<u64>| days.map(|days| i64::try_from(days).unwrap_or(i64::MAX / 86_400_000).saturating_mul(86_400_000));
        let policy = RetentionPolicy {
            executions_ms: ms(self.retain_executions_days),
            statuses: self.retain_statuses.clone(),
            details_ms: ms(self.retain_details_days),
            audit_ms: ms(self.retain_audit_days),
            audit_dir: self.audit_segments_dir.clone(),
            batch: self.retention_batch,
            ..RetentionPolicy::default()
        };
        (policy.executions_ms.is_some() || policy.details_ms.is_some() || policy.audit_ms.is_some()).then_some(policy)
    }
}

/// The listener: TLS, timeouts, the connection cap.
#[derive(Debug, clap::Args)]
struct FrontArgs {
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, env = "OOS_TLS_CERT", requires = "tls_key", conflicts_with = "tls_self_signed")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "OOS_TLS_KEY", requires = "tls_cert", hide_env_values = true)]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate for localhost and 127.0.0.1, made on the first
    /// start in the data directory (tls-cert.pem, tls-key.pem), for trying TLS out.
    #[arg(long)]
    tls_self_signed: bool,
    /// Seconds from a request head's first byte to its end; later: 408 RequestTimeout.
    #[arg(long, env = "OOS_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Seconds from the end of a request head to the end of its body; later: 408 RequestTimeout.
    #[arg(long, env = "OOS_REQUEST_TIMEOUT", default_value_t = 30)]
    request_timeout: u64,
    /// Seconds a connection may stay without a complete request head (idle keep-alive); then it is closed.
    #[arg(long, env = "OOS_IDLE_TIMEOUT", default_value_t = 60)]
    idle_timeout: u64,
    /// Connections served at once; more are answered 503 ServiceUnavailable.TooManyConnections (over
    /// TLS: closed).
    #[arg(long, env = "OOS_MAX_CONNECTIONS", default_value_t = 4096)]
    max_connections: usize,
}

impl FrontArgs {
    fn tls(&self, data_dir: &Path) -> Option<TlsSource> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsSource::Files { cert: cert.clone(), key: key.clone() }),
            _ if self.tls_self_signed => Some(TlsSource::SelfSigned { dir: data_dir.to_path_buf() }),
            _ => None,
        }
    }

    /// Raises this process's open-file limit as far as allowed; warns when the connection cap cannot
    /// be reached under it (connections beyond it would wait in the listen backlog).
    fn raise_file_limit(&self) {
        let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
        let needed = self.max_connections as u64 + 256;
        if files < needed {
            tracing::warn!(files, max_connections = self.max_connections, "the open-file limit is below --max-connections and what the store needs: lower --max-connections or raise the limit");
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            header_timeout: Duration::from_secs(self.header_timeout),
            request_timeout: Duration::from_secs(self.request_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            max_connections: self.max_connections,
        }
    }
}

/// Runs `oos server` until SIGTERM or SIGINT, then shuts it down.
pub fn run(mut args: ServerArgs, log_format: LogFormat) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let traces = args.traces.start(log_format, "server")?;
        let opened = args.store.open(true).await?;
        let files = args.store.key_files()?;
        let sandbox = Sandbox::start(&args.sandbox, &mut args.worker).await?;
        if let Some(sandbox) = &sandbox {
            sandbox.capture_requests(&args.sandbox, opened.store.clone(), Arc::new(SystemClock), &mut args.worker);
        }
        let policy = AddressPolicy::server(args.outbound_allow.clone());
        let cloud = cloud(&args.worker, Arc::new(SystemClock));
        let forwarded = cloud.as_ref().map_or_else(|_| ForwardedCloud::none(), |cloud| ForwardedCloud::new(cloud.clone()));
        let worker = worker_on(cloud, opened.store.clone(), &args.worker, policy.clone(), true, Arc::new(SystemClock))?;
        args.front.raise_file_limit();
        let tls = args.front.tls(&args.store.data.data_dir);
        let config = ServerConfig { listen: args.listen, region: args.worker.region.clone(), outbound: policy, tls: tls.clone(), limits: args.front.limits(), audit_command_output: args.audit_command_output, metrics: !args.no_metrics, cloud: forwarded };
        let mut signals = StopSignals::listen();
        if !args.no_metrics {
            oos_server::metrics::handle();
            oos_cloud::describe_metrics();
        }
        // A policy that cannot be applied stops the start before the API listens.
        let retention = args.retention.policy().map(|policy| policy.check().map(|()| policy)).transpose()?;
        let server = Server::start(config, opened.store.clone(), &files, worker).await?;
        if let Some(policy) = retention {
            server.retain(policy, Duration::from_secs(args.retention.retention_interval.max(1)))?;
        }
        // The address line comes first: tools (and oos-testkit) read it from the first line.
        let scheme = server.scheme();
        println!("OOS API listening on {scheme}://{} (SDK endpoint {}, protocol {scheme})", server.addr(), server.addr());
        if let Some(TlsSource::SelfSigned { dir }) = &tls {
            println!("TLS certificate (self-signed; trust it with --ca-cert or OOS_CA_CERT): {}", self_signed_paths(dir).0.display());
        }
        let credentials = server.root_credentials();
        if let Some(sandbox) = &sandbox
            && credentials.exists()
        {
            sandbox.deliver_events_to(&format!("{scheme}://{}", server.addr()), credentials)?;
        }
        if server.created_root_key() {
            println!("created the root AccessKey; its only copy is in {} (mode 0600)", credentials.display());
        } else if credentials.exists() {
            println!("root AccessKey: {}", credentials.display());
        } else {
            println!("root AccessKey: made by the first server on this database (its data directory holds root-credentials.json)");
        }
        signals.recv().await;
        tokio::select! {
            () = server.shutdown() => {}
            () = signals.recv() => {
                tracing::warn!("second stop signal: exiting without finishing the shutdown");
                return Ok(ExitCode::FAILURE);
            }
        }
        if let Some(sandbox) = sandbox {
            sandbox.finish().await?;
        }
        traces.finish().await;
        Ok(ExitCode::SUCCESS)
    })
}
