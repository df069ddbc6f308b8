//! Disk specs, automatic snapshot policies, snapshot copies and image export/import, called
//! in-process: happy paths, Alibaba error codes and the status transitions.

mod support;

use std::time::Duration;

use oos_emulator::{ECS_VERSION, Emulator};
use serde_json::Value;
use support::{call, seeded_with_clock};

const SEED: &str = "
regions: [cn-hangzhou, cn-shanghai]
instances:
  - ids: [i-db]
    data_disks: [100]
images:
  - ids: [m-app]
    name: app
";

fn ecs(emulator: &Emulator, action: &str, params: &[(&str, &str)]) -> Value {
    call(emulator, ECS_VERSION, action, params)
        .unwrap_or_else(|error| panic!("{action}: {error:?}"))
}

fn code(emulator: &Emulator, action: &str, params: &[(&str, &str)]) -> String {
    call(emulator, ECS_VERSION, action, params)
        .expect_err(action)
        .code
        .to_string()
}

/// `(system disk id, data disk id)` of i-db.
fn disks(emulator: &Emulator) -> (String, String) {
    let body = ecs(emulator, "DescribeDisks", &[("InstanceId", "i-db")]);
    let id = |kind: &str| {
        body["Disks"]["Disk"]
            .as_array()
            .unwrap()
            .iter()
            .find(|disk| disk["Type"] == kind)
            .unwrap()["DiskId"]
            .as_str()
            .unwrap()
            .to_string()
    };
    (id("system"), id("data"))
}

fn disk(emulator: &Emulator, id: &str) -> Value {
    ecs(
        emulator,
        "DescribeDisks",
        &[("DiskIds", &format!("[\"{id}\"]"))],
    )["Disks"]["Disk"][0]
        .clone()
}

#[test]
fn disk_specs_and_attributes_change() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let (_, data) = disks(&emulator);
    assert_eq!(disk(&emulator, &data)["PerformanceLevel"], "PL1");
    assert_eq!(
        code(
            &emulator,
            "ModifyDiskSpec",
            &[("DiskId", &data), ("PerformanceLevel", "PL2")]
        ),
        "InvalidPerformanceLevel.Malformed",
        "PL2 needs 461 GiB"
    );
    ecs(
        &emulator,
        "ResizeDisk",
        &[("DiskId", &data), ("NewSize", "500")],
    );
    let task = ecs(
        &emulator,
        "ModifyDiskSpec",
        &[
            ("DiskId", &data),
            ("PerformanceLevel", "PL2"),
            ("DiskCategory", "cloud_essd"),
        ],
    );
    assert!(task["TaskId"].as_str().unwrap().starts_with("t-"));
    assert_eq!(disk(&emulator, &data)["PerformanceLevel"], "PL2");
    assert_eq!(
        code(
            &emulator,
            "ModifyDiskSpec",
            &[("DiskId", &data), ("DiskCategory", "cloud_efficiency")]
        ),
        "InvalidDiskCategory.ValueNotSupported"
    );
    assert_eq!(
        code(
            &emulator,
            "ModifyDiskSpec",
            &[("DiskId", &data), ("PerformanceLevel", "PL9")]
        ),
        "InvalidPerformanceLevel.Malformed"
    );
    assert_eq!(
        code(
            &emulator,
            "ModifyDiskSpec",
            &[("DiskId", "d-none"), ("PerformanceLevel", "PL1")]
        ),
        "InvalidDiskId.NotFound"
    );
    ecs(
        &emulator,
        "ModifyDiskAttribute",
        &[
            ("DiskId", &data),
            ("DiskName", "db-data"),
            ("DeleteWithInstance", "false"),
            ("EnableAutoSnapshot", "false"),
        ],
    );
    let changed = disk(&emulator, &data);
    assert_eq!(
        (
            changed["DiskName"].as_str(),
            changed["DeleteWithInstance"].as_bool(),
            changed["EnableAutoSnapshot"].as_bool()
        ),
        (Some("db-data"), Some(false), Some(false))
    );
    ecs(
        &emulator,
        "ModifyDiskChargeType",
        &[
            ("InstanceId", "i-db"),
            ("DiskIds", &format!("[\"{data}\"]")),
            ("DiskChargeType", "PrePaid"),
        ],
    );
    assert_eq!(disk(&emulator, &data)["DiskChargeType"], "PrePaid");
}

