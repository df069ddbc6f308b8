//! The cloud's own read-only ECS actions the console's pickers need (DescribeInstances,
//! DescribeRegions), answered by forwarding them to the cloud the server's workers use (its endpoint
//! and credentials; the emulator under `--sandbox`). Only the actions of [`READS`] get through, each
//! with its documented parameters alone, every value checked and re-written here (page sizes capped,
//! a region that could not become another host refused); one page per request; the cloud's answer
//! is passed back without its `RequestId`, and a refusal of the server's credentials without the
//! cloud's words (which may echo them).

use std::sync::Arc;

use oos_acs::{AcsError, ErrorCode, RpcRequest};
use oos_actions::{ApiCall, CloudApi, CloudError};
use serde_json::{Map, Value};

use crate::api::Fields;

/// The server was started without a cloud (no endpoint or credentials for its workers).
pub const CLOUD_NOT_CONFIGURED: ErrorCode = ErrorCode::new("Cloud.NotConfigured", 503);
/// The cloud refused the server's own credentials (its message is not passed on).
pub const CLOUD_CREDENTIALS_REFUSED: ErrorCode = ErrorCode::new("Cloud.CredentialsRefused", 502);

/// Largest page forwarded (ECS's own bound).
pub const MAX_PAGE_SIZE: i64 = 100;
/// Most instance ids and tags one request may name.
const MAX_IDS: usize = 100;
const MAX_TAGS: usize = 20;

/// What one forwarded parameter may hold.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A region id: lower-case letters, digits and dashes (it becomes part of the endpoint's host).
    Region,
    /// A JSON array of at most [`MAX_IDS`] resource ids.
    Ids,
    /// A positive integer, lowered to [`MAX_PAGE_SIZE`] when larger.
    PageSize,
    /// A positive integer.
    Number,
    /// An identifier (`cn-hangzhou-h`, `vpc-…`, `ecs.g6.large`): letters, digits, `.`, `_`, `-`.
    Name,
    /// Printable text without control characters, at most 128 characters.
    Text,
    /// A paging token: printable ASCII without spaces, at most 256 characters.
    Token,
    /// One of these values.
    OneOf(&'static [&'static str]),
}

/// A read the server forwards: its action and the parameters passed on.
struct Read {
    action: &'static str,
    parameters: &'static [(&'static str, Kind)],
    /// Whether `Tag.N.Key` / `Tag.N.Value` (N ≤ 20) are passed on too.
    tags: bool,
}

/// The allowlist: nothing else reaches the cloud.
const READS: &[Read] = &[
    Read {
        action: "DescribeInstances",
        parameters: &[
            ("RegionId", Kind::Region),
            ("InstanceIds", Kind::Ids),
            ("PageNumber", Kind::Number),
            ("PageSize", Kind::PageSize),
            ("MaxResults", Kind::PageSize),
            ("NextToken", Kind::Token),
            ("InstanceName", Kind::Text),
            ("Status", Kind::OneOf(&["Pending", "Running", "Starting", "Stopping", "Stopped"])),
            ("ZoneId", Kind::Name),
            ("VpcId", Kind::Name),
            ("VSwitchId", Kind::Name),
            ("InstanceType", Kind::Name),
            ("ResourceGroupId", Kind::Name),
        ],
        tags: true,
    },
    Read {
        action: "DescribeRegions",
        parameters: &[
            ("RegionId", Kind::Region),
            ("AcceptLanguage", Kind::OneOf(&["zh-CN", "en-US", "ja"])),
            ("InstanceChargeType", Kind::OneOf(&["PrePaid", "PostPaid", "SpotWithPriceLimit", "SpotAsPriceGo"])),
            ("ResourceType", Kind::OneOf(&["instance", "disk", "reservedinstance", "scu"])),
        ],
        tags: false,
    },
];

/// Whether the ECS action `action` is one the server forwards to its cloud.
pub fn serves(action: &str) -> bool {
    READS.iter().any(|read| read.action == action)
}

/// The cloud the server forwards its reads to, when it has one.
#[derive(Clone, Default)]
pub struct ForwardedCloud(Option<Arc<dyn CloudApi>>);

impl ForwardedCloud {
    /// Reads go to `cloud`.
    pub fn new(cloud: Arc<dyn CloudApi>) -> Self {
        Self(Some(cloud))
    }

