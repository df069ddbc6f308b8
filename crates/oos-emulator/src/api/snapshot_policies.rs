//! Automatic snapshot policies (create, describe, modify, apply to and cancel on disks, delete;
//! the policy's parameters are lower camel case on the wire, as in Alibaba's API) and
//! CopySnapshot to another region.

use oos_acs::{AcsError, ErrorCode, RpcRequest};
use serde_json::{Value, json};

use super::params::{
    Ctx, PageLimits, check_dry_run, id_list, list_body, matches_tags, paginate, tag_list, tags_json,
};
use super::storage::{disk, snapshot};
use crate::errors::{INVALID_REGION_ID_NOT_FOUND, INVALID_SNAPSHOT_ID_NOT_FOUND, not_found};
use crate::state::{Cloud, new_id, utc_time};
use crate::storage_model::AutoSnapshotPolicy;

/// Most disks one Apply/CancelAutoSnapshotPolicy names.
const MAX_DISKS_PER_CALL: usize = 1000;

/// `regionId` (the policy actions' spelling), else `RegionId`, else the default region.
fn policy_region(cloud: &Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<String, AcsError> {
    match request.get("regionId") {
        Some(region) if cloud.region(region).is_some() => Ok(region.to_string()),
        Some(region) => Err(AcsError::new(
            INVALID_REGION_ID_NOT_FOUND,
            format!("The specified RegionId does not exist: {region}."),
        )),
        None => ctx.region(cloud, request),
    }
}

/// The value of `name` in lower camel case (`autoSnapshotPolicyId`) or Pascal case.
fn either<'a>(request: &'a RpcRequest, name: &str) -> Option<&'a str> {
    request.get(name).or_else(|| {
        let mut pascal = name.to_string();
        pascal[..1].make_ascii_uppercase();
        request.get(&pascal)
    })
}

fn policy_not_found() -> AcsError {
    AcsError::with_code(
        "ParameterInvalid",
        404,
        "The specified automatic snapshot policy does not exist.",
    )
}

fn policy_id(cloud: &Cloud, request: &RpcRequest, region: &str) -> Result<String, AcsError> {
    let id = either(request, "autoSnapshotPolicyId")
        .ok_or_else(|| AcsError::missing_parameter("autoSnapshotPolicyId"))?;
    cloud
        .auto_snapshot_policies
        .get(id)
        .filter(|policy| policy.region_id == region)
        .map(|policy| policy.auto_snapshot_policy_id.clone())
        .ok_or_else(policy_not_found)
}

/// A JSON array of numbers in `range` (as text or numbers), at most `most` of them, returned as
/// canonical JSON text (`["0","1"]`); `code` names the error (`InvalidTimePoints.Malformed`).
pub(crate) fn number_array(
    text: &str,
    range: std::ops::RangeInclusive<i64>,
    most: usize,
    code: &str,
) -> Result<String, AcsError> {
    let malformed = || {
        AcsError::with_code(
            code,
            400,
            format!(
                "{text:?} must be a JSON array of 1-{most} values from {} to {}.",
                range.start(),
                range.end()
            ),
        )
    };
    let items: Vec<Value> = serde_json::from_str(text).map_err(|_| malformed())?;
    if items.is_empty() || items.len() > most {
        return Err(malformed());
    }
    let numbers = items
        .iter()
        .map(|item| match item {
            Value::String(text) => text.trim().parse::<i64>().ok(),
            other => other.as_i64(),
        })
        .map(|number| {
            number
                .filter(|number| range.contains(number))
                .map(|number| number.to_string())
        })
        .collect::<Option<Vec<String>>>()
        .ok_or_else(malformed)?;
    Ok(serde_json::to_string(&numbers).expect("strings serialise"))
}

fn retention_days(request: &RpcRequest, name: &str) -> Result<Option<i64>, AcsError> {
    let Some(days) = either(request, name) else {
        return Ok(None);
    };
    match days.trim().parse::<i64>() {
        Ok(days) if days == -1 || (1..=65536).contains(&days) => Ok(Some(days)),
        _ => Err(AcsError::with_code(
            "InvalidRetentionDays.Malformed",
            400,
            format!("{name} {days:?} must be -1 (forever) or 1-65536."),
        )),
    }
}

fn time_points(request: &RpcRequest) -> Result<Option<String>, AcsError> {
    either(request, "timePoints")
        .map(|text| number_array(text, 0..=23, 24, "InvalidTimePoints.Malformed"))
        .transpose()
}

fn repeat_weekdays(request: &RpcRequest) -> Result<Option<String>, AcsError> {
    either(request, "repeatWeekdays")
        .map(|text| number_array(text, 1..=7, 7, "InvalidRepeatWeekdays.Malformed"))
        .transpose()
}

