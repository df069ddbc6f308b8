//! Instance RAM roles: attach, detach, describe; per-instance outcomes and error codes; the
//! roles a seed declares.

mod support;

use oos_emulator::{Emulator, FleetSeed};
use support::ecs;

fn fleet(extra: &str) -> Emulator {
    let seed = format!("{extra}instances:\n  - ids: [i-a, i-b]\n");
    Emulator::builder()
        .seed(FleetSeed::from_yaml(&seed).unwrap())
        .build()
        .unwrap()
}

#[test]
fn attach_detach_and_describe_read_back() {
    let emulator = fleet("");
    let attached = ecs(
        &emulator,
        "AttachInstanceRamRole",
        &[
            ("RamRoleName", "EcsRole"),
            ("InstanceIds", r#"["i-a","i-gone"]"#),
        ],
    )
    .unwrap();
    assert_eq!(attached["RamRoleName"], "EcsRole");
    assert_eq!(
        (
            attached["TotalCount"].as_i64(),
            attached["FailCount"].as_i64()
        ),
        (Some(2), Some(1)),
        "integers in the SDK model"
    );
    let results = attached["AttachInstanceRamRoleResults"]["AttachInstanceRamRoleResult"]
        .as_array()
        .unwrap();
    assert_eq!(
        (results[0]["Code"].as_str(), results[0]["Success"].as_bool()),
        (Some("200"), Some(true))
    );
    assert_eq!(
        (results[1]["Code"].as_str(), results[1]["Success"].as_bool()),
        (Some("InvalidInstanceId.NotFound"), Some(false))
    );

    let again = ecs(
        &emulator,
        "AttachInstanceRamRole",
        &[("RamRoleName", "Other"), ("InstanceIds", r#"["i-a"]"#)],
    )
    .unwrap();
    assert_eq!(again["FailCount"], 1, "one role per instance");
    assert_eq!(
        emulator.instance("i-a").unwrap().settings.ram_role_name,
        "EcsRole"
    );

    let described = ecs(
        &emulator,
        "DescribeInstanceRamRole",
        &[("InstanceIds", r#"["i-a","i-b"]"#)],
    )
    .unwrap();
    assert_eq!(described["TotalCount"], 1);
    assert_eq!(described["RegionId"], "cn-hangzhou");
    assert_eq!(
        described["InstanceRamRoleSets"]["InstanceRamRoleSet"][0]["RamRoleName"],
        "EcsRole"
    );
    assert!(
        described.get("PageNumber").is_none(),
        "not in the SDK model"
    );

    let wrong = ecs(
        &emulator,
        "DetachInstanceRamRole",
        &[("RamRoleName", "Other"), ("InstanceIds", r#"["i-a"]"#)],
    )
    .unwrap();
    let item = &wrong["DetachInstanceRamRoleResults"]["DetachInstanceRamRoleResult"][0];
    assert_eq!(
        (item["Code"].as_str(), item["Success"].as_bool()),
        (Some("InvalidRamRole.NotEqual"), Some(false))
    );
    let detached = ecs(
        &emulator,
        "DetachInstanceRamRole",
        &[("RamRoleName", "EcsRole"), ("InstanceIds", r#"["i-a"]"#)],
    )
    .unwrap();
    let item = &detached["DetachInstanceRamRoleResults"]["DetachInstanceRamRoleResult"][0];
    assert_eq!(item["Success"], true);
    assert_eq!(
        item["InstanceRamRoleSets"]["InstanceRamRoleSet"][0]["RamRoleName"],
        "EcsRole"
    );
    assert_eq!(
        ecs(&emulator, "DescribeInstanceRamRole", &[]).unwrap()["TotalCount"],
        0
    );
}

#[test]
fn errors_name_the_missing_role_and_parameters() {
    let emulator = fleet("ram_roles: [EcsRole]\n");
    let missing = ecs(
        &emulator,
        "AttachInstanceRamRole",
        &[("RamRoleName", "Nope"), ("InstanceIds", r#"["i-a"]"#)],
    )
    .unwrap_err();
    assert_eq!(
        (missing.code.as_ref(), missing.status),
        ("InvalidRamRole.NotFound", 404)
    );
    let no_ids = ecs(
        &emulator,
        "AttachInstanceRamRole",
        &[("RamRoleName", "EcsRole")],
    )
    .unwrap_err();
    assert_eq!(no_ids.code, "MissingParameter.InstanceIds");
    let too_many: Vec<String> = (0..101).map(|n| format!("\"i-{n}\"")).collect();
    let many = ecs(
        &emulator,
        "AttachInstanceRamRole",
        &[
            ("RamRoleName", "EcsRole"),
            ("InstanceIds", &format!("[{}]", too_many.join(","))),
        ],
    )
    .unwrap_err();
    assert_eq!(many.code, "InvalidParameter.InstanceIds");
    let case = ecs(&emulator, "DescribeInstanceRAMRole", &[]).unwrap_err();
    assert_eq!(
        case.code, "InvalidAction.NotFound",
        "RPC action names are case-sensitive"
    );
}

#[test]
fn the_seed_attaches_roles() {
    let emulator = Emulator::builder()
        .seed(
            FleetSeed::from_yaml(
                "ram_roles: [Reader]\ninstances:\n  - ids: [i-r]\n    ram_role: Reader\n",
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let described = ecs(&emulator, "DescribeInstanceRamRole", &[]).unwrap();
    assert_eq!(
        described["InstanceRamRoleSets"]["InstanceRamRoleSet"][0]["InstanceId"],
        "i-r"
    );
    let error = Emulator::builder()
        .seed(
            FleetSeed::from_yaml(
                "ram_roles: [Reader]\ninstances:\n  - ids: [i-r]\n    ram_role: Writer\n",
            )
            .unwrap(),
        )
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("ram_role \"Writer\""), "{error}");
}
