//! Instance types and specs: the type catalog (DescribeInstanceTypes, families, available
//! resources, DescribeZones), spec changes with their state and charge-type rules,
//! DescribeInstanceAttribute, ReplaceSystemDisk.

mod support;

use std::time::Duration;

use oos_emulator::{Emulator, FleetSeed};
use serde_json::Value;
use support::ecs;

/// A refused call: what it shows, its parameters and the error code expected.
type RefusedCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

fn fleet() -> Emulator {
    let seed = "instances:\n  - ids: [i-run, i-stop, i-sub]\n    status: [Running, Stopped, Running]\n    charge_type: [PostPaid, PostPaid, PrePaid]\n    instance_type: ecs.g7.large\n";
    Emulator::builder()
        .transition_delay(Duration::ZERO)
        .seed(FleetSeed::from_yaml(seed).unwrap())
        .build()
        .unwrap()
}

fn described(emulator: &Emulator, id: &str) -> Value {
    let body = ecs(
        emulator,
        "DescribeInstances",
        &[("InstanceIds", &format!("[\"{id}\"]"))],
    )
    .unwrap();
    body["Instances"]["Instance"][0].clone()
}

#[test]
fn the_catalog_is_the_same_everywhere() {
    let emulator = fleet();
    let types = ecs(
        &emulator,
        "DescribeInstanceTypes",
        &[("InstanceTypeFamily", "ecs.c7")],
    )
    .unwrap();
    let listed = types["InstanceTypes"]["InstanceType"].as_array().unwrap();
    assert_eq!(listed.len(), 5);
    let large = &listed[0];
    assert_eq!(
        (
            large["InstanceTypeId"].as_str(),
            large["CpuCoreCount"].as_i64()
        ),
        (Some("ecs.c7.large"), Some(2))
    );
    assert_eq!(
        large["MemorySize"].as_f64(),
        Some(4.0),
        "a number in the SDK model"
    );
    assert!(large["EniQuantity"].is_i64());
    let sized = ecs(
        &emulator,
        "DescribeInstanceTypes",
        &[("MinimumCpuCoreCount", "16"), ("MaxResults", "2")],
    )
    .unwrap();
    assert_eq!(
        sized["InstanceTypes"]["InstanceType"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let token = sized["NextToken"].as_str().unwrap().to_string();
    let rest = ecs(
        &emulator,
        "DescribeInstanceTypes",
        &[("MinimumCpuCoreCount", "16"), ("NextToken", &token)],
    )
    .unwrap();
    assert_eq!(
        rest["InstanceTypes"]["InstanceType"]
            .as_array()
            .unwrap()
            .len(),
        10,
        "twelve 4xlarge and 8xlarge types have 16+ vCPUs"
    );
    let families = ecs(
        &emulator,
        "DescribeInstanceTypeFamilies",
        &[("Generation", "ecs-6")],
    )
    .unwrap();
    assert_eq!(
        families["InstanceTypeFamilies"]["InstanceTypeFamily"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let available = ecs(
        &emulator,
        "DescribeAvailableResource",
        &[
            ("DestinationResource", "InstanceType"),
            ("ZoneId", "cn-hangzhou-h"),
        ],
    )
    .unwrap();
    let zone = &available["AvailableZones"]["AvailableZone"][0];
    assert_eq!(zone["ZoneId"], "cn-hangzhou-h");
    let supported = zone["AvailableResources"]["AvailableResource"][0]["SupportedResources"]["SupportedResource"].as_array().unwrap();
    assert_eq!(supported.len(), 30);
    assert_eq!(supported[0]["StatusCategory"], "WithStock");
    let zones = ecs(&emulator, "DescribeZones", &[]).unwrap();
    assert_eq!(
        zones["Zones"]["Zone"][0]["AvailableInstanceTypes"]["InstanceTypes"]
            .as_array()
            .unwrap()
            .len(),
        30
    );
    let one_type = ecs(
        &emulator,
        "DescribeAvailableResource",
        &[
            ("DestinationResource", "InstanceType"),
            ("InstanceType", "ecs.r7.xlarge"),
        ],
    )
    .unwrap();
    assert_eq!(
        one_type["AvailableZones"]["AvailableZone"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "every zone of cn-hangzhou"
    );
    let unsold = ecs(
        &emulator,
        "DescribeAvailableResource",
        &[
            ("DestinationResource", "InstanceType"),
            ("InstanceType", "ecs.z9.huge"),
        ],
    )
    .unwrap();
    assert_eq!(
        unsold["AvailableZones"]["AvailableZone"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let disks = ecs(
        &emulator,
        "DescribeAvailableResource",
        &[("DestinationResource", "SystemDisk")],
    )
    .unwrap();
    let disk = &disks["AvailableZones"]["AvailableZone"][0]["AvailableResources"]["AvailableResource"]
        [0]["SupportedResources"]["SupportedResource"][0];
    assert_eq!(
        (disk["Min"].as_i64(), disk["Unit"].as_str()),
        (Some(20), Some("GiB"))
    );
    assert_eq!(
        ecs(&emulator, "DescribeAvailableResource", &[])
            .unwrap_err()
            .code,
        "MissingParameter.DestinationResource"
    );

    let upgrades = ecs(
        &emulator,
        "DescribeResourcesModification",
        &[
            ("ResourceId", "i-run"),
            ("DestinationResource", "InstanceType"),
        ],
    )
    .unwrap();
    let values: Vec<&str> =
        upgrades["AvailableZones"]["AvailableZone"][0]["AvailableResources"]["AvailableResource"]
            [0]["SupportedResources"]["SupportedResource"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["Value"].as_str().unwrap())
            .collect();
    assert!(
        values.contains(&"ecs.g7.xlarge")
            && !values.contains(&"ecs.g7.large")
            && !values.contains(&"ecs.c7.large"),
        "{values:?}"
    );
}

#[test]
fn pay_as_you_go_specs_change_only_when_stopped() {
    let emulator = fleet();
    let running = ecs(
        &emulator,
        "ModifyInstanceSpec",
        &[("InstanceId", "i-run"), ("InstanceType", "ecs.g7.xlarge")],
    )
    .unwrap_err();
    assert_eq!(
        (running.code.as_ref(), running.status),
        ("IncorrectInstanceStatus", 403)
    );
    ecs(
        &emulator,
        "ModifyInstanceSpec",
        &[("InstanceId", "i-run"), ("InternetMaxBandwidthOut", "10")],
    )
    .unwrap();
    assert_eq!(
        described(&emulator, "i-run")["InternetMaxBandwidthOut"],
        10,
        "bandwidth changes while Running"
    );
    ecs(
        &emulator,
        "ModifyInstanceSpec",
        &[("InstanceId", "i-stop"), ("InstanceType", "ecs.g7.2xlarge")],
    )
    .unwrap();
    let changed = described(&emulator, "i-stop");
    assert_eq!(
        (
            changed["InstanceType"].as_str(),
            changed["Cpu"].as_i64(),
            changed["Memory"].as_i64()
        ),
        (Some("ecs.g7.2xlarge"), Some(8), Some(32768))
    );
    let cases: [RefusedCase; 4] = [
        (
            "unsold",
            &[("InstanceId", "i-stop"), ("InstanceType", "ecs.z9.huge")],
            "InvalidInstanceType.ValueNotSupported",
        ),
        (
            "subscription",
            &[("InstanceId", "i-sub"), ("InstanceType", "ecs.g7.xlarge")],
            "ChargeTypeViolation",
        ),
        (
            "nothing",
            &[("InstanceId", "i-stop")],
            "MissingParameter.InstanceType",
        ),
        (
            "bandwidth",
            &[("InstanceId", "i-stop"), ("InternetMaxBandwidthOut", "500")],
            "InvalidParameter.InternetMaxBandwidthOut",
        ),
    ];
    for (what, params, code) in cases {
        assert_eq!(
            ecs(&emulator, "ModifyInstanceSpec", params)
                .unwrap_err()
                .code,
            code,
            "{what}"
        );
    }
}

#[test]
fn subscription_specs_change_while_running_with_an_order() {
    let emulator = fleet();
    let order = ecs(
        &emulator,
        "ModifyPrepayInstanceSpec",
        &[("InstanceId", "i-sub"), ("InstanceType", "ecs.g7.xlarge")],
    )
    .unwrap();
    assert!(order["OrderId"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(
        described(&emulator, "i-sub")["InstanceType"],
        "ecs.g7.xlarge"
    );
    let down = ecs(
        &emulator,
        "ModifyPrepayInstanceSpec",
        &[
            ("InstanceId", "i-sub"),
            ("InstanceType", "ecs.g7.2xlarge"),
            ("OperatorType", "downgrade"),
        ],
    )
    .unwrap_err();
    assert_eq!(down.code, "InvalidParameter.InstanceType");
    let postpaid = ecs(
        &emulator,
        "ModifyPrepayInstanceSpec",
        &[("InstanceId", "i-run"), ("InstanceType", "ecs.g7.xlarge")],
    )
    .unwrap_err();
    assert_eq!(postpaid.code, "ChargeTypeViolation");
}

#[test]
fn network_specs_change_bandwidth_charge_and_public_ip() {
    let emulator = fleet();
    let answer = ecs(
        &emulator,
        "ModifyInstanceNetworkSpec",
        &[
            ("InstanceId", "i-run"),
            ("InternetMaxBandwidthOut", "20"),
            ("NetworkChargeType", "PayByBandwidth"),
            ("AllocatePublicIp", "true"),
        ],
    )
    .unwrap();
    assert_eq!(answer["OrderId"], "", "no order for pay-as-you-go");
    let instance = described(&emulator, "i-run");
    assert_eq!(
        (
            instance["InternetMaxBandwidthOut"].as_i64(),
            instance["InternetChargeType"].as_str()
        ),
        (Some(20), Some("PayByBandwidth"))
    );
    assert_eq!(
        instance["PublicIpAddress"]["IpAddress"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad = ecs(
        &emulator,
        "ModifyInstanceNetworkSpec",
        &[("InstanceId", "i-run"), ("NetworkChargeType", "Free")],
    )
    .unwrap_err();
    assert_eq!(bad.code, "InvalidParameter.NetworkChargeType");
    let order = ecs(
        &emulator,
        "ModifyInstanceNetworkSpec",
        &[("InstanceId", "i-sub"), ("InternetMaxBandwidthOut", "5")],
    )
    .unwrap();
    assert!(!order["OrderId"].as_str().unwrap().is_empty());
}

#[test]
fn describe_instance_attribute_matches_describe_instances() {
    let emulator = fleet();
    let attribute = ecs(
        &emulator,
        "DescribeInstanceAttribute",
        &[("InstanceId", "i-sub")],
    )
    .unwrap();
    let listed = described(&emulator, "i-sub");
    for field in [
        "InstanceId",
        "InstanceType",
        "Status",
        "ExpiredTime",
        "InstanceChargeType",
        "SecurityGroupIds",
        "VpcAttributes",
    ] {
        assert_eq!(attribute[field], listed[field], "{field}");
    }
    assert_eq!(
        attribute["IoOptimized"], "optimized",
        "a string in this SDK model"
    );
    assert!(attribute.get("Tags").is_none());
    assert_eq!(
        ecs(
            &emulator,
            "DescribeInstanceAttribute",
            &[("InstanceId", "i-gone")]
        )
        .unwrap_err()
        .code,
        "InvalidInstanceId.NotFound"
    );
}

#[test]
fn replace_system_disk_needs_a_stopped_instance_and_gives_a_new_disk() {
    let emulator = fleet();
    let windows = "win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240816.vhd";
    let running = ecs(
        &emulator,
        "ReplaceSystemDisk",
        &[("InstanceId", "i-run"), ("ImageId", windows)],
    )
    .unwrap_err();
    assert_eq!(running.code, "IncorrectInstanceStatus");
    let system_disk = |id: &str| {
        let disks = ecs(
            &emulator,
            "DescribeDisks",
            &[("InstanceId", id), ("DiskType", "system")],
        )
        .unwrap();
        disks["Disks"]["Disk"][0].clone()
    };
    let before = system_disk("i-stop");
    let replaced = ecs(
        &emulator,
        "ReplaceSystemDisk",
        &[
            ("InstanceId", "i-stop"),
            ("ImageId", windows),
            ("SystemDisk.Size", "60"),
        ],
    )
    .unwrap();
    let after = system_disk("i-stop");
    assert_eq!(replaced["DiskId"], after["DiskId"]);
    assert_ne!(before["DiskId"], after["DiskId"]);
    assert_eq!(
        (after["Size"].as_i64(), after["ImageId"].as_str()),
        (Some(60), Some(windows))
    );
    let instance = described(&emulator, "i-stop");
    assert_eq!(
        (
            instance["ImageId"].as_str(),
            instance["OSType"].as_str(),
            instance["Status"].as_str()
        ),
        (Some(windows), Some("windows"), Some("Stopped"))
    );
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("InstanceId", "i-stop"), ("ImageId", "m-none")],
            "InvalidImageId.NotFound",
        ),
        (
            &[
                ("InstanceId", "i-stop"),
                ("ImageId", windows),
                ("SystemDisk.Size", "20"),
            ],
            "InvalidSystemDiskSize.LessThanImageSize",
        ),
        (
            &[
                ("InstanceId", "i-stop"),
                ("ImageId", "aliyun_3_x64_20G_alibase_20240819.vhd"),
                ("KeyPairName", "none"),
            ],
            "InvalidKeyPairName.NotFound",
        ),
    ];
    for (params, code) in cases {
        assert_eq!(
            ecs(&emulator, "ReplaceSystemDisk", params)
                .unwrap_err()
                .code,
            code,
            "{params:?}"
        );
    }
}

/// A burstable instance shows its CPU credit mode (Standard until changed) and ModifyInstanceAttribute
/// changes it; any other type has none and refuses one; an unknown mode is refused.
#[test]
fn burstable_instances_have_a_credit_mode() {
    let seed = "instances:\n  - ids: [i-t5]\n    instance_type: ecs.t5-lc1m2.small\n  - ids: [i-g7]\n";
    let emulator = Emulator::builder()
        .transition_delay(Duration::ZERO)
        .seed(FleetSeed::from_yaml(seed).unwrap())
        .build()
        .unwrap();
    assert_eq!(described(&emulator, "i-t5")["CreditSpecification"], "Standard");
    assert_eq!(described(&emulator, "i-g7")["CreditSpecification"], "");
    ecs(&emulator, "ModifyInstanceAttribute", &[("InstanceId", "i-t5"), ("CreditSpecification", "Unlimited")]).unwrap();
    assert_eq!(described(&emulator, "i-t5")["CreditSpecification"], "Unlimited");
    let refused = ecs(&emulator, "ModifyInstanceAttribute", &[("InstanceId", "i-g7"), ("CreditSpecification", "Unlimited")]).unwrap_err();
    assert_eq!(refused.code, "InvalidInstanceType.NotSupportCredit");
    let refused = ecs(&emulator, "ModifyInstanceAttribute", &[("InstanceId", "i-t5"), ("CreditSpecification", "Turbo")]).unwrap_err();
    assert_eq!(refused.code, "InvalidParameter.CreditSpecification");
    assert_eq!(described(&emulator, "i-t5")["CreditSpecification"], "Unlimited", "a refused call changes nothing");
}
