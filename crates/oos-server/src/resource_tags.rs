//! `oos:ResourceTag/<key>`: the tags of the template, execution, parameter or secret parameter a
//! request names, read from the store so that policies conditioned on them are evaluated against
//! what is there (a resource without the tag has no value for the key).

use oos_iam::Context;
use serde_json::{Map, Value};

use crate::api::Api;

/// The tags of the OOS resource `arn` names (`acs:oos:<region>:<account>:<type>/<id>`); none for a
/// collection (`<type>/*`), another service, or a resource that does not exist.
pub async fn of(api: &Api, arn: &str) -> Map<String, Value> {
    let Some(resource) = arn.strip_prefix("acs:oos:").and_then(|rest| rest.splitn(3, ':').nth(2)) else { return Map::new() };
    let Some((kind, id)) = resource.split_once('/') else { return Map::new() };
    if id == "*" || id.is_empty() {
        return Map::new();
    }
    let text = match kind {
        "template" => api.store.template(id, None).await.ok().flatten().map(|row| row.tags),
        "execution" => api.store.execution_meta(id).await.ok().flatten().map(|meta| meta.tags),
        "parameter" | "secretparameter" => {
            let secret = kind == "secretparameter";
            let found = match api.store.parameter(secret, id, None).await.ok().flatten() {
                Some(row) => Some(row),
                None => api.store.parameter(secret, &format!("/{id}"), None).await.ok().flatten(),
            };
            found.map(|row| row.tags)
        }
        _ => None,
    };
    text.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default()
}

/// `context` with `oos:ResourceTag/<key>` set for each of `tags`.
pub fn with_tags(mut context: Context, tags: &Map<String, Value>) -> Context {
    for (key, value) in tags {
        let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        context = context.with_resource_tag(key, value);
    }
    context
}
