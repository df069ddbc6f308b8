//! A received HTTP request in plain types, and its RPC parameters (action, version, values).

use serde::de::DeserializeOwned;

use crate::encode::decode_form;
use crate::error::{AcsError, ErrorCode};

/// An HTTP request exactly as received, free of any HTTP framework's types.
#[derive(Debug, Clone, Default)]
pub struct IncomingRequest {
    /// HTTP method, upper-case (`POST`).
    pub method: String,
    /// The path part of the request target (`/`).
    pub path: String,
    /// The raw query string after `?`, still encoded (empty when absent).
    pub raw_query: String,
    /// Header `(name, value)` pairs in arrival order; names in any case.
    pub headers: Vec<(String, String)>,
    /// The raw body bytes.
    pub body: Vec<u8>,
}

impl IncomingRequest {
    /// Builds a request from a method, a request target (`/?a=b`), headers and a body.
    pub fn from_target(
        method: &str,
        target: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Self {
        let (path, raw_query) = target.split_once('?').unwrap_or((target, ""));
        Self {
            method: method.to_string(),
            path: path.to_string(),
            raw_query: raw_query.to_string(),
            headers,
            body,
        }
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The decoded query parameters, in order.
    pub fn query_params(&self) -> Vec<(String, String)> {
        decode_form(&self.raw_query)
    }

    /// The decoded form-body parameters when the body is `application/x-www-form-urlencoded`.
    pub fn form_params(&self) -> Vec<(String, String)> {
        let is_form = self.header("content-type").is_some_and(|value| {
            value
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        if is_form && !self.body.is_empty() {
            decode_form(&String::from_utf8_lossy(&self.body))
        } else {
            Vec::new()
        }
    }

    /// Query and form-body parameters together (query first).
    pub fn all_params(&self) -> Vec<(String, String)> {
        let mut params = self.query_params();
        params.extend(self.form_params());
        params
    }
}

/// Protocol parameters removed before the action sees its parameters.
const PROTOCOL_PARAMS: [&str; 11] = [
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Timestamp",
    "SecurityToken",
];

/// The action, version and API parameters of an RPC request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcRequest {
    /// `Action` from the query, else the `x-acs-action` header.
    pub action: String,
    /// `Version` from the query, else the `x-acs-version` header.
    pub version: String,
    params: Vec<(String, String)>,
}

impl RpcRequest {
    /// Extracts action, version and parameters from a received request. A parameter sent twice
    /// (in the query, the form body or both), or a protocol header sent twice, is refused with
    /// `RepeatedParameter`: the SDKs never send one, and two readers picking different copies is
    /// how an authorization check and a handler come to disagree.
    pub fn parse(request: &IncomingRequest) -> Result<Self, AcsError> {
        let all = request.all_params();
        refuse_repeats(all.iter().map(|(key, _)| key.as_str()), "parameter")?;
        refuse_repeats(
            request
                .headers
                .iter()
                .map(|(name, _)| name.as_str())
                .filter(|name| is_protocol_header(name)),
            "header",
        )?;
        let from_params = |name: &str| {
            all.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        // A parameter and a header naming different actions (or versions) would leave two readers
        // to pick different ones: refused.
        let either = |name: &str, header: &str| -> Result<String, AcsError> {
            match (from_params(name).filter(|value| !value.is_empty()), request.header(header).filter(|value| !value.is_empty())) {
                (Some(param), Some(header)) if param != header => Err(AcsError::invalid_parameter(name, format!("the {name} parameter and the {} header differ", header_name(name)))),
                (Some(value), _) => Ok(value),
                (None, Some(header)) => Ok(header.to_string()),
                (None, None) => Err(AcsError::missing_parameter(name)),
            }
        };
        let action = either("Action", "x-acs-action")?;
        let version = either("Version", "x-acs-version")?;
        let params = all
            .into_iter()
            .filter(|(key, _)| !PROTOCOL_PARAMS.contains(&key.as_str()))
            .collect();
        Ok(Self {
            action,
            version,
            params,
        })
    }

    /// Builds a request directly from parameters (in-process callers, tests).
    pub fn new(action: &str, version: &str, params: Vec<(String, String)>) -> Self {
        Self {
            action: action.to_string(),
            version: version.to_string(),
            params,
        }
    }

    /// All API parameters, in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The value of `name`, if present and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    /// The value of `name`, or `MissingParameter.<name>`.
    pub fn require(&self, name: &str) -> Result<&str, AcsError> {
        self.get(name)
            .ok_or_else(|| AcsError::missing_parameter(name))
    }

    /// A boolean parameter: `true`/`false` in any case (`True` from Python).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, AcsError> {
        self.get(name)
            .map(|value| match value.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(AcsError::invalid_parameter(
                    name,
                    format!("expected true or false, got {value:?}"),
                )),
            })
            .transpose()
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> Result<Option<i64>, AcsError> {
        self.get(name)
            .map(|value| {
                value.trim().parse::<i64>().map_err(|_| {
                    AcsError::invalid_parameter(name, format!("expected an integer, got {value:?}"))
                })
            })
            .transpose()
    }

    /// A repeated list `Name.1`, `Name.2`, … in index order.
    pub fn repeated(&self, name: &str) -> Vec<String> {
        let mut indexed: Vec<(u32, String)> = self
            .params
            .iter()
            .filter_map(|(key, value)| {
                let index = key
                    .strip_prefix(name)?
                    .strip_prefix('.')?
                    .parse::<u32>()
                    .ok()?;
                Some((index, value.clone()))
            })
            .collect();
        indexed.sort_by_key(|(index, _)| *index);
        indexed.into_iter().map(|(_, value)| value).collect()
    }

    /// A repeated list of records `Name.N.Field`, in index order; each record maps
    /// field name → value (only the fields present).
    pub fn repeated_records(&self, name: &str) -> Vec<Vec<(String, String)>> {
        let mut records: std::collections::BTreeMap<u32, Vec<(String, String)>> =
            Default::default();
        for (key, value) in &self.params {
            let Some(rest) = key
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('.'))
            else {
                continue;
            };
            let Some((index, field)) = rest.split_once('.') else {
                continue;
            };
            let Ok(index) = index.parse::<u32>() else {
                continue;
            };
            records
                .entry(index)
                .or_default()
                .push((field.to_string(), value.clone()));
        }
        records.into_values().collect()
    }

    /// `Tag.N.Key` / `Tag.N.Value` pairs (value empty when absent).
    pub fn tags(&self, name: &str) -> Vec<(String, String)> {
        self.repeated_records(name)
            .into_iter()
            .filter_map(|record| {
                let field = |wanted: &str| {
                    record
                        .iter()
                        .find(|(field, _)| field == wanted)
                        .map(|(_, value)| value.clone())
                };
                Some((field("Key")?, field("Value").unwrap_or_default()))
            })
            .collect()
    }

    /// A parameter holding a JSON document (e.g. `InstanceIds=["i-1","i-2"]`); a malformed
    /// document is `InvalidParameter.<name>` (HTTP 400), never a server error.
    pub fn json<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, AcsError> {
        self.get(name)
            .map(|value| {
                serde_json::from_str(value)
                    .map_err(|error| AcsError::invalid_parameter(name, error))
            })
            .transpose()
    }
}

fn header_name(param: &str) -> &'static str {
    if param == "Action" { "x-acs-action" } else { "x-acs-version" }
}

/// A parameter or protocol header that appears more than once.
pub const REPEATED_PARAMETER: ErrorCode = ErrorCode::new("RepeatedParameter", 400);

/// Headers whose value decides who is calling and what is asked.
fn is_protocol_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("x-acs-") || matches!(name.as_str(), "authorization" | "host" | "content-type" | "content-length")
}

