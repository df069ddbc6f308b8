//! Asynchronous transitions driven by a manual clock: instances, snapshots, images, disks.

mod support;

use std::time::Duration;

use support::{ecs, emulator_with_clock, first_instance, status};

const STEP: Duration = Duration::from_secs(2);

#[test]
fn stop_then_start_walks_through_the_intermediate_states() {
    let (emulator, clock) = emulator_with_clock(STEP);
    let id = first_instance(&emulator);
    assert_eq!(status(&emulator, &id), "Running");
    ecs(&emulator, "StopInstance", &[("InstanceId", &id)]).unwrap();
    assert_eq!(status(&emulator, &id), "Stopping");
    let again = ecs(&emulator, "StopInstance", &[("InstanceId", &id)]).unwrap_err();
    assert_eq!(
        (again.code.as_ref(), again.status),
        ("IncorrectInstanceStatus", 403)
    );
    clock.advance(STEP);
    assert_eq!(status(&emulator, &id), "Stopped");
    ecs(&emulator, "StartInstance", &[("InstanceId", &id)]).unwrap();
    assert_eq!(status(&emulator, &id), "Starting");
    clock.advance(STEP);
    assert_eq!(status(&emulator, &id), "Running");
}

#[test]
fn reboot_stops_and_starts() {
    let (emulator, clock) = emulator_with_clock(STEP);
    let id = first_instance(&emulator);
    ecs(&emulator, "RebootInstance", &[("InstanceId", &id)]).unwrap();
    let mut seen = vec![status(&emulator, &id)];
    for _ in 0..2 {
        clock.advance(STEP);
        seen.push(status(&emulator, &id));
    }
    assert_eq!(seen, ["Stopping", "Starting", "Running"]);
}

#[test]
fn zero_delay_is_instant() {
    let (emulator, _clock) = emulator_with_clock(Duration::ZERO);
    let id = first_instance(&emulator);
    ecs(&emulator, "StopInstance", &[("InstanceId", &id)]).unwrap();
    assert_eq!(status(&emulator, &id), "Stopped");
}

#[test]
fn run_instances_go_from_pending_to_running() {
    let (emulator, clock) = emulator_with_clock(STEP);
    let body = ecs(
        &emulator,
        "RunInstances",
        &[
            ("ImageId", "aliyun_3_x64_20G_alibase_20240819.vhd"),
            ("InstanceType", "ecs.c7.xlarge"),
            ("Amount", "2"),
            ("Tag.1.Key", "app"),
            ("Tag.1.Value", "web"),
        ],
    )
    .unwrap();
    let ids: Vec<String> =
        serde_json::from_value(body["InstanceIdSets"]["InstanceIdSet"].clone()).unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(status(&emulator, &ids[0]), "Pending");
    clock.advance(STEP * 2);
    assert_eq!(status(&emulator, &ids[1]), "Running");
    let instance = emulator.instance(&ids[0]).unwrap();
    assert_eq!((instance.cpu, instance.tags["app"].as_str()), (4, "web"));
}

