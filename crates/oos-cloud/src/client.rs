//! [`CloudClient`]: the outbound OpenAPI client behind `CloudApi` — resolves the endpoint and
//! version, serializes parameters, adds the ClientToken, pages, retries with back-off.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use oos_actions::{ApiCall, CloudApi, CloudError};
use oos_clock::{Clock, SystemClock};
use tracing::Instrument;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::api_names::canonical_api;
use jiff::Timestamp;

use crate::assume_role::{
    AssumeRoleConfig, RoleCache, RoleSession, assume_role_parameters, fresh, parse_assumed, role_arn, role_session,
};
use crate::credential_provider::CredentialProvider;
use crate::credentials::{CredentialChain, CredentialSource, Credentials};
use crate::endpoints::{EndpointConfig, Target};
use crate::error::client_error;
use crate::paging::{self, PageMerger};
use crate::retry::{Backoff, RetryPolicy, RetryReason};
use crate::transport::{self, Attempt, SignatureScheme};
use crate::{client_token, ecs_metadata, params, select_targets};

/// Everything configurable about outbound calls (credentials apart: see [`CloudClient::new`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, rename_all = "snake_case")]
pub struct CloudConfig {
    /// Region used when neither the call nor its parameters name one.
    pub default_region: Option<String>,
    pub endpoints: EndpointConfig,
    pub signature: SignatureScheme,
    pub retry: RetryPolicy,
    /// AutoPaging stops after this many pages (the merged result holds what was fetched).
    pub max_pages: u32,
    /// Seconds to establish a connection.
    pub connect_timeout_secs: u64,
    /// Seconds for a whole attempt.
    pub request_timeout_secs: u64,
    /// When set, calls of executions with a `RamRole` use that role's STS credentials.
    pub assume_role: Option<AssumeRoleConfig>,
    /// A PEM file of certificates to trust besides the system's (a server's self-signed one).
    pub ca_certificate: Option<std::path::PathBuf>,
}

impl Default for CloudConfig {
    fn default() -> Self {
        Self {
            default_region: None,
            endpoints: EndpointConfig::default(),
            signature: SignatureScheme::Acs3,
            retry: RetryPolicy::default(),
            max_pages: 1000,
            connect_timeout_secs: 5,
            request_timeout_secs: 30,
            assume_role: None,
            ca_certificate: None,
        }
    }
}

impl CloudConfig {
    /// Points every product at one URL (the emulator), keeping per-service overrides.
    pub fn with_sandbox(mut self, url: impl Into<String>) -> Self {
        self.endpoints.sandbox = Some(url.into());
        self
    }

    /// Sends product `OOS` calls to our own server.
    pub fn with_oos_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoints.services.insert("oos".into(), url.into());
        self
    }
}

/// Counters since the client was built (safe to read at any time).
#[derive(Debug, Default)]
struct Counters {
    calls: AtomicU64,
    attempts: AtomicU64,
    throttled_retries: AtomicU64,
    server_error_retries: AtomicU64,
    transport_retries: AtomicU64,
    failed_calls: AtomicU64,
}

/// A snapshot of the client's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallStats {
    /// HTTP requests asked for by callers (one per page).
    pub calls: u64,
    /// HTTP requests sent, retries included.
    pub attempts: u64,
    pub throttled_retries: u64,
    pub server_error_retries: u64,
    pub transport_retries: u64,
    /// Requests that ended in an error after all retries.
    pub failed_calls: u64,
}

/// The outbound client. Cheap to share (`Arc`); one connection pool for every product.
#[derive(Debug)]
pub struct CloudClient {
    http: reqwest::Client,
    /// Where the base credentials come from (fixed, or temporary and renewed).
    provider: CredentialProvider,
    source: CredentialSource,
    /// The provider's current temporary credentials and their expiry.
    base: Mutex<Option<(Credentials, Timestamp)>>,
    /// Held while they are renewed (concurrent calls wait for one renewal).
    base_renewal: tokio::sync::Mutex<()>,
    config: CloudConfig,
    backoff: Backoff,
    /// Dates signatures, times the role cache and waits out the back-off.
    clock: Arc<dyn Clock>,
    counters: Counters,
    roles: RoleCache,
}

impl CloudClient {
    /// A client with explicit credentials.
    pub fn new(config: CloudConfig, credentials: Credentials) -> Result<Self, CloudError> {
        Self::with_provider(config, credentials.into(), CredentialSource::Configuration)
    }

