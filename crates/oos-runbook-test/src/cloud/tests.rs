use serde_json::json;

use super::*;

fn m(value: Value) -> Matcher {
    Matcher::parse(&value).unwrap()
}

fn cloud() -> Snapshot {
    let instance = |id: &str, env: &str, status: &str| json!({"InstanceId": id, "Status": status, "Tags": {"Tag": [{"TagKey": "env", "TagValue": env}]}});
    let mut cloud = Snapshot::new();
    cloud.insert(
        "instances",
        vec![
            instance("i-dev1", "dev", "Stopped"),
            instance("i-dev2", "dev", "Running"),
            instance("i-prod", "prod", "Running"),
        ],
    );
    cloud.insert(
        "disks",
        vec![
            json!({"DiskId": "d-1", "InstanceId": "i-dev1"}),
            json!({"DiskId": "d-2", "InstanceId": "i-dev2"}),
        ],
    );
    cloud.insert(
        "snapshots",
        vec![json!({"SnapshotId": "s-1", "SourceDiskId": "d-1", "Status": "accomplished"})],
    );
    cloud
}

fn assertion(kind: &str, filter: Filter) -> CloudAssertion {
    CloudAssertion {
        kind: Kind::named(kind).unwrap(),
        filter,
        count: None,
        all: None,
        any: None,
        none: None,
        per: None,
    }
}

fn tagged(env: &str) -> Filter {
    Filter {
        tags: vec![("env".into(), m(json!(env)))],
        fields: Vec::new(),
    }
}

fn status(status: &str) -> Filter {
    Filter {
        tags: Vec::new(),
        fields: vec![("Status".into(), m(json!(status)))],
    }
}

#[test]
fn all_names_each_resource_that_differs_and_its_value() {
    let check = CloudAssertion {
        all: Some(status("Stopped")),
        ..assertion("instances", tagged("dev"))
    };
    let problems = check.check(&cloud());
    assert_eq!(
        problems,
        vec![r#"all: i-dev2 Status is not "Stopped" (has {"Status":"Running"})"#.to_owned()]
    );
}

#[test]
fn count_any_and_none() {
    let counted = CloudAssertion {
        count: Some(m(json!(2))),
        ..assertion("instances", tagged("dev"))
    };
    assert!(counted.check(&cloud()).is_empty());
    let wrong = CloudAssertion {
        count: Some(m(json!(0))),
        ..assertion("instances", tagged("dev"))
    };
    assert_eq!(
        wrong.check(&cloud()),
        vec!["count 2 is not 0 (selected: i-dev1, i-dev2)".to_owned()]
    );
    let any = CloudAssertion {
        any: Some(status("Stopped")),
        ..assertion("instances", tagged("prod"))
    };
    assert_eq!(any.check(&cloud()).len(), 1);
    let none = CloudAssertion {
        none: Some(status("Stopped")),
        ..assertion("instances", Filter::default())
    };
    assert_eq!(
        none.check(&cloud()),
        vec![r#"none: i-dev1 matches (has {"Status":"Stopped"})"#.to_owned()]
    );
}

#[test]
fn per_groups_by_the_owning_resource() {
    let mut per_disk = assertion("snapshots", Filter::default());
    per_disk.per = Some((Kind::named("disks").unwrap(), Filter::default()));
    assert_eq!(
        per_disk.check(&cloud()),
        vec!["snapshots of disks d-2: count 0 is not a number ≥ 1".to_owned()]
    );
    per_disk.per = Some((
        Kind::named("disks").unwrap(),
        Filter {
            tags: Vec::new(),
            fields: vec![("InstanceId".into(), m(json!("i-dev1")))],
        },
    ));
    assert!(per_disk.check(&cloud()).is_empty());
}

#[test]
fn dotted_fields_and_missing_tags() {
    let resource = json!({"VpcAttributes": {"VpcId": "vpc-1"}});
    let filter = Filter {
        tags: Vec::new(),
        fields: vec![("VpcAttributes.VpcId".into(), m(json!("vpc-1")))],
    };
    assert!(filter.holds(&resource));
    assert_eq!(
        tagged("dev").failure(&resource),
        Some("tag env is missing".into())
    );
}
