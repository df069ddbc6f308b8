//! Image actions: public images per region, CreateImage, DescribeImages, DeleteImage,
//! CopyImage, share permissions.

use jiff::Timestamp;
use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::instances::require_instance;
use super::params::{
    CreationWindow, Ctx, PageLimits, check_dry_run, list_body, matches_tags, paginate, tag_list,
    tags_json,
};
use super::storage::take_snapshot;
use crate::errors::{
    INCORRECT_IMAGE_STATUS, INVALID_IMAGE_ID_NOT_FOUND, INVALID_REGION_ID_NOT_FOUND, not_found,
};
use crate::model::{Image, Tags};
use crate::state::{Cloud, new_id, utc_time};

/// Public images every region offers: `(ImageId, OSName, OSType, Platform)`; besides the current
/// ones, the older ids public templates name (ACS-ECS-RepairImage, RescueUnreachableInstance-Linux).
pub const PUBLIC_IMAGES: [(&str, &str, &str, &str); 5] = [
    (
        "aliyun_3_x64_20G_alibase_20240819.vhd",
        "Alibaba Cloud Linux 3.2104 LTS 64位",
        "linux",
        "Aliyun",
    ),
    (
        "win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240816.vhd",
        "Windows Server 2022 数据中心版 64位中文版",
        "windows",
        "Windows Server 2022",
    ),
    (
        "aliyun_3_x64_20G_alibase_20230727.vhd",
        "Alibaba Cloud Linux 3.2104 LTS 64位",
        "linux",
        "Aliyun",
    ),
    (
        "aliyun_3_arm64_20G_alibase_20230731.vhd",
        "Alibaba Cloud Linux 3.2104 LTS 64位 ARM版",
        "linux",
        "Aliyun",
    ),
    (
        "centos_8_0_x64_20G_alibase_20191225.vhd",
        "CentOS 8.0 64位",
        "linux",
        "CentOS",
    ),
];

/// Adds the public images to every region (idempotent; ids are shared across regions as on
/// Alibaba, so the key is `region/ImageId`).
pub fn ensure_public_images(cloud: &mut Cloud, now: Timestamp) {
    let regions: Vec<String> = cloud
        .regions
        .iter()
        .map(|region| region.region_id.clone())
        .collect();
    for region in regions {
        for (image_id, os_name, os_type, platform) in PUBLIC_IMAGES {
            let key = public_key(&region, image_id);
            cloud.images.entry(key).or_insert_with(|| Image {
                image_id: image_id.into(),
                image_name: image_id.trim_end_matches(".vhd").into(),
                description: String::new(),
                region_id: region.clone(),
                owner_alias: "system".into(),
                status: "Available".into(),
                size: 40,
                os_name: os_name.into(),
                os_type: os_type.into(),
                platform: platform.into(),
                architecture: if image_id.contains("arm64") { "arm64" } else { "x86_64" }.into(),
                source_instance_id: String::new(),
                snapshot_ids: Vec::new(),
                shared_accounts: Vec::new(),
                creation_time: utc_time(now),
                resource_group_id: String::new(),
                tags: Tags::new(),
                pending: Vec::new(),
            });
        }
    }
}

fn public_key(region: &str, image_id: &str) -> String {
    format!("{region}/{image_id}")
}

/// The map key of image `id` as seen from `region` (public images are per region).
pub fn image_key(cloud: &Cloud, region: &str, id: &str) -> Option<String> {
    let public = public_key(region, id);
    if cloud.images.contains_key(&public) {
        Some(public)
    } else {
        cloud
            .images
            .get(id)
            .filter(|image| image.region_id == region)
            .map(|_| id.to_string())
    }
}

fn custom_image<'a>(cloud: &'a Cloud, region: &str, id: &str) -> Result<&'a Image, AcsError> {
    cloud
        .images
        .get(id)
        .filter(|image| image.region_id == region)
        .ok_or_else(|| not_found(INVALID_IMAGE_ID_NOT_FOUND, "ImageId", id))
}

