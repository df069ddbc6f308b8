//! `TemplateURL`: a template fetched over http(s) for StartExecution through the server's outbound
//! client (its address policy applies), with a size limit and a timeout; every fetch is audited.

use std::time::Duration;

use oos_acs::{AcsError, ErrorCode};
use oos_actions::outbound::{ADDRESS_DENIED, INVALID_URL, RESPONSE_TOO_LARGE, display_url};
use oos_store::audit::{AuditKind, NewAudit};
use serde_json::json;

use crate::auth::Caller;
use crate::api::Api;

/// Largest template body accepted from a URL.
pub const MAX_TEMPLATE_BYTES: usize = 512 * 1024;
/// Time allowed for the whole fetch (connect, answer, body).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The URL could not be fetched (refused, timed out, not 2xx).
const FETCH_FAILED: ErrorCode = ErrorCode::new("InvalidTemplateURL.FetchFailed", 400);
/// The body is larger than [`MAX_TEMPLATE_BYTES`].
const TOO_LARGE: ErrorCode = ErrorCode::new("InvalidTemplateURL.TooLarge", 400);
/// The address policy refuses the URL's destination.
const DENIED: ErrorCode = ErrorCode::new("InvalidTemplateURL.AddressDenied", 403);

/// The template text at `url` (`http://` or `https://`, UTF-8), fetched for `caller`.
pub async fn fetch(api: &Api, caller: &Caller, url: &str) -> Result<String, AcsError> {
    let outcome = api.outbound.send("GET", url, &[], Vec::new(), MAX_TEMPLATE_BYTES).await;
    let (code, status, bytes) = match &outcome {
        Ok(answer) if (200..300).contains(&answer.status) => ("Success".to_owned(), Some(answer.status), answer.body.len()),
        Ok(answer) => ("InvalidTemplateURL.FetchFailed".to_owned(), Some(answer.status), answer.body.len()),
        Err(error) => (error.code.to_owned(), None, 0),
    };
    let record = json!({
        "Principal": caller.arn,
        "User": caller.arn,
        "Action": "TemplateURL",
        "Method": "GET",
        "URL": display_url(url),
        "ResultCode": code,
        "HttpStatus": status,
        "Bytes": bytes,
    });
    if let serde_json::Value::Object(body) = record
        && let Err(error) = api.store.append_audit(&[NewAudit { time_ms: api.clock.now_ms(), kind: AuditKind::HttpCall, body }]).await
    {
        tracing::error!(%error, "audit record of a TemplateURL fetch not written");
    }
    let shown = display_url(url);
    let answer = outcome.map_err(|error| match error.code {
        ADDRESS_DENIED => AcsError::new(DENIED, format!("The template at {shown} may not be fetched: {}", error.message)),
        INVALID_URL => AcsError::invalid_parameter("TemplateURL", error.message),
        RESPONSE_TOO_LARGE => AcsError::new(TOO_LARGE, format!("The template at {shown} is larger than {MAX_TEMPLATE_BYTES} bytes.")),
        _ => AcsError::new(FETCH_FAILED, format!("The template at {shown} could not be fetched: {}", error.message)),
    })?;
    if !(200..300).contains(&answer.status) {
        return Err(AcsError::new(FETCH_FAILED, format!("The template at {shown} could not be fetched: HTTP {}", answer.status)));
    }
    String::from_utf8(answer.body).map_err(|_| AcsError::new(FETCH_FAILED, format!("The template at {shown} is not UTF-8 text")))
}

/// A template name for an execution of `url` without `TemplateName`: its last path segment without extension.
pub fn name_of(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let file = path.rsplit('/').next().unwrap_or_default();
    let stem = file.split('.').next().unwrap_or_default();
    if stem.is_empty() { "Inline".into() } else { stem.into() }
}
