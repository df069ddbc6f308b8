//! One HTTP attempt: builds an RPC (ACS3 or v1) or ROA request, signs it with `oos-acs` (or sends
//! it unsigned, for STS AssumeRoleWithOIDC), sends it on the shared connection pool and decodes the
//! answer. A traced attempt carries the `traceparent` of its call's span (unsigned, as the SDKs'
//! own trace headers).

use std::time::Duration;

use oos_acs::encode::{decode_form, encode_form, percent_encode};
use oos_acs::{Credentials, acs3, v1};
use oos_actions::{CloudError, RoaRequest};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::endpoints::Target;
use crate::error::{client_error, service_error};
use crate::retry::{RetryReason, classify, retry_after};

/// Which signature the client puts on RPC calls (ROA calls always use ACS3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum SignatureScheme {
    /// ACS3-HMAC-SHA256 in the `Authorization` header (the current SDKs' default).
    #[default]
    #[serde(alias = "acs3", alias = "ACS3-HMAC-SHA256")]
    Acs3,
    /// The legacy HMAC-SHA1 v1.0 `Signature` query parameter.
    #[serde(alias = "v1", alias = "HMAC-SHA1")]
    V1,
}

/// What one attempt sends: where, which API, and the already serialized parameters.
#[derive(Debug)]
pub struct Attempt<'a> {
    pub target: &'a Target,
    pub api: &'a str,
    pub parameters: &'a [(String, String)],
    pub roa: Option<&'a RoaRequest>,
}

/// A failed attempt: the error for the caller, and whether (and when) to retry.
#[derive(Debug)]
pub struct AttemptFailure {
    pub error: CloudError,
    pub retry: Option<RetryReason>,
    pub retry_after: Option<Duration>,
}

impl AttemptFailure {
    fn fatal(error: CloudError) -> Self {
        Self { error, retry: None, retry_after: None }
    }
}

const USER_AGENT: &str = concat!("OpenOOS/", env!("CARGO_PKG_VERSION"), " oos-cloud");

/// Sends one attempt, signed with `credentials` (unsigned RPC when None) as of `signed_at`.
/// `idempotent` allows retrying transport failures that may have reached the server (timeouts);
/// connection failures are always retryable (nothing was sent).
pub async fn send(
    http: &reqwest::Client,
    credentials: Option<&Credentials>,
    scheme: SignatureScheme,
    attempt: &Attempt<'_>,
    idempotent: bool,
    signed_at: jiff::Timestamp,
) -> Result<Value, AttemptFailure> {
    let date = signed_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let request = match (credentials, attempt.roa, scheme) {
        (None, _, _) => anonymous_rpc_request(http, attempt, &date),
        (Some(credentials), Some(roa), _) => roa_request(http, credentials, attempt, roa, &date)?,
        (Some(credentials), None, SignatureScheme::Acs3) => acs3_rpc_request(http, credentials, attempt, &date),
        (Some(credentials), None, SignatureScheme::V1) => v1_rpc_request(http, credentials, attempt, &date),
    };
    let request = match oos_telemetry::traceparent(&tracing::Span::current()) {
        Some(traceparent) => request.header(oos_telemetry::HEADER, traceparent),
        None => request,
    };
    let response = request.send().await.map_err(|error| transport_failure(&error, idempotent))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(|error| transport_failure(&error, idempotent))?;
    let header_request_id = headers.get("x-acs-request-id").and_then(|value| value.to_str().ok());
    if !(200..300).contains(&status) {
        let error = service_error(status, &body, header_request_id);
        let retry = classify(status, &error.code);
        return Err(AttemptFailure { error, retry, retry_after: retry_after(&headers) });
    }
    decode_success(&body, header_request_id, attempt.roa.is_some()).map_err(AttemptFailure::fatal)
}

fn decode_success(body: &[u8], request_id: Option<&str>, roa: bool) -> Result<Value, CloudError> {
    if body.iter().all(u8::is_ascii_whitespace) && roa {
        let mut empty = Map::new();
        if let Some(id) = request_id {
            empty.insert("RequestId".into(), Value::String(id.to_owned()));
        }
        return Ok(Value::Object(empty));
    }
    serde_json::from_slice(body).map_err(|error| {
        let snippet: String = String::from_utf8_lossy(body).chars().take(200).collect();
        client_error(
            "InvalidResponse.Json",
            format!("the service answered 2xx with a body that is not JSON ({error}): {snippet}"),
        )
    })
}

