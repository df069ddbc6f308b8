//! A local, ECS 2014-05-26 compatible cloud (plus the VPC EIP and SLB backend pieces the
//! public ECS templates touch, Auto Scaling groups with lifecycle hooks, and CloudMonitor's API): instances, disks, snapshots, images, security groups, tags
//! and EIPs with asynchronous state machines, a Cloud Assistant with scripted command results,
//! real error codes, signature verification, throttling, fleet seeds and optional on-disk state;
//! and a source of cloud events and CloudMonitor-style alarms for event- and alarm-triggered
//! runbooks (an [`EventSink`], [`HttpEventSink`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), oos_emulator::EmulatorError> {
//! let emulator = oos_emulator::Emulator::builder().access_key("ak", "sk").build()?;
//! let handle = emulator.spawn("127.0.0.1:0".parse().unwrap()).await?;
//! println!("ECS endpoint {}", handle.endpoint());
//! handle.shutdown().await
//! # }
//! ```

#![recursion_limit = "256"]

mod admin;
mod api;
mod ecs_model;
mod emulator;
mod errors;
mod ess;
mod events;
mod fleet;
mod http_sink;
mod idempotency;
mod journal;
mod metadata;
mod model;
mod monitor;
mod network_model;
mod persist;
mod provision;
mod seed_network;
mod seed_resources;
mod server;
mod state;
mod storage_model;
mod sts;
mod throttle;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use api::{
    Assistant, CMS_VERSION, ECS_VERSION, ESS_VERSION, SLB_VERSION, ScriptedResult, VPC_VERSION,
    served_actions,
};
pub use emulator::{
    DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, EmulatorBuilder, Reply,
};
pub use events::{EVENT_LOG_CAPACITY, EventKind, EventSink, Published};
pub use http_sink::{HTTP_SINK_QUEUE, HttpEventSink, LateSink};
pub use journal::{CallRecord, Mutation};
pub use monitor::{AlarmRule, ComparisonOperator, MetricValue, Monitor, ResourceFilter};
pub use metadata::{CREDENTIALS_PATH, MetadataReply, TOKEN_HEADER, TOKEN_PATH};
pub use sts::{Caller, DEFAULT_ACCOUNT_ID, STS_VERSION};
pub use ess::seed::{ConfigurationSeed, LifecycleHookSeed, ScalingGroupSeed};
pub use fleet::{
    FleetSeed, ImageGroup, InstanceGroup, KeyPairSeed, ListenerSeed, LoadBalancerSeed, OneOrMany,
    SecurityGroupSeed, VServerGroupSeed,
};
pub use model::{
    BackendServer, Disk, Eip, Image, Instance, LoadBalancer, PendingStep, SecurityGroup,
    SecurityGroupRule, Snapshot, Tags, instance_status,
};
pub use ecs_model::{
    AutoRenew, DiagnosticReport, InstanceSettings, KeyPair, Maintenance, MetadataOptions,
    NetworkInterface,
};
pub use server::EmulatorHandle;
pub use state::{Cloud, Region};
pub use network_model::{
    BandwidthPackage, Listener, NatGateway, Networks, VServerBackend, VServerGroup, VSwitch, Vpc,
};
pub use storage_model::{AutoSnapshotPolicy, DiskSettings, Task};

/// Why the emulator could not start or save.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The seed file could not be read or parsed.
    #[error("EmulatorSeed.Invalid: {path}: {message}")]
    Seed { path: PathBuf, message: String },
    /// The seed refers to something that does not exist.
    #[error("EmulatorSeed.Invalid: {0}")]
    InvalidSeed(String),
    /// The state file could not be read or written.
    #[error("EmulatorState.Unreadable: {path}: {message}")]
    State { path: PathBuf, message: String },
    /// The listen address could not be bound.
    #[error("EmulatorListen.Failed: {addr}: {message}")]
    Bind { addr: SocketAddr, message: String },
    /// The server stopped with an error.
    #[error("EmulatorServe.Failed: {0}")]
    Serve(String),
    /// An event, metric or alarm rule given to the emulator is not valid (names the field).
    #[error("EmulatorInput.Invalid: {0}")]
    InvalidInput(String),
    /// The event sink could not be set up.
    #[error("EmulatorEventSink.Failed: {0}")]
    EventSink(String),
}