fn image_json(image: &Image) -> Value {
    let mappings: Vec<Value> = image
        .snapshot_ids
        .iter()
        .enumerate()
        .map(|(index, snapshot)| {
            json!({"SnapshotId": snapshot, "Size": image.size.to_string(), "Device": crate::provision::device_name(index),
                   "Type": if index == 0 { "system" } else { "data" }, "Format": "", "ImportOSSBucket": "", "ImportOSSObject": ""})
        })
        .collect();
    let described = json!({
        "ImageId": image.image_id,
        "ImageName": image.image_name,
        "Description": image.description,
        "Status": image.status,
        "Progress": if image.status == "Available" { "100%" } else { "50%" },
        "Size": image.size,
        "OSName": image.os_name,
        "OSNameEn": image.os_name,
        "OSType": image.os_type,
        "Platform": image.platform,
        "Architecture": image.architecture,
        "ImageOwnerAlias": image.owner_alias,
        "IsSelfShared": if image.shared_accounts.is_empty() { "False" } else { "True" },
        "IsPublic": image.owner_alias == "system",
        "IsSupportCloudinit": true,
        "IsSupportIoOptimized": true,
        "Usage": "instance",
        "CreationTime": image.creation_time,
        "ResourceGroupId": image.resource_group_id,
        "DiskDeviceMappings": {"DiskDeviceMapping": mappings},
        "Tags": tags_json(&image.tags),
        "Usable": image.status == "Available",
        "IsCopied": false,
        "BootMode": "BIOS",
    });
    // features not modelled: image families, marketplace, licences, detection, secure boot
    super::params::with_unmodelled(
        described,
        json!({
            "DetectionOptions": {"Items": {"Item": []}, "Status": ""},
            "Features": {"CpuOnlineDowngrade": "", "CpuOnlineUpgrade": "", "ImdsSupport": "v1", "MemoryOnlineDowngrade": "",
                         "MemoryOnlineUpgrade": "", "NvmeSupport": "supported"},
            "ImageFamily": "", "ImageOwnerId": 0, "ImageVersion": "", "IsSubscribed": false, "LicenseType": "Auto",
            "LoginAsNonRootSupported": false, "ProductCode": "", "SecureBootOptions": {"SecureBootSupport": ""}, "SupplierName": "",
        }),
    )
}

/// DescribeImages: ImageId (comma-separated), ImageName, ImageOwnerAlias, Status (default
/// Available), Tag.N, paging.
pub fn describe_images(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = super::params::comma_ids(request, "ImageId");
    let statuses: Vec<&str> = request
        .get("Status")
        .unwrap_or("Available,Creating")
        .split(',')
        .map(str::trim)
        .collect();
    let tags = tag_list(request)?;
    let created = CreationWindow::from_request(request)?;
    let selected: Vec<Value> = cloud
        .images
        .values()
        .filter(|image| image.region_id == region)
        .filter(|image| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&image.image_id.as_str()))
        })
        .filter(|image| statuses.contains(&image.status.as_str()))
        .filter(|image| created.contains(&image.creation_time))
        .filter(|image| {
            request
                .get("ImageOwnerAlias")
                .is_none_or(|owner| owner == image.owner_alias)
        })
        .filter(|image| {
            request
                .get("ImageName")
                .is_none_or(|name| image.image_name.contains(name.trim_matches('*')))
        })
        .filter(|image| request.get("OSType").is_none_or(|os| os == image.os_type))
        .filter(|image| matches_tags(&image.tags, &tags))
        .map(image_json)
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_100)?;
    let mut body = list_body("Images", "Image", page, paging);
    body["RegionId"] = json!(region);
    Ok(body)
}

/// CreateImage from an instance (snapshots of its disks) or from a snapshot; Creating → Available.
pub fn create_image(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let tags: Tags = tag_list(request)?.into_iter().collect();
    let (source_instance, snapshot_ids, size) = if let Some(instance_id) = request.get("InstanceId")
    {
        require_instance(cloud, instance_id)?;
        check_dry_run(request)?;
        let disk_ids: Vec<String> = cloud
            .disks
            .values()
            .filter(|disk| disk.instance_id == instance_id)
            .map(|disk| disk.disk_id.clone())
            .collect();
        let size = disk_ids.first().map_or(40, |disk| cloud.disks[disk].size);
        let snapshots = disk_ids
            .iter()
            .map(|disk| take_snapshot(cloud, disk, "", Tags::new(), ctx))
            .collect();
        (instance_id.to_string(), snapshots, size)
    } else if let Some(snapshot_id) = request.get("SnapshotId") {
        let snapshot = cloud.snapshots.get(snapshot_id).ok_or_else(|| {
            not_found(
                crate::errors::INVALID_SNAPSHOT_ID_NOT_FOUND,
                "SnapshotId",
                snapshot_id,
            )
        })?;
        let size = snapshot.source_disk_size;
        check_dry_run(request)?;
        (String::new(), vec![snapshot_id.to_string()], size)
    } else {
        return Err(AcsError::missing_parameter("InstanceId"));
    };
    let base = cloud
        .instances
        .get(&source_instance)
        .and_then(|instance| image_key(cloud, &region, &instance.image_id))
        .map(|key| cloud.images[&key].clone());
    let id = new_id("m");
    let text = |name: &str| request.get(name).unwrap_or_default().to_string();
    cloud.images.insert(
        id.clone(),
        Image {
            image_id: id.clone(),
            image_name: request
                .get("ImageName")
                .map_or_else(|| id.clone(), str::to_string),
            description: text("Description"),
            region_id: region,
            owner_alias: "self".into(),
            status: "Creating".into(),
            size,
            os_name: base.as_ref().map_or_else(
                || PUBLIC_IMAGES[0].1.to_string(),
                |image| image.os_name.clone(),
            ),
            os_type: base
                .as_ref()
                .map_or_else(|| "linux".to_string(), |image| image.os_type.clone()),
            platform: base
                .as_ref()
                .map_or_else(|| "Aliyun".to_string(), |image| image.platform.clone()),
            architecture: "x86_64".into(),
            source_instance_id: source_instance,
            snapshot_ids,
            shared_accounts: Vec::new(),
            creation_time: utc_time(ctx.now),
            resource_group_id: text("ResourceGroupId"),
            tags,
            pending: Vec::new(),
        },
    );
    cloud.schedule_image(&id, &["Creating", "Available"], ctx.now, ctx.delay_ms);
    Ok(json!({"ImageId": id}))
}

