//! `oos run --sandbox`: starts the ECS emulator in-process (a default small fleet or a seed file),
//! points every cloud call of the run at it with the emulator's own keys, assumes executions' roles
//! through its STS, and afterwards shows what the run changed on the emulated cloud. Under `oos
//! server`, the emulator's events and alarms go to the server's own intake, signed with the root key,
//! so EventTriggers and AlarmTriggers react to what happens in the sandbox. Notify and Approve
//! webhooks and ExecuteHttpRequest calls to hosts off `--sandbox-allow-host` are captured in the
//! store's sandbox inbox instead of being sent (`oos sandbox inbox`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use oos_actions::outbound::SandboxDoor;
use oos_clock::Clock;
use oos_cloud::Credentials;
use oos_emulator::{
    Cloud, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, EmulatorHandle, FleetSeed,
    HttpEventSink, LateSink,
};
use serde_json::Value;

use super::emulator::parse_delay;
use super::run::WorkerArgs;

/// Options of the local emulated cloud a run can use instead of Alibaba Cloud.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Run against a local ECS emulator started in-process; no real cloud is touched.
    #[arg(long)]
    pub sandbox: bool,
    /// Fleet seed of the sandbox (YAML, see docs/emulator.md); default: three Running instances.
    #[arg(long, requires = "sandbox", value_name = "FILE")]
    pub fleet: Option<PathBuf>,
    /// Duration of each step of the sandbox's asynchronous transitions (`0` = instant, `2s`).
    #[arg(long, requires = "sandbox", default_value = "0", value_parser = parse_delay)]
    pub transition_delay: Duration,
    /// Answer Throttling.User beyond this many requests per second.
    #[arg(long, requires = "sandbox")]
    pub throttle_rps: Option<f64>,
    /// Address of the sandbox's emulator (port 0 picks a free port), for calling it directly with
    /// `oos api --endpoint` (its keys: oos-emulator-ak / oos-emulator-sk).
    #[arg(long, requires = "sandbox", default_value = "127.0.0.1:0")]
    pub sandbox_listen: std::net::SocketAddr,
    /// Keep the sandbox's cloud in this JSON file: loaded when present, saved at the end.
    #[arg(long, requires = "sandbox", value_name = "FILE")]
    pub sandbox_state: Option<PathBuf>,
    /// Really send webhooks and ExecuteHttpRequest to this host (`hooks.example.com`) or host and
    /// port (`127.0.0.1:9000`); repeatable. Requests to other hosts are captured in the sandbox
    /// inbox (`oos sandbox inbox`) and answered 200; the sandbox's own emulator is always reached.
    #[arg(long = "sandbox-allow-host", requires = "sandbox", value_name = "HOST")]
    pub sandbox_allow_hosts: Vec<String>,
}

/// A running in-process emulator that a run's cloud calls go to.
pub struct Sandbox {
    handle: EmulatorHandle,
    before: CloudSummary,
    events: Arc<LateSink>,
}


impl Sandbox {
    /// Starts the emulator when `--sandbox` is given and redirects `worker`'s cloud calls to it.
    pub async fn start(
        args: &SandboxArgs,
        worker: &mut WorkerArgs,
    ) -> anyhow::Result<Option<Self>> {
        if !args.sandbox {
            return Ok(None);
        }
        if worker.endpoint.is_some() {
            bail!("--sandbox and --endpoint exclude each other: the sandbox is the endpoint");
        }
        let mut builder = Emulator::builder()
            .transition_delay(args.transition_delay)
            .default_region(&worker.region);
        if let Some(rate) = args.throttle_rps {
            if rate.is_nan() || rate <= 0.0 {
                bail!("--throttle-rps must be positive");
            }
            builder = builder.throttle_rps(rate);
        }
        if let Some(path) = &args.fleet {
            builder = builder.seed(FleetSeed::from_file(path)?);
        }
        if let Some(path) = &args.sandbox_state {
            builder = builder.state_file(path);
        }
        let events = Arc::new(LateSink::default());
        builder = builder.event_sink(events.clone());
        let emulator = builder.build()?;
        let handle = emulator.spawn(args.sandbox_listen).await?;
        worker.endpoint = Some(handle.url());
        worker.credentials = Some(Credentials::new(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_ACCESS_KEY_SECRET,
        ));
        let account = worker
            .assume_role_account
            .get_or_insert_with(|| emulator.account_id().to_owned())
            .clone();
        let before = emulator.with_cloud(|cloud| CloudSummary::of(cloud));
        eprintln!(
            "sandbox: ECS emulator at {} (region {}, transitions {:?}, roles assumed in account {}), {}",
            handle.url(),
            worker.region,
            args.transition_delay,
            account,
            before.describe()
        );
        eprintln!("sandbox: instances {}", sample_instance_ids(&emulator));
        Ok(Some(Self { handle, before, events }))
    }

