//! The one door for plain outbound HTTP (ExecuteHttpRequest, the Notify and Approve webhooks,
//! StartExecution's TemplateURL): every destination is checked against an [`AddressPolicy`] after
//! DNS resolution (a resolver that drops denied addresses), for literal IP hosts, and again on every
//! redirect; no proxy from the environment is used (it would resolve names where we cannot check
//! them); answers are read up to a size limit. In a sandbox, requests to hosts off its allow-list
//! are captured in an inbox instead ([`sandbox`]). A traced request carries the `traceparent` of
//! its call's span.

mod policy;
pub mod sandbox;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use policy::{AddressPolicy, Allow, is_internal};
pub use sandbox::{Inbox, Letter, LetterKind, SandboxDoor};

/// A destination refused by the address policy.
pub const ADDRESS_DENIED: &str = "Outbound.AddressDenied";
/// A URL that is not absolute `http(s)`.
pub const INVALID_URL: &str = "Outbound.InvalidURL";
/// The request failed (connection, TLS, timeout, too many redirects).
pub const REQUEST_FAILED: &str = "Http.RequestFailed";
/// The answer is larger than the caller accepts.
pub const RESPONSE_TOO_LARGE: &str = "Http.ResponseTooLarge";

/// Most redirects followed.
const MAX_REDIRECTS: usize = 5;

/// Why an outbound request did not produce an answer, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct OutboundError {
    pub code: &'static str,
    pub message: String,
}

/// An answer: its status and body (at most the limit the caller gave).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// An HTTP client that only reaches what its policy allows.
#[derive(Debug, Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
}

impl Outbound {
    /// A client under `policy`, each request (redirects included) limited to `timeout`.
    pub fn new(policy: AddressPolicy, timeout: Duration) -> Self {
        let policy = Arc::new(policy);
        let redirects = Arc::clone(&policy);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .no_proxy()
            .dns_resolver(Arc::new(PolicyResolver(Arc::clone(&policy))))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
                }
                match literal_refusal(&redirects, attempt.url()) {
                    Some(reason) => attempt.error(reason),
                    None => attempt.follow(),
                }
            }))
            .build()
            .unwrap_or_default();
        Self { client, policy }
    }

    /// The policy this client enforces.
    pub fn policy(&self) -> &AddressPolicy {
        &self.policy
    }

    /// Sends one request and reads at most `max_body` bytes of the answer.
    pub async fn send(&self, method: &str, url: &str, headers: &[(String, String)], body: Vec<u8>, max_body: usize) -> Result<HttpAnswer, OutboundError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| OutboundError { code: INVALID_URL, message: format!("{}: {e}", display_url(url)) })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(OutboundError { code: INVALID_URL, message: format!("{} is not an absolute http(s) URL", display_url(url)) });
        }
        if let Some(reason) = literal_refusal(&self.policy, &parsed) {
            return Err(OutboundError { code: ADDRESS_DENIED, message: reason });
        }
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| OutboundError { code: INVALID_URL, message: format!("{method:?} is not an HTTP method") })?;
        let mut request = self.client.request(method, parsed).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if let Some(traceparent) = oos_telemetry::traceparent(&tracing::Span::current()) {
            request = request.header(oos_telemetry::HEADER, traceparent);
        }
        let mut response = request.send().await.map_err(|error| failure(url, &error))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|error| failure(url, &error))? {
            if body.len() + chunk.len() > max_body {
                return Err(OutboundError { code: RESPONSE_TOO_LARGE, message: format!("{} answered with more than {max_body} bytes", display_url(url)) });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpAnswer { status, body })
    }
}

/// The error of a failed request: a refusal of the address policy keeps its own code.
fn failure(url: &str, error: &reqwest::Error) -> OutboundError {
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        chain.push_str(&format!(": {current}"));
        source = current.source();
    }
    let code = if chain.contains(DENIED_MARK) { ADDRESS_DENIED } else { REQUEST_FAILED };
    OutboundError { code, message: format!("{}{chain}", display_url(url)) }
}

/// A URL as messages and audit records show it: [`redact_url`], shortened.
pub fn display_url(url: &str) -> String {
    redact_url(url).chars().take(300).collect()
}

/// A URL without user info, with the values of query parameters whose names suggest a credential
/// (`token`, `key`, `secret`, `password`, `signature`, `sig`, `auth`) replaced by `******`.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else { return url.to_owned() };
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let secret = ["token", "key", "secret", "password", "signature", "sig", "auth"].iter().any(|word| name.to_ascii_lowercase().contains(word));
                (name.into_owned(), if secret { "******".to_owned() } else { value.into_owned() })
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// Text every refusal carries, so it can be told from other failures through reqwest's error chain.
const DENIED_MARK: &str = "is refused by the outbound address policy";

/// The refusal of a URL whose host is a literal IP address the policy denies.
fn literal_refusal(policy: &AddressPolicy, url: &reqwest::Url) -> Option<String> {
    let host = url.host_str()?;
    let ip: IpAddr = host.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
    (!policy.permits(host, ip)).then(|| format!("{ip} {DENIED_MARK}"))
}

/// DNS resolution that keeps only the addresses the policy permits for the name.
struct PolicyResolver(Arc<AddressPolicy>);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = Arc::clone(&self.0);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let permitted: Vec<SocketAddr> = resolved.iter().copied().filter(|addr| policy.permits(&host, addr.ip())).collect();
            if permitted.is_empty() && !resolved.is_empty() {
                let addresses: Vec<String> = resolved.iter().map(|addr| addr.ip().to_string()).collect();
                return Err(format!("{host} resolves to {} which {DENIED_MARK}", addresses.join(", ")).into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(permitted.into_iter());
            Ok(addrs)
        })
    }
}
