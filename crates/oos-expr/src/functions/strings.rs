//! Text functions: Join, Split, Replace, Sub, Base64Encode, Base64Decode, ContainsSubString, Escape,
//! IsIpInCIDR.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::args::{list_arg, map_arg, positional, shape_error, text_arg, text_pair};
use crate::error::{ExprError, codes};
use crate::limits::{json_size, produce};
use crate::render::{push_text, to_text};

/// `Fn::Join: [delimiter, list]`: elements' text (non-strings as JSON) joined by the delimiter.
pub(super) fn join(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[delimiter, list]";
    let [delimiter, list] = positional("Join", EXPECTED, argument)?;
    let delimiter = text_arg("Join", EXPECTED, &delimiter)?;
    let list = list_arg("Join", EXPECTED, list)?;
    let parts: usize = list.iter().map(json_size).fold(0, usize::saturating_add);
    produce(parts.saturating_add(delimiter.len().saturating_mul(list.len())), || "Fn::Join".into())?;
    let mut joined = String::new();
    for (index, item) in list.iter().enumerate() {
        if index > 0 {
            joined.push_str(&delimiter);
        }
        push_text(&mut joined, item);
    }
    Ok(Value::String(joined))
}

/// `Fn::Split: [delimiter, text]` → list of strings (a non-empty delimiter).
pub(super) fn split(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[delimiter, text] with a non-empty delimiter";
    let [delimiter, text] = positional("Split", EXPECTED, argument)?;
    let delimiter = text_arg("Split", EXPECTED, &delimiter)?;
    if delimiter.is_empty() {
        return Err(shape_error("Split", EXPECTED, &Value::String(delimiter)));
    }
    let text = text_arg("Split", EXPECTED, &text)?;
    Ok(Value::Array(
        text.split(delimiter.as_str())
            .map(|part| Value::String(part.to_owned()))
            .collect(),
    ))
}

/// `Fn::Replace: [{old: new, …}, text]`: each pair applied in order to all occurrences.
pub(super) fn replace(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[{old: new, ...}, text]";
    let [pairs, text] = positional("Replace", EXPECTED, argument)?;
    let mut text = text_arg("Replace", EXPECTED, &text)?;
    for (old, new) in map_arg("Replace", EXPECTED, pairs)? {
        if !old.is_empty() {
            let new = to_text(&new);
            let grows = new.len().saturating_sub(old.len()).saturating_mul(text.matches(old.as_str()).count());
            produce(text.len().saturating_add(grows), || "Fn::Replace".into())?;
            text = text.replace(&old, &new);
        }
    }
    Ok(Value::String(text))
}

/// `Fn::Sub: [template, {name: value, …}]` (or just `template`): `${name}` → the value's text; `${!x}`
/// → literal `${x}`; unknown names are left as written.
pub(super) fn sub(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[template, {name: value}] or template";
    let (template, variables) = match argument {
        Value::Array(items) if items.len() == 2 => {
            let [template, variables] = positional("Sub", EXPECTED, Value::Array(items))?;
            (
                text_arg("Sub", EXPECTED, &template)?,
                map_arg("Sub", EXPECTED, variables)?,
            )
        }
        Value::String(template) => (template, serde_json::Map::new()),
        other => return Err(shape_error("Sub", EXPECTED, &other)),
    };
    let mut out = String::with_capacity(template.len());
    let mut rest = template.as_str();
    while let Some(open) = rest.find("${") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find('}') else {
            rest = &rest[open..];
            break;
        };
        let name = &after[..close];
        match (name.strip_prefix('!'), variables.get(name.trim())) {
            (Some(literal), _) => out.push_str(&format!("${{{literal}}}")),
            (None, Some(value)) => {
                produce(json_size(value), || "Fn::Sub".into())?;
                push_text(&mut out, value);
            }
            (None, None) => out.push_str(&rest[open..open + 2 + close + 1]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

/// `Fn::Base64Encode: text` / `Fn::Base64Decode: text` (standard alphabet, padded).
pub(super) fn base64(name: &str, argument: Value) -> Result<Value, ExprError> {
    let text = text_arg(name, "a string", &argument)?;
    if name == "Base64Encode" {
        return Ok(Value::String(STANDARD.encode(text.as_bytes())));
    }
    let bytes = STANDARD.decode(text.trim().as_bytes()).map_err(|error| {
        ExprError::new(codes::TYPE_MISMATCH, format!("Fn::Base64Decode: {error}"))
    })?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        ExprError::new(
            codes::TYPE_MISMATCH,
            "Fn::Base64Decode: the decoded bytes are not UTF-8",
        )
    })
}

/// `Fn::ContainsSubString: [text, part]` → bool.
pub(super) fn contains_substring(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[text, part]";
    let [text, part] = positional("ContainsSubString", EXPECTED, argument)?;
    let text = to_text(&text);
    Ok(Value::Bool(text.contains(&text_arg(
        "ContainsSubString",
        EXPECTED,
        &part,
    )?)))
}

/// `Fn::Escape: [text, kind]`: quotes `text` for embedding inside a single-quoted literal of `kind`:
/// `powershell` (`'` → `''`), `shell`/`bash`/`sh` (`'` → `'\''`), `json` (JSON string escapes,
/// without the surrounding quotes).
pub(super) fn escape(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[text, powershell|shell|json]";
    let [text, kind] = positional("Escape", EXPECTED, argument)?;
    let text = to_text(&text);
    let escaped = match text_arg("Escape", EXPECTED, &kind)?
        .to_ascii_lowercase()
        .as_str()
    {
        "powershell" => text.replace('\'', "''"),
        "shell" | "bash" | "sh" => text.replace('\'', r"'\''"),
        "json" => {
            let quoted = Value::String(text).to_string();
            quoted[1..quoted.len() - 1].to_owned()
        }
        _ => return Err(shape_error("Escape", EXPECTED, &kind)),
    };
    Ok(Value::String(escaped))
}

/// `Fn::IsIpInCIDR: [ip, cidr]` → bool (IPv4 or IPv6; a CIDR without `/n` is a single address;
/// different families never match).
pub(super) fn is_ip_in_cidr(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[ip, cidr]";
    let (ip, cidr) = text_pair("IsIpInCIDR", EXPECTED, argument)?;
    let invalid = |what: &str| {
        ExprError::new(
            codes::TYPE_MISMATCH,
            format!("Fn::IsIpInCIDR: invalid {what}"),
        )
    };
    let address: IpAddr = ip
        .trim()
        .parse()
        .map_err(|_| invalid(&format!("IP address {ip:?}")))?;
    let (network, prefix) = cidr.trim().split_once('/').unwrap_or((cidr.trim(), ""));
    let network: IpAddr = network
        .parse()
        .map_err(|_| invalid(&format!("CIDR {cidr:?}")))?;
    let bits: u32 = if network.is_ipv4() { 32 } else { 128 };
    let prefix = if prefix.is_empty() {
        bits
    } else {
        prefix
            .parse()
            .map_err(|_| invalid(&format!("CIDR {cidr:?}")))?
    };
    if prefix > bits {
        return Err(invalid(&format!("CIDR {cidr:?}")));
    }
    let to_bits = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    };
    if address.is_ipv4() != network.is_ipv4() {
        return Ok(Value::Bool(false));
    }
    let mask = if prefix == 0 {
        0
    } else {
        (u128::MAX << (bits - prefix)) & (u128::MAX >> (128 - bits))
    };
    Ok(Value::Bool(
        to_bits(address) & mask == to_bits(network) & mask,
    ))
}
