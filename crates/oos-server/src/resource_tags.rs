//! `oos:ResourceTag/<key>`: the tags of the template, execution, parameter, secret parameter, state
//! configuration or managed instance (ListInventoryEntries) a request names, and
//! `acs:ResourceTag/<key>`: those of a managed instance; read from the store so
//! that policies conditioned on them are evaluated against what is there (a resource without the
//! tag has no value for the key).

use oos_iam::Context;
use serde_json::{Map, Value};

use crate::api::Api;

/// The tags of the OOS resource `arn` names (`acs:oos:<region>:<account>:<type>/<id>`); none for a
/// collection (`<type>/*`), another service, or a resource that does not exist.
pub async fn of(api: &Api, arn: &str) -> Map<String, Value> {
    if arn.starts_with("acs:ecs:") {
        return managed_instance_tags(api.store.as_ref(), arn).await;
    }
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
        "stateconfiguration" => {
            let query = oos_store::StateConfigurationQuery { ids: vec![id.to_string()], limit: 1, ..Default::default() };
            api.store.state_configurations(&query).await.ok().and_then(|rows| rows.into_iter().next()).map(|row| row.tags)
        }
        "instance" => return managed_instance_tags(api.store.as_ref(), arn).await,
        _ => None,
    };
    text.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default()
}

/// The tags of the managed instance an ECS ARN names (`acs:ecs:<region>:<account>:instance/mi-…`).
pub async fn managed_instance_tags(store: &dyn oos_store::ServerStore, arn: &str) -> Map<String, Value> {
    let Some(id) = arn.rsplit_once(":instance/").map(|(_, id)| id).filter(|id| id.starts_with("mi-")) else { return Map::new() };
    let row = store.managed_instance(id).await.ok().flatten();
    row.and_then(|row| serde_json::from_str(&row.tags).ok()).unwrap_or_default()
}

/// `context` with `oos:ResourceTag/<key>` (and, for cloud resources, `acs:ResourceTag/<key>`) set
/// for each of `tags`.
pub fn with_tags(mut context: Context, tags: &Map<String, Value>) -> Context {
    for (key, value) in tags {
        let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        context = context.with_resource_tag(key, value.clone()).with_acs_resource_tag(key, value);
    }
    context
}
