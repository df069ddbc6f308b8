//! ReplaceSystemDisk: a Stopped instance gets a new system disk (new id) from an image; the old
//! system disk is released, the instance takes the image's OS, and optionally a key pair.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::images::image_key;
use super::instances::instance;
use super::params::{Ctx, check_dry_run};
use crate::errors::{
    INVALID_IMAGE_ID_NOT_FOUND, INVALID_KEY_PAIR_NAME_NOT_FOUND, INVALID_SYSTEM_DISK_SIZE,
    not_found, require_status,
};
use crate::model::instance_status as status;
use crate::state::{Cloud, ecs_time, new_id};

/// Largest system disk (GiB).
const MAX_SYSTEM_DISK: i64 = 2048;

/// ReplaceSystemDisk: `InstanceId`, `ImageId`; `SystemDisk.Size` (at least the image's, at
/// most 2048 GiB; default the old disk's size), `KeyPairName` (Linux), `Encrypted`.
pub fn replace_system_disk(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("InstanceId")?.to_string();
    let image_id = request.require("ImageId")?.to_string();
    let target = instance(cloud, &id)?;
    require_status(target, &[status::STOPPED], "ReplaceSystemDisk")?;
    let image = image_key(cloud, &target.region_id, &image_id)
        .and_then(|key| cloud.images.get(&key))
        .ok_or_else(|| not_found(INVALID_IMAGE_ID_NOT_FOUND, "ImageId", &image_id))?;
    let old_disk = cloud
        .disks
        .values()
        .find(|disk| disk.instance_id == id && disk.disk_type == "system")
        .cloned();
    let size = request.int("SystemDisk.Size")?.unwrap_or_else(|| {
        old_disk
            .as_ref()
            .map_or(40, |disk| disk.size)
            .max(image.size)
    });
    if size < image.size || size > MAX_SYSTEM_DISK {
        return Err(AcsError::new(
            INVALID_SYSTEM_DISK_SIZE,
            format!(
                "The system disk size {size} GiB must be between the image's {} GiB and {MAX_SYSTEM_DISK} GiB.",
                image.size
            ),
        ));
    }
    let key_pair = request.get("KeyPairName").filter(|name| !name.is_empty());
    if let Some(name) = key_pair {
        if image.os_type == "windows" {
            return Err(AcsError::invalid_parameter(
                "KeyPairName",
                "a Windows image cannot use an SSH key pair",
            ));
        }
        if !cloud
            .key_pairs
            .contains_key(&format!("{}/{name}", target.region_id))
        {
            return Err(not_found(
                INVALID_KEY_PAIR_NAME_NOT_FOUND,
                "KeyPairName",
                name,
            ));
        }
    }
    let encrypted = request.bool("Encrypted")?.unwrap_or(false);
    let mut disk = old_disk.clone().ok_or_else(|| {
        AcsError::new(
            crate::errors::INCORRECT_DISK_STATUS,
            format!("The instance {id} has no system disk."),
        )
    })?;
    check_dry_run(request)?;
    let (os_name, os_type, image_id) = (
        image.os_name.clone(),
        image.os_type.clone(),
        image.image_id.clone(),
    );
    let new_disk_id = new_id("d");
    cloud.disks.shift_remove(&disk.disk_id);
    disk.disk_id = new_disk_id.clone();
    disk.size = size;
    disk.image_id = image_id.clone();
    disk.encrypted = encrypted;
    disk.source_snapshot_id.clear();
    disk.creation_time = ecs_time(ctx.now);
    disk.attached_time = disk.creation_time.clone();
    disk.tags.clear();
    cloud.disks.insert(new_disk_id.clone(), disk);
    let instance = cloud.instances.get_mut(&id).expect("checked above");
    instance.image_id = image_id;
    instance.os_name = os_name;
    instance.os_type = os_type;
    if let Some(name) = key_pair {
        instance.key_pair_name = name.to_string();
    }
    Ok(json!({"DiskId": new_disk_id}))
}