    /// Makes `worker`'s webhooks and HTTP requests to hosts off the allow-list (and other than the
    /// emulator's) go into `inbox`'s sandbox inbox instead of being sent.
    pub fn capture_requests(&self, args: &SandboxArgs, inbox: Arc<dyn oos_store::SandboxInboxStore>, clock: Arc<dyn Clock>, worker: &mut WorkerArgs) {
        let emulator = self.handle.url().trim_start_matches("http://").trim_end_matches('/').to_owned();
        let allow = args.sandbox_allow_hosts.iter().cloned().chain([emulator]).collect();
        worker.sandbox_door = Some(SandboxDoor::new(Arc::new(oos_server::StoreInbox::new(inbox, clock)), allow));
        let sent = if args.sandbox_allow_hosts.is_empty() { String::new() } else { format!(" and {}", args.sandbox_allow_hosts.join(", ")) };
        eprintln!("sandbox: webhooks and HTTP requests are captured in the sandbox inbox (`oos sandbox inbox`) but those to the emulator{sent}");
    }

    /// Sends the sandbox's events and alarms to the server at `url`, signed with the AccessKey in
    /// `credentials` (the root key file a server writes at its first start).
    pub fn deliver_events_to(&self, url: &str, credentials: &Path) -> anyhow::Result<()> {
        let text = std::fs::read(credentials).with_context(|| format!("reading {}", credentials.display()))?;
        let key: Value = serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", credentials.display()))?;
        let (Some(id), Some(secret)) = (key["AccessKeyId"].as_str(), key["AccessKeySecret"].as_str()) else {
            bail!("{} holds no AccessKeyId and AccessKeySecret", credentials.display());
        };
        let sink = HttpEventSink::start(url, id, secret.as_bytes())?;
        if !self.events.set(sink) {
            bail!("the sandbox's events already go to a server");
        }
        eprintln!("sandbox: events and alarms go to {url}/events/v1 and /alarms/v1");
        Ok(())
    }

    /// Prints what changed on the emulated cloud, then stops the emulator (saving its state file).
    pub async fn finish(self) -> anyhow::Result<()> {
        let after = self
            .handle
            .emulator()
            .with_cloud(|cloud| CloudSummary::of(cloud));
        if after == self.before {
            eprintln!(
                "sandbox: the emulated cloud is unchanged: {}",
                after.describe()
            );
        } else {
            eprintln!("sandbox: before: {}", self.before.describe());
            eprintln!("sandbox: after:  {}", after.describe());
        }
        self.handle.shutdown().await.context("stopping the sandbox")
    }
}

/// A few instance ids to use as parameters (all of them when there are up to five).
fn sample_instance_ids(emulator: &Emulator) -> String {
    const SHOWN: usize = 5;
    let instances = emulator.instances();
    let mut text = instances
        .iter()
        .take(SHOWN)
        .map(|i| format!("{} ({}, {})", i.instance_id, i.region_id, i.status))
        .collect::<Vec<_>>()
        .join(", ");
    if instances.len() > SHOWN {
        let _ = write!(text, " and {} more", instances.len() - SHOWN);
    }
    text
}

/// Resource counts of the emulated cloud, with instances by status.
#[derive(Debug, PartialEq, Eq)]
struct CloudSummary {
    instances_by_status: BTreeMap<String, usize>,
    counts: [(&'static str, usize); 5],
}

impl CloudSummary {
    fn of(cloud: &Cloud) -> Self {
        let mut instances_by_status = BTreeMap::new();
        for instance in cloud.instances.values() {
            *instances_by_status
                .entry(instance.status.clone())
                .or_insert(0) += 1;
        }
        let rules = cloud
            .security_groups
            .values()
            .map(|group| group.rules.len())
            .sum();
        let tags = cloud
            .instances
            .values()
            .map(|instance| instance.tags.len())
            .sum();
        Self {
            instances_by_status,
            counts: [
                ("snapshots", cloud.snapshots.len()),
                ("images", cloud.images.len()),
                ("disks", cloud.disks.len()),
                ("security group rules", rules),
                ("instance tags", tags),
            ],
        }
    }

    fn describe(&self) -> String {
        let statuses = self
            .instances_by_status
            .iter()
            .map(|(status, n)| format!("{n} {status}"))
            .collect::<Vec<_>>();
        let total: usize = self.instances_by_status.values().sum();
        let mut text = format!("{total} instances ({})", statuses.join(", "));
        for (what, n) in self.counts {
            let _ = write!(text, ", {n} {what}");
        }
        text
    }
}