    /// A client whose base credentials come from `provider` (found at `source`).
    pub fn with_provider(config: CloudConfig, provider: CredentialProvider, source: CredentialSource) -> Result<Self, CloudError> {
        let mut http = reqwest::Client::builder();
        if let Some(path) = &config.ca_certificate {
            let invalid = |reason: String| client_error("InvalidConfiguration.CaCertificate", format!("{}: {reason}", path.display()));
            let pem = std::fs::read(path).map_err(|error| invalid(error.to_string()))?;
            for certificate in reqwest::Certificate::from_pem_bundle(&pem).map_err(|error| invalid(error.to_string()))? {
                http = http.add_root_certificate(certificate);
            }
        }
        let http = http
            .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
            .timeout(Duration::from_secs(config.request_timeout_secs))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|error| client_error("InvalidConfiguration.HttpClient", error.to_string()))?;
        Ok(Self {
            http,
            provider,
            source,
            base: Mutex::default(),
            base_renewal: tokio::sync::Mutex::default(),
            backoff: Backoff::new(config.retry),
            config,
            clock: Arc::new(SystemClock),
            counters: Counters::default(),
            roles: RoleCache::default(),
        })
    }

    /// A client whose credentials come from the provider chain (configuration, environment,
    /// aliyun config file); the profile's region becomes the default region if none is set.
    pub fn from_chain(mut config: CloudConfig, chain: &CredentialChain<'_>) -> Result<Self, CloudError> {
        let resolved = chain.resolve().map_err(|error| client_error(error.code(), error.to_string()))?;
        tracing::info!(source = %resolved.source, kind = resolved.provider.type_name(), "cloud credentials resolved");
        if config.default_region.is_none() {
            config.default_region = resolved.region_id;
        }
        Self::with_provider(config, resolved.provider, resolved.source)
    }

    /// Reads the time (signature dates, assumed roles' expiry) and waits between retries on
    /// `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Makes the back-off jitter reproducible.
    pub fn with_backoff_seed(mut self, seed: u64) -> Self {
        self.backoff = Backoff::seeded(self.config.retry, seed);
        self
    }

    pub fn config(&self) -> &CloudConfig {
        &self.config
    }

    /// Counters since the client was built.
    pub fn stats(&self) -> CallStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let counters = &self.counters;
        CallStats {
            calls: read(&counters.calls),
            attempts: read(&counters.attempts),
            throttled_retries: read(&counters.throttled_retries),
            server_error_retries: read(&counters.server_error_retries),
            transport_retries: read(&counters.transport_retries),
            failed_calls: read(&counters.failed_calls),
        }
    }

    /// Performs one template-level call: every page, every retry.
    pub async fn execute(&self, call: &ApiCall) -> Result<Value, CloudError> {
        if select_targets::is_select_targets(call) {
            return select_targets::select_targets(self, call).await;
        }
        let api = canonical_api(&call.service, &call.api);
        if api == call.api {
            self.execute_canonical(call).await
        } else {
            self.execute_canonical(&ApiCall { api: api.to_owned(), ..call.clone() }).await
        }
    }

    /// [`execute`](Self::execute) for a call whose API name has its wire spelling.
    async fn execute_canonical(&self, call: &ApiCall) -> Result<Value, CloudError> {
        let region = region_of(call).or(self.config.default_region.clone());
        let target = self.config.endpoints.resolve(&call.service, region.as_deref())?;
        let mut parameters = call.parameters.clone();
        client_token::apply(&call.service, &call.api, &call.client_token, &mut parameters);
        let idempotent = is_read_only(&call.api) || parameters.contains_key("ClientToken");
        let wire = params::serialize(&call.service, &call.api, &parameters);
        tracing::debug!(
            service = %call.service, api = %call.api, host = %target.host, execution = %call.execution_id,
            task = %call.task_name, parameters = ?wire.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(),
            "cloud call"
        );
        let credentials = self.credentials_for(call, region.as_deref()).await?;
        let first = self.request(Some(&credentials), &target, call, &wire, idempotent).await?;
        if call.roa.is_some() || !paging::applies(call.auto_paging, &parameters) {
            return Ok(first);
        }
        let Some(mut merger) = PageMerger::new(first.clone()) else { return Ok(first) };
        let mut latest = merger.collected();
        for _ in 1..self.config.max_pages.max(1) {
            let Some(next) = merger.next(latest) else { break };
            let mut page_wire = wire.clone();
            page_wire.push(next.parameter());
            let page = self.request(Some(&credentials), &target, call, &page_wire, idempotent).await?;
            latest = merger.absorb(&page);
        }
        Ok(merger.finish())
    }

    /// The base credentials, or the STS credentials of the call's `RamRole` (in the session of the
    /// execution making the call) when assumption is on.
    async fn credentials_for(&self, call: &ApiCall, region: Option<&str>) -> Result<Credentials, CloudError> {
        let base = self.base_credentials(region).await?;
        let (Some(config), Some(role)) = (&self.config.assume_role, call.ram_role.as_deref().filter(|r| !r.is_empty()))
        else {
            return Ok(base);
        };
        let session = role_session(role_arn(config, role), &call.execution_id);
        if let Some(cached) = self.roles.get(&session, self.clock.timestamp()) {
            return Ok(cached);
        }
        let renewal = self.roles.renewal(&session);
        let _renewing = renewal.lock().await;
        if let Some(cached) = self.roles.get(&session, self.clock.timestamp()) {
            return Ok(cached);
        }
        let parameters = assume_role_parameters(&session, config.duration_secs);
        let (credentials, expires) =
            self.sts("AssumeRole", Some(&base), &session, parameters, region).await.map_err(|error| CloudError {
                message: format!("assuming RAM role {} for task `{}`: {}", session.role_arn, call.task_name, error.message),
                ..error
            })?;
        self.roles.put(session, credentials.clone(), expires, self.clock.timestamp());
        Ok(credentials)
    }

    /// The client's own credentials: fixed ones as given, temporary ones renewed shortly before they expire.
    async fn base_credentials(&self, region: Option<&str>) -> Result<Credentials, CloudError> {
        if let CredentialProvider::Static(credentials) = &self.provider {
            return Ok(credentials.clone());
        }
        let cached = || {
            let cached = self.base.lock().unwrap_or_else(PoisonError::into_inner).clone();
            cached.filter(|(_, expires)| fresh(*expires, self.clock.timestamp())).map(|(credentials, _)| credentials)
        };
        if let Some(credentials) = cached() {
            return Ok(credentials);
        }
        let _renewing = self.base_renewal.lock().await;
        if let Some(credentials) = cached() {
            return Ok(credentials);
        }
        let (credentials, expires) = self.fetch_base(region).await.map_err(|error| CloudError {
            message: format!("{} credentials from {}: {}", self.provider.type_name(), self.source, error.message),
            ..error
        })?;
        tracing::debug!(kind = self.provider.type_name(), %expires, "base credentials renewed");
        *self.base.lock().unwrap_or_else(PoisonError::into_inner) = Some((credentials.clone(), expires));
        Ok(credentials)
    }

    /// New temporary base credentials from the provider.
    async fn fetch_base(&self, region: Option<&str>) -> Result<(Credentials, Timestamp), CloudError> {
        match &self.provider {
            CredentialProvider::Static(credentials) => Ok((credentials.clone(), Timestamp::MAX)),
            CredentialProvider::RamRoleArn { access_key, role } => {
                let session = role.session();
                self.sts("AssumeRole", Some(access_key), &session, assume_role_parameters(&session, role.duration_secs), region).await
            }
            CredentialProvider::EcsRamRole { role_name, metadata_url } => {
                ecs_metadata::role_credentials(&self.http, metadata_url, role_name.as_deref()).await
            }
            CredentialProvider::OidcRoleArn { role, oidc_provider_arn, oidc_token_file } => {
                let token = std::fs::read_to_string(oidc_token_file).map_err(|error| {
                    client_error("InvalidCredentials.OidcTokenFile", format!("cannot read the OIDC token file {}: {error}", oidc_token_file.display()))
                })?;
                let session = role.session();
                let mut parameters = assume_role_parameters(&session, role.duration_secs);
                parameters.insert("OIDCProviderArn".into(), Value::String(oidc_provider_arn.clone()));
                parameters.insert("OIDCToken".into(), Value::String(token.trim().to_owned()));
                self.sts("AssumeRoleWithOIDC", None, &session, parameters, region).await
            }
        }
    }

    /// One STS call answering temporary `Credentials`; unsigned when `signer` is None.
    async fn sts(
        &self,
        api: &str,
        signer: Option<&Credentials>,
        session: &RoleSession,
        parameters: Map<String, Value>,
        region: Option<&str>,
    ) -> Result<(Credentials, Timestamp), CloudError> {
        let target = self.config.endpoints.resolve("sts", region)?;
        let mut call = simple_call("STS", api, parameters);
        call.execution_id.clone_from(&session.session_name);
        let wire = params::serialize("sts", api, &call.parameters);
        let answer = self.request(signer, &target, &call, &wire, true).await?;
        parse_assumed(&answer)
    }

    /// One HTTP request with retries, in a span of its own (`cloud.call`: service, API, attempts, outcome).
    async fn request(
        &self,
        credentials: Option<&Credentials>,
        target: &Target,
        call: &ApiCall,
        wire: &[(String, String)],
        idempotent: bool,
    ) -> Result<Value, CloudError> {
        let span = tracing::info_span!(target: oos_telemetry::TARGET, "cloud.call", otel.kind = "client",
            oos.execution_id = %call.execution_id, cloud.service = %call.service, cloud.api = %call.api,
            oos.attempts = tracing::field::Empty, oos.outcome = tracing::field::Empty);
        self.attempts(credentials, target, call, wire, idempotent).instrument(span).await
    }

    async fn attempts(
        &self,
        credentials: Option<&Credentials>,
        target: &Target,
        call: &ApiCall,
        wire: &[(String, String)],
        idempotent: bool,
    ) -> Result<Value, CloudError> {
        self.counters.calls.fetch_add(1, Ordering::Relaxed);
        let attempt = Attempt { target, api: &call.api, parameters: wire, roa: call.roa.as_ref() };
        let max_attempts = self.backoff.policy().max_attempts.max(1);
        let mut retry = 0;
        loop {
            self.counters.attempts.fetch_add(1, Ordering::Relaxed);
            let failure =
                match transport::send(&self.http, credentials, self.config.signature, &attempt, idempotent, self.clock.timestamp()).await {
                    Ok(value) => {
                        crate::metrics::call_ended(call, crate::metrics::SUCCESS);
                        ended(retry, "Success");
                        return Ok(value);
                    }
                    Err(failure) => failure,
                };
            let Some(reason) = failure.retry.filter(|_| retry + 1 < max_attempts) else {
                self.counters.failed_calls.fetch_add(1, Ordering::Relaxed);
                crate::metrics::call_ended(call, crate::metrics::failed(failure.retry));
                ended(retry, &failure.error.code);
                return Err(failure.error);
            };
            let counter = match reason {
                RetryReason::Throttled => &self.counters.throttled_retries,
                RetryReason::ServerError => &self.counters.server_error_retries,
                RetryReason::Transport => &self.counters.transport_retries,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            crate::metrics::retried(call, reason);
            let delay = self.backoff.delay(retry, failure.retry_after);
            tracing::debug!(api = %call.api, code = %failure.error.code, retry, ?delay, "retrying cloud call");
            self.clock.sleep(delay).await;
            retry += 1;
        }
    }
}

