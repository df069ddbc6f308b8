//! Creating instances with everything they come with (system disk, data disks, security
//! group, network), shared by RunInstances/CreateInstance and the fleet seed.

use jiff::Timestamp;

use crate::model::{Disk, Instance, SecurityGroup, Tags};
use crate::state::{Cloud, ecs_time, new_id};

/// What to create; empty strings mean "pick a sensible default".
#[derive(Debug, Clone, Default)]
pub struct InstanceSpec {
    pub instance_id: Option<String>,
    pub region_id: String,
    pub zone_id: String,
    pub instance_name: String,
    pub description: String,
    pub host_name: String,
    pub instance_type: String,
    pub image_id: String,
    pub security_group_id: String,
    pub vswitch_id: String,
    pub status: String,
    pub system_disk_size: i64,
    pub system_disk_category: String,
    pub data_disk_sizes: Vec<i64>,
    pub internet_max_bandwidth_out: i64,
    pub tags: Tags,
}

/// `(cpu, memory MiB)` of an instance type: the `large`/`xlarge`/`Nxlarge` suffix decides.
pub fn type_shape(instance_type: &str) -> (i64, i64) {
    let size = instance_type.rsplit('.').next().unwrap_or("large");
    let cpu = match size {
        "small" => 1,
        "medium" | "large" => 2,
        "xlarge" => 4,
        other => other
            .strip_suffix("xlarge")
            .and_then(|n| n.parse::<i64>().ok())
            .map_or(2, |n| 4 * n),
    };
    let per_cpu = if instance_type.contains(".c") {
        2048
    } else if instance_type.contains(".r") {
        8192
    } else {
        4096
    };
    (cpu, cpu * per_cpu)
}

/// The default security group of a region, created on first use.
pub fn default_security_group(cloud: &mut Cloud, region_id: &str, now: Timestamp) -> String {
    let existing = cloud
        .security_groups
        .values()
        .find(|group| group.region_id == region_id && group.security_group_name == "default");
    if let Some(group) = existing {
        return group.security_group_id.clone();
    }
    let id = new_id("sg");
    cloud.security_groups.insert(
        id.clone(),
        SecurityGroup {
            security_group_id: id.clone(),
            security_group_name: "default".into(),
            description: "default security group".into(),
            region_id: region_id.into(),
            vpc_id: vpc_of(region_id),
            creation_time: crate::state::utc_time(now),
            resource_group_id: String::new(),
            rules: Vec::new(),
            tags: Tags::new(),
        },
    );
    id
}

/// The emulator's one vSwitch per zone (a stable id derived from the zone).
pub fn vswitch_of(zone_id: &str) -> String {
    format!("vsw-{}", zone_id.replace('-', ""))
}

/// The emulator's one VPC per region (a stable id derived from the region).
pub fn vpc_of(region_id: &str) -> String {
    format!("vpc-{}", region_id.replace('-', ""))
}

/// The device path of the disk at 0-based `position` on an instance: `/dev/xvda`, `…b`, …,
/// then `/dev/xvdaa`, `/dev/xvdab`, ….
pub fn device_name(position: usize) -> String {
    let letter = |index: usize| char::from(b'a' + (index % 26) as u8);
    if position < 26 {
        format!("/dev/xvd{}", letter(position))
    } else {
        format!("/dev/xvd{}{}", letter(position / 26 - 1), letter(position))
    }
}

fn or(value: &str, fallback: impl FnOnce() -> String) -> String {
    if value.is_empty() {
        fallback()
    } else {
        value.to_string()
    }
}

