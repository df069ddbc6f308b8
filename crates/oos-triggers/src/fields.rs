//! Reading the loosely typed JSON that reaches triggers: rendered properties (where a Json
//! parameter may arrive as JSON text), tag sets in either shape, numbers in strings, times as ISO
//! 8601 or unix milliseconds, and the stable hash used for de-duplication keys.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::TriggerError;

/// Turns a problem found in the property `name` of a `trigger` (`EventTrigger`, `AlarmTrigger`)
/// into an error with `code`, the message naming the property.
pub(crate) fn property_error(code: &'static str, trigger: &'static str, name: &'static str) -> impl Fn(String) -> TriggerError {
    move |problem| TriggerError::new(code, format!("the {trigger} property {name} {problem}"))
}

/// A JSON-in-a-string value (`'[{"Key":"Env","Value":"Dev"}]'`, as a rendered Json parameter or a
/// quoted literal gives it) parsed; any other value as it is. An empty or blank string is `null`.
pub(crate) fn unwrap_json_text(value: &Value) -> Result<Value, String> {
    match value {
        Value::String(text) if text.trim().is_empty() => Ok(Value::Null),
        Value::String(text) if text.trim_start().starts_with(['[', '{']) => {
            serde_json::from_str(text).map_err(|error| format!("is not valid JSON text ({error})"))
        }
        other => Ok(other.clone()),
    }
}

/// The text of a scalar (string, number, boolean); `None` for null, lists and objects.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// A list of strings given as a list of scalars, one scalar, JSON text of either, or nothing
/// (null/absent/empty: the empty list).
pub(crate) fn string_list(value: Option<&Value>) -> Result<Vec<String>, String> {
    let value = match value {
        Some(value) => unwrap_json_text(value)?,
        None => return Ok(Vec::new()),
    };
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| scalar_text(item).ok_or_else(|| format!("item {index} is not a string")))
            .collect(),
        scalar => scalar_text(&scalar).map(|text| vec![text]).ok_or_else(|| "is neither a string nor a list of strings".to_string()),
    }
}

/// A tag set given as `{"Env": "Dev"}`, `[{"Key": "Env", "Value": "Dev"}]` (also `key`/`value`,
/// `TagKey`/`TagValue`; a missing value is the empty string), JSON text of either, or nothing.
pub(crate) fn tag_map(value: Option<&Value>) -> Result<BTreeMap<String, String>, String> {
    let value = match value {
        Some(value) => unwrap_json_text(value)?,
        None => return Ok(BTreeMap::new()),
    };
    match value {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(map) => string_map(&map),
        Value::Array(items) => items.iter().enumerate().map(|(index, item)| key_value_pair(item).ok_or_else(|| format!("item {index} is not a {{\"Key\", \"Value\"}} object"))).collect(),
        _ => Err("is neither an object of tags nor a list of {\"Key\", \"Value\"} objects".to_string()),
    }
}

fn key_value_pair(item: &Value) -> Option<(String, String)> {
    let field = |names: [&str; 3]| names.iter().find_map(|name| item.get(*name));
    let key = field(["Key", "key", "TagKey"]).and_then(scalar_text).filter(|key| !key.is_empty())?;
    let value = match field(["Value", "value", "TagValue"]) {
        None | Some(Value::Null) => String::new(),
        Some(value) => scalar_text(value)?,
    };
    Some((key, value))
}

/// An object whose values are all scalars, as text (null values are dropped).
pub(crate) fn string_map(map: &Map<String, Value>) -> Result<BTreeMap<String, String>, String> {
    map.iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| scalar_text(value).map(|text| (key.clone(), text)).ok_or_else(|| format!("the value of {key:?} is not a string")))
        .collect()
}

/// Every tag of `wanted` is on `present` with the same value (an empty `wanted` is always met).
pub(crate) fn tags_present(wanted: &BTreeMap<String, String>, present: &BTreeMap<String, String>) -> bool {
    wanted.iter().all(|(key, value)| present.get(key) == Some(value))
}

/// A number given as a JSON number or as text (`"80"`, `" 85.5 "`); `None` for null/absent.
pub(crate) fn number(value: Option<&Value>) -> Result<Option<f64>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number.as_f64().map(Some).ok_or_else(|| "is not a finite number".to_string()),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => match text.trim().parse::<f64>() {
            Ok(parsed) if parsed.is_finite() => Ok(Some(parsed)),
            _ => Err(format!("{text:?} is not a number")),
        },
        Some(_) => Err("is not a number".to_string()),
    }
}

