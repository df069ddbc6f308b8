//! The emulator as a value: configuration, the shared cloud state, the request pipeline
//! (verify → caller → throttle → route → act → journal, in an `emulator.request` span that continues
//! the caller's `traceparent`), and direct in-process access for tests
//! and sandboxes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use oos_acs::{
    AcsError, Credentials, IncomingRequest, ReplayGuard, RpcRequest, Verifier, detect_scheme,
    new_request_id,
};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::api::{self, Ctx};
use crate::events::{EventLog, EventSink, Publishing};
use crate::fleet::FleetSeed;
use crate::idempotency::Tokened;
use crate::journal::{CallRecord, Journal};
use crate::metadata::{Metadata, MetadataReply};
use crate::model::Instance;
use crate::state::Cloud;
use crate::sts::{self, Caller, DEFAULT_ACCOUNT_ID, KeyStore, Roles, STS_VERSION};
use crate::throttle::Throttle;
use crate::{EmulatorError, persist};

/// The key pair accepted when none is configured.
pub const DEFAULT_ACCESS_KEY_ID: &str = "oos-emulator-ak";
/// The secret of [`DEFAULT_ACCESS_KEY_ID`].
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "oos-emulator-sk";

/// Where the emulator reads the time (the wall clock unless a test injects one).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Builds an [`Emulator`].
#[derive(Default)]
pub struct EmulatorBuilder {
    clock: Option<Clock>,
    access_keys: Vec<Credentials>,
    transition_delay: Duration,
    throttle_rps: Option<f64>,
    default_region: Option<String>,
    state_file: Option<PathBuf>,
    seed: Option<FleetSeed>,
    replay_protection: bool,
    journal: bool,
    account_id: Option<String>,
    roles: Roles,
    metadata_role: Option<String>,
    event_sink: Option<Arc<dyn EventSink>>,
    admin: bool,
}

impl std::fmt::Debug for EmulatorBuilder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("EmulatorBuilder")
            .field("transition_delay", &self.transition_delay)
            .finish_non_exhaustive()
    }
}

impl EmulatorBuilder {
    /// Reads the time from `clock` instead of the wall clock (deterministic tests of the
    /// asynchronous transitions).
    pub fn clock(mut self, clock: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Accepts requests signed by this key pair (repeatable).
    pub fn access_key(mut self, access_key_id: &str, access_key_secret: &str) -> Self {
        self.access_keys
            .push(Credentials::new(access_key_id, access_key_secret));
        self
    }

    /// Time each step of an asynchronous transition takes (zero = instant).
    pub fn transition_delay(mut self, delay: Duration) -> Self {
        self.transition_delay = delay;
        self
    }

    /// Answers `Throttling.User` to a caller beyond `requests_per_second`.
    pub fn throttle_rps(mut self, requests_per_second: f64) -> Self {
        self.throttle_rps = Some(requests_per_second);
        self
    }

    /// The region of requests that carry no `RegionId` (default `cn-hangzhou`).
    pub fn default_region(mut self, region: &str) -> Self {
        self.default_region = Some(region.to_string());
        self
    }

    /// Keeps the state in this JSON file: loaded at start when present (the seed is then
    /// ignored), saved after changes and at shutdown.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Initial resources (default: [`FleetSeed::small`]).
    pub fn seed(mut self, seed: FleetSeed) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Rejects requests whose timestamp is off by more than 15 minutes or whose nonce was
    /// seen before.
    pub fn replay_protection(mut self, enabled: bool) -> Self {
        self.replay_protection = enabled;
        self
    }

    /// Keeps a journal of every mutating call it acts on (see [`Emulator::mutations`]) and of every
    /// authenticated request with its caller (see [`Emulator::calls`]); it grows with every call,
    /// so it is for tests.
    pub fn journal(mut self, enabled: bool) -> Self {
        self.journal = enabled;
        self
    }

    /// The account the emulator plays (role ARNs `acs:ram::<account>:role/<name>`); default
    /// [`DEFAULT_ACCOUNT_ID`].
    pub fn account_id(mut self, account_id: &str) -> Self {
        self.account_id = Some(account_id.to_owned());
        self
    }

    /// Only these roles of the account exist for STS (default: every role name is assumable).
    pub fn only_roles<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        self.roles = Roles::Only(names.into_iter().map(str::to_owned).collect());
        self
    }