/// CreateAutoSnapshotPolicy: `timePoints`, `repeatWeekdays` and `retentionDays` are required.
pub fn create_auto_snapshot_policy(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = policy_region(cloud, request, ctx)?;
    let time_points =
        time_points(request)?.ok_or_else(|| AcsError::missing_parameter("timePoints"))?;
    let weekdays =
        repeat_weekdays(request)?.ok_or_else(|| AcsError::missing_parameter("repeatWeekdays"))?;
    let retention = retention_days(request, "retentionDays")?
        .ok_or_else(|| AcsError::missing_parameter("retentionDays"))?;
    let copied_retention = retention_days(request, "CopiedSnapshotsRetentionDays")?.unwrap_or(-1);
    let id = new_id("sp");
    let policy = AutoSnapshotPolicy {
        auto_snapshot_policy_id: id.clone(),
        auto_snapshot_policy_name: either(request, "autoSnapshotPolicyName")
            .unwrap_or_default()
            .to_string(),
        region_id: region,
        time_points,
        repeat_weekdays: weekdays,
        retention_days: retention,
        enable_cross_region_copy: request.bool("EnableCrossRegionCopy")?.unwrap_or(false),
        target_copy_regions: request
            .get("TargetCopyRegions")
            .unwrap_or_default()
            .to_string(),
        copied_snapshots_retention_days: copied_retention,
        creation_time: utc_time(ctx.now),
        resource_group_id: request
            .get("ResourceGroupId")
            .unwrap_or_default()
            .to_string(),
        tags: tag_list(request)?.into_iter().collect(),
    };
    cloud.auto_snapshot_policies.insert(id.clone(), policy);
    Ok(json!({"AutoSnapshotPolicyId": id}))
}

/// DescribeAutoSnapshotPolicyEx: the region's policies with how many disks use each; filters
/// `AutoSnapshotPolicyId`, `AutoSnapshotPolicyName`, `ResourceGroupId`, `Tag.N`.
pub fn describe_auto_snapshot_policy_ex(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = policy_region(cloud, request, ctx)?;
    let tags = tag_list(request)?;
    let selected: Vec<Value> = cloud
        .auto_snapshot_policies
        .values()
        .filter(|policy| policy.region_id == region)
        .filter(|policy| {
            either(request, "autoSnapshotPolicyId")
                .is_none_or(|id| id == policy.auto_snapshot_policy_id)
        })
        .filter(|policy| {
            either(request, "autoSnapshotPolicyName")
                .is_none_or(|name| name == policy.auto_snapshot_policy_name)
        })
        .filter(|policy| {
            request
                .get("ResourceGroupId")
                .is_none_or(|group| group == policy.resource_group_id)
        })
        .filter(|policy| matches_tags(&policy.tags, &tags))
        .map(|policy| {
            let disks = cloud
                .disk_settings
                .iter()
                .filter(|(id, settings)| {
                    settings.auto_snapshot_policy_id == policy.auto_snapshot_policy_id
                        && cloud.disks.contains_key(*id)
                })
                .count();
            json!({
                "AutoSnapshotPolicyId": policy.auto_snapshot_policy_id,
                "AutoSnapshotPolicyName": policy.auto_snapshot_policy_name,
                "RegionId": policy.region_id,
                "TimePoints": policy.time_points,
                "RepeatWeekdays": policy.repeat_weekdays,
                "RetentionDays": policy.retention_days,
                "DiskNums": disks,
                "VolumeNums": 0,
                "Status": "Normal",
                "Type": "Custom",
                "AssociationType": "",
                "CreationTime": policy.creation_time,
                "EnableCrossRegionCopy": policy.enable_cross_region_copy,
                "TargetCopyRegions": policy.target_copy_regions,
                "CopiedSnapshotsRetentionDays": policy.copied_snapshots_retention_days,
                "CopyEncryptionConfiguration": {"Encrypted": false, "KMSKeyId": ""},
                "ResourceGroupId": policy.resource_group_id,
                "Tags": tags_json(&policy.tags),
                "TargetTags": {"TargetTag": []},
            })
        })
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_100)?;
    Ok(list_body(
        "AutoSnapshotPolicies",
        "AutoSnapshotPolicy",
        page,
        paging,
    ))
}

/// ModifyAutoSnapshotPolicyEx: changes what is given; disks using the policy follow at once.
pub fn modify_auto_snapshot_policy_ex(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = policy_region(cloud, request, ctx)?;
    let id = policy_id(cloud, request, &region)?;
    let time_points = time_points(request)?;
    let weekdays = repeat_weekdays(request)?;
    let retention = retention_days(request, "retentionDays")?;
    let copied_retention = retention_days(request, "CopiedSnapshotsRetentionDays")?;
    let cross_region = request.bool("EnableCrossRegionCopy")?;
    let policy = cloud
        .auto_snapshot_policies
        .get_mut(&id)
        .expect("checked above");
    if let Some(name) = either(request, "autoSnapshotPolicyName") {
        policy.auto_snapshot_policy_name = name.to_string();
    }
    if let Some(points) = time_points {
        policy.time_points = points;
    }
    if let Some(days) = weekdays {
        policy.repeat_weekdays = days;
    }
    if let Some(days) = retention {
        policy.retention_days = days;
    }
    if let Some(days) = copied_retention {
        policy.copied_snapshots_retention_days = days;
    }
    if let Some(flag) = cross_region {
        policy.enable_cross_region_copy = flag;
    }
    if let Some(regions) = request.get("TargetCopyRegions") {
        policy.target_copy_regions = regions.to_string();
    }
    Ok(json!({}))
}