/// A time given as ISO 8601 text with an offset (`2026-12-05T14:38:12Z`) or unix milliseconds
/// (a number or digits); `None` for null/absent.
pub(crate) fn time_ms(value: Option<&Value>) -> Result<Option<i64>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number.as_i64().map(Some).ok_or_else(|| "is not a whole number of milliseconds".to_string()),
        Some(Value::String(text)) if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) => {
            text.parse().map(Some).map_err(|_| format!("{text:?} is out of range"))
        }
        Some(Value::String(text)) => text
            .parse::<jiff::Timestamp>()
            .map(|timestamp| Some(timestamp.as_millisecond()))
            .map_err(|error| format!("{text:?} is not an ISO 8601 time ({error})")),
        Some(_) => Err("is neither ISO 8601 text nor unix milliseconds".to_string()),
    }
}

/// Unix milliseconds as ISO 8601 UTC text (`2026-12-05T14:38:12.5Z`); out-of-range values clamp.
pub(crate) fn iso_utc(time_ms: i64) -> String {
    let timestamp = jiff::Timestamp::from_millisecond(time_ms).unwrap_or(if time_ms < 0 { jiff::Timestamp::MIN } else { jiff::Timestamp::MAX });
    timestamp.to_string()
}

/// The first 16 bytes of the SHA-256 of `value` with its object keys sorted, in hex: the same for
/// the same content whatever order its keys came in.
pub(crate) fn stable_hash(value: &Value) -> String {
    let digest = Sha256::digest(sorted(value).to_string().as_bytes());
    digest[..16].iter().map(|byte| format!("{byte:02x}")).collect()
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|key| (key.clone(), sorted(&map[key]))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_come_in_either_shape_or_as_json_text() {
        let expected = BTreeMap::from([("Env".to_string(), "Dev".to_string())]);
        assert_eq!(tag_map(Some(&json!([{"Key": "Env", "Value": "Dev"}]))).unwrap(), expected);
        assert_eq!(tag_map(Some(&json!({"Env": "Dev"}))).unwrap(), expected);
        assert_eq!(tag_map(Some(&json!("[{\"Key\":\"Env\",\"Value\":\"Dev\"}]"))).unwrap(), expected);
        assert_eq!(tag_map(Some(&json!([{"key": "Env", "value": "Dev"}]))).unwrap(), expected);
        assert!(tag_map(Some(&json!("[]"))).unwrap().is_empty());
        assert!(tag_map(Some(&json!(""))).unwrap().is_empty());
        assert!(tag_map(None).unwrap().is_empty());
        assert!(tag_map(Some(&json!([{"Value": "Dev"}]))).unwrap_err().contains("item 0"));
        assert!(tag_map(Some(&json!(7))).is_err());
        assert!(tag_map(Some(&json!("[{"))).unwrap_err().contains("JSON"));
    }

    #[test]
    fn numbers_and_times_are_read_from_text_too() {
        assert_eq!(number(Some(&json!("80"))).unwrap(), Some(80.0));
        assert_eq!(number(Some(&json!(85.5))).unwrap(), Some(85.5));
        assert_eq!(number(None).unwrap(), None);
        assert!(number(Some(&json!("eighty"))).is_err());
        assert_eq!(time_ms(Some(&json!("2026-12-05T14:38:12.5Z"))).unwrap(), Some(1_796_481_492_500));
        assert_eq!(time_ms(Some(&json!("2026-12-05T22:38:12.5+08:00"))).unwrap(), Some(1_796_481_492_500));
        assert_eq!(time_ms(Some(&json!(1_796_481_492_500_i64))).unwrap(), Some(1_796_481_492_500));
        assert_eq!(time_ms(Some(&json!("1796481492500"))).unwrap(), Some(1_796_481_492_500));
        assert!(time_ms(Some(&json!("yesterday"))).is_err());
        assert_eq!(iso_utc(1_796_481_492_500), "2026-12-05T14:38:12.5Z");
    }

    #[test]
    fn the_stable_hash_ignores_key_order_but_not_content() {
        let one = stable_hash(&json!({"a": 1, "b": {"c": 2, "d": 3}}));
        assert_eq!(one, stable_hash(&json!({"b": {"d": 3, "c": 2}, "a": 1})));
        assert_ne!(one, stable_hash(&json!({"a": 1, "b": {"c": 2, "d": 4}})));
        assert_eq!(one.len(), 32);
    }
}
