//! Action semantics and error codes, called in-process: filters, paging, tags, security
//! groups, EIPs, load balancer backends, validation errors.

mod support;

use std::time::Duration;

use oos_acs::RpcRequest;
use oos_emulator::{Emulator, FleetSeed, SLB_VERSION, VPC_VERSION};
use serde_json::Value;
use support::{ecs, emulator_with_clock, first_instance};

fn fleet(yaml: &str) -> Emulator {
    Emulator::builder()
        .seed(FleetSeed::from_yaml(yaml).unwrap())
        .build()
        .unwrap()
}

fn ids(body: &Value) -> Vec<String> {
    body["Instances"]["Instance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["InstanceId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn errors_carry_the_real_codes_and_statuses() {
    let (emulator, _) = emulator_with_clock(Duration::ZERO);
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, u16);
    let cases: [Case; 7] = [
        ("StopInstance", &[], "MissingParameter.InstanceId", 400),
        (
            "StopInstance",
            &[("InstanceId", "i-missing")],
            "InvalidInstanceId.NotFound",
            404,
        ),
        (
            "CreateSnapshot",
            &[("DiskId", "d-missing")],
            "InvalidDiskId.NotFound",
            404,
        ),
        (
            "DescribeInstances",
            &[("PageSize", "500")],
            "InvalidParameter.PageSize",
            400,
        ),
        (
            "DescribeInstances",
            &[("InstanceIds", "['i-1']")],
            "InvalidParameter.InstanceIds",
            400,
        ),
        (
            "DescribeInstances",
            &[("RegionId", "mars-north-1")],
            "InvalidRegionId.NotFound",
            404,
        ),
        ("NoSuchAction", &[], "InvalidAction.NotFound", 404),
    ];
    for (action, params, code, status) in cases {
        let error = ecs(&emulator, action, params).unwrap_err();
        assert_eq!(
            (error.code.as_ref(), error.status),
            (code, status),
            "{action} {params:?}"
        );
    }
    let wrong_version = emulator
        .call(&RpcRequest::new(
            "DescribeInstances",
            "2099-01-01",
            Vec::new(),
        ))
        .unwrap_err();
    assert_eq!(wrong_version.code, "InvalidVersion");
}

#[test]
fn dry_run_validates_without_acting() {
    let (emulator, _) = emulator_with_clock(Duration::ZERO);
    let id = first_instance(&emulator);
    let error = ecs(
        &emulator,
        "StopInstance",
        &[("InstanceId", &id), ("DryRun", "True")],
    )
    .unwrap_err();
    assert_eq!(error.code, "DryRunOperation");
    assert_eq!(emulator.instance(&id).unwrap().status, "Running");
}

#[test]
fn describe_filters_by_ids_tags_status_and_region() {
    let emulator = fleet(
        "instances:\n  - count: 6\n    region: [cn-hangzhou, cn-shanghai]\n    status: [Running, Running, Stopped]\n    tags: {env: [prod, dev]}\n",
    );
    let all = ecs(&emulator, "DescribeInstances", &[]).unwrap();
    assert_eq!(all["TotalCount"], 3, "default region only");
    let shanghai = ecs(
        &emulator,
        "DescribeInstances",
        &[("RegionId", "cn-shanghai")],
    )
    .unwrap();
    let first_shanghai = ids(&shanghai)[0].clone();
    let by_id = ecs(
        &emulator,
        "DescribeInstances",
        &[
            ("RegionId", "cn-shanghai"),
            (
                "InstanceIds",
                &format!("[\"{first_shanghai}\", \"i-unknown\"]"),
            ),
        ],
    )
    .unwrap();
    assert_eq!(ids(&by_id), [first_shanghai.clone()]);
    let padded = ecs(
        &emulator,
        "DescribeInstances",
        &[
            ("RegionId", "cn-shanghai"),
            ("InstanceIds", &format!("[\"{first_shanghai} \"]")),
        ],
    )
    .unwrap();
    assert_eq!(ids(&padded), [first_shanghai], "blanks around an id are ignored");
    let stopped = ecs(&emulator, "DescribeInstances", &[("Status", "Stopped")]).unwrap();
    assert_eq!(stopped["TotalCount"], 1);
    let prod = ecs(
        &emulator,
        "DescribeInstances",
        &[("Tag.1.Key", "env"), ("Tag.1.Value", "prod")],
    )
    .unwrap();
    assert!(
        prod["Instances"]["Instance"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["Tags"]["Tag"][0]["TagValue"] == "prod")
    );
    assert_eq!(prod["TotalCount"], 3);
}

#[test]
fn pages_by_number_and_by_token_cover_every_instance_once() {
    let emulator = fleet("instances:\n  - count: 25\n");
    let mut by_number = Vec::new();
    for page in 1..=3 {
        let body = ecs(
            &emulator,
            "DescribeInstances",
            &[("PageSize", "10"), ("PageNumber", &page.to_string())],
        )
        .unwrap();
        assert_eq!(
            (body["TotalCount"].as_i64(), body["PageNumber"].as_i64()),
            (Some(25), Some(page))
        );
        by_number.extend(ids(&body));
    }
    let mut by_token = Vec::new();
    let mut token = String::new();
    loop {
        let mut params = vec![("MaxResults", "7")];
        if !token.is_empty() {
            params.push(("NextToken", token.as_str()));
        }
        let body = ecs(&emulator, "DescribeInstances", &params).unwrap();
        by_token.extend(ids(&body));
        token = body["NextToken"].as_str().unwrap().to_string();
        if token.is_empty() {
            break;
        }
    }
    let expected: Vec<String> = emulator
        .instances()
        .into_iter()
        .map(|instance| instance.instance_id)
        .collect();
    assert_eq!(by_number, expected);
    assert_eq!(by_token, expected);
}

#[test]
fn tags_can_be_added_listed_and_removed_in_every_wire_form() {
    let (emulator, _) = emulator_with_clock(Duration::ZERO);
    let id = first_instance(&emulator);
    ecs(
        &emulator,
        "TagResources",
        &[
            ("ResourceType", "instance"),
            ("ResourceId.1", &id),
            ("Tag.1.Key", "team"),
            ("Tag.1.Value", "a"),
        ],
    )
    .unwrap();
    ecs(
        &emulator,
        "TagResources",
        &[
            ("ResourceType", "Instance"),
            ("ResourceIds", &format!("[\"{id}\"]")),
            ("Tags", "{\"owner\":\"ops\"}"),
        ],
    )
    .unwrap();
    let listed = ecs(
        &emulator,
        "ListTagResources",
        &[("ResourceType", "instance"), ("ResourceId.1", &id)],
    )
    .unwrap();
    let keys: Vec<&str> = listed["TagResources"]["TagResource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["TagKey"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["env", "team", "owner"]);
    ecs(
        &emulator,
        "UntagResources",
        &[
            ("ResourceType", "instance"),
            ("ResourceId.1", &id),
            ("TagKey.1", "team"),
        ],
    )
    .unwrap();
    assert!(!emulator.instance(&id).unwrap().tags.contains_key("team"));
    let unknown = ecs(
        &emulator,
        "TagResources",
        &[
            ("ResourceType", "instance"),
            ("ResourceId.1", "i-missing"),
            ("Tag.1.Key", "k"),
        ],
    )
    .unwrap_err();
    assert_eq!(unknown.status, 404);
    let bad_type = ecs(
        &emulator,
        "TagResources",
        &[
            ("ResourceType", "bucket"),
            ("ResourceId.1", &id),
            ("Tag.1.Key", "k"),
        ],
    )
    .unwrap_err();
    assert_eq!(bad_type.code, "InvalidResourceType.NotFound");
}

#[test]
fn security_group_rules_round_trip_both_directions() {
    let (emulator, _) = emulator_with_clock(Duration::ZERO);
    let group = emulator.instances()[0].security_group_ids[0].clone();
    let rule = [
        ("SecurityGroupId", group.as_str()),
        ("IpProtocol", "TCP"),
        ("PortRange", "22/22"),
        ("SourceCidrIp", "10.0.0.0/8"),
    ];
    ecs(&emulator, "AuthorizeSecurityGroup", &rule).unwrap();
    ecs(&emulator, "AuthorizeSecurityGroup", &rule).unwrap();
    ecs(
        &emulator,
        "AuthorizeSecurityGroupEgress",
        &[
            ("SecurityGroupId", &group),
            ("Permissions.1.IpProtocol", "all"),
            ("Permissions.1.PortRange", "-1/-1"),
            ("Permissions.1.DestCidrIp", "0.0.0.0/0"),
        ],
    )
    .unwrap();
    let described = |direction| {
        ecs(
            &emulator,
            "DescribeSecurityGroupAttribute",
            &[("SecurityGroupId", &group), ("Direction", direction)],
        )
        .unwrap()["Permissions"]["Permission"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(
        (described("ingress"), described("egress"), described("all")),
        (1, 1, 2)
    );
    ecs(
        &emulator,
        "RevokeSecurityGroup",
        &[
            ("SecurityGroupId", &group),
            ("IpProtocol", "tcp"),
            ("PortRange", "22/22"),
            ("SourceCidrIp", "10.0.0.0/8"),
        ],
    )
    .unwrap();
    assert_eq!(described("ingress"), 0);
    let bad_ports = ecs(
        &emulator,
        "AuthorizeSecurityGroup",
        &[
            ("SecurityGroupId", &group),
            ("IpProtocol", "tcp"),
            ("PortRange", "80"),
            ("SourceCidrIp", "0.0.0.0/0"),
        ],
    )
    .unwrap_err();
    assert_eq!(bad_ports.code, "InvalidParameter.PortRange");
    let in_use = ecs(
        &emulator,
        "DeleteSecurityGroup",
        &[("SecurityGroupId", &group)],
    )
    .unwrap_err();
    assert_eq!(in_use.code, "DependencyViolation");
}

fn vpc(
    emulator: &Emulator,
    action: &str,
    params: &[(&str, &str)],
) -> Result<Value, oos_acs::AcsError> {
    emulator.call(&RpcRequest::new(
        action,
        VPC_VERSION,
        params
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
    ))
}

#[test]
fn eips_associate_with_instances() {
    let (emulator, _) = emulator_with_clock(Duration::ZERO);
    let id = first_instance(&emulator);
    let allocated = vpc(&emulator, "AllocateEipAddress", &[("Bandwidth", "10")]).unwrap();
    let allocation = allocated["AllocationId"].as_str().unwrap().to_string();
    let release_early = vpc(
        &emulator,
        "AssociateEipAddress",
        &[("AllocationId", &allocation), ("InstanceId", &id)],
    );
    assert!(release_early.is_ok());
    let busy = vpc(
        &emulator,
        "ReleaseEipAddress",
        &[("AllocationId", &allocation)],
    )
    .unwrap_err();
    assert_eq!(busy.code, "IncorrectEipStatus");
    let described = ecs(
        &emulator,
        "DescribeInstances",
        &[("InstanceIds", &format!("[\"{id}\"]"))],
    )
    .unwrap();
    assert_eq!(
        described["Instances"]["Instance"][0]["EipAddress"]["IpAddress"],
        allocated["EipAddress"]
    );
    let eips = vpc(
        &emulator,
        "DescribeEipAddresses",
        &[("AllocationId", &allocation)],
    )
    .unwrap();
    assert_eq!(eips["EipAddresses"]["EipAddress"][0]["Status"], "InUse");
    vpc(
        &emulator,
        "UnassociateEipAddress",
        &[("AllocationId", &allocation)],
    )
    .unwrap();
    vpc(
        &emulator,
        "ReleaseEipAddress",
        &[("AllocationId", &allocation)],
    )
    .unwrap();
    assert_eq!(
        vpc(&emulator, "DescribeEipAddresses", &[]).unwrap()["TotalCount"],
        0
    );
}

#[test]
fn load_balancer_backends_follow_instances() {
    let emulator = fleet(
        "instances:\n  - count: 3\nload_balancers:\n  - name: web\n    id: lb-web\n    backends: 2\n",
    );
    let slb = |action: &str, params: &[(&str, &str)]| {
        emulator.call(&RpcRequest::new(
            action,
            SLB_VERSION,
            params
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect(),
        ))
    };
    let backends = |body: &Value| {
        body["BackendServers"]["BackendServer"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(
        backends(
            &slb(
                "DescribeLoadBalancerAttribute",
                &[("LoadBalancerId", "lb-web")]
            )
            .unwrap()
        ),
        2
    );
    let third = emulator.instances()[2].instance_id.clone();
    let added = slb(
        "AddBackendServers",
        &[
            ("LoadBalancerId", "lb-web"),
            (
                "BackendServers",
                &format!("[{{\"ServerId\":\"{third}\",\"Weight\":\"50\"}}]"),
            ),
        ],
    )
    .unwrap();
    assert_eq!(backends(&added), 3);
    let removed = slb(
        "RemoveBackendServers",
        &[
            ("LoadBalancerId", "lb-web"),
            ("BackendServers", &format!("[{{\"ServerId\":\"{third}\"}}]")),
        ],
    )
    .unwrap();
    assert_eq!(backends(&removed), 2);
    let missing = slb(
        "DescribeLoadBalancerAttribute",
        &[("LoadBalancerId", "lb-none")],
    )
    .unwrap_err();
    assert_eq!(missing.code, "InvalidLoadBalancerId.NotFound");
}

#[test]
fn images_filter_by_creation_time_window() {
    let emulator = fleet(
        "images:\n  - count: 2\n    name: old-{index}\n    creation_time: \"2020-01-01T00:00:00Z\"\n  - name: new\n    creation_time: \"2025-06-01T00:00:00Z\"\n",
    );
    let names = |params: &[(&str, &str)]| -> Vec<String> {
        let body = ecs(&emulator, "DescribeImages", params).unwrap();
        body["Images"]["Image"]
            .as_array()
            .unwrap()
            .iter()
            .map(|image| image["ImageName"].as_str().unwrap().to_string())
            .collect()
    };
    let expired = names(&[
        ("ImageOwnerAlias", "self"),
        ("Filter.1.Key", "CreationEndTime"),
        ("Filter.1.Value", "2024-01-01T00:00Z"),
    ]);
    assert_eq!(expired, ["old-1", "old-2"]);
    let recent = names(&[
        ("ImageOwnerAlias", "self"),
        ("Filter.1.Key", "CreationStartTime"),
        ("Filter.1.Value", "2024-01-01T00:00Z"),
    ]);
    assert_eq!(recent, ["new"]);
    let public = names(&[("ImageOwnerAlias", "system")]);
    assert_eq!(public.len(), 5, "the current public images and the older ids templates name");
    let bad = ecs(
        &emulator,
        "DescribeImages",
        &[
            ("Filter.1.Key", "CreationEndTime"),
            ("Filter.1.Value", "soon"),
        ],
    )
    .unwrap_err();
    assert_eq!(bad.code, "InvalidParameter.Filter.CreationEndTime");
}

#[test]
fn instances_sit_in_the_region_vpc_and_their_zone_vswitch() {
    let (emulator, _) = emulator_with_clock(Duration::ZERO);
    let instance = emulator.instances()[0].clone();
    let vpcs = vpc(&emulator, "DescribeVpcs", &[]).unwrap();
    assert_eq!(vpcs["Vpcs"]["Vpc"][0]["VpcId"], instance.vpc_id.as_str());
    let switches = vpc(
        &emulator,
        "DescribeVSwitches",
        &[("ZoneId", &instance.zone_id)],
    )
    .unwrap();
    assert_eq!(switches["TotalCount"], 1);
    assert_eq!(
        switches["VSwitches"]["VSwitch"][0]["VSwitchId"],
        instance.vswitch_id.as_str()
    );
    let elsewhere = vpc(&emulator, "DescribeVSwitches", &[("VpcId", "vpc-other")]).unwrap();
    assert_eq!(elsewhere["TotalCount"], 0);
}

#[test]
fn a_repeated_client_token_returns_the_first_answer_and_acts_once() {
    let (emulator, _) = emulator_with_clock(Duration::ZERO);
    let disk = emulator
        .with_cloud(|cloud| cloud.disks.keys().next().cloned())
        .expect("a seeded disk");
    let snapshots = || emulator.with_cloud(|cloud| cloud.snapshots.len());
    let call = |token: &str, name: &str| {
        ecs(
            &emulator,
            "CreateSnapshot",
            &[
                ("DiskId", disk.as_str()),
                ("SnapshotName", name),
                ("ClientToken", token),
            ],
        )
    };
    let first = call("tok-1", "nightly").unwrap();
    let replay = call("tok-1", "nightly").unwrap();
    assert_eq!(first["SnapshotId"], replay["SnapshotId"]);
    assert_eq!(
        snapshots(),
        1,
        "the replay must not create a second snapshot"
    );

    let mismatch = call("tok-1", "other-name").unwrap_err();
    assert_eq!(mismatch.code, "IdempotentParameterMismatch");
    assert_eq!(snapshots(), 1);

    call("tok-2", "nightly").unwrap();
    assert_eq!(snapshots(), 2, "a new token acts again");
}

#[test]
fn the_journal_records_each_mutating_call_that_acted_with_its_token() {
    let (emulator, clock) = emulator_with_clock(Duration::ZERO);
    let emulator_journal = clock.install(Emulator::builder().journal(true)).build().unwrap();
    assert!(emulator.mutations().is_empty(), "off unless asked for");
    let disk = emulator_journal.with_cloud(|cloud| cloud.disks.keys().next().cloned()).expect("a seeded disk");
    let snapshot = |token: &str| ecs(&emulator_journal, "CreateSnapshot", &[("DiskId", disk.as_str()), ("ClientToken", token)]);
    snapshot("tok-1").unwrap();
    snapshot("tok-1").unwrap();
    snapshot("tok-2").unwrap();
    ecs(&emulator_journal, "DescribeSnapshots", &[]).unwrap();
    ecs(&emulator_journal, "DeleteSnapshot", &[("SnapshotId", "s-missing")]).unwrap_err();
    let journal = emulator_journal.mutations();
    let tokens: Vec<Option<&str>> = journal.iter().map(|m| m.client_token.as_deref()).collect();
    assert_eq!(tokens, [Some("tok-1"), Some("tok-2")], "the replay, the read and the failed call did not act");
    assert!(journal.iter().all(|m| m.action == "CreateSnapshot" && m.parameters.contains(&format!("DiskId={disk}")) && !m.parameters.contains("tok-")));
    assert_eq!(journal[0].parameters, journal[1].parameters, "the same call under two tokens is visible");
}
