//! `TemplateURL`: a template fetched over http(s) for StartExecution, with a size limit and a timeout.

use std::time::Duration;

use oos_acs::{AcsError, ErrorCode};

/// Largest template body accepted from a URL.
pub const MAX_TEMPLATE_BYTES: usize = 512 * 1024;
/// Time allowed for the whole fetch (connect, answer, body).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The URL could not be fetched (refused, timed out, not 2xx).
const FETCH_FAILED: ErrorCode = ErrorCode::new("InvalidTemplateURL.FetchFailed", 400);
/// The body is larger than [`MAX_TEMPLATE_BYTES`].
const TOO_LARGE: ErrorCode = ErrorCode::new("InvalidTemplateURL.TooLarge", 400);

/// The template text at `url` (`http://` or `https://`, UTF-8).
pub async fn fetch(url: &str) -> Result<String, AcsError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| AcsError::invalid_parameter("TemplateURL", format!("{url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(AcsError::invalid_parameter("TemplateURL", format!("{url:?} is not an http(s) URL")));
    }
    let failed = |what: String| AcsError::new(FETCH_FAILED, format!("The template at {url} could not be fetched: {what}"));
    let client = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build().map_err(|e| failed(e.to_string()))?;
    let mut response = client.get(parsed).send().await.map_err(|e| failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status().as_u16())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
        if body.len() + chunk.len() > MAX_TEMPLATE_BYTES {
            return Err(AcsError::new(TOO_LARGE, format!("The template at {url} is larger than {MAX_TEMPLATE_BYTES} bytes.")));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| failed("the body is not UTF-8 text".into()))
}

/// A template name for an execution of `url` without `TemplateName`: its last path segment without extension.
pub fn name_of(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let file = path.rsplit('/').next().unwrap_or_default();
    let stem = file.split('.').next().unwrap_or_default();
    if stem.is_empty() { "Inline".into() } else { stem.into() }
}
