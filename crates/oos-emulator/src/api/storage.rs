//! Disk and snapshot actions: describe, create, attach/detach, resize, delete, snapshots.

use oos_acs::{AcsError, ErrorCode, RpcRequest};
use serde_json::{Value, json};

use super::instances::require_instance;
use super::params::{
    CreationWindow, Ctx, Field, FieldFilters, PageLimits, check_dry_run, id_list, list_body,
    matches_tags, paginate, tag_list, tags_json,
};
use crate::errors::{
    INCORRECT_DISK_STATUS, INVALID_SNAPSHOT_ID_NOT_FOUND, incorrect_instance_status, not_found,
};
use crate::model::{Disk, Snapshot, Tags, instance_status};
use crate::state::{Cloud, new_id, utc_time};
use crate::storage_model::DiskSettings;

const LIMITS: PageLimits = PageLimits::TOKEN_100;

fn disk_json(disk: &Disk, settings: &DiskSettings) -> Value {
    let attached = !disk.instance_id.is_empty();
    let attachments = if attached {
        vec![
            json!({"InstanceId": disk.instance_id, "Device": disk.device, "AttachedTime": disk.attached_time}),
        ]
    } else {
        Vec::new()
    };
    let performance_level = match settings.performance_level.as_str() {
        "" if disk.category == "cloud_essd" => "PL1",
        level => level,
    };
    let described = json!({
        "DiskId": disk.disk_id,
        "DiskName": disk.disk_name,
        "Description": disk.description,
        "RegionId": disk.region_id,
        "ZoneId": disk.zone_id,
        "Type": disk.disk_type,
        "Category": disk.category,
        "Size": disk.size,
        "Status": disk.status,
        "InstanceId": disk.instance_id,
        "Device": disk.device,
        "ImageId": disk.image_id,
        "SourceSnapshotId": disk.source_snapshot_id,
        "DeleteWithInstance": disk.delete_with_instance,
        "DeleteAutoSnapshot": settings.delete_auto_snapshot,
        "EnableAutoSnapshot": settings.enable_auto_snapshot,
        "AutoSnapshotPolicyId": settings.auto_snapshot_policy_id,
        "EnableAutomatedSnapshotPolicy": !settings.auto_snapshot_policy_id.is_empty(),
        "BurstingEnabled": settings.bursting_enabled,
        "Portable": disk.portable,
        "Encrypted": disk.encrypted,
        "DiskChargeType": settings.disk_charge_type,
        "ExpiredTime": "2999-09-08T16:00Z",
        "PerformanceLevel": performance_level,
        "IOPS": 3000,
        "IOPSRead": 1500,
        "IOPSWrite": 1500,
        "Throughput": 140,
        "ThroughputRead": 70,
        "ThroughputWrite": 70,
        "MultiAttach": "Disabled",
        "SerialNumber": disk.disk_id.trim_start_matches("d-"),
        "Placement": {"ZoneIds": disk.zone_id},
        "CreationTime": disk.creation_time,
        "AttachedTime": disk.attached_time,
        "ResourceGroupId": disk.resource_group_id,
        "MountInstanceNum": i64::from(attached),
        "Attachments": {"Attachment": attachments.clone()},
        "MountInstances": {"MountInstance": attachments},
        "OperationLocks": {"OperationLock": []},
        "Tags": tags_json(&disk.tags),
    });
    // features not modelled: provisioned performance, KMS, storage sets, dedicated clusters
    super::params::with_unmodelled(
        described,
        json!({
            "BdfId": "", "DataSource": {"Id": "", "Type": ""}, "DetachedTime": "", "KMSKeyId": "", "ProductCode": "",
            "ProvisionedIops": 0, "SourceDiskId": "", "StorageClusterId": "", "StorageSetId": "", "StorageSetPartitionNumber": 0,
        }),
    )
}

pub(super) fn disk<'a>(cloud: &'a Cloud, id: &str) -> Result<&'a Disk, AcsError> {
    cloud
        .disks
        .get(id)
        .ok_or_else(|| not_found(ErrorCode::INVALID_DISK_ID_NOT_FOUND, "DiskId", id))
}