/// Creates one instance (and its disks) with status `spec.status` and returns its id.
pub fn create_instance(cloud: &mut Cloud, spec: InstanceSpec, now: Timestamp) -> String {
    let id = spec.instance_id.clone().unwrap_or_else(|| new_id("i"));
    let ordinal = cloud.instances.len() as u32 + 1;
    let zone_id = or(&spec.zone_id, || {
        cloud
            .region(&spec.region_id)
            .and_then(|region| region.zones.first().cloned())
            .unwrap_or_else(|| format!("{}-a", spec.region_id))
    });
    let security_group = or(&spec.security_group_id, || {
        default_security_group(cloud, &spec.region_id, now)
    });
    let instance_type = or(&spec.instance_type, || "ecs.g7.large".into());
    let (cpu, memory) = type_shape(&instance_type);
    let image_id = or(&spec.image_id, || {
        "aliyun_3_x64_20G_alibase_20240819.vhd".into()
    });
    let windows = image_id.starts_with("win");
    let created = ecs_time(now);
    let system_disk = Disk {
        disk_id: new_id("d"),
        disk_name: String::new(),
        description: String::new(),
        region_id: spec.region_id.clone(),
        zone_id: zone_id.clone(),
        disk_type: "system".into(),
        category: or(&spec.system_disk_category, || "cloud_essd".into()),
        size: if spec.system_disk_size > 0 {
            spec.system_disk_size
        } else {
            40
        },
        status: "In_use".into(),
        instance_id: id.clone(),
        device: device_name(0),
        image_id: image_id.clone(),
        source_snapshot_id: String::new(),
        delete_with_instance: true,
        portable: false,
        encrypted: false,
        creation_time: created.clone(),
        attached_time: created.clone(),
        resource_group_id: String::new(),
        tags: Tags::new(),
        pending: Vec::new(),
    };
    let mut disks = vec![system_disk];
    for (index, size) in spec.data_disk_sizes.iter().enumerate() {
        let mut data = disks[0].clone();
        data.disk_id = new_id("d");
        data.disk_type = "data".into();
        data.size = *size;
        data.image_id = String::new();
        data.device = device_name(index + 1);
        disks.push(data);
    }
    for disk in disks {
        cloud.disks.insert(disk.disk_id.clone(), disk);
    }
    let name = or(&spec.instance_name, || id.clone());
    let instance = Instance {
        instance_id: id.clone(),
        host_name: or(&spec.host_name, || {
            format!("iZ{}Z", id.trim_start_matches("i-"))
        }),
        instance_name: name,
        description: spec.description,
        region_id: spec.region_id.clone(),
        instance_type,
        cpu,
        memory,
        os_name: if windows {
            "Windows Server 2022 数据中心版 64位中文版".into()
        } else {
            "Alibaba Cloud Linux 3.2104 LTS 64位".into()
        },
        os_type: if windows {
            "windows".into()
        } else {
            "linux".into()
        },
        image_id,
        status: or(&spec.status, || {
            crate::model::instance_status::RUNNING.into()
        }),
        creation_time: created.clone(),
        start_time: created,
        security_group_ids: vec![security_group],
        vpc_id: vpc_of(&spec.region_id),
        vswitch_id: or(&spec.vswitch_id, || vswitch_of(&zone_id)),
        zone_id,
        private_ip: format!("172.16.{}.{}", (ordinal / 250) % 256, ordinal % 250 + 2),
        public_ips: Vec::new(),
        eip_allocation_id: None,
        resource_group_id: String::new(),
        instance_charge_type: "PostPaid".into(),
        internet_charge_type: "PayByTraffic".into(),
        internet_max_bandwidth_out: spec.internet_max_bandwidth_out,
        key_pair_name: String::new(),
        deletion_protection: false,
        stopped_mode: "Not-applicable".into(),
        tags: spec.tags,
        pending: Vec::new(),
        settings: Default::default(),
    };
    cloud.instances.insert(id.clone(), instance);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_follow_the_type_suffix() {
        assert_eq!(type_shape("ecs.g7.large"), (2, 8192));
        assert_eq!(type_shape("ecs.c7.2xlarge"), (8, 16384));
        assert_eq!(type_shape("ecs.r7.xlarge"), (4, 32768));
    }

    #[test]
    fn device_names_never_run_out() {
        assert_eq!(
            [0, 1, 25, 26, 27].map(device_name),
            [
                "/dev/xvda",
                "/dev/xvdb",
                "/dev/xvdz",
                "/dev/xvdaa",
                "/dev/xvdab"
            ]
        );
        assert!(device_name(10_000).starts_with("/dev/xvd"));
    }

    #[test]
    fn an_instance_comes_with_a_system_disk_and_a_security_group() {
        let mut cloud = Cloud::default();
        let spec = InstanceSpec {
            region_id: "cn-hangzhou".into(),
            data_disk_sizes: vec![100],
            ..Default::default()
        };
        let id = create_instance(&mut cloud, spec, Timestamp::UNIX_EPOCH);
        let instance = &cloud.instances[&id];
        assert_eq!(instance.status, "Running");
        assert!(
            cloud
                .security_groups
                .contains_key(&instance.security_group_ids[0])
        );
        let types: Vec<&str> = cloud
            .disks
            .values()
            .filter(|disk| disk.instance_id == id)
            .map(|disk| disk.disk_type.as_str())
            .collect();
        assert_eq!(types, ["system", "data"]);
    }
}