    /// Serves the ECS metadata service's role credentials for role `name` (see [`Emulator::metadata`]).
    pub fn metadata_role(mut self, name: &str) -> Self {
        self.metadata_role = Some(name.to_owned());
        self
    }

    /// Hands every event and alarm raised to `sink` (default: they are only kept for
    /// [`Emulator::events`]).
    pub fn event_sink(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.event_sink = Some(sink);
        self
    }

    /// Serves the admin endpoints under `/_emulator/` (raise events, set metrics, put alarm
    /// rules); they take no signature, so only for an emulator no one else can reach.
    pub fn admin(mut self, enabled: bool) -> Self {
        self.admin = enabled;
        self
    }

    /// Creates the emulator: loads the state file or applies the seed (whose metrics may raise
    /// alarms, published to the sink here).
    pub fn build(self) -> Result<Emulator, EmulatorError> {
        let clock = self.clock.unwrap_or_else(|| Arc::new(Timestamp::now));
        let now = clock();
        let default_region = self.default_region.unwrap_or_else(|| "cn-hangzhou".into());
        let loaded = match &self.state_file {
            Some(path) => persist::load(path)?,
            None => None,
        };
        let mut cloud = match loaded {
            Some(cloud) => cloud,
            None => {
                let seed = self
                    .seed
                    .unwrap_or_else(|| FleetSeed::small(&default_region));
                let mut cloud = Cloud::with_regions(seed.regions());
                seed.apply(&mut cloud, now)
                    .map_err(EmulatorError::InvalidSeed)?;
                cloud
            }
        };
        if cloud.region(&default_region).is_none() {
            return Err(EmulatorError::InvalidSeed(format!(
                "the default region {default_region} is not served"
            )));
        }
        api::ensure_public_images(&mut cloud, now);
        cloud.recompute_due();
        let keys = if self.access_keys.is_empty() {
            vec![Credentials::new(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_ACCESS_KEY_SECRET,
            )]
        } else {
            self.access_keys
        };
        let account_id = self.account_id.unwrap_or_else(|| DEFAULT_ACCOUNT_ID.to_owned());
        let mut verifier = Verifier::new(KeyStore::new(keys, account_id, self.roles));
        if self.replay_protection {
            verifier = verifier.with_replay_guard(ReplayGuard::new());
        }
        let emulator = Emulator {
            inner: Arc::new(Inner {
                clock,
                cloud: Mutex::new(cloud),
                verifier,
                throttle: self.throttle_rps.map(Throttle::per_second),
                delay_ms: i64::try_from(self.transition_delay.as_millis()).unwrap_or(i64::MAX),
                default_region,
                state_file: self.state_file,
                saving: Mutex::new(()),
                changed: Notify::new(),
                journal: self.journal.then(Journal::default),
                metadata: self.metadata_role.map(Metadata::new),
                events: EventLog::new(self.event_sink),
                admin: self.admin,
            }),
        };
        drop(emulator.lock());
        emulator.save()?;
        Ok(emulator)
    }
}

struct Inner {
    clock: Clock,
    cloud: Mutex<Cloud>,
    verifier: Verifier<KeyStore>,
    throttle: Option<Throttle>,
    delay_ms: i64,
    default_region: String,
    state_file: Option<PathBuf>,
    /// Held from snapshot to rename, so a save that started earlier (the background saver) can never
    /// replace the state file after a later one (shutdown) with its older snapshot.
    saving: Mutex<()>,
    changed: Notify,
    journal: Option<Journal>,
    metadata: Option<Metadata>,
    events: EventLog,
    admin: bool,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Emulator")
            .field("default_region", &self.default_region)
            .field("delay_ms", &self.delay_ms)
            .finish_non_exhaustive()
    }
}

