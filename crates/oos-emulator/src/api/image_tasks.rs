//! Image export and import with their ECS tasks: ExportImage (to an OSS bucket, recorded, not
//! written), ImportImage (Creating → Available), DescribeTasks, DescribeTaskAttribute.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{Ctx, PageLimits, check_dry_run, list_body, paginate, tag_list};
use crate::errors::{INCORRECT_IMAGE_STATUS, INVALID_IMAGE_ID_NOT_FOUND, not_found};
use crate::model::{Image, Tags};
use crate::state::{Cloud, new_id, utc_time};
use crate::storage_model::Task;

/// Formats ExportImage writes and ImportImage reads.
const IMAGE_FORMATS: [&str; 5] = ["raw", "vhd", "qcow2", "vmdk", "vdi"];

/// Most disk images one ImportImage names (a system disk and 16 data disks).
const MAX_IMPORTED_DISKS: usize = 17;

/// Records a task on `resource_id` that finishes after one transition step; returns its id.
pub fn start_task(
    cloud: &mut Cloud,
    action: &str,
    region: &str,
    resource_id: &str,
    related_items: Vec<(String, String)>,
    ctx: &Ctx,
) -> String {
    let id = new_id("t");
    let now_ms = ctx.now.as_millisecond();
    cloud.tasks.insert(
        id.clone(),
        Task {
            task_id: id.clone(),
            task_action: action.into(),
            region_id: region.into(),
            resource_id: resource_id.into(),
            creation_time: utc_time(ctx.now),
            created_at_ms: now_ms,
            finishes_at_ms: now_ms + ctx.delay_ms.max(0),
            related_items,
        },
    );
    id
}

/// An OSS bucket name: 3–63 of `a-z`, `0-9`, `-`, not starting or ending with `-`.
fn check_bucket(name: &str, parameter: &str) -> Result<(), AcsError> {
    let valid = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(AcsError::invalid_parameter(
            parameter,
            format!("{name:?} is not an OSS bucket name"),
        ))
    }
}

fn check_format(format: &str, parameter: &str) -> Result<(), AcsError> {
    if IMAGE_FORMATS.contains(&format.to_ascii_lowercase().as_str()) {
        Ok(())
    } else {
        Err(AcsError::invalid_parameter(
            parameter,
            format!("must be one of {}", IMAGE_FORMATS.join(", ")),
        ))
    }
}

/// ExportImage: an Available custom image to `OSSBucket` (nothing is written); answers a task
/// that is Processing for one transition step, then Finished.
pub fn export_image(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let image_id = request.require("ImageId")?.to_string();
    let bucket = request.require("OSSBucket")?.to_string();
    check_bucket(&bucket, "OSSBucket")?;
    let format = request.get("ImageFormat").unwrap_or("raw").to_string();
    check_format(&format, "ImageFormat")?;
    let image = cloud
        .images
        .get(&image_id)
        .filter(|image| image.region_id == region)
        .ok_or_else(|| not_found(INVALID_IMAGE_ID_NOT_FOUND, "ImageId", &image_id))?;
    if image.status != "Available" {
        return Err(AcsError::new(
            INCORRECT_IMAGE_STATUS,
            format!(
                "The image {image_id} is {} and cannot be exported.",
                image.status
            ),
        ));
    }
    check_dry_run(request)?;
    let prefix = request.get("OSSPrefix").unwrap_or_default().to_string();
    let object = format!("{prefix}{image_id}_system.{format}");
    let items = vec![
        ("OSSBucket".to_string(), bucket),
        ("OSSObject".to_string(), object),
        ("ImageFormat".to_string(), format),
    ];
    let task_id = start_task(cloud, "ExportImage", &region, &image_id, items, ctx);
    Ok(json!({"TaskId": task_id, "RegionId": region}))
}