#[test]
fn batch_stop_reports_each_instance() {
    let (emulator, _clock) = emulator_with_clock(Duration::ZERO);
    let ids: Vec<String> = emulator
        .instances()
        .iter()
        .map(|instance| instance.instance_id.clone())
        .collect();
    ecs(&emulator, "StopInstance", &[("InstanceId", &ids[0])]).unwrap();
    let all_together = ecs(
        &emulator,
        "StopInstances",
        &[("InstanceId.1", &ids[0]), ("InstanceId.2", &ids[1])],
    )
    .unwrap_err();
    assert_eq!(all_together.code, "IncorrectInstanceStatus");
    assert_eq!(
        status(&emulator, &ids[1]),
        "Running",
        "AllTogether must not stop anything when one fails"
    );
    let body = ecs(
        &emulator,
        "StopInstances",
        &[
            ("InstanceId.1", &ids[0]),
            ("InstanceId.2", &ids[1]),
            ("BatchOptimization", "SuccessFirst"),
        ],
    )
    .unwrap();
    let codes: Vec<&str> = body["InstanceResponses"]["InstanceResponse"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["Code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["IncorrectInstanceStatus", "200"]);
    assert_eq!(status(&emulator, &ids[1]), "Stopped");
}

#[test]
fn snapshots_and_images_progress_to_done() {
    let (emulator, clock) = emulator_with_clock(STEP);
    let id = first_instance(&emulator);
    let disks = ecs(&emulator, "DescribeDisks", &[("InstanceId", &id)]).unwrap();
    let disk = disks["Disks"]["Disk"][0]["DiskId"]
        .as_str()
        .unwrap()
        .to_string();
    let snapshot = ecs(&emulator, "CreateSnapshot", &[("DiskId", &disk)]).unwrap()["SnapshotId"]
        .as_str()
        .unwrap()
        .to_string();
    let image = ecs(
        &emulator,
        "CreateImage",
        &[("InstanceId", &id), ("ImageName", "golden")],
    )
    .unwrap()["ImageId"]
        .as_str()
        .unwrap()
        .to_string();
    let snapshot_status = |emulator| {
        ecs(
            emulator,
            "DescribeSnapshots",
            &[("SnapshotIds", &format!("[\"{snapshot}\"]"))],
        )
        .unwrap()["Snapshots"]["Snapshot"][0]["Status"]
            .clone()
    };
    let image_status = |emulator| {
        ecs(emulator, "DescribeImages", &[("ImageId", &image)]).unwrap()["Images"]["Image"][0]["Status"].clone()
    };
    assert_eq!(
        (snapshot_status(&emulator), image_status(&emulator)),
        ("progressing".into(), "Creating".into())
    );
    let early_delete = ecs(&emulator, "DeleteImage", &[("ImageId", &image)]).unwrap_err();
    assert_eq!(early_delete.code, "IncorrectImageStatus");
    clock.advance(STEP);
    assert_eq!(
        (snapshot_status(&emulator), image_status(&emulator)),
        ("accomplished".into(), "Available".into())
    );
    ecs(&emulator, "DeleteImage", &[("ImageId", &image)]).unwrap();
    let gone = ecs(&emulator, "DeleteImage", &[("ImageId", &image)]).unwrap_err();
    assert_eq!(
        (gone.code.as_ref(), gone.status),
        ("InvalidImageId.NotFound", 404)
    );
}

#[test]
fn data_disks_attach_and_detach_through_transitions() {
    let (emulator, clock) = emulator_with_clock(STEP);
    let id = first_instance(&emulator);
    let disk = ecs(&emulator, "CreateDisk", &[("Size", "100")]).unwrap()["DiskId"]
        .as_str()
        .unwrap()
        .to_string();
    let disk_status = |emulator| {
        ecs(
            emulator,
            "DescribeDisks",
            &[("DiskIds", &format!("[\"{disk}\"]"))],
        )
        .unwrap()["Disks"]["Disk"][0]["Status"]
            .clone()
    };
    assert_eq!(disk_status(&emulator), "Creating");
    let too_early = ecs(
        &emulator,
        "AttachDisk",
        &[("InstanceId", &id), ("DiskId", &disk)],
    )
    .unwrap_err();
    assert_eq!(too_early.code, "IncorrectDiskStatus");
    clock.advance(STEP);
    ecs(
        &emulator,
        "AttachDisk",
        &[("InstanceId", &id), ("DiskId", &disk)],
    )
    .unwrap();
    assert_eq!(disk_status(&emulator), "Attaching");
    clock.advance(STEP);
    assert_eq!(disk_status(&emulator), "In_use");
    ecs(
        &emulator,
        "DetachDisk",
        &[("InstanceId", &id), ("DiskId", &disk)],
    )
    .unwrap();
    clock.advance(STEP);
    assert_eq!(disk_status(&emulator), "Available");
}

#[test]
fn deleting_needs_a_stopped_instance_or_force() {
    let (emulator, _clock) = emulator_with_clock(Duration::ZERO);
    let id = first_instance(&emulator);
    let refused = ecs(&emulator, "DeleteInstance", &[("InstanceId", &id)]).unwrap_err();
    assert_eq!(
        (refused.code.as_ref(), refused.status),
        ("IncorrectInstanceStatus", 403)
    );
    ecs(
        &emulator,
        "ModifyInstanceAttribute",
        &[("InstanceId", &id), ("DeletionProtection", "True")],
    )
    .unwrap();
    let protected = ecs(
        &emulator,
        "DeleteInstance",
        &[("InstanceId", &id), ("Force", "true")],
    )
    .unwrap_err();
    assert_eq!(protected.code, "OperationDenied.DeletionProtection");
    ecs(
        &emulator,
        "ModifyInstanceAttribute",
        &[("InstanceId", &id), ("DeletionProtection", "false")],
    )
    .unwrap();
    ecs(
        &emulator,
        "DeleteInstance",
        &[("InstanceId", &id), ("Force", "true")],
    )
    .unwrap();
    assert!(emulator.instance(&id).is_none());
    let disks = ecs(&emulator, "DescribeDisks", &[("InstanceId", &id)]).unwrap();
    assert_eq!(
        disks["TotalCount"], 0,
        "the system disk goes with the instance"
    );
}
