//! DescribeAccountAttributes: the account's ECS quotas in a region, with the used amounts
//! (pay-as-you-go vCPUs, pay-as-you-go data disk capacity) counted from the emulated cloud.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::instance_types::instance_types;
use super::params::Ctx;
use crate::provision::type_shape;
use crate::state::Cloud;

/// Pay-as-you-go vCPUs an account may run in a region.
const MAX_POSTPAID_VCPUS: i64 = 1000;
/// Spot vCPUs an account may run in a region.
const MAX_SPOT_VCPUS: i64 = 800;
/// Pay-as-you-go data disk capacity (GiB) per category.
const MAX_POSTPAID_DISK_GIB: i64 = 204_800;
/// The data disk categories of the capacity attributes, in the order they are answered.
const CAPACITY_CATEGORIES: [&str; 3] = ["cloud_efficiency", "cloud_ssd", "cloud_essd"];

/// One `ValueItem`: every field of the SDK model, those that do not apply empty.
fn item(value: impl ToString, fill: &[(&str, &str)]) -> Value {
    let mut item = json!({"Value": value.to_string(), "Count": 1, "DiskCategory": "", "ExpiredTime": "",
                          "InstanceChargeType": "", "InstanceType": "", "ZoneId": ""});
    for (key, text) in fill {
        item[*key] = json!(text);
    }
    item
}

/// vCPUs of the region's pay-as-you-go instances (in `zone`, when given).
fn postpaid_vcpus(cloud: &Cloud, region: &str, zone: Option<&str>) -> i64 {
    cloud
        .instances
        .values()
        .filter(|instance| {
            instance.region_id == region && instance.instance_charge_type == "PostPaid"
        })
        .filter(|instance| zone.is_none_or(|zone| zone == instance.zone_id))
        .map(|instance| type_shape(&instance.instance_type).0)
        .sum()
}

/// GiB of the region's pay-as-you-go data disks of `category` (in `zone`, when given).
fn postpaid_disk_gib(cloud: &Cloud, region: &str, zone: Option<&str>, category: &str) -> i64 {
    cloud
        .disks
        .values()
        .filter(|disk| {
            disk.region_id == region && disk.disk_type == "data" && disk.category == category
        })
        .filter(|disk| zone.is_none_or(|zone| zone == disk.zone_id))
        .filter(|disk| {
            cloud
                .disk_settings
                .get(&disk.disk_id)
                .is_none_or(|settings| settings.disk_charge_type == "PostPaid")
        })
        .map(|disk| disk.size)
        .sum()
}

/// DescribeAccountAttributes: every attribute of the SDK model's list, in that list's order, or
/// those named by `AttributeName.N` (at most 8); `ZoneId` narrows the used amounts.
pub fn describe_account_attributes(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let cloud: &Cloud = cloud;
    let zone = request.get("ZoneId");
    let wanted = request.repeated("AttributeName");
    if wanted.len() > 8 {
        return Err(AcsError::invalid_parameter(
            "AttributeName",
            "at most 8 attribute names",
        ));
    }
    let capacity = |used: bool| -> Vec<Value> {
        CAPACITY_CATEGORIES
            .iter()
            .map(|&category| {
                let gib = if used {
                    postpaid_disk_gib(cloud, &region, zone, category)
                } else {
                    MAX_POSTPAID_DISK_GIB
                };
                item(
                    gib,
                    &[
                        ("DiskCategory", category),
                        ("InstanceChargeType", "PostPaid"),
                    ],
                )
            })
            .collect()
    };
    let postpaid = [("InstanceChargeType", "PostPaid")];
    let attributes: Vec<(&str, Vec<Value>)> = vec![
        ("instance-network-type", vec![item("vpc", &[])]),
        ("max-security-groups", vec![item(1000, &[])]),
        ("max-elastic-network-interfaces", vec![item(1000, &[])]),
        (
            "max-postpaid-instance-vcpu-count",
            vec![item(MAX_POSTPAID_VCPUS, &postpaid)],
        ),
        (
            "max-spot-instance-vcpu-count",
            vec![item(
                MAX_SPOT_VCPUS,
                &[("InstanceChargeType", "SpotInstance")],
            )],
        ),
        (
            "used-postpaid-instance-vcpu-count",
            vec![item(postpaid_vcpus(cloud, &region, zone), &postpaid)],
        ),
        (
            "used-spot-instance-vcpu-count",
            vec![item(0, &[("InstanceChargeType", "SpotInstance")])],
        ),
        ("max-postpaid-yundisk-capacity", capacity(false)),
        ("used-postpaid-yundisk-capacity", capacity(true)),
        ("max-dedicated-hosts", vec![item(50, &[])]),
        (
            "supported-postpaid-instance-types",
            instance_types()
                .iter()
                .map(|kind| {
                    item(
                        kind,
                        &[("InstanceType", kind), ("InstanceChargeType", "PostPaid")],
                    )
                })
                .collect(),
        ),
        ("max-axt-command-count", vec![item(500, &[])]),
        ("max-axt-invocation-daily", vec![item(10_000, &[])]),
        ("real-name-authentication", vec![item("yes", &[])]),
        (
            "max-cloud-assistant-activation-count",
            vec![item(1000, &[])],
        ),
    ];
    let items: Vec<Value> = attributes
        .into_iter()
        .filter(|(name, _)| wanted.is_empty() || wanted.iter().any(|wanted| wanted.as_str() == *name))
        .map(|(name, values)| json!({"AttributeName": name, "AttributeValues": {"ValueItem": values}}))
        .collect();
    Ok(json!({"AccountAttributeItems": {"AccountAttributeItem": items}}))
}