/// The disks of `diskIds` (a JSON array), each in `region` (`InvalidDiskId.NotFound` otherwise).
fn policy_disks(
    cloud: &Cloud,
    request: &RpcRequest,
    region: &str,
) -> Result<Vec<String>, AcsError> {
    let name = if request.get("diskIds").is_some() {
        "diskIds"
    } else {
        "DiskIds"
    };
    let ids =
        id_list(request, name, name)?.ok_or_else(|| AcsError::missing_parameter("diskIds"))?;
    if ids.len() > MAX_DISKS_PER_CALL {
        return Err(AcsError::invalid_parameter(
            "diskIds",
            format!("at most {MAX_DISKS_PER_CALL} disks"),
        ));
    }
    for id in &ids {
        let found = disk(cloud, id)?;
        if found.region_id != region {
            return Err(not_found(
                ErrorCode::INVALID_DISK_ID_NOT_FOUND,
                "DiskId",
                id,
            ));
        }
    }
    Ok(ids)
}

/// ApplyAutoSnapshotPolicy: the policy replaces any other on each disk.
pub fn apply_auto_snapshot_policy(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = policy_region(cloud, request, ctx)?;
    let id = policy_id(cloud, request, &region)?;
    for disk_id in policy_disks(cloud, request, &region)? {
        cloud
            .disk_settings
            .entry(disk_id)
            .or_default()
            .auto_snapshot_policy_id = id.clone();
    }
    Ok(json!({}))
}

/// CancelAutoSnapshotPolicy: the disks no longer follow a policy.
pub fn cancel_auto_snapshot_policy(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = policy_region(cloud, request, ctx)?;
    for disk_id in policy_disks(cloud, request, &region)? {
        if let Some(settings) = cloud.disk_settings.get_mut(&disk_id) {
            settings.auto_snapshot_policy_id.clear();
        }
    }
    Ok(json!({}))
}

/// DeleteAutoSnapshotPolicy: the disks that used it no longer follow a policy.
pub fn delete_auto_snapshot_policy(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = policy_region(cloud, request, ctx)?;
    let id = policy_id(cloud, request, &region)?;
    for settings in cloud
        .disk_settings
        .values_mut()
        .filter(|settings| settings.auto_snapshot_policy_id == id)
    {
        settings.auto_snapshot_policy_id.clear();
    }
    cloud.auto_snapshot_policies.shift_remove(&id);
    Ok(json!({}))
}

/// CopySnapshot: an accomplished snapshot to `DestinationRegionId`; the copy goes progressing →
/// accomplished.
pub fn copy_snapshot(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = request.require("SnapshotId")?.to_string();
    let destination = request.require("DestinationRegionId")?.to_string();
    if cloud.region(&destination).is_none() {
        return Err(AcsError::new(
            INVALID_REGION_ID_NOT_FOUND,
            format!("The specified DestinationRegionId does not exist: {destination}."),
        ));
    }
    let source = snapshot(cloud, &id)?.clone();
    if source.region_id != region {
        return Err(not_found(INVALID_SNAPSHOT_ID_NOT_FOUND, "SnapshotId", &id));
    }
    if source.status != "accomplished" {
        return Err(AcsError::with_code(
            "IncorrectSnapshotStatus",
            403,
            format!(
                "The snapshot {id} is {} and cannot be copied.",
                source.status
            ),
        ));
    }
    let retention = request.int("RetentionDays")?;
    let mut tags = source.tags.clone();
    tags.extend(tag_list(request)?);
    check_dry_run(request)?;
    let mut copy = source;
    let new = new_id("s");
    copy.snapshot_id = new.clone();
    copy.region_id = destination;
    copy.snapshot_name = request
        .get("DestinationSnapshotName")
        .map_or(copy.snapshot_name, str::to_string);
    copy.description = request
        .get("DestinationSnapshotDescription")
        .map_or(copy.description, str::to_string);
    copy.retention_days = retention.or(copy.retention_days);
    copy.creation_time = utc_time(ctx.now);
    copy.tags = tags;
    copy.pending.clear();
    cloud.snapshots.insert(new.clone(), copy);
    cloud.schedule_snapshot(
        &new,
        &["progressing", "accomplished"],
        ctx.now,
        ctx.delay_ms,
    );
    Ok(json!({"SnapshotId": new}))
}