/// DeleteImage: custom images only.
pub fn delete_image(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = request.require("ImageId")?.to_string();
    let image = custom_image(cloud, &region, &id)?;
    let in_use = cloud
        .instances
        .values()
        .any(|instance| instance.image_id == id);
    if in_use && !request.bool("Force")?.unwrap_or(false) {
        return Err(AcsError::new(
            INCORRECT_IMAGE_STATUS,
            format!("The image {id} is used by instances; set Force=true to delete it."),
        ));
    }
    if image.status == "Creating" {
        return Err(AcsError::new(
            INCORRECT_IMAGE_STATUS,
            format!("The image {id} is still being created."),
        ));
    }
    check_dry_run(request)?;
    cloud.images.shift_remove(&id);
    Ok(json!({}))
}

/// CopyImage to another region; the copy goes Creating → Available.
pub fn copy_image(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = request.require("ImageId")?.to_string();
    let destination = request.require("DestinationRegionId")?.to_string();
    if cloud.region(&destination).is_none() {
        return Err(AcsError::new(
            INVALID_REGION_ID_NOT_FOUND,
            format!("The specified DestinationRegionId does not exist: {destination}."),
        ));
    }
    let mut copy = custom_image(cloud, &region, &id)?.clone();
    if copy.status != "Available" {
        return Err(AcsError::new(
            INCORRECT_IMAGE_STATUS,
            format!("The image {id} is {} and cannot be copied.", copy.status),
        ));
    }
    check_dry_run(request)?;
    let new = new_id("m");
    copy.image_id = new.clone();
    copy.region_id = destination;
    copy.creation_time = utc_time(ctx.now);
    copy.shared_accounts.clear();
    copy.image_name = request
        .get("DestinationImageName")
        .map_or(copy.image_name, str::to_string);
    copy.tags.extend(tag_list(request)?);
    cloud.images.insert(new.clone(), copy);
    cloud.schedule_image(&new, &["Creating", "Available"], ctx.now, ctx.delay_ms);
    Ok(json!({"ImageId": new}))
}

/// DescribeImageSharePermission: the accounts an image is shared with.
pub fn describe_image_share_permission(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = request.require("ImageId")?;
    let image = custom_image(cloud, &region, id)?;
    let accounts: Vec<Value> = image
        .shared_accounts
        .iter()
        .map(|account| json!({"AliyunId": account}))
        .collect();
    let (page, mut paging) = paginate(request, accounts, PageLimits::NUMBERED_100)?;
    paging.insert("ImageId".into(), json!(id));
    paging.insert("RegionId".into(), json!(region));
    paging.insert("ShareGroups".into(), json!({"ShareGroup": []}));
    Ok(list_body("Accounts", "Account", page, paging))
}

/// ModifyImageSharePermission: `AddAccount.N` / `RemoveAccount.N`.
pub fn modify_image_share_permission(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = request.require("ImageId")?.to_string();
    custom_image(cloud, &region, &id)?;
    let add = request.repeated("AddAccount");
    let remove =
        super::params::id_list(request, "RemoveAccount", "RemoveAccount")?.unwrap_or_default();
    let image = cloud.images.get_mut(&id).expect("checked above");
    image
        .shared_accounts
        .retain(|account| !remove.contains(account));
    for account in add {
        if !image.shared_accounts.contains(&account) {
            image.shared_accounts.push(account);
        }
    }
    Ok(json!({}))
}