    /// No cloud: every read is refused with [`CLOUD_NOT_CONFIGURED`].
    pub fn none() -> Self {
        Self(None)
    }
}

impl std::fmt::Debug for ForwardedCloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "ForwardedCloud(configured)" } else { "ForwardedCloud(none)" })
    }
}

/// Checks `rpc` against the allowlist, forwards it (one page, the server's credentials, no role) and
/// answers the cloud's fields.
pub async fn forward(cloud: &ForwardedCloud, region: &str, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let read = READS.iter().find(|read| read.action == rpc.action).ok_or_else(|| oos_acs::unknown_action(&rpc.action))?;
    let parameters = bounded(read, rpc)?;
    let cloud = cloud.0.as_ref().ok_or_else(|| {
        AcsError::new(CLOUD_NOT_CONFIGURED, "This server has no cloud to ask: start it with --endpoint and credentials (or --sandbox) to list the cloud's resources.")
    })?;
    let region_id = parameters.get("RegionId").and_then(Value::as_str).unwrap_or(region).to_owned();
    let call = ApiCall {
        service: "ECS".into(),
        api: read.action.into(),
        region_id: Some(region_id),
        parameters,
        roa: None,
        auto_paging: false,
        client_token: String::new(),
        execution_id: String::new(),
        task_name: format!("forwarded {}", read.action),
        ram_role: None,
    };
    let answer = cloud.call(&call).await.map_err(cloud_error)?;
    let mut fields = match answer {
        Value::Object(fields) => fields,
        _ => return Err(crate::error::internal(format!("the cloud answered {} with something other than an object", read.action))),
    };
    fields.remove("RequestId");
    Ok(fields)
}

/// The parameters passed on: each one the action documents, checked; anything else is refused.
fn bounded(read: &Read, rpc: &RpcRequest) -> Result<Map<String, Value>, AcsError> {
    let mut passed = Map::new();
    let mut tags = 0;
    for (name, value) in rpc.params() {
        if value.is_empty() {
            continue;
        }
        if let Some((_, kind)) = read.parameters.iter().find(|(known, _)| known == name) {
            passed.insert(name.clone(), checked(name, value, *kind)?);
        } else if read.tags && is_tag(name) {
            tags += 1;
            if tags > 2 * MAX_TAGS {
                return Err(AcsError::invalid_parameter("Tag", format!("at most {MAX_TAGS} tags")));
            }
            passed.insert(name.clone(), checked(name, value, Kind::Text)?);
        } else {
            return Err(AcsError::invalid_parameter(name, format!("{} forwarded to the cloud takes only {}", read.action, documented(read))));
        }
    }
    Ok(passed)
}

/// `Tag.N.Key` or `Tag.N.Value` with N in 1..=20.
fn is_tag(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("Tag.") else { return false };
    let Some((index, field)) = rest.split_once('.') else { return false };
    let number = (!index.starts_with('0')).then(|| index.parse::<usize>().ok()).flatten();
    number.is_some_and(|n| (1..=MAX_TAGS).contains(&n)) && matches!(field, "Key" | "Value")
}

fn documented(read: &Read) -> String {
    let mut names: Vec<&str> = read.parameters.iter().map(|(name, _)| *name).collect();
    if read.tags {
        names.push("Tag.N.Key/Value");
    }
    names.join(", ")
}

