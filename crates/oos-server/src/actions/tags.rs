//! Tag actions over templates, executions, parameters and secret parameters: TagResources, UntagResources,
//! ListTagResources, ListTagKeys, ListTagValues.

use oos_acs::{AcsError, ErrorCode, RpcRequest};
use oos_store::{TagChange, TaggedKind};
use serde_json::{Map, Value, json};

use super::common::{Page, tag_filter};
use crate::error::{self, EXECUTION_NOT_FOUND, PARAMETER_NOT_FOUND, SECRET_PARAMETER_NOT_FOUND, TEMPLATE_NOT_FOUND};
use crate::api::{Api, Fields};

/// `ResourceType`: its store kind, its name in answers and the not-found code of its ids.
fn resource_type(rpc: &RpcRequest) -> Result<(TaggedKind, &'static str, ErrorCode), AcsError> {
    match rpc.require("ResourceType")?.to_ascii_lowercase().as_str() {
        "template" => Ok((TaggedKind::Template, "template", TEMPLATE_NOT_FOUND)),
        "execution" => Ok((TaggedKind::Execution, "execution", EXECUTION_NOT_FOUND)),
        "parameter" => Ok((TaggedKind::Parameter, "parameter", PARAMETER_NOT_FOUND)),
        "secretparameter" => Ok((TaggedKind::SecretParameter, "secretparameter", SECRET_PARAMETER_NOT_FOUND)),
        other => Err(AcsError::invalid_parameter("ResourceType", format!("{other:?} is not one of template, execution, parameter, secretparameter"))),
    }
}

/// A JSON list of strings (or one string) in parameter `name`; empty when absent.
fn string_list(rpc: &RpcRequest, name: &str) -> Result<Vec<String>, AcsError> {
    match rpc.json::<Value>(name)? {
        None => Ok(Vec::new()),
        Some(Value::String(one)) => Ok(vec![one]),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| item.as_str().map(str::to_string).ok_or_else(|| AcsError::invalid_parameter(name, "expected a JSON list of strings")))
            .collect(),
        Some(_) => Err(AcsError::invalid_parameter(name, "expected a JSON list of strings")),
    }
}

fn required_list(rpc: &RpcRequest, name: &str) -> Result<Vec<String>, AcsError> {
    let list = string_list(rpc, name)?;
    if list.is_empty() {
        return Err(AcsError::missing_parameter(name));
    }
    Ok(list)
}

async fn retag(api: &Api, rpc: &RpcRequest, change: TagChange) -> Result<Fields, AcsError> {
    let (kind, _, not_found) = resource_type(rpc)?;
    let ids = required_list(rpc, "ResourceIds")?;
    let missing = api.store.retag(kind, &ids, &change).await.map_err(error::store)?;
    if let Some(first) = missing.first() {
        return Err(AcsError::new(not_found, format!("The resource {first} does not exist.")));
    }
    Ok(Map::new())
}

pub async fn tag(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let set = rpc.json::<Map<String, Value>>("Tags")?.filter(|tags| !tags.is_empty()).ok_or_else(|| AcsError::missing_parameter("Tags"))?;
    retag(api, rpc, TagChange { set, ..TagChange::default() }).await
}

pub async fn untag(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let remove_all = rpc.bool("All")?.unwrap_or(false);
    let remove = string_list(rpc, "TagKeys")?;
    if remove.is_empty() && !remove_all {
        return Err(AcsError::missing_parameter("TagKeys"));
    }
    retag(api, rpc, TagChange { remove, remove_all, ..TagChange::default() }).await
}

pub async fn list_resources(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let (kind, type_name, _) = resource_type(rpc)?;
    let ids = string_list(rpc, "ResourceIds")?;
    let mut rows = api.store.resource_tags(kind, &ids, &tag_filter(rpc)?, page.offset, page.limit + 1).await.map_err(error::store)?;
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let listed: Vec<Value> =
        rows.iter().map(|row| json!({"ResourceId": row.resource_id, "ResourceType": type_name, "TagKey": row.key, "TagValue": row.value})).collect();
    let count = listed.len();
    let mut fields = Map::new();
    fields.insert("TagResources".into(), json!({ "TagResource": listed }));
    page.finish(&mut fields, count, more);
    fields.remove("MaxResults");
    Ok(fields)
}

/// One page of distinct strings under `key`.
fn strings_page(page: Page, key: &str, mut items: Vec<String>) -> Fields {
    let more = items.len() as i64 > page.limit;
    items.truncate(page.limit as usize);
    let count = items.len();
    let mut fields = Map::new();
    fields.insert(key.into(), json!(items));
    page.finish(&mut fields, count, more);
    fields
}

pub async fn keys(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let (kind, _, _) = resource_type(rpc)?;
    let keys = api.store.tag_keys(kind, page.offset, page.limit + 1).await.map_err(error::store)?;
    Ok(strings_page(page, "Keys", keys))
}

pub async fn values(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let (kind, _, _) = resource_type(rpc)?;
    let values = api.store.tag_values(kind, rpc.require("Key")?, page.offset, page.limit + 1).await.map_err(error::store)?;
    Ok(strings_page(page, "Values", values))
}
