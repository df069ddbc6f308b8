//! `oos agent`: makes this host a managed instance of an `oos server` cluster. The first start
//! registers with an activation and prints `registered as mi-…`; later starts reuse the identity
//! kept in the state directory. SIGTERM or SIGINT: accept nothing more, wait up to 10 s for the
//! running commands, exit.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use oos_agent::{Activation, Agent, AgentConfig};

use super::process::{LogFormat, StopSignals, TraceArgs};

/// Options of `oos agent`.
#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    /// A server of the cluster (`https://…`); repeat for several. Default: those registered with.
    #[arg(long = "server", env = "OOS_AGENT_SERVER", value_delimiter = ',')]
    servers: Vec<String>,
    /// The activation's id (first start only).
    #[arg(long)]
    activation_id: Option<String>,
    /// The activation's code (first start only).
    #[arg(long, env = "OOS_ACTIVATION_CODE", hide_env_values = true)]
    activation_code: Option<String>,
    /// Where the identity and the ledger are kept. Default: /var/lib/oos-agent for root, else
    /// ~/.local/state/oos-agent.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Trust only this CA (PEM) for the servers' certificates instead of the system's roots.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// Bind this host to an emulated ECS instance (`i-…`) of a sandbox server.
    #[arg(long)]
    sandbox_instance: Option<String>,
    #[command(flatten)]
    pub traces: TraceArgs,
}

/// Runs `oos agent` until SIGTERM or SIGINT.
pub fn run(args: AgentArgs, log_format: LogFormat) -> anyhow::Result<ExitCode> {
    let activation = match (args.activation_id, args.activation_code) {
        (Some(id), Some(code)) => Some(Activation { id, code }),
        (None, None) => None,
        _ => anyhow::bail!("give both --activation-id and --activation-code (or OOS_ACTIVATION_CODE)"),
    };
    let config = AgentConfig {
        servers: args.servers,
        state_dir: args.state_dir.unwrap_or_else(oos_agent::state::default_state_dir),
        ca_cert: args.ca_cert,
        activation,
        sandbox_instance: args.sandbox_instance,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let traces = args.traces.start(log_format, "agent")?;
        let mut signals = StopSignals::listen();
        let (agent, registered) = Agent::start(config).await?;
        if registered {
            println!("registered as {}", agent.instance_id());
        }
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(agent.run(shutdown));
        signals.recv().await;
        tracing::info!("stopping: waiting up to 10 s for running commands");
        stop.send_replace(true);
        tokio::select! {
            _ = running => {
                traces.finish().await;
                Ok(ExitCode::SUCCESS)
            }
            () = signals.recv() => {
                tracing::warn!("second stop signal: exiting without waiting for running commands");
                Ok(ExitCode::FAILURE)
            }
        }
    })
}
