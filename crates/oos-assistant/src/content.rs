//! Command content: its types, its encodings, and the `{{ name }}` parameters it references.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oos_acs::{AcsError, RpcRequest};
use regex::Regex;

/// The command types Cloud Assistant knows.
pub(crate) const COMMAND_TYPES: &[&str] = &["RunShellScript", "RunPythonScript", "RunPerlScript", "RunPowerShellScript", "RunBatScript"];

/// Largest command content, decoded (as Cloud Assistant allows 16 KiB, or 24 KiB base64).
pub(crate) const MAX_CONTENT_BYTES: usize = 18 * 1024;

/// Largest file SendFile carries.
pub(crate) const MAX_FILE_BYTES: usize = 32 * 1024;

static PARAMETER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{\{\s*([\w.-]+)\s*\}\}").expect("the parameter pattern is valid"));

/// `Type`, checked.
pub(crate) fn command_type(request: &RpcRequest) -> Result<String, AcsError> {
    let value = request.require("Type")?;
    if !COMMAND_TYPES.contains(&value) {
        return Err(AcsError::invalid_parameter("Type", format!("expected one of {}, got {value:?}", COMMAND_TYPES.join(", "))));
    }
    Ok(value.to_string())
}

/// The bytes of `name` under `ContentEncoding` (`PlainText` or `Base64`; `default` when absent).
pub(crate) fn decoded(request: &RpcRequest, name: &str, encoding_name: &str, default: &str, limit: usize) -> Result<Vec<u8>, AcsError> {
    let value = request.require(name)?;
    let encoding = request.get(encoding_name).unwrap_or(default);
    let bytes = if encoding.eq_ignore_ascii_case("Base64") {
        STANDARD.decode(value.trim()).map_err(|error| AcsError::invalid_parameter(name, format!("not valid base64: {error}")))?
    } else if encoding.eq_ignore_ascii_case("PlainText") {
        value.as_bytes().to_vec()
    } else {
        return Err(AcsError::invalid_parameter(encoding_name, format!("expected PlainText or Base64, got {encoding:?}")));
    };
    if bytes.len() > limit {
        return Err(AcsError::invalid_parameter(name, format!("longer than {limit} bytes")));
    }
    Ok(bytes)
}

/// The names `content` references as `{{ name }}`, each once, in order of appearance.
pub(crate) fn parameter_names(content: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for capture in PARAMETER.captures_iter(content) {
        let name = capture[1].to_string();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub(crate) fn decode(text: &str) -> Vec<u8> {
    STANDARD.decode(text).unwrap_or_default()
}
