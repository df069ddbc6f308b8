//! `oos server`: the OOS-compatible API with the engine's worker in one process, on the embedded
//! store of a data directory or on a PostgreSQL database shared with other servers and workers
//! (`--database`); `--sandbox` adds the ECS emulator in-process and sends every cloud call there.
//! SIGTERM or SIGINT stops it gracefully ([`Server::shutdown`]); a second one, at once.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use oos_actions::outbound::{AddressPolicy, Allow};
use oos_clock::SystemClock;
use oos_server::{Server, ServerConfig};

use super::process::StopSignals;
use super::run::{WorkerArgs, worker};
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
    /// Let webhooks, ExecuteHttpRequest and TemplateURL reach this internal destination (a network
    /// such as 10.1.0.0/16 or 127.0.0.1, or a host name); repeatable. Loopback, private, link-local
    /// and metadata addresses are refused otherwise.
    #[arg(long = "outbound-allow", env = "OOS_OUTBOUND_ALLOW", value_delimiter = ',')]
    outbound_allow: Vec<Allow>,
}

/// Runs `oos server` until SIGTERM or SIGINT, then shuts it down.
pub fn run(mut args: ServerArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let opened = args.store.open(true).await?;
        let files = args.store.key_files()?;
        let sandbox = Sandbox::start(&args.sandbox, &mut args.worker).await?;
        let policy = AddressPolicy::server(args.outbound_allow.clone());
        let worker = worker(opened.store.clone(), &args.worker, policy.clone(), true, Arc::new(SystemClock))?;
        let config = ServerConfig { listen: args.listen, region: args.worker.region.clone(), outbound: policy };
        let mut signals = StopSignals::listen();
        let server = Server::start(config, opened.store.clone(), &files, worker).await?;
        // The address line comes first: tools (and oos-testkit) read it from the first line.
        println!("OOS API listening on http://{} (SDK endpoint {}, protocol http)", server.addr(), server.addr());
        let credentials = server.root_credentials();
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
        Ok(ExitCode::SUCCESS)
    })
}