/// `value` checked as `kind`, as it is sent on.
fn checked(name: &str, value: &str, kind: Kind) -> Result<Value, AcsError> {
    let invalid = |why: &str| AcsError::invalid_parameter(name, why);
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    match kind {
        Kind::Region => {
            let fine = (1..=64).contains(&value.len())
                && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !value.starts_with('-')
                && !value.ends_with('-');
            if fine { Ok(Value::String(value.to_owned())) } else { Err(invalid("a region id holds lower-case letters, digits and dashes")) }
        }
        Kind::Ids => {
            let ids: Vec<String> = serde_json::from_str(value).map_err(|_| invalid("a JSON array of ids"))?;
            if ids.len() > MAX_IDS || ids.iter().any(|id| id.is_empty() || id.len() > 64 || !id.chars().all(is_name_char)) {
                return Err(invalid("at most 100 ids of letters, digits, '.', '_' and '-'"));
            }
            Ok(Value::String(serde_json::to_string(&ids).unwrap_or_default()))
        }
        Kind::PageSize | Kind::Number => {
            let number: i64 = value.parse().ok().filter(|n| *n >= 1).ok_or_else(|| invalid("a positive integer"))?;
            let number = if matches!(kind, Kind::PageSize) { number.min(MAX_PAGE_SIZE) } else { number };
            Ok(Value::String(number.to_string()))
        }
        Kind::Name if value.len() <= 64 && value.chars().all(is_name_char) => Ok(Value::String(value.to_owned())),
        Kind::Name => Err(invalid("letters, digits, '.', '_' and '-', at most 64")),
        Kind::Text if value.chars().count() <= 128 && !value.chars().any(char::is_control) => Ok(Value::String(value.to_owned())),
        Kind::Text => Err(invalid("at most 128 characters, none a control character")),
        Kind::Token if value.len() <= 256 && value.chars().all(|c| c.is_ascii_graphic()) => Ok(Value::String(value.to_owned())),
        Kind::Token => Err(invalid("a paging token of at most 256 printable characters")),
        Kind::OneOf(allowed) if allowed.contains(&value) => Ok(Value::String(value.to_owned())),
        Kind::OneOf(allowed) => Err(invalid(&format!("one of {}", allowed.join(", ")))),
    }
}

/// The cloud's error as the caller sees it: its code and message, except when the cloud refused the
/// server's own credentials (its message may quote the key or the string it signed).
fn cloud_error(error: CloudError) -> AcsError {
    let credentials = ["InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature", "InvalidSecurityToken", "MissingCredentials", "InvalidConfiguration"];
    if credentials.iter().any(|code| error.code.starts_with(code)) {
        tracing::warn!(code = %error.code, "the cloud refused the server's credentials on a forwarded read");
        return AcsError::new(CLOUD_CREDENTIALS_REFUSED, format!("The cloud refused this server's credentials ({}); ask its operator.", error.code));
    }
    let status = error.http_status.filter(|status| (400..600).contains(status)).unwrap_or(502);
    let message: String = error.message.chars().take(512).collect();
    AcsError::with_code(error.code, status, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(params: &[(&str, &str)]) -> RpcRequest {
        RpcRequest::new("DescribeInstances", "2014-05-26", params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn only_documented_parameters_pass_and_page_sizes_are_capped() {
        let read = &READS[0];
        let passed = bounded(read, &request(&[("RegionId", "cn-hangzhou"), ("PageSize", "5000"), ("Tag.1.Key", "team"), ("InstanceIds", "[\"i-1\"]")])).unwrap();
        assert_eq!(passed["PageSize"], "100");
        assert_eq!(passed["Tag.1.Key"], "team");
        for smuggled in [("Action", "StopInstances"), ("InstanceId", "i-1"), ("ForceStop", "true"), ("Tag.21.Key", "x"), ("Tag.01.Key", "x"), ("OwnerId", "1")] {
            let error = bounded(read, &request(&[smuggled])).unwrap_err();
            assert_eq!(error.code, format!("InvalidParameter.{}", smuggled.0));
        }
    }

    #[test]
    fn a_region_cannot_name_another_host() {
        let read = &READS[0];
        for region in ["evil.example.com/", "cn-hangzhou.evil", "a b", "CN-HANGZHOU", "-x", "x@y"] {
            assert_eq!(bounded(read, &request(&[("RegionId", region)])).unwrap_err().code, "InvalidParameter.RegionId", "{region}");
        }
        assert!(bounded(read, &request(&[("InstanceIds", "[\"i-1\",\"x/../y\"]")])).is_err());
    }

    #[test]
    fn writes_are_not_served() {
        for action in ["StopInstance", "StopInstances", "DeleteInstance", "RunInstances", "describeinstances", "ModifyInstanceAttribute"] {
            assert!(!serves(action), "{action}");
        }
        assert!(serves("DescribeInstances") && serves("DescribeRegions"));
    }

    #[test]
    fn a_refusal_of_the_servers_credentials_is_not_quoted() {
        let error = CloudError { code: "SignatureDoesNotMatch".into(), message: "string to sign: GET&AccessKeyId%3DLTAIsecret".into(), http_status: Some(400), request_id: None };
        let answered = cloud_error(error);
        assert_eq!(answered.code, "Cloud.CredentialsRefused");
        assert!(!answered.message.contains("LTAI"));
    }
}
