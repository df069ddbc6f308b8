//! Tag actions over every taggable resource kind: TagResources, UntagResources, ListTagResources.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{Ctx, PageLimits, id_list, paginate, tag_list};
use crate::errors::{INVALID_RESOURCE_TYPE_NOT_FOUND, not_found};
use crate::model::Tags;
use crate::state::Cloud;

/// Resource types as ECS names them (lower-case) and VPC's `EIP`.
const RESOURCE_TYPES: [&str; 6] = [
    "instance",
    "disk",
    "snapshot",
    "image",
    "securitygroup",
    "eip",
];

const MAX_TAGS: usize = 20;

fn resource_type(request: &RpcRequest) -> Result<String, AcsError> {
    let kind = request.require("ResourceType")?.to_ascii_lowercase();
    if !RESOURCE_TYPES.contains(&kind.as_str()) {
        return Err(AcsError::new(
            INVALID_RESOURCE_TYPE_NOT_FOUND,
            format!(
                "The ResourceType {kind} is not supported: use one of {}.",
                RESOURCE_TYPES.join(", ")
            ),
        ));
    }
    Ok(kind)
}

fn tags_of<'a>(cloud: &'a mut Cloud, kind: &str, id: &str) -> Option<&'a mut Tags> {
    match kind {
        "instance" => cloud.instances.get_mut(id).map(|item| &mut item.tags),
        "disk" => cloud.disks.get_mut(id).map(|item| &mut item.tags),
        "snapshot" => cloud.snapshots.get_mut(id).map(|item| &mut item.tags),
        "image" => cloud.images.get_mut(id).map(|item| &mut item.tags),
        "securitygroup" => cloud.security_groups.get_mut(id).map(|item| &mut item.tags),
        _ => cloud.eips.get_mut(id).map(|item| &mut item.tags),
    }
}

fn resource_ids(request: &RpcRequest) -> Result<Vec<String>, AcsError> {
    id_list(request, "ResourceIds", "ResourceId")?
        .filter(|ids| !ids.is_empty())
        .ok_or_else(|| AcsError::missing_parameter("ResourceId.1"))
}

fn missing_resource(kind: &str, id: &str) -> AcsError {
    not_found(
        oos_acs::ErrorCode::new("InvalidResourceId.NotFound", 404),
        &format!("{kind} resource"),
        id,
    )
}

/// TagResources: adds or overwrites tags (at most 20 per resource).
pub fn tag_resources(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let kind = resource_type(request)?;
    let ids = resource_ids(request)?;
    let tags = tag_list(request)?;
    if tags.is_empty() {
        return Err(AcsError::missing_parameter("Tag.1.Key"));
    }
    for id in &ids {
        let current = tags_of(cloud, &kind, id).ok_or_else(|| missing_resource(&kind, id))?;
        let added = tags
            .iter()
            .filter(|(key, _)| !current.contains_key(key))
            .count();
        if current.len() + added > MAX_TAGS {
            return Err(AcsError::with_code(
                "InvalidTagCount",
                400,
                format!("A resource can hold at most {MAX_TAGS} tags: {id}."),
            ));
        }
    }
    for id in &ids {
        let current = tags_of(cloud, &kind, id).expect("checked above");
        let changed: Vec<String> = tags
            .iter()
            .filter(|(key, value)| current.get(key) != Some(value))
            .map(|(key, _)| key.clone())
            .collect();
        current.extend(tags.iter().cloned());
        cloud.raise_tag_change(id, &changed, ctx.now);
    }
    Ok(json!({}))
}

/// UntagResources: `TagKey.N`, or `All=true`.
pub fn untag_resources(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let kind = resource_type(request)?;
    let ids = resource_ids(request)?;
    let keys = id_list(request, "TagKeys", "TagKey")?.unwrap_or_default();
    let all = request.bool("All")?.unwrap_or(false);
    for id in &ids {
        tags_of(cloud, &kind, id).ok_or_else(|| missing_resource(&kind, id))?;
    }
    for id in &ids {
        let current = tags_of(cloud, &kind, id).expect("checked above");
        let changed: Vec<String> = current
            .keys()
            .filter(|key| all || keys.contains(key))
            .cloned()
            .collect();
        current.retain(|key, _| !all && !keys.contains(key));
        cloud.raise_tag_change(id, &changed, ctx.now);
    }
    Ok(json!({}))
}

/// ListTagResources: one row per (resource, tag), filtered by ResourceId.N and Tag.N.
pub fn list_tag_resources(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let kind = resource_type(request)?;
    let ids = id_list(request, "ResourceIds", "ResourceId")?;
    let filters = tag_list(request)?;
    let resources = match kind.as_str() {
        "instance" => in_region(cloud.instances.values(), &region, |i| {
            (&i.region_id, &i.instance_id, &i.tags)
        }),
        "disk" => in_region(cloud.disks.values(), &region, |d| {
            (&d.region_id, &d.disk_id, &d.tags)
        }),
        "snapshot" => in_region(cloud.snapshots.values(), &region, |s| {
            (&s.region_id, &s.snapshot_id, &s.tags)
        }),
        "image" => in_region(cloud.images.values(), &region, |i| {
            (&i.region_id, &i.image_id, &i.tags)
        }),
        "securitygroup" => in_region(cloud.security_groups.values(), &region, |g| {
            (&g.region_id, &g.security_group_id, &g.tags)
        }),
        _ => in_region(cloud.eips.values(), &region, |e| {
            (&e.region_id, &e.allocation_id, &e.tags)
        }),
    };
    let rows: Vec<Value> = resources
        .iter()
        .filter(|(id, _)| ids.as_ref().is_none_or(|ids| ids.contains(id)))
        .filter(|(_, tags)| super::params::matches_tags(tags, &filters))
        .flat_map(|(id, tags)| {
            let kind = kind.as_str();
            tags.iter().map(move |(key, value)| json!({"ResourceId": id, "ResourceType": kind, "TagKey": key, "TagValue": value}))
        })
        .collect();
    let (page, paging) = paginate(
        &with_max_results(request),
        rows,
        PageLimits {
            default_size: 50,
            max_size: 1000,
            token_paging: true,
        },
    )?;
    Ok(
        json!({"TagResources": {"TagResource": page}, "NextToken": paging.get("NextToken").cloned().unwrap_or_default()}),
    )
}

/// ListTagResources pages only by token: default `MaxResults` when absent.
fn with_max_results(request: &RpcRequest) -> RpcRequest {
    let mut params = request.params().to_vec();
    if request.get("MaxResults").is_none() {
        params.push(("MaxResults".into(), "50".into()));
    }
    RpcRequest::new(&request.action, &request.version, params)
}

/// `(id, tags)` of the resources in `region`; `fields` gives a resource's region, id and tags.
fn in_region<'a, T: 'a>(
    resources: impl Iterator<Item = &'a T>,
    region: &str,
    fields: impl Fn(&'a T) -> (&'a String, &'a String, &'a Tags),
) -> Vec<(String, Tags)> {
    resources
        .map(fields)
        .filter(|(resource_region, _, _)| resource_region.as_str() == region)
        .map(|(_, id, tags)| (id.clone(), tags.clone()))
        .collect()
}
