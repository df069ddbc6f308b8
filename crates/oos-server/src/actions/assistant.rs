//! The ECS API (2014-05-26) as this server serves it: the Cloud Assistant of managed instances
//! ([`oos_assistant::Assistant`]) and the tags of managed instances, commands and activations
//! (TagResources, UntagResources, ListTagResources with ECS's repeat lists).

use oos_acs::{AcsError, ErrorCode, RpcRequest, unknown_action};
use oos_store::{TagChange, TaggedKind};
use serde_json::{Map, Value, json};

use crate::api::{Api, Fields};
use crate::auth::Caller;
use crate::error;

const TAG_ACTIONS: &[&str] = &["TagResources", "UntagResources", "ListTagResources"];
const RESOURCE_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidResourceId.NotFound", 404);
/// Most tags one resource carries, as ECS allows.
const MAX_TAGS: usize = 20;

/// Whether this server answers the ECS action `action`.
pub fn serves(action: &str) -> bool {
    oos_assistant::Assistant::serves(action) || TAG_ACTIONS.contains(&action)
}

pub async fn dispatch(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    match rpc.action.as_str() {
        "TagResources" => tag(api, rpc).await,
        "UntagResources" => untag(api, rpc).await,
        "ListTagResources" => list_tags(api, rpc).await,
        action if oos_assistant::Assistant::serves(action) => api.assistant.call(rpc, &caller.arn).await,
        other => Err(unknown_action(other)),
    }
}

fn kind(rpc: &RpcRequest) -> Result<(TaggedKind, &'static str), AcsError> {
    match rpc.require("ResourceType")?.to_ascii_lowercase().as_str() {
        "managedinstance" => Ok((TaggedKind::ManagedInstance, "managedinstance")),
        "command" => Ok((TaggedKind::Command, "command")),
        "activation" => Ok((TaggedKind::Activation, "activation")),
        other => Err(AcsError::invalid_parameter("ResourceType", format!("{other:?} is not one of managedinstance, command, activation"))),
    }
}

fn resource_ids(rpc: &RpcRequest) -> Result<Vec<String>, AcsError> {
    let ids = rpc.repeated("ResourceId");
    if ids.is_empty() {
        return Err(AcsError::missing_parameter("ResourceId.1"));
    }
    Ok(ids)
}

async fn retag(api: &Api, rpc: &RpcRequest, change: TagChange) -> Result<Fields, AcsError> {
    let (kind, _) = kind(rpc)?;
    let ids = resource_ids(rpc)?;
    let missing = api.store.retag(kind, &ids, &change).await.map_err(error::store)?;
    if let Some(first) = missing.first() {
        return Err(AcsError::new(RESOURCE_NOT_FOUND, format!("The resource {first} does not exist.")));
    }
    Ok(Map::new())
}

async fn tag(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let set: Map<String, Value> = rpc.tags("Tag").into_iter().map(|(key, value)| (key, Value::String(value))).collect();
    if set.is_empty() {
        return Err(AcsError::missing_parameter("Tag.1.Key"));
    }
    if set.len() > MAX_TAGS || set.keys().any(|key| key.is_empty() || key.len() > 128 || key.starts_with("acs:") || key.starts_with("aliyun")) {
        return Err(AcsError::invalid_parameter("Tag", format!("at most {MAX_TAGS} tags, keys of 1 to 128 characters not starting with acs: or aliyun")));
    }
    retag(api, rpc, TagChange { set, ..TagChange::default() }).await
}

async fn untag(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let remove_all = rpc.bool("All")?.unwrap_or(false);
    let remove = rpc.repeated("TagKey");
    if remove.is_empty() && !remove_all {
        return Err(AcsError::missing_parameter("TagKey.1"));
    }
    retag(api, rpc, TagChange { remove, remove_all, ..TagChange::default() }).await
}

async fn list_tags(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let (kind, name) = kind(rpc)?;
    let ids = rpc.repeated("ResourceId");
    let having = rpc.tags("Tag");
    let offset: i64 = rpc.get("NextToken").and_then(|token| token.parse().ok()).unwrap_or(0);
    const PAGE: i64 = 50;
    let tags = api.store.resource_tags(kind, &ids, &having, offset, PAGE + 1).await.map_err(error::store)?;
    let more = tags.len() as i64 > PAGE;
    let listed: Vec<Value> = tags
        .iter()
        .take(PAGE as usize)
        .map(|tag| json!({"ResourceType": name, "ResourceId": tag.resource_id, "TagKey": tag.key, "TagValue": tag.value}))
        .collect();
    let mut fields = Fields::new();
    fields.insert("TagResources".into(), json!({"TagResource": listed}));
    fields.insert("NextToken".into(), Value::String(if more { (offset + PAGE).to_string() } else { String::new() }));
    Ok(fields)
}
