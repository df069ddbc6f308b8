//! `oos worker`: the engine's worker alone, on a PostgreSQL database shared with `oos server`
//! processes and other workers; it takes executions any of them created and runs them. SIGTERM or
//! SIGINT stops it gracefully (its leases are released, so another worker takes over at once).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use oos_actions::outbound::{AddressPolicy, Allow};
use oos_clock::SystemClock;
use oos_server::WorkerNode;

use super::process::{LogFormat, StopSignals, TraceArgs};
use super::run::{WorkerArgs, worker};
use super::store::StoreArgs;

/// Options of `oos worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerCommandArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    worker: WorkerArgs,
    #[command(flatten)]
    pub traces: TraceArgs,
    /// Let webhooks and ExecuteHttpRequest reach this internal destination (as `oos server`).
    #[arg(long = "outbound-allow", env = "OOS_OUTBOUND_ALLOW", value_delimiter = ',')]
    outbound_allow: Vec<Allow>,
}

/// Runs `oos worker` until SIGTERM or SIGINT.
pub fn run(args: WorkerCommandArgs, log_format: LogFormat) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let traces = args.traces.start(log_format, "worker")?;
        let opened = args.store.open(false).await?;
        let files = args.store.key_files()?;
        let policy = AddressPolicy::server(args.outbound_allow.clone());
        let worker = worker(opened.store.clone(), &args.worker, policy, true, Arc::new(SystemClock))?;
        let mut signals = StopSignals::listen();
        let node = WorkerNode::start(opened.store.clone(), &files, &args.worker.region, worker).await?;
        println!("OOS worker running");
        signals.recv().await;
        tokio::select! {
            () = node.shutdown() => {}
            () = signals.recv() => {
                tracing::warn!("second stop signal: exiting without finishing the shutdown");
                return Ok(ExitCode::FAILURE);
            }
        }
        traces.finish().await;
        Ok(ExitCode::SUCCESS)
    })
}
