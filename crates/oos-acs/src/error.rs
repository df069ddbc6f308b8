//! Alibaba-style API errors: stable codes with their HTTP statuses, and the JSON error body.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// A stable error code and the HTTP status Alibaba answers it with.
///
/// The wire-level codes live here as associated constants; products (the ECS emulator, the
/// OOS server) declare their own with [`ErrorCode::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode {
    /// The `Code` field, e.g. `SignatureDoesNotMatch`.
    pub code: &'static str,
    /// The HTTP status sent with it.
    pub status: u16,
}

impl ErrorCode {
    /// Declares a code with its HTTP status.
    pub const fn new(code: &'static str, status: u16) -> Self {
        Self { code, status }
    }

    /// Signature mismatch, either scheme. The message must contain a `:` (older core SDK).
    pub const SIGNATURE_DOES_NOT_MATCH: Self = Self::new("SignatureDoesNotMatch", 400);
    /// Unknown AccessKeyId.
    pub const INVALID_ACCESS_KEY_ID_NOT_FOUND: Self = Self::new("InvalidAccessKeyId.NotFound", 404);
    /// Malformed `Authorization` header, unsupported algorithm, or a required header not signed.
    pub const INCOMPLETE_SIGNATURE: Self = Self::new("IncompleteSignature", 400);
    /// `x-acs-date` / `Timestamp` outside the accepted window.
    pub const INVALID_TIMESTAMP_EXPIRED: Self = Self::new("InvalidTimeStamp.Expired", 400);
    /// `x-acs-date` / `Timestamp` not in `YYYY-MM-DDThh:mm:ssZ` form.
    pub const INVALID_TIMESTAMP_FORMAT: Self = Self::new("InvalidTimeStamp.Format", 400);
    /// A signature nonce seen before within the replay window.
    pub const SIGNATURE_NONCE_USED: Self = Self::new("SignatureNonceUsed", 400);
    /// Unknown action.
    pub const INVALID_ACTION_NOT_FOUND: Self = Self::new("InvalidAction.NotFound", 404);
    /// Unknown API version.
    pub const INVALID_VERSION: Self = Self::new("InvalidVersion", 400);
    /// A required parameter is absent.
    pub const MISSING_PARAMETER: Self = Self::new("MissingParameter", 400);
    /// A parameter has an invalid value.
    pub const INVALID_PARAMETER: Self = Self::new("InvalidParameter", 400);
    /// The caller exceeded its request rate.
    pub const THROTTLING_USER: Self = Self::new("Throttling.User", 400);
    /// Operation not allowed in the resource's current status.
    pub const INCORRECT_INSTANCE_STATUS: Self = Self::new("IncorrectInstanceStatus", 403);
    /// Unknown ECS instance.
    pub const INVALID_INSTANCE_ID_NOT_FOUND: Self = Self::new("InvalidInstanceId.NotFound", 404);
    /// Unknown ECS disk.
    pub const INVALID_DISK_ID_NOT_FOUND: Self = Self::new("InvalidDiskId.NotFound", 404);
    /// A server-side failure.
    pub const INTERNAL_ERROR: Self = Self::new("InternalError", 500);
}

/// An API error as the server answers it: code, HTTP status and a human message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AcsError {
    /// The `Code` field (may carry a suffix such as `InvalidParameter.PageSize`).
    pub code: Cow<'static, str>,
    /// The HTTP status.
    pub status: u16,
    /// The `Message` field.
    pub message: String,
}

impl AcsError {
    /// An error with a declared code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code: Cow::Borrowed(code.code),
            status: code.status,
            message: message.into(),
        }
    }

    /// An error whose code is built at run time, e.g. `InvalidParameter.PageSize`.
    pub fn with_code(code: impl Into<String>, status: u16, message: impl Into<String>) -> Self {
        Self {
            code: Cow::Owned(code.into()),
            status,
            message: message.into(),
        }
    }

    /// `MissingParameter` naming the parameter.
    pub fn missing_parameter(name: &str) -> Self {
        Self::with_code(
            format!("MissingParameter.{name}"),
            ErrorCode::MISSING_PARAMETER.status,
            format!(
                "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
            ),
        )
    }

    /// `InvalidParameter.<name>` with a reason.
    pub fn invalid_parameter(name: &str, reason: impl std::fmt::Display) -> Self {
        Self::with_code(
            format!("InvalidParameter.{name}"),
            ErrorCode::INVALID_PARAMETER.status,
            format!("The specified parameter \"{name}\" is not valid: {reason}"),
        )
    }

    /// True when the code is `code` or one of its dotted sub-codes.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code.code
            || self
                .code
                .strip_prefix(code.code)
                .is_some_and(|rest| rest.starts_with('.'))
    }

    /// The JSON body to send, with a fresh `RequestId`.
    pub fn to_body(&self, host_id: &str) -> ErrorBody {
        ErrorBody::new(self, new_request_id(), host_id)
    }
}

/// The JSON error body: `{RequestId, HostId, Code, Message, Recommend}`.
///
/// Deserialisation also accepts the lower-case spellings some services send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorBody {
    /// Request identifier (upper-case UUID).
    #[serde(alias = "requestId", default)]
    pub request_id: String,
    /// The endpoint host that answered.
    #[serde(alias = "hostId", default)]
    pub host_id: String,
    /// Stable error code.
    #[serde(alias = "code")]
    pub code: String,
    /// Human-readable message.
    #[serde(alias = "message", default)]
    pub message: String,
    /// A troubleshooting link.
    #[serde(alias = "recommend", default)]
    pub recommend: String,
}

impl ErrorBody {
    /// The body for `error` under `request_id`, answered by `host_id`.
    pub fn new(error: &AcsError, request_id: String, host_id: &str) -> Self {
        Self {
            request_id,
            host_id: host_id.to_string(),
            code: error.code.to_string(),
            message: error.message.clone(),
            recommend: format!("https://api.aliyun.com/troubleshoot?q={}", error.code),
        }
    }
}

/// A new request identifier in Alibaba's form (upper-case UUID).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_five_fields_in_pascal_case() {
        let error = AcsError::new(
            ErrorCode::INCORRECT_INSTANCE_STATUS,
            "The instance is stopped.",
        );
        let body = serde_json::to_value(error.to_body("ecs.cn-hangzhou.aliyuncs.com")).unwrap();
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["RequestId", "HostId", "Code", "Message", "Recommend"]
        );
        assert_eq!(body["Code"], "IncorrectInstanceStatus");
        assert_eq!(error.status, 403);
    }

    #[test]
    fn sub_codes_match_their_family_only() {
        let error = AcsError::missing_parameter("InstanceId");
        assert!(error.is(ErrorCode::MISSING_PARAMETER));
        assert!(!error.is(ErrorCode::INVALID_PARAMETER));
        assert!(
            !AcsError::with_code("MissingParameterX", 400, "").is(ErrorCode::MISSING_PARAMETER)
        );
    }

    #[test]
    fn parses_lower_case_error_bodies() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"code":"Throttling.User","message":"slow down"}"#).unwrap();
        assert_eq!(body.code, "Throttling.User");
        assert_eq!(body.message, "slow down");
    }
}