#[test]
fn re_init_and_reset_need_a_stopped_instance() {
    let (emulator, clock) = seeded_with_clock(SEED, Duration::from_secs(1));
    let (system, data) = disks(&emulator);
    assert_eq!(
        code(&emulator, "ReInitDisk", &[("DiskId", &system)]),
        "IncorrectInstanceStatus"
    );
    let snapshot = ecs(&emulator, "CreateSnapshot", &[("DiskId", &data)])["SnapshotId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        code(
            &emulator,
            "ResetDisk",
            &[("DiskId", &data), ("SnapshotId", &snapshot)]
        ),
        "InvalidSnapshotId.NotReady"
    );
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        code(
            &emulator,
            "ResetDisk",
            &[("DiskId", &data), ("SnapshotId", &snapshot)]
        ),
        "IncorrectInstanceStatus"
    );
    assert_eq!(
        code(
            &emulator,
            "ResetDisk",
            &[("DiskId", &system), ("SnapshotId", &snapshot)]
        ),
        "InvalidParameter.SnapshotId"
    );
    ecs(&emulator, "StopInstance", &[("InstanceId", "i-db")]);
    clock.advance(Duration::from_secs(2));
    ecs(
        &emulator,
        "ResetDisk",
        &[("DiskId", &data), ("SnapshotId", &snapshot)],
    );
    assert_eq!(disk(&emulator, &data)["Status"], "ReIniting");
    clock.advance(Duration::from_secs(1));
    assert_eq!(disk(&emulator, &data)["Status"], "In_use");
    ecs(
        &emulator,
        "ReInitDisk",
        &[("DiskId", &system), ("AutoStartInstance", "true")],
    );
    assert_eq!(disk(&emulator, &system)["Status"], "ReIniting");
    assert_eq!(support::status(&emulator, "i-db"), "Starting");
    clock.advance(Duration::from_secs(1));
    assert_eq!(disk(&emulator, &system)["Status"], "In_use");
    assert_eq!(support::status(&emulator, "i-db"), "Running");
}

