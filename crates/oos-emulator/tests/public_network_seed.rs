//! Seeded public IPs, EIPs, bandwidth packages and automatic snapshot policies, the EIP actions
//! under the ECS API, DescribeAccountAttributes, DescribeSpotPriceHistory and ESS's numbered ids,
//! called in-process.

mod support;

use std::time::Duration;

use oos_emulator::{ECS_VERSION, ESS_VERSION, Emulator, FleetSeed, VPC_VERSION};
use serde_json::Value;
use support::{call, seeded_with_clock};

const SEED: &str = "
instances:
  - ids: [i-pub-1, i-pub-2]
    public_ip: true
    data_disks: [40]
  - ids: [i-fixed]
    public_ip: '121.40.7.{index}'
  - ids: [i-private]
eips:
  - {id: eip-free, ip: 47.99.1.1}
  - {id: eip-bound, instance: i-private}
  - {id: eip-shared, ip: 47.99.1.3}
bandwidth_packages:
  - {id: cbwp-seed, name: shared, bandwidth: 50, eips: [eip-shared]}
auto_snapshot_policies:
  - {id: sp-nightly, name: nightly, time_points: [1, 13], instances: [i-pub-1]}
";

fn api(emulator: &Emulator, version: &str, action: &str, params: &[(&str, &str)]) -> Result<Value, String> {
    call(emulator, version, action, params).map_err(|error| error.code.to_string())
}

fn seed_error(yaml: &str) -> String {
    let seed = FleetSeed::from_yaml(yaml).expect("seed parses");
    Emulator::builder().seed(seed).build().unwrap_err().to_string()
}

