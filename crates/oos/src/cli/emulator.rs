//! `oos emulator`: serve the local ECS-compatible cloud until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use std::sync::Arc;

use oos_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, FleetSeed, HttpEventSink};

/// Options of `oos emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Fleet seed file (YAML); default: three Running instances in the default region.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Keep the state in this JSON file (loaded when present, saved after changes).
    #[arg(long)]
    state: Option<PathBuf>,
    /// Duration of each step of an asynchronous transition, e.g. `2s`, `500ms`, `0`.
    #[arg(long, default_value = "2s", value_parser = parse_delay)]
    transition_delay: Duration,
    /// Answer Throttling.User to a caller beyond this many requests per second.
    #[arg(long)]
    throttle_rps: Option<f64>,
    /// An accepted key pair as `AccessKeyId:AccessKeySecret` (repeatable; default: a built-in pair).
    #[arg(long = "access-key", value_name = "AK:SK")]
    access_keys: Vec<String>,
    /// Region of requests that carry no RegionId.
    #[arg(long, default_value = "cn-hangzhou")]
    default_region: String,
    /// Reject requests older than 15 minutes and reused signature nonces.
    #[arg(long)]
    replay_protection: bool,
    /// The account its STS plays (role ARNs acs:ram::<ID>:role/<name>); default 1000000000000001.
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,
    /// Serve the ECS metadata service's credentials of this instance role under /latest/ (for
    /// `ecs_ram_role` credentials with OOS_ECS_METADATA_URL pointing here).
    #[arg(long, value_name = "NAME")]
    metadata_role: Option<String>,
    /// Post the events and alarms it raises, signed, to this server intake
    /// (`<URL>/events/v1`, `<URL>/alarms/v1`).
    #[arg(long, value_name = "URL", requires_all = ["events_access_key_id", "events_access_key_secret_file"])]
    events_to: Option<String>,
    /// The access key id events are signed as (with --events-to).
    #[arg(long, value_name = "ID", requires = "events_to")]
    events_access_key_id: Option<String>,
    /// A file holding the access key secret events are signed with (with --events-to).
    #[arg(long, value_name = "FILE", requires = "events_to")]
    events_access_key_secret_file: Option<PathBuf>,
    /// Serve the unsigned admin endpoints under /_emulator/ (raise events, set metrics, put alarm
    /// rules); only for an emulator no one else can reach.
    #[arg(long)]
    admin: bool,
    #[command(flatten)]
    pub traces: super::process::TraceArgs,
}

/// The secret in `file`, without the line end an editor leaves.
fn read_secret(file: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let secret = text.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        bail!("--events-access-key-secret-file {} is empty", file.display());
    }
    Ok(secret.as_bytes().to_vec())
}

/// Parses `2s`, `500ms`, `1m` (jiff's friendly format) or `0` into a duration.
pub(super) fn parse_delay(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    let signed: jiff::SignedDuration = text
        .parse()
        .map_err(|error| format!("{text:?} is not a duration like 2s or 500ms: {error}"))?;
    Duration::try_from(signed).map_err(|_| format!("{text:?} must not be negative"))
}

/// Runs `oos emulator`.
pub fn run(args: EmulatorArgs, log_format: super::process::LogFormat) -> anyhow::Result<ExitCode> {
    let mut builder = Emulator::builder()
        .transition_delay(args.transition_delay)
        .default_region(&args.default_region)
        .replay_protection(args.replay_protection)
        .admin(args.admin);
    for pair in &args.access_keys {
        let Some((id, secret)) = pair
            .split_once(':')
            .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
        else {
            bail!("--access-key must look like AK:SK");
        };
        builder = builder.access_key(id, secret);
    }
    if let Some(rate) = args.throttle_rps {
        if !(rate > 0.0) {
            bail!("--throttle-rps must be positive");
        }
        builder = builder.throttle_rps(rate);
    }
    if let Some(path) = &args.seed {
        builder = builder.seed(FleetSeed::from_file(path)?);
    }
    if let Some(path) = &args.state {
        builder = builder.state_file(path);
    }
    if let Some(account) = &args.account_id {
        if account.is_empty() || !account.chars().all(|c| c.is_ascii_digit()) {
            bail!("--account-id must be digits");
        }
        builder = builder.account_id(account);
    }
    if let Some(role) = &args.metadata_role {
        builder = builder.metadata_role(role);
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    if let (Some(url), Some(key_id), Some(secret_file)) =
        (&args.events_to, &args.events_access_key_id, &args.events_access_key_secret_file)
    {
        let secret = read_secret(secret_file)?;
        let _in_runtime = runtime.enter();
        builder = builder.event_sink(Arc::new(HttpEventSink::start(url, key_id, &secret)?));
    }
    let emulator = builder.build()?;
    runtime.block_on(async {
        let traces = args.traces.start(log_format, "emulator")?;
        let mut signals = super::process::StopSignals::listen();
        let handle = emulator.spawn(args.listen).await?;
        println!("ECS emulator listening on {}", handle.url());
        println!("endpoint (SDK Config.endpoint, protocol http): {}", handle.endpoint());
        println!("default region: {}", emulator.default_region());
        println!("account (STS roles acs:ram::<account>:role/<name>): {}", emulator.account_id());
        for key in emulator.access_keys() {
            if key.access_key_id == DEFAULT_ACCESS_KEY_ID {
                println!("access key: {DEFAULT_ACCESS_KEY_ID} / secret: {DEFAULT_ACCESS_KEY_SECRET} (built-in)");
            } else {
                println!("access key: {} (secret as given)", key.access_key_id);
            }
        }
        println!("instances: {}", emulator.instances().len());
        if let Some(url) = &args.events_to {
            println!("events and alarms posted to: {url}");
        }
        if args.admin {
            println!("admin endpoints: {}/_emulator/ (events, metrics, alarm-rules)", handle.url());
        }
        signals.recv().await;
        handle.shutdown().await?;
        traces.finish().await;
        anyhow::Ok(ExitCode::SUCCESS)
    })
}
