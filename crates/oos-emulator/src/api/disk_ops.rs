//! Disk changes beyond create/attach/resize: ModifyDiskSpec (category and ESSD performance
//! level), ReInitDisk, ResetDisk (from a snapshot), ModifyDiskAttribute, ModifyDiskChargeType.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::image_tasks::start_task;
use super::params::{Ctx, check_dry_run, id_list};
use super::storage::{disk, snapshot};
use crate::errors::{INCORRECT_DISK_STATUS, incorrect_instance_status};
use crate::model::{Disk, instance_status};
use crate::state::Cloud;

/// ESSD performance levels and the smallest disk (GiB) each allows.
const PERFORMANCE_LEVELS: [(&str, i64); 4] = [("PL0", 1), ("PL1", 20), ("PL2", 461), ("PL3", 1261)];

/// Categories in upgrade order: a disk may only move to a later one.
const CATEGORY_ORDER: [&str; 4] = ["cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd"];

fn wrong_disk_status(disk: &Disk, operation: &str) -> AcsError {
    AcsError::new(
        INCORRECT_DISK_STATUS,
        format!(
            "The disk {} is {}; {operation} is not allowed.",
            disk.disk_id, disk.status
        ),
    )
}

/// The instance a disk is attached to must be Stopped (ReInitDisk, ResetDisk).
fn require_stopped_owner(cloud: &Cloud, disk: &Disk, operation: &str) -> Result<(), AcsError> {
    if disk.instance_id.is_empty() {
        return Ok(());
    }
    let owner = &cloud.instances[&disk.instance_id];
    if owner.status != instance_status::STOPPED {
        return Err(incorrect_instance_status(
            &owner.instance_id,
            &owner.status,
            operation,
        ));
    }
    Ok(())
}

/// ModifyDiskSpec: upgrades the category and/or sets the ESSD performance level; answers a task.
pub fn modify_disk_spec(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let disk_id = request.require("DiskId")?.to_string();
    let found = disk(cloud, &disk_id)?;
    if !["In_use", "Available"].contains(&found.status.as_str()) {
        return Err(wrong_disk_status(found, "ModifyDiskSpec"));
    }
    let category = request
        .get("DiskCategory")
        .unwrap_or(&found.category)
        .to_string();
    let rank = |name: &str| CATEGORY_ORDER.iter().position(|known| *known == name);
    let (Some(from), Some(to)) = (rank(&found.category), rank(&category)) else {
        return Err(AcsError::with_code(
            "InvalidDiskCategory.ValueNotSupported",
            400,
            format!("The disk category {category:?} is not supported."),
        ));
    };
    if to < from {
        return Err(AcsError::with_code(
            "InvalidDiskCategory.ValueNotSupported",
            400,
            format!("A {} disk cannot be changed to {category}.", found.category),
        ));
    }
    let level = request.get("PerformanceLevel");
    if let Some(level) = level {
        let minimum = PERFORMANCE_LEVELS
            .iter()
            .find(|(name, _)| *name == level)
            .map(|(_, minimum)| *minimum)
            .filter(|_| category == "cloud_essd")
            .ok_or_else(|| {
                AcsError::with_code(
                    "InvalidPerformanceLevel.Malformed",
                    400,
                    format!("The performance level {level:?} is not valid for a {category} disk (PL0-PL3 on cloud_essd)."),
                )
            })?;
        if found.size < minimum {
            return Err(AcsError::with_code(
                "InvalidPerformanceLevel.Malformed",
                400,
                format!(
                    "{level} needs a disk of at least {minimum} GiB; {disk_id} has {} GiB.",
                    found.size
                ),
            ));
        }
    }
    if level.is_none() && to == from {
        return Err(AcsError::missing_parameter("PerformanceLevel"));
    }
    check_dry_run(request)?;
    let region = found.region_id.clone();
    cloud
        .disks
        .get_mut(&disk_id)
        .expect("checked above")
        .category = category.clone();
    let settings = cloud.disk_settings.entry(disk_id.clone()).or_default();
    settings.performance_level = match level {
        Some(level) => level.to_string(),
        None if category == "cloud_essd" && settings.performance_level.is_empty() => "PL1".into(),
        None => settings.performance_level.clone(),
    };
    let task_id = start_task(cloud, "ModifyDiskSpec", &region, &disk_id, Vec::new(), ctx);
    Ok(json!({"TaskId": task_id, "OrderId": ""}))
}

