//! `{{ name }}` substitution of Cloud Assistant's `EnableParameter`.

use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde_json::{Map, Value};

static REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{\s*([\w.-]+)\s*\}\}").expect("the reference pattern compiles"));

/// Replaces every `{{ name }}` of `content` with its parameter (strings as they are, other values
/// as JSON text). Fails with the names referenced but not given, in order of first use.
pub fn substitute(content: &str, parameters: &Map<String, Value>) -> Result<String, Vec<String>> {
    let mut missing: Vec<String> = Vec::new();
    let replaced = REFERENCE.replace_all(content, |captures: &Captures<'_>| {
        let name = &captures[1];
        match parameters.get(name) {
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => {
                if !missing.iter().any(|known| known == name) {
                    missing.push(name.to_owned());
                }
                String::new()
            }
        }
    });
    if missing.is_empty() { Ok(replaced.into_owned()) } else { Err(missing) }
}
