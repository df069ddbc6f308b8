//! Building [`CloudError`]s: client-side failures and service error bodies
//! (`{RequestId, HostId, Code, Message, Recommend}`, either key case).

use oos_actions::CloudError;
use serde_json::Value;

/// An error raised before or without a service answer (bad input, no credentials, transport).
pub fn client_error(code: &str, message: impl Into<String>) -> CloudError {
    CloudError { code: code.to_owned(), message: message.into(), http_status: None, request_id: None }
}

/// Turns a non-2xx answer into a [`CloudError`], reading `Code`/`code`, `Message`/`message`,
/// `RequestId`/`requestId`; a body without a code is reported with a code derived from the status.
pub fn service_error(status: u16, body: &[u8], request_id_header: Option<&str>) -> CloudError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |names: &[&str]| -> Option<String> {
        let object = parsed.as_ref()?.as_object()?;
        names.iter().find_map(|name| object.get(*name)?.as_str().map(str::to_owned))
    };
    let code = field(&["Code", "code"]).unwrap_or_else(|| status_code_name(status).to_owned());
    let message = field(&["Message", "message"]).unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        let snippet: String = text.chars().take(200).collect();
        format!("HTTP {status} without an error body: {snippet}")
    });
    let request_id = field(&["RequestId", "requestId"]).or_else(|| request_id_header.map(str::to_owned));
    CloudError { code, message, http_status: Some(status), request_id }
}

fn status_code_name(status: u16) -> &'static str {
    match status {
        429 => "Throttling",
        500..=599 => "ServiceUnavailable",
        404 => "InvalidAction.NotFound",
        _ => "UnknownError",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_key_cases_and_header_request_id() {
        let body = br#"{"RequestId":"R-1","HostId":"ecs","Code":"IncorrectInstanceStatus","Message":"The current status does not support this operation."}"#;
        let error = service_error(403, body, None);
        assert_eq!(error.code, "IncorrectInstanceStatus");
        assert_eq!(error.http_status, Some(403));
        assert_eq!(error.request_id.as_deref(), Some("R-1"));

        let error = service_error(400, br#"{"code":"Throttling.User","message":"slow down"}"#, Some("H-2"));
        assert_eq!((error.code.as_str(), error.request_id.as_deref()), ("Throttling.User", Some("H-2")));
    }

    #[test]
    fn non_json_bodies_keep_a_code_and_a_snippet() {
        let error = service_error(502, b"<html>bad gateway</html>", None);
        assert_eq!(error.code, "ServiceUnavailable");
        assert!(error.message.contains("bad gateway"));
    }
}