fn transport_failure(error: &reqwest::Error, idempotent: bool) -> AttemptFailure {
    let causes: Vec<&(dyn std::error::Error + 'static)> = std::iter::successors(std::error::Error::source(error), |cause| cause.source()).collect();
    // TLS refusals (an untrusted or wrong certificate) surface as I/O errors of invalid data: they
    // will not pass on a second attempt.
    let tls = causes.iter().any(|cause| invalid_data(cause.downcast_ref::<std::io::Error>()));
    let (code, retryable) = if error.is_connect() && tls {
        ("NetworkError.Tls", false)
    } else if error.is_connect() {
        ("NetworkError.Connection", true)
    } else if error.is_timeout() {
        ("NetworkError.Timeout", idempotent)
    } else {
        ("NetworkError.Request", idempotent)
    };
    let mut message = error.to_string();
    for cause in causes {
        message.push_str(": ");
        message.push_str(&cause.to_string());
    }
    AttemptFailure {
        error: client_error(code, message),
        retry: retryable.then_some(RetryReason::Transport),
        retry_after: None,
    }
}

/// An I/O error of invalid data, or one wrapping such an error (as the TLS connector's are).
fn invalid_data(error: Option<&std::io::Error>) -> bool {
    error.is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData || invalid_data(io.get_ref().and_then(|inner| inner.downcast_ref::<std::io::Error>())))
}

fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn url(target: &Target, path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        format!("{}{path}", target.base_url)
    } else {
        format!("{}{path}?{}", target.base_url, encode_form(query))
    }
}

fn with_headers(mut builder: reqwest::RequestBuilder, headers: &[(String, String)]) -> reqwest::RequestBuilder {
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
}

/// Query strings longer than this travel as a form body instead (servers built on the `http`
/// crate reject request targets over 64 KiB; templates in `Content` can be that long).
const MAX_QUERY_LEN: usize = 16 * 1024;

/// Splits RPC parameters between the query and a form body: all in the query unless too long.
fn place_parameters(parameters: Vec<(String, String)>) -> (Vec<(String, String)>, Vec<u8>) {
    let encoded = encode_form(&parameters);
    if encoded.len() <= MAX_QUERY_LEN { (parameters, Vec::new()) } else { (Vec::new(), encoded.into_bytes()) }
}

fn rpc_post(
    http: &reqwest::Client,
    target: &Target,
    query: &[(String, String)],
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    let builder = http.post(url(target, "/", query));
    if body.is_empty() { builder } else { builder.header("content-type", FORM).body(body) }
}

const FORM: &str = "application/x-www-form-urlencoded";

fn acs3_rpc_request(
    http: &reqwest::Client,
    credentials: &Credentials,
    attempt: &Attempt<'_>,
    date: &str,
) -> reqwest::RequestBuilder {
    let target = attempt.target;
    let (query, body) = place_parameters(attempt.parameters.to_vec());
    let mut headers =
        acs3::rpc_headers(&target.host, attempt.api, &target.version, date, &nonce(), &body, credentials);
    headers.push(("user-agent".into(), USER_AGENT.into()));
    if !body.is_empty() {
        headers.push(("content-type".into(), FORM.into()));
    }
    if credentials.security_token.is_some() {
        headers.push(("x-acs-accesskey-id".into(), credentials.access_key_id.clone()));
    }
    let authorization = acs3::sign(credentials, "POST", "/", &query, &headers, &body);
    headers.push(("authorization".into(), authorization));
    headers.retain(|(name, _)| name != "content-type");
    with_headers(rpc_post(http, target, &query, body), &headers)
}

fn v1_rpc_request(http: &reqwest::Client, credentials: &Credentials, attempt: &Attempt<'_>, date: &str) -> reqwest::RequestBuilder {
    let target = attempt.target;
    let mut signed: Vec<(String, String)> = vec![
        ("Action".into(), attempt.api.to_owned()),
        ("Version".into(), target.version.clone()),
        ("Format".into(), "JSON".into()),
    ];
    signed.extend(attempt.parameters.iter().cloned());
    v1::sign(credentials, "POST", &mut signed, date, &nonce());
    let (query, body) = place_parameters(signed);
    let headers = [
        ("host".to_owned(), target.host.clone()),
        ("x-acs-action".to_owned(), attempt.api.to_owned()),
        ("x-acs-version".to_owned(), target.version.clone()),
        ("user-agent".to_owned(), USER_AGENT.to_owned()),
        ("accept".to_owned(), "application/json".to_owned()),
    ];
    with_headers(rpc_post(http, target, &query, body), &headers)
}

