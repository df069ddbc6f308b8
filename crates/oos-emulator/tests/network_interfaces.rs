//! Elastic network interfaces and security-group membership: the primary interface of every
//! instance, create/attach/detach/delete with their states and errors, private IPs, EIPs bound
//! to interfaces, and Join/LeaveSecurityGroup reflected in DescribeInstances.

mod support;

use std::time::Duration;

use oos_emulator::{Emulator, FleetSeed};
use serde_json::Value;
use support::ecs;

fn fleet() -> Emulator {
    let seed = "security_groups:\n  - {id: sg-web, name: web}\n  - {id: sg-db, name: db}\n  - {id: sg-sh, name: sh, region: cn-shanghai}\n\
instances:\n  - ids: [i-a, i-b]\n    security_group: web\n    instance_type: ecs.g7.xlarge\n  - ids: [i-small]\n    instance_type: ecs.g7.large\n";
    Emulator::builder()
        .transition_delay(Duration::from_secs(60))
        .seed(FleetSeed::from_yaml(seed).unwrap())
        .build()
        .unwrap()
}

fn vswitch(emulator: &Emulator) -> String {
    let body = ecs(
        emulator,
        "DescribeInstances",
        &[("InstanceIds", r#"["i-a"]"#)],
    )
    .unwrap();
    body["Instances"]["Instance"][0]["VpcAttributes"]["VSwitchId"]
        .as_str()
        .unwrap()
        .to_string()
}

fn interfaces(emulator: &Emulator, params: &[(&str, &str)]) -> Vec<Value> {
    ecs(emulator, "DescribeNetworkInterfaces", params).unwrap()["NetworkInterfaceSets"]["NetworkInterfaceSet"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn every_instance_has_a_primary_interface() {
    let emulator = fleet();
    let primary = interfaces(&emulator, &[("InstanceId", "i-a")]);
    assert_eq!(primary.len(), 1);
    let eni = &primary[0];
    assert_eq!(
        (eni["Type"].as_str(), eni["Status"].as_str()),
        (Some("Primary"), Some("InUse"))
    );
    assert_eq!(eni["SecurityGroupIds"]["SecurityGroupId"][0], "sg-web");
    assert_eq!(eni["Attachment"]["DeviceIndex"], 0);
    assert_eq!(eni["PrivateIpSets"]["PrivateIpSet"][0]["Primary"], true);
    let described = ecs(
        &emulator,
        "DescribeInstances",
        &[("InstanceIds", r#"["i-a"]"#)],
    )
    .unwrap();
    let listed = &described["Instances"]["Instance"][0]["NetworkInterfaces"]["NetworkInterface"][0];
    assert_eq!(listed["NetworkInterfaceId"], eni["NetworkInterfaceId"]);
    assert_eq!(listed["MacAddress"], eni["MacAddress"]);
    let deleted = ecs(
        &emulator,
        "DeleteNetworkInterface",
        &[(
            "NetworkInterfaceId",
            eni["NetworkInterfaceId"].as_str().unwrap(),
        )],
    )
    .unwrap_err();
    assert_eq!(
        deleted.code, "InvalidOperation.InvalidEniState",
        "a primary interface goes with its instance"
    );
}

#[test]
fn a_secondary_interface_walks_available_in_use_available() {
    let emulator = fleet();
    let vsw = vswitch(&emulator);
    let created = ecs(
        &emulator,
        "CreateNetworkInterface",
        &[
            ("VSwitchId", &vsw),
            ("SecurityGroupId", "sg-db"),
            ("NetworkInterfaceName", "data"),
            ("SecondaryPrivateIpAddressCount", "2"),
        ],
    )
    .unwrap();
    let id = created["NetworkInterfaceId"].as_str().unwrap().to_string();
    assert!(id.starts_with("eni-"));
    assert_eq!(
        (created["Status"].as_str(), created["Type"].as_str()),
        (Some("Available"), Some("Secondary"))
    );
    assert_eq!(
        created["PrivateIpSets"]["PrivateIpSet"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(created["ServiceManaged"], false);

    ecs(
        &emulator,
        "AttachNetworkInterface",
        &[("NetworkInterfaceId", &id), ("InstanceId", "i-a")],
    )
    .unwrap();
    let attached = interfaces(&emulator, &[("NetworkInterfaceId.1", &id)]);
    assert_eq!(
        (
            attached[0]["Status"].as_str(),
            attached[0]["InstanceId"].as_str()
        ),
        (Some("InUse"), Some("i-a"))
    );
    assert_eq!(
        interfaces(&emulator, &[("InstanceId", "i-a"), ("Type", "Secondary")]).len(),
        1
    );
    let on_instance = ecs(
        &emulator,
        "DescribeInstances",
        &[("InstanceIds", r#"["i-a"]"#)],
    )
    .unwrap();
    assert_eq!(
        on_instance["Instances"]["Instance"][0]["NetworkInterfaces"]["NetworkInterface"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let twice = ecs(
        &emulator,
        "AttachNetworkInterface",
        &[("NetworkInterfaceId", &id), ("InstanceId", "i-b")],
    )
    .unwrap_err();
    assert_eq!(twice.code, "InvalidOperation.InvalidEniState");
    let busy = ecs(
        &emulator,
        "DeleteNetworkInterface",
        &[("NetworkInterfaceId", &id)],
    )
    .unwrap_err();
    assert_eq!(busy.code, "InvalidOperation.InvalidEniState");

    ecs(
        &emulator,
        "DetachNetworkInterface",
        &[("NetworkInterfaceId", &id), ("InstanceId", "i-a")],
    )
    .unwrap();
    assert_eq!(
        interfaces(&emulator, &[("NetworkInterfaceId.1", &id)])[0]["Status"],
        "Available"
    );
    ecs(
        &emulator,
        "DeleteNetworkInterface",
        &[("NetworkInterfaceId", &id)],
    )
    .unwrap();
    let gone = ecs(
        &emulator,
        "DeleteNetworkInterface",
        &[("NetworkInterfaceId", &id)],
    )
    .unwrap_err();
    assert_eq!(
        (gone.code.as_ref(), gone.status),
        ("InvalidEniId.NotFound", 404)
    );
}

#[test]
fn creation_and_attachment_are_checked() {
    let emulator = fleet();
    let vsw = vswitch(&emulator);
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("VSwitchId", "vsw-nowhere"), ("SecurityGroupId", "sg-web")],
            "InvalidVSwitchId.NotFound",
        ),
        (
            &[("VSwitchId", &vsw), ("SecurityGroupId", "sg-none")],
            "InvalidSecurityGroupId.NotFound",
        ),
        (
            &[("VSwitchId", &vsw), ("SecurityGroupId", "sg-sh")],
            "InvalidInstanceId.Mismatch",
        ),
    ];
    for (params, code) in cases {
        assert_eq!(
            ecs(&emulator, "CreateNetworkInterface", params)
                .unwrap_err()
                .code,
            code,
            "{params:?}"
        );
    }
    let eni = |name: &str| {
        let body = ecs(
            &emulator,
            "CreateNetworkInterface",
            &[
                ("VSwitchId", &vsw),
                ("SecurityGroupId", "sg-web"),
                ("NetworkInterfaceName", name),
            ],
        )
        .unwrap();
        body["NetworkInterfaceId"].as_str().unwrap().to_string()
    };
    let first = eni("one");
    ecs(
        &emulator,
        "AttachNetworkInterface",
        &[("NetworkInterfaceId", &first), ("InstanceId", "i-small")],
    )
    .unwrap();
    let second = eni("two");
    let full = ecs(
        &emulator,
        "AttachNetworkInterface",
        &[("NetworkInterfaceId", &second), ("InstanceId", "i-small")],
    )
    .unwrap_err();
    assert_eq!(
        full.code, "EniPerInstanceLimitExceeded",
        "ecs.g7.large has two interfaces"
    );
    ecs(&emulator, "StopInstance", &[("InstanceId", "i-b")]).unwrap();
    assert_eq!(
        ecs(
            &emulator,
            "AttachNetworkInterface",
            &[("NetworkInterfaceId", &second), ("InstanceId", "i-b")]
        )
        .unwrap_err()
        .code,
        "IncorrectInstanceStatus",
        "i-b is Stopping"
    );
    ecs(
        &emulator,
        "DeleteInstance",
        &[("InstanceId", "i-small"), ("Force", "true")],
    )
    .unwrap();
    assert_eq!(
        interfaces(&emulator, &[("NetworkInterfaceId.1", &first)])[0]["Status"],
        "Available",
        "released with its instance"
    );
}

#[test]
fn private_ips_can_be_added_to_any_interface() {
    let emulator = fleet();
    let primary = interfaces(&emulator, &[("InstanceId", "i-a")])[0]["NetworkInterfaceId"]
        .as_str()
        .unwrap()
        .to_string();
    let assigned = ecs(
        &emulator,
        "AssignPrivateIpAddresses",
        &[
            ("NetworkInterfaceId", &primary),
            ("SecondaryPrivateIpAddressCount", "2"),
        ],
    )
    .unwrap();
    let set = &assigned["AssignedPrivateIpAddressesSet"];
    assert_eq!(set["NetworkInterfaceId"], primary.as_str());
    let ips = set["PrivateIpSet"]["PrivateIpAddress"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(ips.len(), 2);
    let listed = interfaces(
        &emulator,
        &[("PrivateIpAddress.1", ips[1].as_str().unwrap())],
    );
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]["PrivateIpSets"]["PrivateIpSet"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let taken = ecs(
        &emulator,
        "AssignPrivateIpAddresses",
        &[
            ("NetworkInterfaceId", &primary),
            ("PrivateIpAddress.1", ips[0].as_str().unwrap()),
        ],
    )
    .unwrap_err();
    assert_eq!(taken.code, "InvalidParameter.PrivateIpAddress");
    let quota = ecs(
        &emulator,
        "AssignPrivateIpAddresses",
        &[
            ("NetworkInterfaceId", &primary),
            ("SecondaryPrivateIpAddressCount", "40"),
        ],
    )
    .unwrap_err();
    assert_eq!(quota.code, "InvalidOperation.Ipv4CountExceeded");
}

fn groups(emulator: &Emulator, id: &str) -> Vec<Value> {
    let body = ecs(
        emulator,
        "DescribeInstances",
        &[("InstanceIds", &format!("[\"{id}\"]"))],
    )
    .unwrap();
    body["Instances"]["Instance"][0]["SecurityGroupIds"]["SecurityGroupId"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn join_and_leave_change_the_instance_groups() {
    let emulator = fleet();
    ecs(
        &emulator,
        "JoinSecurityGroup",
        &[("InstanceId", "i-a"), ("SecurityGroupId", "sg-db")],
    )
    .unwrap();
    assert_eq!(groups(&emulator, "i-a"), ["sg-web", "sg-db"]);
    let members = ecs(
        &emulator,
        "DescribeInstances",
        &[("SecurityGroupId", "sg-db")],
    )
    .unwrap();
    assert_eq!(members["TotalCount"], 1);
    let again = ecs(
        &emulator,
        "JoinSecurityGroup",
        &[("InstanceId", "i-a"), ("SecurityGroupId", "sg-db")],
    )
    .unwrap_err();
    assert_eq!(
        (again.code.as_ref(), again.status),
        ("InvalidInstanceId.AlreadyExists", 403)
    );
    let other_vpc = ecs(
        &emulator,
        "JoinSecurityGroup",
        &[("InstanceId", "i-a"), ("SecurityGroupId", "sg-sh")],
    )
    .unwrap_err();
    assert_eq!(other_vpc.code, "InvalidInstanceId.Mismatch");
    let both = ecs(
        &emulator,
        "JoinSecurityGroup",
        &[
            ("InstanceId", "i-a"),
            ("NetworkInterfaceId", "eni-x"),
            ("SecurityGroupId", "sg-db"),
        ],
    )
    .unwrap_err();
    assert_eq!(both.code, "InvalidParameter.NetworkInterfaceId");

    ecs(
        &emulator,
        "LeaveSecurityGroup",
        &[("InstanceId", "i-a"), ("SecurityGroupId", "sg-web")],
    )
    .unwrap();
    assert_eq!(groups(&emulator, "i-a"), ["sg-db"]);
    let last = ecs(
        &emulator,
        "LeaveSecurityGroup",
        &[("InstanceId", "i-a"), ("SecurityGroupId", "sg-db")],
    )
    .unwrap_err();
    assert_eq!(last.code, "InstanceLastSecurityGroup");
    let primary = interfaces(&emulator, &[("InstanceId", "i-b")])[0]["NetworkInterfaceId"]
        .as_str()
        .unwrap()
        .to_string();
    ecs(
        &emulator,
        "JoinSecurityGroup",
        &[
            ("NetworkInterfaceId", &primary),
            ("SecurityGroupId", "sg-db"),
        ],
    )
    .unwrap();
    assert_eq!(
        groups(&emulator, "i-b"),
        ["sg-web", "sg-db"],
        "the primary interface stands for its instance"
    );
    let in_use = ecs(
        &emulator,
        "DeleteSecurityGroup",
        &[("SecurityGroupId", "sg-db")],
    )
    .unwrap_err();
    assert_eq!(in_use.code, "DependencyViolation");
}

#[test]
fn eips_bind_to_interfaces_and_a_primary_one_stands_for_its_instance() {
    let emulator = fleet();
    let public_ip = |id: &str| {
        let body = ecs(&emulator, "DescribeNetworkInterfaces", &[("NetworkInterfaceId.1", id)]).unwrap();
        body["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]["AssociatedPublicIp"].clone()
    };
    assert_eq!(public_ip("eni-a"), serde_json::json!({}), "empty without a public IP");
    let allocate = || {
        let made = ecs(&emulator, "AllocateEipAddress", &[]).unwrap();
        made["AllocationId"].as_str().unwrap().to_owned()
    };
    let associate = |allocation: &str, target: &str| {
        let params = [("AllocationId", allocation), ("InstanceId", target), ("InstanceType", "NetworkInterface")];
        support::call(&emulator, oos_emulator::VPC_VERSION, "AssociateEipAddress", &params)
    };
    let primary = allocate();
    associate(&primary, "eni-a").unwrap();
    assert_eq!(public_ip("eni-a")["AllocationId"], primary.as_str());
    let instance = ecs(&emulator, "DescribeInstances", &[("InstanceIds", r#"["i-a"]"#)]).unwrap();
    assert_eq!(instance["Instances"]["Instance"][0]["EipAddress"]["AllocationId"], primary.as_str());
    let fresh = allocate();
    let to_instance = [("AllocationId", fresh.as_str()), ("InstanceId", "i-a")];
    let again = support::call(&emulator, oos_emulator::VPC_VERSION, "AssociateEipAddress", &to_instance).unwrap_err();
    assert_eq!(again.code.to_string(), "InvalidAssociation.Duplicated", "the instance has the interface's EIP");

    let vsw = vswitch(&emulator);
    let created = ecs(&emulator, "CreateNetworkInterface", &[("VSwitchId", &vsw), ("SecurityGroupId", "sg-web")]).unwrap();
    let secondary = created["NetworkInterfaceId"].as_str().unwrap();
    let own = allocate();
    associate(&own, secondary).unwrap();
    assert_eq!(public_ip(secondary)["AllocationId"], own.as_str());
    let unknown = associate(&allocate(), "eni-nope").unwrap_err();
    assert_eq!(unknown.code.to_string(), "InvalidInstanceId.NotFound");
    support::call(&emulator, oos_emulator::VPC_VERSION, "UnassociateEipAddress", &[("AllocationId", &primary)]).unwrap();
    let instance = ecs(&emulator, "DescribeInstances", &[("InstanceIds", r#"["i-a"]"#)]).unwrap();
    assert_eq!(instance["Instances"]["Instance"][0]["EipAddress"]["AllocationId"], "");
}