#[async_trait::async_trait]
impl CloudApi for CloudClient {
    async fn call(&self, call: &ApiCall) -> Result<Value, CloudError> {
        self.execute(call).await
    }
}

/// Records the end of a call on its span: the attempts made and the outcome (`Success` or the error code).
fn ended(retry: u32, outcome: &str) {
    let span = tracing::Span::current();
    span.record("oos.attempts", retry + 1);
    span.record("oos.outcome", outcome);
}

/// The call's region: a `RegionId` parameter wins over the execution's region.
fn region_of(call: &ApiCall) -> Option<String> {
    match call.parameters.get("RegionId") {
        Some(Value::String(region)) if !region.is_empty() => Some(region.clone()),
        _ => call.region_id.clone().filter(|region| !region.is_empty()),
    }
}

/// Reads are safe to repeat after a timeout whose outcome is unknown.
fn is_read_only(api: &str) -> bool {
    ["Describe", "List", "Get", "Query", "Check"].iter().any(|prefix| api.starts_with(prefix))
}

/// An [`ApiCall`] with only the fields a direct caller needs (tests, SelectTargets, CLI).
pub fn simple_call(service: &str, api: &str, parameters: Map<String, Value>) -> ApiCall {
    ApiCall {
        service: service.to_owned(),
        api: api.to_owned(),
        region_id: None,
        parameters,
        roa: None,
        auto_paging: true,
        client_token: String::new(),
        execution_id: String::new(),
        task_name: String::new(),
        ram_role: None,
    }
}