fn refuse_repeats<'a>(names: impl Iterator<Item = &'a str>, what: &str) -> Result<(), AcsError> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        let key = if what == "header" { name.to_ascii_lowercase() } else { name.to_string() };
        if !seen.insert(key) {
            let shown: String = name.chars().take(64).collect();
            return Err(AcsError::new(
                REPEATED_PARAMETER,
                format!("The {what} \"{shown}\" appears more than once; send each {what} once."),
            ));
        }
    }
    Ok(())
}

impl From<RpcRequest> for Vec<(String, String)> {
    fn from(request: RpcRequest) -> Self {
        request.params
    }
}

/// The code for requests routed to a version the server does not serve.
pub fn unsupported_version(version: &str) -> AcsError {
    AcsError::new(
        ErrorCode::INVALID_VERSION,
        format!("Specified parameter Version \"{version}\" is not valid."),
    )
}

/// The code for an action the server does not implement.
pub fn unknown_action(action: &str) -> AcsError {
    AcsError::new(
        ErrorCode::INVALID_ACTION_NOT_FOUND,
        format!("Specified api is not found, please check your url and method: {action}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, headers: &[(&str, &str)]) -> IncomingRequest {
        let headers = headers
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        IncomingRequest::from_target("POST", target, headers, Vec::new())
    }

    #[test]
    fn action_and_version_come_from_headers_when_the_query_has_none() {
        let rpc = RpcRequest::parse(&request(
            "/?InstanceId=i-1",
            &[
                ("X-Acs-Action", "StopInstance"),
                ("x-acs-version", "2014-05-26"),
            ],
        ))
        .unwrap();
        assert_eq!(
            (rpc.action.as_str(), rpc.version.as_str()),
            ("StopInstance", "2014-05-26")
        );
        assert_eq!(rpc.require("InstanceId").unwrap(), "i-1");
    }

    #[test]
    fn protocol_params_are_removed_and_a_conflicting_header_is_refused() {
        let rpc = RpcRequest::parse(&request(
            "/?Action=DescribeRegions&Version=2014-05-26&Format=JSON&Signature=x&SignatureType=&Timestamp=t&A=1",
            &[("x-acs-action", "DescribeRegions")],
        ))
        .unwrap();
        assert_eq!(rpc.action, "DescribeRegions");
        assert_eq!(rpc.params(), &[("A".to_string(), "1".to_string())]);
        let conflict = RpcRequest::parse(&request(
            "/?Action=DeleteTemplate&Version=2019-06-01",
            &[("x-acs-action", "GetTemplate")],
        ))
        .unwrap_err();
        assert_eq!(conflict.code, "InvalidParameter.Action");
    }

    #[test]
    fn missing_action_is_missing_parameter() {
        let error = RpcRequest::parse(&request("/?Version=1", &[])).unwrap_err();
        assert_eq!(error.code, "MissingParameter.Action");
        assert_eq!(error.status, 400);
    }

    #[test]
    fn form_body_parameters_are_merged() {
        let mut incoming = request(
            "/?Action=A&Version=V",
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
        );
        incoming.body = b"Name=a+b&DryRun=True".to_vec();
        let rpc = RpcRequest::parse(&incoming).unwrap();
        assert_eq!(rpc.get("Name"), Some("a b"));
        assert_eq!(rpc.bool("DryRun").unwrap(), Some(true));
    }

    #[test]
    fn repeated_parameters_and_protocol_headers_are_refused() {
        let error = RpcRequest::parse(&request("/?Action=A&Version=V&UserName=admin&UserName=me", &[])).unwrap_err();
        assert_eq!((error.code.as_ref(), error.status), ("RepeatedParameter", 400));
        assert!(error.message.contains("UserName"), "{}", error.message);
        let mut across = request("/?Action=A&Version=V&Name=a", &[("Content-Type", "application/x-www-form-urlencoded")]);
        across.body = b"Name=b".to_vec();
        assert_eq!(RpcRequest::parse(&across).unwrap_err().code, "RepeatedParameter");
        let headers = request("/?Action=A&Version=V", &[("x-acs-date", "1"), ("X-Acs-Date", "2")]);
        assert_eq!(RpcRequest::parse(&headers).unwrap_err().code, "RepeatedParameter");
        // Case differs, so these are two parameters, as the SDKs' signatures treat them.
        RpcRequest::parse(&request("/?Action=A&Version=V&name=a&Name=b", &[("Accept", "a"), ("Accept", "b")])).unwrap();
    }

    #[test]
    fn typed_accessors_validate() {
        let rpc = RpcRequest::new(
            "A",
            "V",
            vec![
                ("DryRun".into(), "false".into()),
                ("PageSize".into(), "x".into()),
                ("Bad".into(), "maybe".into()),
                ("InstanceIds".into(), "[\"i-1\",\"i-2\"]".into()),
                ("Broken".into(), "{'a': 'b'}".into()),
            ],
        );
        assert_eq!(rpc.bool("DryRun").unwrap(), Some(false));
        assert_eq!(rpc.bool("Missing").unwrap(), None);
        assert_eq!(rpc.bool("Bad").unwrap_err().code, "InvalidParameter.Bad");
        assert_eq!(
            rpc.int("PageSize").unwrap_err().code,
            "InvalidParameter.PageSize"
        );
        assert_eq!(
            rpc.json::<Vec<String>>("InstanceIds").unwrap().unwrap(),
            ["i-1", "i-2"]
        );
        assert_eq!(rpc.json::<Vec<String>>("Broken").unwrap_err().status, 400);
    }

    #[test]
    fn repeated_lists_follow_their_index() {
        let rpc = RpcRequest::new(
            "A",
            "V",
            vec![
                ("InstanceId.2".into(), "b".into()),
                ("InstanceId.1".into(), "a".into()),
                ("InstanceIdX".into(), "no".into()),
                ("Tag.2.Key".into(), "team".into()),
                ("Tag.1.Value".into(), "prod env".into()),
                ("Tag.1.Key".into(), "env".into()),
            ],
        );
        assert_eq!(rpc.repeated("InstanceId"), ["a", "b"]);
        assert_eq!(
            rpc.tags("Tag"),
            vec![
                ("env".into(), "prod env".into()),
                ("team".into(), String::new())
            ]
        );
    }
}
