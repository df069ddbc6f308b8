//! Key pairs: create (a real Ed25519 key), import, describe, attach/detach to Linux instances,
//! delete — with their error codes; SDK model field names and types.

mod support;

use oos_emulator::{Emulator, FleetSeed};
use serde_json::Value;
use support::ecs;

const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBCsH3izNO1cNWlmM3jVNE9g8ffei+MmMaNnwgz5RQg9 test@example";

fn fleet() -> Emulator {
    let seed = "instances:\n  - ids: [i-linux, i-stopped]\n    status: [Running, Stopped]\n  - ids: [i-win]\n    image_id: win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240816.vhd\n";
    Emulator::builder()
        .seed(FleetSeed::from_yaml(seed).unwrap())
        .build()
        .unwrap()
}

fn code(result: Result<Value, oos_acs::AcsError>) -> String {
    result.unwrap_err().code.to_string()
}

#[test]
fn create_answers_a_private_key_once_and_describe_shows_the_public_half() {
    let emulator = fleet();
    let created = ecs(
        &emulator,
        "CreateKeyPair",
        &[
            ("KeyPairName", "ops-key"),
            ("Tag.1.Key", "team"),
            ("Tag.1.Value", "sre"),
        ],
    )
    .unwrap();
    assert_eq!(created["KeyPairName"], "ops-key");
    assert!(created["KeyPairId"].as_str().unwrap().starts_with("kp-"));
    let private = created["PrivateKeyBody"].as_str().unwrap();
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY-----\n")
            && private.ends_with("-----END PRIVATE KEY-----\n")
    );
    let print = created["KeyPairFingerPrint"].as_str().unwrap();
    assert_eq!(print.len(), 32, "MD5 hex");
    let listed = ecs(
        &emulator,
        "DescribeKeyPairs",
        &[("KeyPairName", "ops-*"), ("IncludePublicKey", "true")],
    )
    .unwrap();
    assert_eq!(listed["TotalCount"], 1);
    assert_eq!(listed["PageNumber"], 1);
    let pair = &listed["KeyPairs"]["KeyPair"][0];
    assert_eq!(pair["KeyPairFingerPrint"], print);
    assert!(
        pair["PublicKey"]
            .as_str()
            .unwrap()
            .starts_with("ssh-ed25519 AAAA")
    );
    assert_eq!(pair["Tags"]["Tag"][0]["TagKey"], "team");
    let without_key = ecs(&emulator, "DescribeKeyPairs", &[]).unwrap();
    assert!(
        without_key["KeyPairs"]["KeyPair"][0]
            .get("PublicKey")
            .is_none()
    );
    assert_eq!(
        code(ecs(
            &emulator,
            "CreateKeyPair",
            &[("KeyPairName", "ops-key")]
        )),
        "KeyPair.AlreadyExist"
    );
    assert_eq!(
        code(ecs(&emulator, "CreateKeyPair", &[("KeyPairName", "1bad")])),
        "InvalidParameter.KeyPairName"
    );
    let elsewhere = ecs(
        &emulator,
        "DescribeKeyPairs",
        &[("RegionId", "cn-shanghai")],
    )
    .unwrap();
    assert_eq!(elsewhere["TotalCount"], 0, "key pairs are regional");
}

#[test]
fn import_checks_the_public_key_and_fingerprints_it() {
    let emulator = fleet();
    let imported = ecs(
        &emulator,
        "ImportKeyPair",
        &[("KeyPairName", "laptop"), ("PublicKeyBody", PUBLIC_KEY)],
    )
    .unwrap();
    assert_eq!(imported["KeyPairName"], "laptop");
    assert_eq!(imported["KeyPairFingerPrint"].as_str().unwrap().len(), 32);
    for bad in [
        "ssh-ed25519",
        "ssh-dss AAAAB3NzaC1kc3M=",
        "ssh-rsa !!!",
        "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIBCsH3izNO1cNWlmM3jVNE9g8ffei+MmMaNnwgz5RQg9",
    ] {
        assert_eq!(
            code(ecs(
                &emulator,
                "ImportKeyPair",
                &[("KeyPairName", "other"), ("PublicKeyBody", bad)]
            )),
            "InvalidPublicKeyBody.Malformed",
            "{bad}"
        );
    }
    let huge = format!("ssh-rsa {}", "A".repeat(20_000));
    assert_eq!(
        code(ecs(
            &emulator,
            "ImportKeyPair",
            &[("KeyPairName", "big"), ("PublicKeyBody", &huge)]
        )),
        "InvalidPublicKeyBody.Malformed"
    );
}

