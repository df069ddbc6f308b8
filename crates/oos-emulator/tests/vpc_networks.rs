//! VPCs, vSwitches, NAT gateways, common bandwidth packages and instance public IPs, called
//! in-process: happy paths, dependency checks and Alibaba error codes.

mod support;

use std::time::Duration;

use oos_emulator::{ECS_VERSION, Emulator, VPC_VERSION};
use serde_json::Value;
use support::{call, seeded_with_clock};

const SEED: &str = "instances:\n  - ids: [i-web]\n";

fn vpc(emulator: &Emulator, action: &str, params: &[(&str, &str)]) -> Result<Value, String> {
    call(emulator, VPC_VERSION, action, params).map_err(|error| error.code.to_string())
}

fn text(body: &Value, key: &str) -> String {
    body[key].as_str().unwrap().to_string()
}

#[test]
fn vpcs_and_vswitches_are_created_listed_and_deleted() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let made = vpc(
        &emulator,
        "CreateVpc",
        &[("CidrBlock", "10.0.0.0/16"), ("VpcName", "app")],
    )
    .unwrap();
    let vpc_id = text(&made, "VpcId");
    let vswitch = |cidr: &str| {
        vpc(
            &emulator,
            "CreateVSwitch",
            &[
                ("VpcId", &vpc_id),
                ("ZoneId", "cn-hangzhou-h"),
                ("CidrBlock", cidr),
            ],
        )
    };
    let vswitch_id = text(&vswitch("10.0.1.0/24").unwrap(), "VSwitchId");
    assert_eq!(
        vswitch("10.0.1.128/25").unwrap_err(),
        "InvalidCidrBlock.Overlapped"
    );
    assert_eq!(
        vswitch("192.168.0.0/24").unwrap_err(),
        "InvalidCidrBlock.Malformed"
    );
    let listed = vpc(&emulator, "DescribeVpcs", &[("VpcId", &vpc_id)]).unwrap();
    assert_eq!(
        listed["Vpcs"]["Vpc"][0]["VSwitchIds"]["VSwitchId"][0],
        vswitch_id.as_str()
    );
    assert_eq!(listed["Vpcs"]["Vpc"][0]["IsDefault"], false);
    let switches = call(
        &emulator,
        ECS_VERSION,
        "DescribeVSwitches",
        &[("VpcId", &vpc_id)],
    )
    .unwrap();
    assert_eq!(
        switches["VSwitches"]["VSwitch"][0]["CidrBlock"], "10.0.1.0/24",
        "served under ECS's version too"
    );
    assert_eq!(
        vpc(&emulator, "DeleteVpc", &[("VpcId", &vpc_id)]).unwrap_err(),
        "DependencyViolation"
    );
    let default_vswitch = emulator.instances()[0].vswitch_id.clone();
    assert_eq!(
        vpc(
            &emulator,
            "DeleteVSwitch",
            &[("VSwitchId", &default_vswitch)]
        )
        .unwrap_err(),
        "DependencyViolation"
    );
    vpc(&emulator, "DeleteVSwitch", &[("VSwitchId", &vswitch_id)]).unwrap();
    vpc(&emulator, "DeleteVpc", &[("VpcId", &vpc_id)]).unwrap();
    assert_eq!(
        vpc(&emulator, "DeleteVpc", &[("VpcId", &vpc_id)]).unwrap_err(),
        "InvalidVpcID.NotFound"
    );
    assert_eq!(
        vpc(&emulator, "DeleteVSwitch", &[("VSwitchId", "vsw-none")]).unwrap_err(),
        "InvalidVswitchID.NotFound"
    );
}

#[test]
fn nat_gateways_live_in_a_vswitch() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let instance = emulator.instances()[0].clone();
    let made = vpc(
        &emulator,
        "CreateNatGateway",
        &[
            ("VpcId", &instance.vpc_id),
            ("VSwitchId", &instance.vswitch_id),
            ("Name", "egress"),
        ],
    )
    .unwrap();
    let id = text(&made, "NatGatewayId");
    assert!(
        made["SnatTableIds"]["SnatTableId"][0]
            .as_str()
            .unwrap()
            .starts_with("stb-")
    );
    let listed = vpc(
        &emulator,
        "DescribeNatGateways",
        &[("VpcId", &instance.vpc_id)],
    )
    .unwrap();
    let gateway = &listed["NatGateways"]["NatGateway"][0];
    assert_eq!(
        (gateway["Name"].as_str(), gateway["Status"].as_str()),
        (Some("egress"), Some("Available"))
    );
    assert_eq!(
        gateway["NatGatewayPrivateInfo"]["VswitchId"],
        instance.vswitch_id.as_str()
    );
    assert_eq!(
        vpc(
            &emulator,
            "DeleteVSwitch",
            &[("VSwitchId", &instance.vswitch_id)]
        )
        .unwrap_err(),
        "DependencyViolation"
    );
    assert_eq!(
        vpc(
            &emulator,
            "CreateNatGateway",
            &[("VpcId", "vpc-other"), ("VSwitchId", &instance.vswitch_id)]
        )
        .unwrap_err(),
        "InvalidVpcID.NotFound"
    );
    vpc(&emulator, "DeleteNatGateway", &[("NatGatewayId", &id)]).unwrap();
    assert_eq!(
        vpc(&emulator, "DeleteNatGateway", &[("NatGatewayId", &id)]).unwrap_err(),
        "InvalidNatGatewayId.NotFound"
    );
}

