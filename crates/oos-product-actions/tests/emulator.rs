//! Each embedded product action run against the emulator, with instant and with short realistic
//! transition delays, checking the cloud's state afterwards.

mod support;

use std::time::Duration;

use oos_engine::ExecutionStatus;
use serde_json::json;
use support::{DELAYS, Harness, data_disk_of};

fn status_of(harness: &Harness, instance_id: &str) -> Option<String> {
    harness.emulator().instance(instance_id).map(|instance| instance.status)
}

async fn power_cycle(delay: Duration) {
    let mut harness = Harness::start(delay).await;
    harness.run("StopInstance", json!({"instanceId": "i-running", "forceStop": true}), &[]).await.succeeded();
    assert_eq!(status_of(&harness, "i-running").as_deref(), Some("Stopped"));
    // Stopping a stopped instance is a no-op, not an error.
    harness.run("StopInstance", json!({"instanceId": "i-running"}), &[]).await.succeeded();
    let rebooted_while_stopped = harness.run("RebootInstance", json!({"instanceId": "i-running"}), &[]).await;
    assert_eq!(rebooted_while_stopped.status, ExecutionStatus::Failed, "{:#?}", rebooted_while_stopped.messages);
    harness.run("StartInstance", json!({"instanceId": "i-running"}), &[]).await.succeeded();
    assert_eq!(status_of(&harness, "i-running").as_deref(), Some("Running"));
    harness.run("StartInstance", json!({"instanceId": "i-running"}), &[]).await.succeeded();
    harness.run("RebootInstance", json!({"instanceId": "i-running"}), &[]).await.succeeded();
    assert_eq!(status_of(&harness, "i-running").as_deref(), Some("Running"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_start_and_reboot_an_instance() {
    for delay in DELAYS {
        power_cycle(delay).await;
    }
}

async fn delete(delay: Duration) {
    let mut harness = Harness::start(delay).await;
    let refused = harness.run("DeleteInstance", json!({"instanceId": "i-running"}), &[]).await;
    assert_eq!(refused.status, ExecutionStatus::Failed, "a running instance is not deleted");
    assert!(status_of(&harness, "i-running").is_some());
    harness.run("DeleteInstance", json!({"instanceId": "i-stopped", "regionId": "cn-hangzhou"}), &[]).await.succeeded();
    assert_eq!(status_of(&harness, "i-stopped"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_only_a_stopped_instance() {
    for delay in DELAYS {
        delete(delay).await;
    }
}

async fn snapshot(delay: Duration) {
    let mut harness = Harness::start(delay).await;
    let disk_id = data_disk_of(harness.emulator(), "i-running");
    let parameters = json!({
        "diskId": disk_id,
        "snapshotName": "nightly",
        "retentionDays": "7",
        "tags": [{"Key": "team", "Value": "ops"}],
    });
    let outcome = harness.run("CreateSnapshot", parameters, &[("snapshotId", "String")]).await.succeeded();
    let snapshot_id = outcome.outputs["snapshotId"].as_str().expect("snapshotId output").to_owned();
    let snapshot = harness.emulator().with_cloud(|cloud| cloud.snapshots.get(&snapshot_id).cloned()).expect("snapshot exists");
    assert_eq!(snapshot.status, "accomplished");
    assert_eq!(snapshot.source_disk_id, disk_id);
    assert_eq!(snapshot.snapshot_name, "nightly");
    assert_eq!(snapshot.retention_days, Some(7));
    assert_eq!(snapshot.tags.get("team").map(String::as_str), Some("ops"));
    // Defaults only: no name, no retention, no tags.
    let stopped_disk = data_disk_of(harness.emulator(), "i-stopped");
    let plain = harness.run("CreateSnapshot", json!({"diskId": stopped_disk}), &[("snapshotId", "String")]).await.succeeded();
    let plain_id = plain.outputs["snapshotId"].as_str().unwrap().to_owned();
    let plain = harness.emulator().with_cloud(|cloud| cloud.snapshots.get(&plain_id).cloned()).expect("snapshot exists");
    assert_eq!((plain.status.as_str(), plain.retention_days), ("accomplished", None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_a_snapshot_of_a_disk() {
    for delay in DELAYS {
        snapshot(delay).await;
    }
}

async fn images(delay: Duration) {
    let mut harness = Harness::start(delay).await;
    let parameters = json!({"instanceId": "i-stopped", "imageName": "golden", "tags": [{"Key": "stage", "Value": "prod"}]});
    let created = harness.run("CreateImage", parameters, &[("imageId", "String")]).await.succeeded();
    let image_id = created.outputs["imageId"].as_str().expect("imageId output").to_owned();
    let image = harness.emulator().with_cloud(|cloud| cloud.images.get(&image_id).cloned()).expect("image exists");
    assert_eq!((image.status.as_str(), image.image_name.as_str()), ("Available", "golden"));
    assert_eq!(image.source_instance_id, "i-stopped");

    let copy = json!({"imageId": image_id, "regionId": "cn-hangzhou", "targetRegionId": "cn-shanghai", "targetImageName": "golden-copy"});
    let copied = harness.run("CopyImage", copy, &[("imageId", "String")]).await.succeeded();
    let copy_id = copied.outputs["imageId"].as_str().expect("imageId output").to_owned();
    assert_ne!(copy_id, image_id);
    let copy = harness.emulator().with_cloud(|cloud| cloud.images.get(&copy_id).cloned()).expect("copy exists");
    assert_eq!((copy.status.as_str(), copy.region_id.as_str(), copy.image_name.as_str()), ("Available", "cn-shanghai", "golden-copy"));

    let same_region = json!({"imageId": image_id, "regionId": "cn-hangzhou", "targetRegionId": "cn-hangzhou"});
    let images_before = harness.emulator().with_cloud(|cloud| cloud.images.len());
    let skipped = harness.run("CopyImage", same_region, &[("imageId", "String")]).await.succeeded();
    assert_eq!(skipped.outputs["imageId"], json!(image_id), "the source image stands for its copy");
    assert_eq!(harness.emulator().with_cloud(|cloud| cloud.images.len()), images_before, "nothing copied onto its own region");

    harness.run("DeleteImage", json!({"imageId": copy_id, "regionId": "cn-shanghai", "force": true}), &[]).await.succeeded();
    assert!(harness.emulator().with_cloud(|cloud| !cloud.images.contains_key(&copy_id)), "copy deleted");
    harness.run("DeleteImage", json!({"imageId": image_id}), &[]).await.succeeded();
    assert!(harness.emulator().with_cloud(|cloud| cloud.images.is_empty() || !cloud.images.contains_key(&image_id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_copy_and_delete_an_image() {
    for delay in DELAYS {
        images(delay).await;
    }
}

async fn disks(delay: Duration) {
    let mut harness = Harness::start(delay).await;
    let disk_id = data_disk_of(harness.emulator(), "i-running");
    let disk = |harness: &Harness| harness.emulator().with_cloud(|cloud| cloud.disks.get(&disk_id).cloned()).expect("disk exists");
    harness.run("DetachDisk", json!({"instanceId": "i-running", "diskId": disk_id}), &[]).await.succeeded();
    let detached = disk(&harness);
    assert_eq!((detached.status.as_str(), detached.instance_id.as_str()), ("Available", ""));
    harness.run("AttachDisk", json!({"instanceId": "i-stopped", "diskId": disk_id, "deleteWithInstance": true}), &[]).await.succeeded();
    let attached = disk(&harness);
    assert_eq!((attached.status.as_str(), attached.instance_id.as_str()), ("In_use", "i-stopped"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_and_attach_a_disk() {
    for delay in DELAYS {
        disks(delay).await;
    }
}

async fn run_instances(delay: Duration) {
    let mut harness = Harness::start(delay).await;
    let parameters = json!({
        "vSwitchId": "vsw-products",
        "instanceType": "ecs.g7.large",
        "imageId": "m-base",
        "securityGroupId": "sg-products",
        "amount": 2,
        "instanceName": "web",
        "systemDiskSize": "60",
        "tags": [{"Key": "app", "Value": "web"}],
    });
    let outcome = harness.run("RunInstances", parameters, &[("instanceIds", "List")]).await.succeeded();
    let ids = outcome.outputs["instanceIds"].as_array().expect("instanceIds output").clone();
    assert_eq!(ids.len(), 2);
    for id in ids {
        let instance = harness.emulator().instance(id.as_str().unwrap()).expect("instance exists");
        assert_eq!((instance.status.as_str(), instance.instance_type.as_str()), ("Running", "ecs.g7.large"));
        assert_eq!(instance.tags.get("app").map(String::as_str), Some("web"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_new_instances() {
    for delay in DELAYS {
        run_instances(delay).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modify_the_attributes_of_one_instance() {
    let mut harness = Harness::start(Duration::ZERO).await;
    let attributes = json!([
        {"instanceId": "i-stopped", "regionId": "cn-hangzhou", "instanceName": "other"},
        {"instanceId": "i-running", "regionId": "cn-hangzhou", "instanceName": "renamed", "hostName": "web-1"},
    ]);
    let parameters = json!({"instanceId": "i-running", "instanceAttributes": attributes});
    let outcome = harness.run("ModifyInstanceAttribute", parameters, &[("instanceInfos", "String")]).await.succeeded();
    let instance = harness.emulator().instance("i-running").expect("instance exists");
    assert_eq!((instance.instance_name.as_str(), instance.host_name.as_str()), ("renamed", "web-1"));
    assert_ne!(harness.emulator().instance("i-stopped").unwrap().instance_name, "renamed");
    assert!(outcome.outputs["instanceInfos"].to_string().contains("web-1"), "{:?}", outcome.outputs);
}