#[test]
fn seeded_public_ips_show_in_describe_instances_and_can_be_released_or_converted() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let listed = api(&emulator, ECS_VERSION, "DescribeInstances", &[("InstanceIds", r#"["i-pub-1","i-fixed","i-private"]"#)]).unwrap();
    let ips: Vec<Value> = listed["Instances"]["Instance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|instance| instance["PublicIpAddress"]["IpAddress"].clone())
        .collect();
    assert_eq!(ips[0][0], "47.98.0.3", "derived from the private IP 172.16.0.3");
    assert_eq!(ips[1][0], "121.40.7.1");
    assert_eq!(ips[2], serde_json::json!([]));
    // `InstanceId` as a JSON list, as ACS-ECS-ConvertsPublicIPToNewEIPByInstanceId sends it.
    let one = api(&emulator, ECS_VERSION, "DescribeInstances", &[("InstanceId", r#"["i-fixed"]"#)]).unwrap();
    assert_eq!(one["Instances"]["Instance"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["Instances"]["Instance"][0]["InstanceId"], "i-fixed");
    api(&emulator, ECS_VERSION, "ReleasePublicIpAddress", &[("PublicIpAddress", "121.40.7.1")]).unwrap();
    api(&emulator, ECS_VERSION, "ConvertNatPublicIpToEip", &[("InstanceId", "i-pub-2")]).unwrap();
    let eips = api(&emulator, ECS_VERSION, "DescribeEipAddresses", &[("EipAddress", "47.98.0.4")]).unwrap();
    assert_eq!(eips["EipAddresses"]["EipAddress"][0]["InstanceId"], "i-pub-2");
}

#[test]
fn seeded_eips_and_packages_answer_both_apis() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let bound = api(&emulator, VPC_VERSION, "DescribeEipAddresses", &[("AllocationId", "eip-bound")]).unwrap();
    let bound = &bound["EipAddresses"]["EipAddress"][0];
    assert_eq!((bound["Status"].as_str(), bound["InstanceId"].as_str()), (Some("InUse"), Some("i-private")));
    assert_eq!(bound["IpAddress"], "47.99.0.2", "the default address counts the seeded EIPs");
    let shared = api(&emulator, VPC_VERSION, "DescribeEipAddresses", &[("EipAddress", "47.99.1.3")]).unwrap();
    assert_eq!(shared["EipAddresses"]["EipAddress"][0]["BandwidthPackageId"], "cbwp-seed");
    api(&emulator, VPC_VERSION, "AddCommonBandwidthPackageIp", &[("BandwidthPackageId", "cbwp-seed"), ("IpInstanceId", "eip-free")]).unwrap();
    api(&emulator, VPC_VERSION, "RemoveCommonBandwidthPackageIp", &[("BandwidthPackageId", "cbwp-seed"), ("IpInstanceId", "eip-shared")]).unwrap();
    // The ECS spelling: the same addresses, the ECS model's fields only.
    let ecs = api(&emulator, ECS_VERSION, "DescribeEipAddresses", &[("AllocationId", "eip-free")]).unwrap();
    let item = &ecs["EipAddresses"]["EipAddress"][0];
    assert_eq!(item["IpAddress"], "47.99.1.1");
    assert!(item.get("BandwidthPackageId").is_none() && item.get("Tags").is_none(), "{item}");
    let made = api(&emulator, ECS_VERSION, "AllocateEipAddress", &[("Bandwidth", "5")]).unwrap();
    assert_eq!(made.as_object().unwrap().len(), 2, "AllocationId and EipAddress: {made}");
    let id = made["AllocationId"].as_str().unwrap();
    api(&emulator, ECS_VERSION, "AssociateEipAddress", &[("AllocationId", id), ("InstanceId", "i-pub-1")]).unwrap();
    assert_eq!(api(&emulator, ECS_VERSION, "ReleaseEipAddress", &[("AllocationId", id)]).unwrap_err(), "IncorrectEipStatus");
    api(&emulator, ECS_VERSION, "UnassociateEipAddress", &[("AllocationId", id), ("InstanceId", "i-pub-1")]).unwrap();
    api(&emulator, ECS_VERSION, "ReleaseEipAddress", &[("AllocationId", id)]).unwrap();
    let gone = api(&emulator, VPC_VERSION, "DescribeEipAddresses", &[("AllocationId", id)]).unwrap();
    assert_eq!(gone["TotalCount"], 0);
}

#[test]
fn a_seeded_policy_covers_the_instance_disks_and_can_be_modified() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let described = api(&emulator, ECS_VERSION, "DescribeAutoSnapshotPolicyEx", &[("AutoSnapshotPolicyId", "sp-nightly")]).unwrap();
    let policy = &described["AutoSnapshotPolicies"]["AutoSnapshotPolicy"][0];
    assert_eq!((policy["DiskNums"].as_i64(), policy["TimePoints"].as_str()), (Some(2), Some(r#"["1","13"]"#)));
    api(&emulator, ECS_VERSION, "ModifyAutoSnapshotPolicyEx", &[("autoSnapshotPolicyId", "sp-nightly"), ("timePoints", r#"["3"]"#)]).unwrap();
    let disks = api(&emulator, ECS_VERSION, "DescribeDisks", &[("InstanceId", "i-pub-1")]).unwrap();
    for disk in disks["Disks"]["Disk"].as_array().unwrap() {
        assert_eq!(disk["AutoSnapshotPolicyId"], "sp-nightly", "{disk}");
    }
}

#[test]
fn bad_network_seeds_name_their_key() {
    let taken = seed_error("instances:\n  - ids: [i-a]\n    public_ip: 47.99.0.1\neips:\n  - {}\n");
    assert!(taken.contains("eips[0]") && taken.contains("used twice"), "{taken}");
    let address = seed_error("instances:\n  - ids: [i-a]\n    public_ip: not-an-ip\n");
    assert!(address.contains("instances[0]") && address.contains("public_ip"), "{address}");
    let member = seed_error("bandwidth_packages:\n  - {eips: [eip-nope]}\n");
    assert!(member.contains("bandwidth_packages[0]") && member.contains("eip-nope"), "{member}");
    let hours = seed_error("auto_snapshot_policies:\n  - {time_points: [24]}\n");
    assert!(hours.contains("auto_snapshot_policies[0]") && hours.contains("time_points"), "{hours}");
    let instance = seed_error("eips:\n  - {instance: i-nope}\n");
    assert!(instance.contains("eips[0]") && instance.contains("i-nope"), "{instance}");
}

#[test]
fn account_attributes_count_the_pay_as_you_go_vcpus_and_data_disks() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let body = api(&emulator, ECS_VERSION, "DescribeAccountAttributes", &[]).unwrap();
    let items = body["AccountAttributeItems"]["AccountAttributeItem"].as_array().unwrap();
    let value = |name: &str, at: usize| {
        let item = items.iter().find(|item| item["AttributeName"] == name).unwrap_or_else(|| panic!("{name}"));
        item["AttributeValues"]["ValueItem"][at]["Value"].as_str().unwrap().to_owned()
    };
    // Four instances of the default type (2 vCPUs), two 40 GiB data disks (cloud_essd).
    assert_eq!(value("used-postpaid-instance-vcpu-count", 0), "8");
    assert_eq!(value("used-postpaid-yundisk-capacity", 2), "80");
    assert_eq!(value("used-postpaid-yundisk-capacity", 0), "0");
    assert_eq!(value("real-name-authentication", 0), "yes");
    let some = api(&emulator, ECS_VERSION, "DescribeAccountAttributes", &[("AttributeName.1", "max-security-groups")]).unwrap();
    assert_eq!(some["AccountAttributeItems"]["AccountAttributeItem"].as_array().unwrap().len(), 1);
}

#[test]
fn spot_prices_are_numbers_below_the_pay_as_you_go_price() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let body = api(&emulator, ECS_VERSION, "DescribeSpotPriceHistory", &[("InstanceType", "ecs.g7.large"), ("NetworkType", "vpc")]).unwrap();
    let last = &body["SpotPrices"]["SpotPriceType"][2];
    let (spot, origin) = (last["SpotPrice"].as_f64().unwrap(), last["OriginPrice"].as_f64().unwrap());
    assert!(spot > 0.0 && spot < origin, "{last}");
    let missing = api(&emulator, ECS_VERSION, "DescribeSpotPriceHistory", &[("InstanceType", "ecs.g7.large")]).unwrap_err();
    assert_eq!(missing, "MissingParameter.NetworkType");
}

#[test]
fn ess_reads_the_numbered_id_form() {
    let seed = "instances:\n  - ids: [i-a]\nscaling_groups:\n  - {id: asg-a, name: a, configuration: {id: asc-a}}\n  - {id: asg-b, name: b}\n";
    let (emulator, _) = seeded_with_clock(seed, Duration::ZERO);
    let groups = api(&emulator, ESS_VERSION, "DescribeScalingGroups", &[("ScalingGroupId1", "asg-a")]).unwrap();
    let listed = groups["ScalingGroups"]["ScalingGroup"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["VSwitchIds"]["VSwitchId"].as_array().map(Vec::len), Some(1));
    let none = api(&emulator, ESS_VERSION, "DescribeScalingGroups", &[("ScalingGroupId1", "asg-nope")]).unwrap();
    assert_eq!(none["ScalingGroups"]["ScalingGroup"], serde_json::json!([]));
    let configurations = api(&emulator, ESS_VERSION, "DescribeScalingConfigurations", &[("ScalingConfigurationId1", "asc-a")]).unwrap();
    assert_eq!(configurations["ScalingConfigurations"]["ScalingConfiguration"].as_array().map(Vec::len), Some(1));
}