#[test]
fn attach_binds_linux_instances_and_reports_each_one() {
    let emulator = fleet();
    ecs(
        &emulator,
        "ImportKeyPair",
        &[("KeyPairName", "laptop"), ("PublicKeyBody", PUBLIC_KEY)],
    )
    .unwrap();
    let attached = ecs(
        &emulator,
        "AttachKeyPair",
        &[
            ("KeyPairName", "laptop"),
            ("InstanceIds", r#"["i-linux","i-stopped","i-win","i-gone"]"#),
        ],
    )
    .unwrap();
    assert_eq!(attached["TotalCount"], "4", "a string in the SDK model");
    assert_eq!(attached["FailCount"], "2");
    let results = attached["Results"]["Result"].as_array().unwrap();
    let by_id = |id: &str| {
        results
            .iter()
            .find(|result| result["InstanceId"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            by_id("i-linux")["Success"].clone(),
            by_id("i-linux")["Code"].clone()
        ),
        ("true".into(), "200".into())
    );
    assert_eq!(
        by_id("i-win")["Code"],
        "DependencyViolation.WindowsInstance"
    );
    assert_eq!(by_id("i-gone")["Code"], "InvalidInstanceId.NotFound");
    assert_eq!(
        emulator.instance("i-stopped").unwrap().key_pair_name,
        "laptop"
    );
    let described = ecs(&emulator, "DescribeInstances", &[("KeyPairName", "laptop")]).unwrap();
    assert_eq!(described["TotalCount"], 2);
    assert_eq!(
        code(ecs(
            &emulator,
            "AttachKeyPair",
            &[("KeyPairName", "nope"), ("InstanceIds", r#"["i-linux"]"#)]
        )),
        "InvalidKeyPairName.NotFound"
    );

    assert_eq!(
        code(ecs(
            &emulator,
            "DeleteKeyPairs",
            &[("KeyPairNames", r#"["laptop"]"#)]
        )),
        "DependencyViolation"
    );
    let detached = ecs(
        &emulator,
        "DetachKeyPair",
        &[
            ("KeyPairName", "laptop"),
            ("InstanceIds", r#"["i-linux","i-stopped","i-win"]"#),
        ],
    )
    .unwrap();
    assert_eq!(detached["FailCount"], "1", "i-win never had it");
    assert_eq!(emulator.instance("i-linux").unwrap().key_pair_name, "");
    ecs(
        &emulator,
        "DeleteKeyPairs",
        &[("KeyPairNames", r#"["laptop"]"#)],
    )
    .unwrap();
    assert_eq!(
        ecs(&emulator, "DescribeKeyPairs", &[]).unwrap()["TotalCount"],
        0
    );
    assert_eq!(
        code(ecs(
            &emulator,
            "DeleteKeyPairs",
            &[("KeyPairNames", r#"["laptop"]"#)]
        )),
        "InvalidKeyPairName.NotFound"
    );
    assert_eq!(
        code(ecs(&emulator, "DeleteKeyPairs", &[])),
        "MissingParameter.KeyPairNames"
    );
}

#[test]
fn the_seed_can_bind_key_pairs() {
    let seed = format!(
        "key_pairs:\n  - name: seeded\n    public_key: \"{PUBLIC_KEY}\"\ninstances:\n  - ids: [i-a]\n    key_pair: seeded\n"
    );
    let emulator = Emulator::builder()
        .seed(FleetSeed::from_yaml(&seed).unwrap())
        .build()
        .unwrap();
    assert_eq!(emulator.instance("i-a").unwrap().key_pair_name, "seeded");
    let public = ecs(
        &emulator,
        "DescribeKeyPairs",
        &[("IncludePublicKey", "true")],
    )
    .unwrap();
    assert_eq!(
        public["KeyPairs"]["KeyPair"][0]["PublicKey"]
            .as_str()
            .unwrap(),
        PUBLIC_KEY.rsplit_once(' ').unwrap().0
    );
    let unknown = "instances:\n  - ids: [i-a]\n    key_pair: missing\n";
    let error = Emulator::builder()
        .seed(FleetSeed::from_yaml(unknown).unwrap())
        .build()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("key_pair \"missing\" is not seeded"),
        "{error}"
    );
}