/// An unsigned RPC request as the credentials library sends AssumeRoleWithOIDC: the protocol
/// parameters in the query, the API's in a form body.
fn anonymous_rpc_request(http: &reqwest::Client, attempt: &Attempt<'_>, date: &str) -> reqwest::RequestBuilder {
    let target = attempt.target;
    let query = [
        ("Action".to_owned(), attempt.api.to_owned()),
        ("Version".to_owned(), target.version.clone()),
        ("Format".to_owned(), "JSON".to_owned()),
        ("Timestamp".to_owned(), date.to_owned()),
    ];
    let headers = [
        ("x-acs-action".to_owned(), attempt.api.to_owned()),
        ("x-acs-version".to_owned(), target.version.clone()),
        ("user-agent".to_owned(), USER_AGENT.to_owned()),
        ("accept".to_owned(), "application/json".to_owned()),
        ("content-type".to_owned(), FORM.to_owned()),
    ];
    with_headers(http.post(url(target, "/", &query)), &headers).body(encode_form(attempt.parameters))
}

/// ROA: the method, path and body the template gives, ACS3-signed over the real path and body.
fn roa_request(
    http: &reqwest::Client,
    credentials: &Credentials,
    attempt: &Attempt<'_>,
    roa: &RoaRequest,
    date: &str,
) -> Result<reqwest::RequestBuilder, AttemptFailure> {
    let target = attempt.target;
    let method = reqwest::Method::from_bytes(roa.method.to_ascii_uppercase().as_bytes()).map_err(|_| {
        AttemptFailure::fatal(client_error(
            "InvalidParameter.Method",
            format!("`{}` is not an HTTP method", roa.method),
        ))
    })?;
    let (raw_path, raw_query) = roa.uri.split_once('?').unwrap_or((roa.uri.as_str(), ""));
    let path = canonical_path(raw_path);
    let mut query = decode_form(raw_query);
    query.extend(attempt.parameters.iter().cloned());
    let (body, content_type) = roa_body(roa.body.as_ref());
    let mut headers =
        acs3::rpc_headers(&target.host, attempt.api, &target.version, date, &nonce(), &body, credentials);
    headers.push(("user-agent".into(), USER_AGENT.into()));
    if let Some(content_type) = content_type {
        headers.push(("content-type".into(), content_type.into()));
    }
    for (name, value) in &roa.headers {
        let name = name.to_ascii_lowercase();
        let value = crate::params::scalar_text(value);
        headers.retain(|(existing, _)| *existing != name);
        headers.push((name, value));
    }
    let authorization = acs3::sign(credentials, method.as_str(), &path, &query, &headers, &body);
    headers.push(("authorization".into(), authorization));
    Ok(with_headers(http.request(method, url(target, &path, &query)), &headers).body(body))
}

/// Encodes each path segment (RFC 3986, `/` kept); an empty path is `/`.
fn canonical_path(raw: &str) -> String {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return "/".to_owned();
    }
    let encoded: Vec<String> = trimmed.split('/').map(percent_encode).collect();
    let joined = encoded.join("/");
    if joined.starts_with('/') { joined } else { format!("/{joined}") }
}

/// A string body is sent as is; any other JSON value as JSON.
fn roa_body(body: Option<&Value>) -> (Vec<u8>, Option<&'static str>) {
    match body {
        None | Some(Value::Null) => (Vec::new(), None),
        Some(Value::String(text)) if text.is_empty() => (Vec::new(), None),
        Some(Value::String(text)) => {
            let kind =
                if text.trim_start().starts_with(['{', '[']) { "application/json" } else { "application/octet-stream" };
            (text.clone().into_bytes(), Some(kind))
        }
        Some(other) => (other.to_string().into_bytes(), Some("application/json")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn roa_paths_are_encoded_per_segment() {
        assert_eq!(canonical_path(""), "/");
        assert_eq!(canonical_path("clusters/c 1/nodes"), "/clusters/c%201/nodes");
        assert_eq!(canonical_path("/api/v2/clusters/abc"), "/api/v2/clusters/abc");
    }

    #[test]
    fn roa_bodies() {
        assert_eq!(roa_body(None), (Vec::new(), None));
        assert_eq!(roa_body(Some(&json!({"a": 1}))), (br#"{"a":1}"#.to_vec(), Some("application/json")));
        assert_eq!(roa_body(Some(&json!("<xml/>"))), (b"<xml/>".to_vec(), Some("application/octet-stream")));
    }

    #[test]
    fn success_bodies() {
        assert_eq!(decode_success(b"", Some("R"), true).unwrap(), json!({"RequestId": "R"}));
        assert_eq!(decode_success(br#"{"A":1}"#, None, false).unwrap(), json!({"A": 1}));
        assert_eq!(decode_success(b"oops", None, false).unwrap_err().code, "InvalidResponse.Json");
    }
}