/// ReInitDisk: back to the disk's initial state (its image for a system disk); the instance
/// must be Stopped; ReIniting → In_use; `AutoStartInstance=true` starts the instance after.
pub fn re_init_disk(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let disk_id = request.require("DiskId")?.to_string();
    let found = disk(cloud, &disk_id)?;
    if found.status != "In_use" {
        return Err(wrong_disk_status(found, "ReInitDisk"));
    }
    require_stopped_owner(cloud, found, "ReInitDisk")?;
    let instance_id = found.instance_id.clone();
    let auto_start = request.bool("AutoStartInstance")?.unwrap_or(false);
    if found.disk_type == "system" {
        let image = cloud.instances[&instance_id].image_id.clone();
        cloud
            .disks
            .get_mut(&disk_id)
            .expect("checked above")
            .image_id = image;
    }
    cloud.schedule_disk(&disk_id, &["ReIniting", "In_use"], ctx.now, ctx.delay_ms);
    if auto_start {
        cloud.schedule_instance(
            &instance_id,
            &[instance_status::STARTING, instance_status::RUNNING],
            ctx.now,
            ctx.delay_ms,
        );
    }
    Ok(json!({}))
}

/// ResetDisk: rolls a disk back to one of its own accomplished snapshots; an attached disk's
/// instance must be Stopped.
pub fn reset_disk(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let disk_id = request.require("DiskId")?.to_string();
    let snapshot_id = request.require("SnapshotId")?.to_string();
    let found = disk(cloud, &disk_id)?;
    if !["In_use", "Available"].contains(&found.status.as_str()) {
        return Err(wrong_disk_status(found, "ResetDisk"));
    }
    let taken = snapshot(cloud, &snapshot_id)?;
    if taken.source_disk_id != disk_id {
        return Err(AcsError::invalid_parameter(
            "SnapshotId",
            format!("{snapshot_id} was not taken of disk {disk_id}"),
        ));
    }
    if taken.status != "accomplished" {
        return Err(AcsError::with_code(
            "InvalidSnapshotId.NotReady",
            403,
            format!(
                "The snapshot {snapshot_id} is {} and cannot be used yet.",
                taken.status
            ),
        ));
    }
    require_stopped_owner(cloud, found, "ResetDisk")?;
    check_dry_run(request)?;
    let back_to = found.status.clone();
    cloud.schedule_disk(&disk_id, &["ReIniting", &back_to], ctx.now, ctx.delay_ms);
    Ok(json!({}))
}

/// ModifyDiskAttribute: name, description and the deletion/automatic-snapshot switches of
/// `DiskId` or of every `DiskIds.N`.
pub fn modify_disk_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let ids = match request.get("DiskId") {
        Some(id) => vec![id.to_string()],
        None => id_list(request, "DiskIds", "DiskIds")?
            .ok_or_else(|| AcsError::missing_parameter("DiskId"))?,
    };
    for id in &ids {
        disk(cloud, id)?;
    }
    let delete_with_instance = request.bool("DeleteWithInstance")?;
    let delete_auto_snapshot = request.bool("DeleteAutoSnapshot")?;
    let enable_auto_snapshot = request.bool("EnableAutoSnapshot")?;
    let bursting = request.bool("BurstingEnabled")?;
    for id in ids {
        let target = cloud.disks.get_mut(&id).expect("checked above");
        if let Some(name) = request.get("DiskName") {
            target.disk_name = name.to_string();
        }
        if let Some(description) = request.get("Description") {
            target.description = description.to_string();
        }
        if let Some(flag) = delete_with_instance {
            target.delete_with_instance = flag;
        }
        let settings = cloud.disk_settings.entry(id).or_default();
        if let Some(flag) = delete_auto_snapshot {
            settings.delete_auto_snapshot = flag;
        }
        if let Some(flag) = enable_auto_snapshot {
            settings.enable_auto_snapshot = flag;
        }
        if let Some(flag) = bursting {
            settings.bursting_enabled = flag;
        }
    }
    Ok(json!({}))
}

/// ModifyDiskChargeType: `PrePaid` or `PostPaid` for data disks attached to `InstanceId`.
pub fn modify_disk_charge_type(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let instance_id = request.require("InstanceId")?.to_string();
    super::instances::require_instance(cloud, &instance_id)?;
    let ids = id_list(request, "DiskIds", "DiskIds")?
        .ok_or_else(|| AcsError::missing_parameter("DiskIds"))?;
    let charge_type = request
        .get("DiskChargeType")
        .unwrap_or("PostPaid")
        .to_string();
    if !["PrePaid", "PostPaid"].contains(&charge_type.as_str()) {
        return Err(AcsError::invalid_parameter(
            "DiskChargeType",
            "must be PrePaid or PostPaid",
        ));
    }
    for id in &ids {
        let found = disk(cloud, id)?;
        if found.instance_id != instance_id {
            return Err(AcsError::new(
                INCORRECT_DISK_STATUS,
                format!("The disk {id} is not attached to {instance_id}."),
            ));
        }
    }
    for id in ids {
        cloud.disk_settings.entry(id).or_default().disk_charge_type = charge_type.clone();
    }
    Ok(json!({"OrderId": ""}))
}
