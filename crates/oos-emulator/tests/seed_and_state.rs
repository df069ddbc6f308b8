//! Fleet seeds (generator shorthand, references, errors) and state kept across restarts.

mod support;

use oos_emulator::{Emulator, FleetSeed};
use support::ecs;

const THOUSAND: &str = r#"
regions: [cn-hangzhou, cn-shanghai, cn-beijing, eu-central-1]
security_groups:
  - name: web
    region: cn-hangzhou
instances:
  - count: 1000
    name: "web-{index:04}"
    region: [cn-hangzhou, cn-shanghai, cn-beijing, eu-central-1]
    instance_type: [ecs.g7.large, ecs.c7.xlarge]
    tags:
      env: [prod, staging]
      shard: "s{index}"
  - ids: [i-fixed-db]
    name: db
    status: Stopped
    security_group: web
    data_disks: [200]
images:
  - count: 3
    name: "old-{index}"
    creation_time: "2020-01-01T00:00:00Z"
"#;

#[test]
fn a_thousand_instance_seed_spreads_over_regions_with_tags() {
    let emulator = Emulator::builder()
        .seed(FleetSeed::from_yaml(THOUSAND).unwrap())
        .build()
        .unwrap();
    let instances = emulator.instances();
    assert_eq!(instances.len(), 1001);
    for region in ["cn-hangzhou", "cn-shanghai", "cn-beijing", "eu-central-1"] {
        assert_eq!(
            instances
                .iter()
                .filter(|instance| instance.region_id == region
                    && instance.instance_name.starts_with("web-"))
                .count(),
            250
        );
    }
    let seventh = &instances[6];
    assert_eq!(
        (seventh.instance_name.as_str(), seventh.region_id.as_str()),
        ("web-0007", "cn-beijing")
    );
    assert_eq!(
        (seventh.tags["env"].as_str(), seventh.tags["shard"].as_str()),
        ("prod", "s7")
    );
    let db = emulator.instance("i-fixed-db").unwrap();
    assert_eq!(db.status, "Stopped");
    let web_group = &db.security_group_ids[0];
    let groups = ecs(
        &emulator,
        "DescribeSecurityGroups",
        &[("SecurityGroupName", "web")],
    )
    .unwrap();
    assert_eq!(
        &groups["SecurityGroups"]["SecurityGroup"][0]["SecurityGroupId"],
        web_group.as_str()
    );
    let disks = ecs(&emulator, "DescribeDisks", &[("InstanceId", "i-fixed-db")]).unwrap();
    assert_eq!(disks["TotalCount"], 2);
    let old = ecs(&emulator, "DescribeImages", &[("ImageOwnerAlias", "self")]).unwrap();
    assert_eq!(
        old["Images"]["Image"][0]["CreationTime"],
        "2020-01-01T00:00:00Z"
    );
    // Hangzhou holds the odd indices, and lists cycle by index: all of them are prod.
    let prod = ecs(
        &emulator,
        "DescribeInstances",
        &[
            ("Tag.1.Key", "env"),
            ("Tag.1.Value", "prod"),
            ("PageSize", "100"),
        ],
    )
    .unwrap();
    assert_eq!(prod["TotalCount"], 250);
    let staging = ecs(
        &emulator,
        "DescribeInstances",
        &[
            ("RegionId", "cn-shanghai"),
            ("Tag.1.Key", "env"),
            ("Tag.1.Value", "staging"),
        ],
    )
    .unwrap();
    assert_eq!(staging["TotalCount"], 250);
}

#[test]
fn bad_seeds_are_reported_with_their_place() {
    let syntax = FleetSeed::from_yaml("instances:\n  - count: [1\n").unwrap_err();
    assert!(syntax.contains("line"), "{syntax}");
    let unknown_field = FleetSeed::from_yaml("instances:\n  - cuont: 3\n").unwrap_err();
    assert!(unknown_field.contains("cuont"), "{unknown_field}");
    let region =
        FleetSeed::from_yaml("regions: [cn-hangzhou]\ninstances:\n  - region: us-east-1\n")
            .unwrap();
    let error = Emulator::builder()
        .seed(region)
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("EmulatorSeed.Invalid")
            && error.contains("instances[0]")
            && error.contains("us-east-1"),
        "{error}"
    );
    let group = FleetSeed::from_yaml("instances:\n  - security_group: nope\n").unwrap();
    let error = Emulator::builder()
        .seed(group)
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.contains("nope"), "{error}");
}

#[test]
fn fixed_ids_without_a_count_make_one_instance_each() {
    let seed = FleetSeed::from_yaml(
        "instances:\n  - ids: [i-a, i-b, i-c]\nimages:\n  - ids: [m-a, m-b]\n",
    )
    .unwrap();
    let emulator = Emulator::builder().seed(seed).build().unwrap();
    let mut ids: Vec<String> = emulator
        .instances()
        .into_iter()
        .map(|instance| instance.instance_id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["i-a", "i-b", "i-c"]);
    let images = ecs(&emulator, "DescribeImages", &[("ImageOwnerAlias", "self")]).unwrap();
    assert_eq!(images["TotalCount"], 2, "{images}");
    let short =
        FleetSeed::from_yaml("instances:\n  - count: 2\n    ids: [i-a, i-b, i-c]\n").unwrap();
    let error = Emulator::builder()
        .seed(short)
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("instances[0]") && error.contains("count 2 is less than the 3 ids"),
        "{error}"
    );
}

#[tokio::test]
async fn state_survives_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("cloud.json");
    let first = Emulator::builder().state_file(&path).build().unwrap();
    let handle = first.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let id = first.instances()[0].instance_id.clone();
    ecs(&first, "StopInstance", &[("InstanceId", &id)]).unwrap();
    ecs(
        &first,
        "TagResources",
        &[
            ("ResourceType", "instance"),
            ("ResourceId.1", &id),
            ("Tag.1.Key", "kept"),
            ("Tag.1.Value", "yes"),
        ],
    )
    .unwrap();
    handle.shutdown().await.unwrap();

    let seed_ignored = FleetSeed::from_yaml("instances:\n  - count: 50\n").unwrap();
    let second = Emulator::builder()
        .state_file(&path)
        .seed(seed_ignored)
        .build()
        .unwrap();
    assert_eq!(
        second.instances().len(),
        3,
        "the saved state wins over the seed"
    );
    let restored = second.instance(&id).unwrap();
    assert_eq!(
        (restored.status.as_str(), restored.tags["kept"].as_str()),
        ("Stopped", "yes")
    );
}

#[test]
fn a_corrupt_state_file_is_a_clear_error() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("cloud.json");
    std::fs::write(&path, "{ not json").unwrap();
    let error = Emulator::builder()
        .state_file(&path)
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("EmulatorState.Unreadable") && error.contains("cloud.json"),
        "{error}"
    );
}
