//! Which ExecuteAPI calls are high risk: `Risk: High` in the task's Properties; `Risk: Normal` never;
//! without `Risk`, the APIs whose names begin with `Delete` (OOS treats them as high risk: the
//! public templates mark every Delete* call they mean to run unattended `Risk: Normal`).

use serde_json::Value;

/// API name prefixes that are high risk unless the task says `Risk: Normal`.
const RISKY_API_PREFIXES: &[&str] = &["Delete"];

/// Whether the rendered (or literal) ExecuteAPI `properties` describe a high-risk call.
pub fn is_high(properties: &Value) -> bool {
    let property = |name: &str| {
        properties.as_object().and_then(|map| map.iter().find(|(key, _)| key.eq_ignore_ascii_case(name))).and_then(|(_, value)| value.as_str())
    };
    match property("Risk") {
        Some(risk) if risk.eq_ignore_ascii_case("High") => true,
        Some(risk) if risk.eq_ignore_ascii_case("Normal") => false,
        _ => property("API").is_some_and(|api| RISKY_API_PREFIXES.iter().any(|prefix| api.starts_with(prefix))),
    }
}