/// ImportImage: a custom image from disk images in OSS (`DiskDeviceMapping.N.OSSBucket`,
/// `.OSSObject`, `.DiskImageSize`, `.Format`), Creating → Available, with its task.
pub fn import_image(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let mappings = request.repeated_records("DiskDeviceMapping");
    if mappings.is_empty() {
        return Err(AcsError::missing_parameter("DiskDeviceMapping.1.OSSObject"));
    }
    if mappings.len() > MAX_IMPORTED_DISKS {
        return Err(AcsError::invalid_parameter(
            "DiskDeviceMapping",
            format!("at most {MAX_IMPORTED_DISKS} disk images"),
        ));
    }
    let mut size = 0;
    let mut related = Vec::new();
    for (index, record) in mappings.iter().enumerate() {
        let field = |name: &str| {
            record
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let place = |name: &str| format!("DiskDeviceMapping.{}.{name}", index + 1);
        let bucket =
            field("OSSBucket").ok_or_else(|| AcsError::missing_parameter(&place("OSSBucket")))?;
        check_bucket(bucket, &place("OSSBucket"))?;
        let object =
            field("OSSObject").ok_or_else(|| AcsError::missing_parameter(&place("OSSObject")))?;
        if let Some(format) = field("Format") {
            check_format(format, &place("Format"))?;
        }
        let disk_size = match field("DiskImageSize").or(field("DiskImSize")) {
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|gib| (5..=2048).contains(gib))
                .ok_or_else(|| {
                    AcsError::invalid_parameter(&place("DiskImageSize"), "must be 5-2048 GiB")
                })?,
            None => 40,
        };
        if index == 0 {
            size = disk_size;
        }
        related.push(("OSSObject".to_string(), format!("{bucket}/{object}")));
    }
    let os_type = request
        .get("OSType")
        .unwrap_or("linux")
        .to_ascii_lowercase();
    if !["linux", "windows"].contains(&os_type.as_str()) {
        return Err(AcsError::invalid_parameter(
            "OSType",
            "must be linux or windows",
        ));
    }
    let tags: Tags = tag_list(request)?.into_iter().collect();
    check_dry_run(request)?;
    let id = new_id("m");
    let text = |name: &str| request.get(name).unwrap_or_default().to_string();
    let platform = request.get("Platform").unwrap_or(if os_type == "windows" {
        "Windows Server 2022"
    } else {
        "Others Linux"
    });
    cloud.images.insert(
        id.clone(),
        Image {
            image_id: id.clone(),
            image_name: request
                .get("ImageName")
                .map_or_else(|| id.clone(), str::to_string),
            description: text("Description"),
            region_id: region.clone(),
            owner_alias: "self".into(),
            status: "Creating".into(),
            size,
            os_name: platform.to_string(),
            os_type,
            platform: platform.to_string(),
            architecture: request.get("Architecture").unwrap_or("x86_64").to_string(),
            source_instance_id: String::new(),
            snapshot_ids: Vec::new(),
            shared_accounts: Vec::new(),
            creation_time: utc_time(ctx.now),
            resource_group_id: text("ResourceGroupId"),
            tags,
            pending: Vec::new(),
        },
    );
    cloud.schedule_image(&id, &["Creating", "Available"], ctx.now, ctx.delay_ms);
    let task_id = start_task(cloud, "ImportImage", &region, &id, related, ctx);
    Ok(json!({"ImageId": id, "RegionId": region, "TaskId": task_id}))
}

fn finished_time(task: &Task, now_ms: i64) -> String {
    if task.status(now_ms) == "Finished" {
        jiff::Timestamp::from_millisecond(task.finishes_at_ms)
            .map_or_else(|_| String::new(), utc_time)
    } else {
        String::new()
    }
}

/// DescribeTasks: the region's tasks, newest first; filters `TaskIds` (comma-separated),
/// `TaskAction`, `TaskStatus`, `ResourceIds.N`.
pub fn describe_tasks(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let now_ms = ctx.now.as_millisecond();
    let ids = super::params::comma_ids(request, "TaskIds");
    let resources = request.repeated("ResourceIds");
    let selected: Vec<Value> = cloud
        .tasks
        .values()
        .rev()
        .filter(|task| task.region_id == region)
        .filter(|task| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&task.task_id.as_str()))
        })
        .filter(|task| {
            request
                .get("TaskAction")
                .is_none_or(|action| action == task.task_action)
        })
        .filter(|task| {
            request
                .get("TaskStatus")
                .is_none_or(|status| status == task.status(now_ms))
        })
        .filter(|task| resources.is_empty() || resources.contains(&task.resource_id))
        .map(|task| {
            json!({
                "TaskId": task.task_id,
                "TaskAction": task.task_action,
                "TaskStatus": task.status(now_ms),
                "ResourceId": task.resource_id,
                "SupportCancel": "false",
                "CreationTime": task.creation_time,
                "FinishedTime": finished_time(task, now_ms),
            })
        })
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_100)?;
    let mut body = list_body("TaskSet", "Task", page, paging);
    body["RegionId"] = json!(region);
    Ok(body)
}

/// DescribeTaskAttribute: one task with its progress (`InvalidTaskId.NotFound` otherwise).
pub fn describe_task_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = request.require("TaskId")?;
    let task = cloud
        .tasks
        .get(id)
        .filter(|task| task.region_id == region)
        .ok_or_else(|| {
            AcsError::with_code(
                "InvalidTaskId.NotFound",
                404,
                format!("The specified TaskId does not exist: {id}."),
            )
        })?;
    let now_ms = ctx.now.as_millisecond();
    let status = task.status(now_ms);
    let done = status == "Finished";
    let span = (task.finishes_at_ms - task.created_at_ms).max(1);
    let percent = if done {
        100
    } else {
        ((now_ms - task.created_at_ms) * 100 / span).clamp(0, 99)
    };
    let items: Vec<Value> = std::iter::once(("ResourceId".to_string(), task.resource_id.clone()))
        .chain(task.related_items.iter().cloned())
        .map(|(name, value)| json!({"Name": name, "Value": value}))
        .collect();
    Ok(json!({
        "TaskId": task.task_id,
        "TaskAction": task.task_action,
        "TaskStatus": status,
        "TaskProcess": format!("{percent}%"),
        "RegionId": task.region_id,
        "CreationTime": task.creation_time,
        "FinishedTime": finished_time(task, now_ms),
        "SupportCancel": "false",
        "TotalCount": 1,
        "SuccessCount": i64::from(done),
        "FailedCount": 0,
        "OperationProgressSet": {"OperationProgress": [{
            "OperationStatus": if done { "Success" } else { "Processing" },
            "ErrorCode": "",
            "ErrorMsg": "",
            "RelatedItemSet": {"RelatedItem": items},
        }]},
    }))
}