/// A running or in-process ECS-compatible cloud. Cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

/// An HTTP answer: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub request_id: String,
    pub body: Value,
}

impl Emulator {
    /// Starts configuring an emulator.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The key pairs it accepts.
    pub fn access_keys(&self) -> &[Credentials] {
        self.inner.verifier.secrets().base()
    }

    /// The account the emulator plays.
    pub fn account_id(&self) -> &str {
        &self.inner.verifier.secrets().account_id
    }

    /// The region used when a request has no `RegionId`.
    pub fn default_region(&self) -> &str {
        &self.inner.default_region
    }

    /// The cloud, settled to now; what is raised under it is published when it is released.
    pub(crate) fn lock(&self) -> Publishing<'_> {
        let mut cloud = Publishing::new(
            self.inner.cloud.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
            &self.inner.events,
        );
        cloud.settle((self.inner.clock)());
        cloud
    }

    /// The time on the emulator's clock.
    pub fn now(&self) -> Timestamp {
        (self.inner.clock)()
    }

    pub(crate) fn event_log(&self) -> &EventLog {
        &self.inner.events
    }

    /// Whether the admin endpoints are served.
    pub(crate) fn admin(&self) -> bool {
        self.inner.admin
    }

    /// The mutating calls acted on so far, in order (empty unless built with
    /// [`EmulatorBuilder::journal`]).
    pub fn mutations(&self) -> Vec<crate::Mutation> {
        self.inner.journal.as_ref().map(Journal::entries).unwrap_or_default()
    }

    /// Every authenticated request so far with who made it, in order (empty unless built with
    /// [`EmulatorBuilder::journal`]).
    pub fn calls(&self) -> Vec<CallRecord> {
        self.inner.journal.as_ref().map(Journal::calls).unwrap_or_default()
    }

    /// Answers a request to the ECS metadata service (`None` unless built with
    /// [`EmulatorBuilder::metadata_role`]); `token` is the `X-aliyun-ecs-metadata-token` header.
    pub fn metadata(&self, method: &str, path: &str, token: Option<&str>) -> Option<MetadataReply> {
        let metadata = self.inner.metadata.as_ref()?;
        Some(metadata.serve(self.inner.verifier.secrets(), method, path, token, (self.inner.clock)()))
    }

    /// Runs one action in-process, without signature or throttling; returns the body
    /// without `RequestId`.
    pub fn call(&self, request: &RpcRequest) -> Result<Value, AcsError> {
        let handler = api::route(request)?;
        let ctx = Ctx {
            now: (self.inner.clock)(),
            delay_ms: self.inner.delay_ms,
            default_region: self.inner.default_region.clone(),
        };
        let read_only = api::is_read_only(&request.action);
        let tokened = if read_only {
            None
        } else {
            Tokened::of(request)
        };
        let mut cloud = self.lock();
        if let Some(call) = &tokened
            && let Some(first) = cloud.answered.replay(call)?
        {
            return Ok(first);
        }
        let result = handler(&mut cloud, request, &ctx);
        if let (Ok(body), Some(call)) = (&result, tokened) {
            cloud.answered.record(call, body);
        }
        if let (Ok(_), false, Some(journal)) = (&result, read_only, &self.inner.journal) {
            journal.record(request);
        }
        drop(cloud);
        if result.is_ok() && !read_only {
            self.inner.changed.notify_one();
        }
        result
    }

    /// The full pipeline for one HTTP request: signature, caller, throttling, routing, action,
    /// journal.
    pub fn handle(&self, incoming: &IncomingRequest) -> Reply {
        let request_id = new_request_id();
        let span = tracing::info_span!(target: oos_telemetry::TARGET, "emulator.request", otel.kind = "server", cloud.api = tracing::field::Empty);
        let traceparent = incoming.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case(oos_telemetry::HEADER));
        oos_telemetry::continue_from(&span, traceparent.map(|(_, value)| value.as_str()));
        let _traced = span.enter();
        let now = (self.inner.clock)();
        let outcome = self.caller(incoming, now).and_then(|caller| {
            if let Some(throttle) = &self.inner.throttle {
                throttle.acquire(caller_key(&caller), Instant::now())?;
            }
            let request = RpcRequest::parse(incoming)?;
            span.record("cloud.api", request.action.as_str());
            tracing::debug!(action = %request.action, caller = ?caller, "emulator request");
            let result = if request.version == STS_VERSION {
                sts::handle(self.inner.verifier.secrets(), &request, &caller, now)
            } else {
                self.call(&request)
            };
            if let Some(journal) = &self.inner.journal {
                let error_code = result.as_ref().err().map(|error| error.code.to_string());
                journal.record_call(CallRecord { action: request.action.clone(), version: request.version.clone(), caller, error_code });
            }
            result
        });
        match outcome {
            Ok(mut body) => {
                body["RequestId"] = json!(request_id);
                Reply {
                    status: 200,
                    request_id,
                    body,
                }
            }
            Err(error) => {
                let body = oos_acs::ErrorBody::new(&error, request_id.clone(), "ecs.aliyuncs.com");
                Reply {
                    status: error.status,
                    request_id,
                    body: serde_json::to_value(body).expect("error bodies serialise"),
                }
            }
        }
    }

    /// Who `incoming` acts as: a verified signature and, for temporary credentials, their own
    /// unexpired `SecurityToken`; only STS `AssumeRoleWithOIDC` may come unsigned.
    fn caller(&self, incoming: &IncomingRequest, now: Timestamp) -> Result<Caller, AcsError> {
        if detect_scheme(incoming).is_none()
            && RpcRequest::parse(incoming).is_ok_and(|request| request.version == STS_VERSION && request.action == "AssumeRoleWithOIDC")
        {
            return Ok(Caller::Anonymous);
        }
        let verified = self.inner.verifier.verify_at(incoming, now)?;
        let parameters = incoming.all_params();
        let token = incoming
            .header("x-acs-security-token")
            .or_else(|| parameters.iter().find(|(name, _)| name == "SecurityToken").map(|(_, value)| value.as_str()));
        self.inner.verifier.secrets().caller(&verified.access_key_id, token, now)
    }

    /// A copy of instance `id`, settled to the current time.
    pub fn instance(&self, id: &str) -> Option<Instance> {
        self.lock().instances.get(id).cloned()
    }

    /// All instances, in creation order.
    pub fn instances(&self) -> Vec<Instance> {
        self.lock().instances.values().cloned().collect()
    }

    /// Reads or changes the cloud directly (tests, sandboxes); pending steps are settled first.
    pub fn with_cloud<R>(&self, change: impl FnOnce(&mut Cloud) -> R) -> R {
        let mut cloud = self.lock();
        let result = change(&mut cloud);
        cloud.recompute_due();
        drop(cloud);
        self.inner.changed.notify_one();
        result
    }

    /// Writes the state file now (no-op without one).
    pub fn save(&self) -> Result<(), EmulatorError> {
        match &self.inner.state_file {
            Some(path) => {
                let _saving = self.inner.saving.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let snapshot = self.lock().clone();
                persist::save(path, &snapshot)
            }
            None => Ok(()),
        }
    }

    /// Waits until some change happened since the last call (used by the saver task).
    pub(crate) async fn changed(&self) {
        self.inner.changed.notified().await;
    }

    /// Whether a state file is configured.
    pub(crate) fn persists(&self) -> bool {
        self.inner.state_file.is_some()
    }
}

/// The key a caller is throttled by.
fn caller_key(caller: &Caller) -> &str {
    match caller {
        Caller::AccessKey { access_key_id } | Caller::AssumedRole { access_key_id, .. } => access_key_id,
        Caller::Anonymous => "anonymous",
    }
}
