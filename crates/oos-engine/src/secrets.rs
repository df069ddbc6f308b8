//! An execution's secrets — the values of its `NoEcho` parameters, of the `{{ oos-secret:… }}`
//! parameters it resolved, and those it received from its parent or its children — and the masking
//! of them in every text and value that is stored or shown.

use serde_json::{Map, Value};

use crate::state::Execution;

/// Shown instead of a secret.
pub const MASK: &str = "******";

/// The texts no stored or shown field of `exec` may contain, longest first, each also in its
/// JSON-escaped form (as it appears inside a JSON body quoted in a message).
pub fn secret_texts(exec: &Execution) -> Vec<String> {
    let no_echo = exec.template.parameters.iter().filter(|(_, definition)| definition.no_echo).filter_map(|(name, _)| exec.parameters.get(name));
    let values = no_echo.chain(exec.flow.secret_parameters.values());
    let mut texts: Vec<String> = values.flat_map(value_texts).chain(exec.flow.inherited_secrets.iter().cloned()).collect();
    let escaped: Vec<String> = texts.iter().filter_map(|text| serde_json::to_string(text).ok().map(|quoted| quoted[1..quoted.len() - 1].to_owned())).collect();
    texts.extend(escaped);
    texts.retain(|text| !text.is_empty());
    texts.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    texts.dedup();
    texts
}

/// The texts of a secret value: a string itself, a list's or map's string leaves, else its JSON text.
fn value_texts(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items.iter().flat_map(value_texts).collect(),
        Value::Object(map) => map.values().flat_map(value_texts).collect(),
        other => vec![other.to_string()],
    }
}

/// `text` with every occurrence of each secret replaced by [`MASK`].
pub fn mask_text(text: &str, secrets: &[String]) -> String {
    let mut masked = text.to_owned();
    for secret in secrets {
        if masked.contains(secret.as_str()) {
            masked = masked.replace(secret.as_str(), MASK);
        }
    }
    masked
}

/// `value` with every string (keys included) masked by [`mask_text`].
pub fn mask_value(value: &Value, secrets: &[String]) -> Value {
    match value {
        Value::String(text) => Value::String(mask_text(text, secrets)),
        Value::Array(items) => Value::Array(items.iter().map(|item| mask_value(item, secrets)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(key, item)| (mask_text(key, secrets), mask_value(item, secrets))).collect()),
        other => other.clone(),
    }
}

/// The parameters as shown to users: `NoEcho` values masked, and any other secret inside a value.
pub fn visible_parameters(exec: &Execution) -> Map<String, Value> {
    let secrets = secret_texts(exec);
    exec.parameters
        .iter()
        .map(|(name, value)| {
            let no_echo = exec.template.parameters.get(name).is_some_and(|definition| definition.no_echo);
            let shown = if no_echo { Value::String(MASK.into()) } else { mask_value(value, &secrets) };
            (name.clone(), shown)
        })
        .collect()
}

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secrets = secret_texts(self);
        f.debug_struct("Execution")
            .field("id", &self.id)
            .field("template_name", &self.template_name)
            .field("status", &self.status)
            .field("status_message", &mask_text(&self.status_message, &secrets))
            .field("parameters", &visible_parameters(self))
            .field("outputs", &self.outputs.as_ref().map(|outputs| mask_value(&Value::Object(outputs.clone()), &secrets)))
            .field("tasks", &self.tasks.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_are_masked_wherever_they_appear() {
        let secrets = vec!["s3cr3t\"x".to_owned(), "s3cr3t\\\"x".to_owned(), "pw".to_owned()];
        assert_eq!(mask_text("url=https://h/?k=s3cr3t\"x&pw", &secrets), "url=https://h/?k=******&******");
        assert_eq!(mask_text(r#"{"k":"s3cr3t\"x"}"#, &secrets), r#"{"k":"******"}"#);
        assert_eq!(mask_value(&json!({"pw": ["a pw b", 1]}), &secrets), json!({"******": ["a ****** b", 1]}));
    }
}