#[test]
fn a_public_ip_becomes_an_eip_in_a_bandwidth_package() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let ecs = |action: &str, params: &[(&str, &str)]| {
        call(&emulator, ECS_VERSION, action, params).map_err(|error| error.code.to_string())
    };
    assert_eq!(
        ecs("ConvertNatPublicIpToEip", &[("InstanceId", "i-web")]).unwrap_err(),
        "InvalidInstance.NotHasPublicIp"
    );
    let address = text(
        &ecs("AllocatePublicIpAddress", &[("InstanceId", "i-web")]).unwrap(),
        "IpAddress",
    );
    assert_eq!(
        ecs("AllocatePublicIpAddress", &[("InstanceId", "i-web")]).unwrap_err(),
        "InvalidOperation.PublicIpExists"
    );
    ecs("ConvertNatPublicIpToEip", &[("InstanceId", "i-web")]).unwrap();
    let eips = vpc(
        &emulator,
        "DescribeEipAddresses",
        &[("EipAddress", &address)],
    )
    .unwrap();
    let eip = &eips["EipAddresses"]["EipAddress"][0];
    assert_eq!(
        (eip["Status"].as_str(), eip["InstanceId"].as_str()),
        (Some("InUse"), Some("i-web"))
    );
    let allocation = text(eip, "AllocationId");
    let package = text(
        &vpc(
            &emulator,
            "CreateCommonBandwidthPackage",
            &[("Bandwidth", "100"), ("Name", "shared")],
        )
        .unwrap(),
        "BandwidthPackageId",
    );
    let join = [
        ("BandwidthPackageId", package.as_str()),
        ("IpInstanceId", allocation.as_str()),
    ];
    vpc(&emulator, "AddCommonBandwidthPackageIp", &join).unwrap();
    assert_eq!(
        vpc(&emulator, "AddCommonBandwidthPackageIp", &join).unwrap_err(),
        "OperationFailed.IpInstanceInBandwidthPackage"
    );
    let eips = vpc(
        &emulator,
        "DescribeEipAddresses",
        &[("AllocationId", &allocation)],
    )
    .unwrap();
    assert_eq!(
        eips["EipAddresses"]["EipAddress"][0]["BandwidthPackageId"],
        package.as_str()
    );
    let packages = vpc(
        &emulator,
        "DescribeCommonBandwidthPackages",
        &[("BandwidthPackageId", &package)],
    )
    .unwrap();
    let listed = &packages["CommonBandwidthPackages"]["CommonBandwidthPackage"][0];
    assert_eq!(
        (
            listed["Bandwidth"].as_str(),
            listed["PublicIpAddresses"]["PublicIpAddresse"][0]["IpAddress"].as_str()
        ),
        (Some("100"), Some(address.as_str()))
    );
    assert_eq!(
        vpc(
            &emulator,
            "DeleteCommonBandwidthPackage",
            &[("BandwidthPackageId", &package)]
        )
        .unwrap_err(),
        "DependencyViolation.BandwidthPackageIps"
    );
    vpc(&emulator, "RemoveCommonBandwidthPackageIp", &join).unwrap();
    assert_eq!(
        vpc(&emulator, "RemoveCommonBandwidthPackageIp", &join).unwrap_err(),
        "OperationFailed.IpInstanceNotInBandwidthPackage"
    );
    vpc(
        &emulator,
        "DeleteCommonBandwidthPackage",
        &[("BandwidthPackageId", &package)],
    )
    .unwrap();
    assert_eq!(
        vpc(&emulator, "AddCommonBandwidthPackageIp", &join).unwrap_err(),
        "InvalidBandwidthPackageId.NotFound"
    );
    // With the EIP unbound, the instance can get (and release) a fixed public IP again.
    vpc(
        &emulator,
        "UnassociateEipAddress",
        &[("AllocationId", &allocation)],
    )
    .unwrap();
    let other = text(
        &ecs("AllocatePublicIpAddress", &[("InstanceId", "i-web")]).unwrap(),
        "IpAddress",
    );
    assert_eq!(
        ecs("ReleasePublicIpAddress", &[("PublicIpAddress", "1.2.3.4")]).unwrap_err(),
        "InvalidPublicIpAddress.NotFound"
    );
    ecs(
        "ReleasePublicIpAddress",
        &[("InstanceId", "i-web"), ("PublicIpAddress", &other)],
    )
    .unwrap();
    assert!(emulator.instance("i-web").unwrap().public_ips.is_empty());
}