const DISK_FIELDS: [Field<Disk>; 7] = [
    ("InstanceId", |disk| &disk.instance_id),
    ("DiskType", |disk| &disk.disk_type),
    ("Category", |disk| &disk.category),
    ("Status", |disk| &disk.status),
    ("ZoneId", |disk| &disk.zone_id),
    ("DiskName", |disk| &disk.disk_name),
    ("SnapshotId", |disk| &disk.source_snapshot_id),
];

const SNAPSHOT_FIELDS: [Field<Snapshot>; 3] = [
    ("DiskId", |snapshot| &snapshot.source_disk_id),
    ("Status", |snapshot| &snapshot.status),
    ("SnapshotName", |snapshot| &snapshot.snapshot_name),
];

/// DescribeDisks: DiskIds, InstanceId, DiskType, Category, Status, ZoneId, Tag.N, paging.
pub fn describe_disks(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = id_list(request, "DiskIds", "DiskId")?;
    let tags = tag_list(request)?;
    let fields = FieldFilters::new(request, &DISK_FIELDS);
    let selected: Vec<Value> = cloud
        .disks
        .values()
        .filter(|disk| disk.region_id == region)
        .filter(|disk| ids.as_ref().is_none_or(|ids| ids.contains(&disk.disk_id)))
        .filter(|disk| matches_tags(&disk.tags, &tags))
        .filter(|disk| fields.matches(disk))
        .map(|disk| {
            disk_json(
                disk,
                &cloud
                    .disk_settings
                    .get(&disk.disk_id)
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect();
    check_dry_run(request)?;
    let (page, paging) = paginate(request, selected, LIMITS)?;
    Ok(list_body("Disks", "Disk", page, paging))
}

/// CreateDisk: a data disk, Creating → Available.
pub fn create_disk(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let snapshot_id = request.get("SnapshotId").unwrap_or_default().to_string();
    let snapshot_size = if snapshot_id.is_empty() {
        None
    } else {
        Some(snapshot(cloud, &snapshot_id)?.source_disk_size)
    };
    let size = match (request.int("Size")?, snapshot_size) {
        (Some(size), _) => size,
        (None, Some(size)) => size,
        (None, None) => return Err(AcsError::missing_parameter("Size")),
    };
    let zone = match request.get("ZoneId") {
        Some(zone) => zone.to_string(),
        None => cloud
            .region(&region)
            .and_then(|found| found.zones.first().cloned())
            .unwrap_or_default(),
    };
    check_dry_run(request)?;
    let id = new_id("d");
    let text = |name: &str| request.get(name).unwrap_or_default().to_string();
    cloud.disks.insert(
        id.clone(),
        Disk {
            disk_id: id.clone(),
            disk_name: text("DiskName"),
            description: text("Description"),
            region_id: region,
            zone_id: zone,
            disk_type: "data".into(),
            category: request
                .get("DiskCategory")
                .unwrap_or("cloud_essd")
                .to_string(),
            size,
            status: "Creating".into(),
            instance_id: String::new(),
            device: String::new(),
            image_id: String::new(),
            source_snapshot_id: snapshot_id,
            delete_with_instance: false,
            portable: true,
            encrypted: request.bool("Encrypted")?.unwrap_or(false),
            creation_time: utc_time(ctx.now),
            attached_time: String::new(),
            resource_group_id: text("ResourceGroupId"),
            tags: tag_list(request)?.into_iter().collect(),
            pending: Vec::new(),
        },
    );
    cloud.schedule_disk(&id, &["Creating", "Available"], ctx.now, ctx.delay_ms);
    Ok(json!({"DiskId": id, "OrderId": ""}))
}

/// AttachDisk: an Available disk to a Running or Stopped instance, Attaching → In_use.
pub fn attach_disk(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let instance_id = request.require("InstanceId")?.to_string();
    let disk_id = request.require("DiskId")?.to_string();
    require_instance(cloud, &instance_id)?;
    let instance = &cloud.instances[&instance_id];
    if ![instance_status::RUNNING, instance_status::STOPPED].contains(&instance.status.as_str()) {
        return Err(incorrect_instance_status(
            &instance_id,
            &instance.status,
            "AttachDisk",
        ));
    }
    let found = disk(cloud, &disk_id)?;
    if found.status != "Available" {
        return Err(AcsError::new(
            INCORRECT_DISK_STATUS,
            format!(
                "The disk {disk_id} is {} and cannot be attached.",
                found.status
            ),
        ));
    }
    check_dry_run(request)?;
    let device = crate::provision::device_name(
        cloud
            .disks
            .values()
            .filter(|disk| disk.instance_id == instance_id)
            .count(),
    );
    let disk = cloud.disks.get_mut(&disk_id).expect("checked above");
    disk.instance_id = instance_id;
    disk.device = device;
    disk.attached_time = utc_time(ctx.now);
    if let Some(delete_with_instance) = request.bool("DeleteWithInstance")? {
        disk.delete_with_instance = delete_with_instance;
    }
    cloud.schedule_disk(&disk_id, &["Attaching", "In_use"], ctx.now, ctx.delay_ms);
    Ok(json!({}))
}

/// DetachDisk: a data disk (or the system disk of a Stopped instance), Detaching → Available.
pub fn detach_disk(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let instance_id = request.require("InstanceId")?.to_string();
    let disk_id = request.require("DiskId")?.to_string();
    require_instance(cloud, &instance_id)?;
    let found = disk(cloud, &disk_id)?;
    if found.instance_id != instance_id || found.status != "In_use" {
        return Err(AcsError::new(
            INCORRECT_DISK_STATUS,
            format!("The disk {disk_id} is not in use by {instance_id}."),
        ));
    }
    let instance = &cloud.instances[&instance_id];
    if found.disk_type == "system" && instance.status != instance_status::STOPPED {
        return Err(incorrect_instance_status(
            &instance_id,
            &instance.status,
            "DetachDisk (system disk)",
        ));
    }
    check_dry_run(request)?;
    let disk = cloud.disks.get_mut(&disk_id).expect("checked above");
    disk.instance_id.clear();
    disk.device.clear();
    cloud.schedule_disk(&disk_id, &["Detaching", "Available"], ctx.now, ctx.delay_ms);
    Ok(json!({}))
}

/// ResizeDisk: grow only.
pub fn resize_disk(cloud: &mut Cloud, request: &RpcRequest, _ctx: &Ctx) -> Result<Value, AcsError> {
    let disk_id = request.require("DiskId")?.to_string();
    let new_size = request
        .int("NewSize")?
        .ok_or_else(|| AcsError::missing_parameter("NewSize"))?;
    if new_size <= disk(cloud, &disk_id)?.size {
        return Err(AcsError::invalid_parameter(
            "NewSize",
            "must be larger than the current size",
        ));
    }
    check_dry_run(request)?;
    cloud.disks.get_mut(&disk_id).expect("checked above").size = new_size;
    Ok(json!({"OrderId": ""}))
}

/// DeleteDisk: only an Available disk.
pub fn delete_disk(cloud: &mut Cloud, request: &RpcRequest, _ctx: &Ctx) -> Result<Value, AcsError> {
    let disk_id = request.require("DiskId")?.to_string();
    let found = disk(cloud, &disk_id)?;
    if found.status != "Available" {
        return Err(AcsError::new(
            INCORRECT_DISK_STATUS,
            format!(
                "The disk {disk_id} is {} and cannot be deleted.",
                found.status
            ),
        ));
    }
    check_dry_run(request)?;
    cloud.disks.shift_remove(&disk_id);
    cloud.disk_settings.shift_remove(&disk_id);
    Ok(json!({}))
}

pub(super) fn snapshot<'a>(cloud: &'a Cloud, id: &str) -> Result<&'a Snapshot, AcsError> {
    cloud
        .snapshots
        .get(id)
        .ok_or_else(|| not_found(INVALID_SNAPSHOT_ID_NOT_FOUND, "SnapshotId", id))
}

/// Creates a snapshot record of `disk_id` (shared with CreateImage).
pub fn take_snapshot(
    cloud: &mut Cloud,
    disk_id: &str,
    name: &str,
    tags: Tags,
    ctx: &Ctx,
) -> String {
    let source = &cloud.disks[disk_id];
    let id = new_id("s");
    let snapshot = Snapshot {
        snapshot_id: id.clone(),
        snapshot_name: name.to_string(),
        description: String::new(),
        region_id: source.region_id.clone(),
        source_disk_id: disk_id.to_string(),
        source_disk_type: source.disk_type.clone(),
        source_disk_size: source.size,
        status: "progressing".into(),
        retention_days: None,
        creation_time: utc_time(ctx.now),
        resource_group_id: String::new(),
        tags,
        pending: Vec::new(),
    };
    cloud.snapshots.insert(id.clone(), snapshot);
    cloud.schedule_snapshot(&id, &["progressing", "accomplished"], ctx.now, ctx.delay_ms);
    id
}

/// CreateSnapshot: `DiskId` (no RegionId), progressing → accomplished.
pub fn create_snapshot(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let disk_id = request.require("DiskId")?.to_string();
    let found = disk(cloud, &disk_id)?;
    if !["In_use", "Available"].contains(&found.status.as_str()) {
        return Err(AcsError::new(
            INCORRECT_DISK_STATUS,
            format!(
                "The disk {disk_id} is {} and cannot be snapshotted.",
                found.status
            ),
        ));
    }
    let retention_days = request.int("RetentionDays")?;
    let tags = tag_list(request)?.into_iter().collect();
    check_dry_run(request)?;
    let id = take_snapshot(
        cloud,
        &disk_id,
        request.get("SnapshotName").unwrap_or_default(),
        tags,
        ctx,
    );
    let created = cloud.snapshots.get_mut(&id).expect("just created");
    created.description = request.get("Description").unwrap_or_default().to_string();
    created.retention_days = retention_days;
    Ok(json!({"SnapshotId": id}))
}

fn snapshot_json(snapshot: &Snapshot) -> Value {
    let done = snapshot.status == "accomplished";
    let described = json!({
        "SnapshotId": snapshot.snapshot_id,
        "SnapshotName": snapshot.snapshot_name,
        "Description": snapshot.description,
        "RegionId": snapshot.region_id,
        "SourceDiskId": snapshot.source_disk_id,
        "SourceDiskType": snapshot.source_disk_type,
        "SourceDiskSize": snapshot.source_disk_size.to_string(),
        "Status": snapshot.status,
        "Progress": if done { "100%" } else { "50%" },
        "Available": done,
        "RetentionDays": snapshot.retention_days.unwrap_or(0),
        "Category": "standard",
        "SnapshotType": "user",
        "Usage": "none",
        "CreationTime": snapshot.creation_time,
        "ResourceGroupId": snapshot.resource_group_id,
        "Tags": tags_json(&snapshot.tags),
        "Encrypted": false,
        "LastModifiedTime": snapshot.creation_time,
        "SourceStorageType": "disk",
        "SnapshotSN": snapshot.snapshot_id.trim_start_matches("s-"),
    });
    // features not modelled: instant access, KMS, snapshot links, cross-region copies
    super::params::with_unmodelled(
        described,
        json!({
            "FullSnapshotSizeInBytes": 0, "InstantAccess": false, "InstantAccessRetentionDays": 0, "KMSKeyId": "",
            "ProductCode": "", "RemainTime": 0, "SnapshotLinkId": "", "SourceRegionId": "", "SourceSnapshotId": "",
        }),
    )
}

/// DescribeSnapshots: SnapshotIds, DiskId, Status, SnapshotName, Tag.N, paging.
pub fn describe_snapshots(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = id_list(request, "SnapshotIds", "SnapshotId")?;
    let tags = tag_list(request)?;
    let fields = FieldFilters::new(request, &SNAPSHOT_FIELDS);
    let created = CreationWindow::from_request(request)?;
    let selected: Vec<Value> = cloud
        .snapshots
        .values()
        .filter(|snapshot| snapshot.region_id == region)
        .filter(|snapshot| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&snapshot.snapshot_id))
        })
        .filter(|snapshot| matches_tags(&snapshot.tags, &tags))
        .filter(|snapshot| fields.matches(snapshot))
        .filter(|snapshot| created.contains(&snapshot.creation_time))
        .map(snapshot_json)
        .collect();
    let (page, paging) = paginate(request, selected, LIMITS)?;
    Ok(list_body("Snapshots", "Snapshot", page, paging))
}

/// DeleteSnapshot.
pub fn delete_snapshot(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("SnapshotId")?.to_string();
    snapshot(cloud, &id)?;
    let used_by = cloud
        .images
        .values()
        .find(|image| image.snapshot_ids.contains(&id))
        .map(|image| image.image_id.clone());
    if let Some(image) = used_by
        && !request.bool("Force")?.unwrap_or(false)
    {
        return Err(AcsError::with_code(
            "SnapshotCreatedImage",
            403,
            format!("The snapshot {id} was used to create image {image}."),
        ));
    }
    cloud.snapshots.shift_remove(&id);
    Ok(json!({}))
}