#[test]
fn automatic_snapshot_policies_apply_to_disks() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let (system, data) = disks(&emulator);
    let created = ecs(
        &emulator,
        "CreateAutoSnapshotPolicy",
        &[
            ("regionId", "cn-hangzhou"),
            ("autoSnapshotPolicyName", "nightly"),
            ("timePoints", r#"["1","3"]"#),
            ("repeatWeekdays", r#"["1","7"]"#),
            ("retentionDays", "7"),
        ],
    );
    let id = created["AutoSnapshotPolicyId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(id.starts_with("sp-"));
    ecs(
        &emulator,
        "ApplyAutoSnapshotPolicy",
        &[
            ("regionId", "cn-hangzhou"),
            ("autoSnapshotPolicyId", &id),
            ("diskIds", &format!("[\"{system}\",\"{data}\"]")),
        ],
    );
    let applied = disk(&emulator, &data);
    assert_eq!(
        (
            applied["AutoSnapshotPolicyId"].as_str(),
            applied["EnableAutomatedSnapshotPolicy"].as_bool()
        ),
        (Some(id.as_str()), Some(true))
    );
    ecs(
        &emulator,
        "ModifyAutoSnapshotPolicyEx",
        &[
            ("regionId", "cn-hangzhou"),
            ("autoSnapshotPolicyId", &id),
            ("timePoints", "[\"0\", \"12\"]"),
        ],
    );
    let policy = &ecs(
        &emulator,
        "DescribeAutoSnapshotPolicyEx",
        &[("RegionId", "cn-hangzhou"), ("AutoSnapshotPolicyId", &id)],
    )["AutoSnapshotPolicies"]["AutoSnapshotPolicy"][0];
    assert_eq!(
        (
            policy["TimePoints"].as_str(),
            policy["DiskNums"].as_i64(),
            policy["RetentionDays"].as_i64()
        ),
        (Some(r#"["0","12"]"#), Some(2), Some(7))
    );
    assert_eq!(
        code(
            &emulator,
            "ModifyAutoSnapshotPolicyEx",
            &[
                ("regionId", "cn-hangzhou"),
                ("autoSnapshotPolicyId", &id),
                ("timePoints", "[\"24\"]")
            ]
        ),
        "InvalidTimePoints.Malformed"
    );
    assert_eq!(
        code(
            &emulator,
            "ModifyAutoSnapshotPolicyEx",
            &[
                ("regionId", "cn-hangzhou"),
                ("autoSnapshotPolicyId", &id),
                ("retentionDays", "0")
            ]
        ),
        "InvalidRetentionDays.Malformed"
    );
    assert_eq!(
        code(
            &emulator,
            "ModifyAutoSnapshotPolicyEx",
            &[
                ("regionId", "cn-hangzhou"),
                ("autoSnapshotPolicyId", "sp-none")
            ]
        ),
        "ParameterInvalid"
    );
    assert_eq!(
        code(
            &emulator,
            "ApplyAutoSnapshotPolicy",
            &[
                ("regionId", "cn-hangzhou"),
                ("autoSnapshotPolicyId", &id),
                ("diskIds", "[\"d-none\"]")
            ]
        ),
        "InvalidDiskId.NotFound"
    );
    ecs(
        &emulator,
        "CancelAutoSnapshotPolicy",
        &[
            ("regionId", "cn-hangzhou"),
            ("diskIds", &format!("[\"{data}\"]")),
        ],
    );
    assert_eq!(disk(&emulator, &data)["AutoSnapshotPolicyId"], "");
    ecs(
        &emulator,
        "DeleteAutoSnapshotPolicy",
        &[("regionId", "cn-hangzhou"), ("autoSnapshotPolicyId", &id)],
    );
    assert_eq!(
        disk(&emulator, &system)["EnableAutomatedSnapshotPolicy"],
        false
    );
    assert_eq!(
        ecs(
            &emulator,
            "DescribeAutoSnapshotPolicyEx",
            &[("RegionId", "cn-hangzhou")]
        )["TotalCount"],
        0
    );
}

#[test]
fn snapshots_copy_to_another_region() {
    let (emulator, clock) = seeded_with_clock(SEED, Duration::from_secs(1));
    let (_, data) = disks(&emulator);
    let snapshot = ecs(&emulator, "CreateSnapshot", &[("DiskId", &data)])["SnapshotId"]
        .as_str()
        .unwrap()
        .to_string();
    let copy_params = [
        ("RegionId", "cn-hangzhou"),
        ("SnapshotId", snapshot.as_str()),
        ("DestinationRegionId", "cn-shanghai"),
        ("DestinationSnapshotName", "dr"),
    ];
    assert_eq!(
        code(&emulator, "CopySnapshot", &copy_params),
        "IncorrectSnapshotStatus"
    );
    clock.advance(Duration::from_secs(1));
    let copy = ecs(&emulator, "CopySnapshot", &copy_params)["SnapshotId"]
        .as_str()
        .unwrap()
        .to_string();
    let listed = ecs(
        &emulator,
        "DescribeSnapshots",
        &[("RegionId", "cn-shanghai")],
    );
    let copied = &listed["Snapshots"]["Snapshot"][0];
    assert_eq!(
        (
            copied["SnapshotId"].as_str(),
            copied["SnapshotName"].as_str(),
            copied["Status"].as_str()
        ),
        (Some(copy.as_str()), Some("dr"), Some("progressing"))
    );
    assert_eq!(
        code(
            &emulator,
            "CopySnapshot",
            &[("SnapshotId", &snapshot), ("DestinationRegionId", "mars-1")]
        ),
        "InvalidRegionId.NotFound"
    );
}

#[test]
fn images_export_and_import_with_tasks() {
    let (emulator, clock) = seeded_with_clock(SEED, Duration::from_secs(1));
    let exported = ecs(
        &emulator,
        "ExportImage",
        &[
            ("RegionId", "cn-hangzhou"),
            ("ImageId", "m-app"),
            ("OSSBucket", "backups"),
            ("OSSPrefix", "img/"),
        ],
    );
    let task = exported["TaskId"].as_str().unwrap().to_string();
    let attribute = ecs(&emulator, "DescribeTaskAttribute", &[("TaskId", &task)]);
    assert_eq!(
        (
            attribute["TaskAction"].as_str(),
            attribute["TaskStatus"].as_str()
        ),
        (Some("ExportImage"), Some("Processing"))
    );
    clock.advance(Duration::from_secs(1));
    let done = ecs(&emulator, "DescribeTasks", &[("TaskIds", &task)]);
    assert_eq!(done["TaskSet"]["Task"][0]["TaskStatus"], "Finished");
    let items = &ecs(&emulator, "DescribeTaskAttribute", &[("TaskId", &task)])["OperationProgressSet"]
        ["OperationProgress"][0]["RelatedItemSet"]["RelatedItem"];
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["Value"] == "img/m-app_system.raw")
    );
    assert_eq!(
        code(
            &emulator,
            "ExportImage",
            &[("ImageId", "m-app"), ("OSSBucket", "Bad_Bucket")]
        ),
        "InvalidParameter.OSSBucket"
    );
    assert_eq!(
        code(
            &emulator,
            "ExportImage",
            &[("ImageId", "m-none"), ("OSSBucket", "backups")]
        ),
        "InvalidImageId.NotFound"
    );
    assert_eq!(
        code(&emulator, "DescribeTaskAttribute", &[("TaskId", "t-none")]),
        "InvalidTaskId.NotFound"
    );
    let imported = ecs(
        &emulator,
        "ImportImage",
        &[
            ("ImageName", "imported"),
            ("OSType", "linux"),
            ("DiskDeviceMapping.1.OSSBucket", "backups"),
            ("DiskDeviceMapping.1.OSSObject", "img/disk.qcow2"),
            ("DiskDeviceMapping.1.DiskImageSize", "50"),
        ],
    );
    let image = imported["ImageId"].as_str().unwrap().to_string();
    let status = |emulator: &Emulator| {
        ecs(emulator, "DescribeImages", &[("ImageId", &image)])["Images"]["Image"][0]["Status"]
            .as_str()
            .map(str::to_string)
    };
    assert_eq!(status(&emulator).as_deref(), Some("Creating"));
    clock.advance(Duration::from_secs(1));
    assert_eq!(status(&emulator).as_deref(), Some("Available"));
    assert_eq!(
        code(&emulator, "ImportImage", &[("ImageName", "x")]),
        "MissingParameter.DiskDeviceMapping.1.OSSObject"
    );
}
