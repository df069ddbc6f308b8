//! The client against the real emulator in-process: signed calls in both schemes, paging over
//! a 250-instance fleet, SelectTargets, ClientToken idempotency (the emulator answers a repeated token once).

mod support;

use std::time::Duration;

use oos_actions::CloudApi;
use oos_cloud::{RetryPolicy, SignatureScheme, simple_call};
use oos_emulator::Instance;
use serde_json::{Value, json};
use support::emulated::Emulated;

const FLEET: &str = r#"
regions: [cn-hangzhou, cn-beijing]
instances:
  - count: 250
    region: cn-hangzhou
    name: "web-{index:03}"
    tags:
      env: [prod, dev]
      team: ops
  - count: 5
    region: cn-beijing
    name: "bj-{index}"
"#;

fn retry() -> RetryPolicy {
    RetryPolicy { max_attempts: 3, base: Duration::from_millis(10), cap: Duration::from_millis(100) }
}

fn params(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap()
}

fn instance_ids(response: &Value) -> Vec<String> {
    response["Instances"]["Instance"]
        .as_array()
        .expect("Instances.Instance is a list")
        .iter()
        .map(|instance| instance["InstanceId"].as_str().unwrap().to_owned())
        .collect()
}

/// The ids of the emulator's instances that `keep` selects, in creation order.
fn fleet_ids(cloud: &Emulated, keep: impl Fn(&Instance) -> bool) -> Vec<String> {
    cloud
        .emulator()
        .instances()
        .into_iter()
        .filter(|instance| keep(instance))
        .map(|instance| instance.instance_id)
        .collect()
}

#[tokio::test]
async fn both_schemes_describe_stop_and_start_an_instance() {
    let cloud = Emulated::start(FLEET, None).await;
    let target = cloud.emulator().instances()[7].instance_id.clone();
    for scheme in [SignatureScheme::Acs3, SignatureScheme::V1] {
        let client = cloud.client(scheme, retry());
        let describe = simple_call(
            "ECS",
            "DescribeInstances",
            params(json!({"RegionId": "cn-hangzhou", "InstanceIds": [target]})),
        );
        let before = client.call(&describe).await.unwrap();
        assert_eq!(instance_ids(&before), std::slice::from_ref(&target), "{scheme:?}");
        assert_eq!(before["Instances"]["Instance"][0]["Status"], "Running");

        let stop = simple_call("ecs", "stopinstance", params(json!({"InstanceId": target})));
        client.call(&stop).await.unwrap();
        assert_eq!(cloud.emulator().instance(&target).unwrap().status, "Stopped", "{scheme:?}");

        let start = simple_call("ECS", "StartInstance", params(json!({"InstanceId": target})));
        client.call(&start).await.unwrap();
        let again = client.call(&start).await.unwrap_err();
        assert_eq!((again.code.as_str(), again.http_status), ("IncorrectInstanceStatus", Some(403)), "{scheme:?}");
        assert!(again.request_id.is_some());
    }
}

#[tokio::test]
async fn auto_paging_collects_the_whole_fleet_in_both_styles() {
    let cloud = Emulated::start(FLEET, None).await;
    let client = cloud.client(SignatureScheme::Acs3, retry());
    let expected = fleet_ids(&cloud, |instance| instance.region_id == "cn-hangzhou");
    assert_eq!(expected.len(), 250);

    let by_page_number =
        simple_call("ECS", "DescribeInstances", params(json!({"RegionId": "cn-hangzhou", "PageSize": 100})));
    let merged = client.call(&by_page_number).await.unwrap();
    assert_eq!(instance_ids(&merged), expected);
    assert_eq!(merged["TotalCount"], 250);

    let calls_before = client.stats().calls;
    let default_size = simple_call("ECS", "DescribeInstances", params(json!({"RegionId": "cn-hangzhou"})));
    assert_eq!(instance_ids(&client.call(&default_size).await.unwrap()), expected);
    assert_eq!(client.stats().calls - calls_before, 25, "default PageSize 10 → 25 pages");

    let by_token =
        simple_call("ECS", "DescribeInstances", params(json!({"RegionId": "cn-hangzhou", "MaxResults": 60})));
    let merged = client.call(&by_token).await.unwrap();
    assert_eq!(instance_ids(&merged), expected);
    assert_eq!(merged["NextToken"], "");

    let mut one_page = by_page_number.clone();
    one_page.auto_paging = false;
    assert_eq!(instance_ids(&client.call(&one_page).await.unwrap()).len(), 100);
    let explicit = simple_call(
        "ECS",
        "DescribeInstances",
        params(json!({"RegionId": "cn-hangzhou", "PageSize": 100, "PageNumber": 3})),
    );
    assert_eq!(instance_ids(&client.call(&explicit).await.unwrap()), expected[200..]);
}

#[tokio::test]
async fn tags_lists_filter_and_select_targets_resolves_filters() {
    let cloud = Emulated::start(FLEET, None).await;
    let client = cloud.client(SignatureScheme::Acs3, retry());
    let prod = fleet_ids(&cloud, |instance| {
        instance.region_id == "cn-hangzhou" && instance.tags.get("env").map(String::as_str) == Some("prod")
    });
    assert_eq!(prod.len(), 125);

    let tagged = simple_call(
        "ECS",
        "DescribeInstances",
        params(json!({"RegionId": "cn-hangzhou", "Tags": [{"Key": "env", "Value": "prod"}], "PageSize": 50})),
    );
    assert_eq!(instance_ids(&client.call(&tagged).await.unwrap()), prod);

    let beijing = fleet_ids(&cloud, |instance| instance.region_id == "cn-beijing");
    let select = simple_call(
        "ACS",
        "SelectTargets",
        params(json!({"ResourceType": "ALIYUN::ECS::Instance", "RegionId": "cn-hangzhou", "Filters": [
            {"Type": "Tags", "Tags": [{"Key": "env", "Value": "prod"}]},
            {"Type": "ResourceIds", "RegionId": "cn-beijing", "ResourceIds": beijing}]})),
    );
    let selected = client.call(&select).await.unwrap();
    let mut expected = prod.clone();
    expected.extend(beijing);
    assert_eq!(instance_ids(&selected), expected);
    assert_eq!(selected["TotalCount"], 130);
}

#[tokio::test]
async fn client_token_makes_a_repeated_run_instances_apply_once() {
    let cloud = Emulated::start(FLEET, None).await;
    let client = cloud.client(SignatureScheme::Acs3, retry());
    let template = &cloud.emulator().instances()[0];
    let mut run = simple_call(
        "ECS",
        "RunInstances",
        params(json!({"RegionId": "cn-hangzhou", "ImageId": template.image_id, "InstanceType": template.instance_type,
                      "SecurityGroupId": template.security_group_ids[0], "VSwitchId": template.vswitch_id, "Amount": 2})),
    );
    run.client_token = "exec-0001-task-run-attempt-0".into();
    let before = cloud.emulator().instances().len();
    let first = client.call(&run).await.unwrap();
    let replay = client.call(&run).await.unwrap();
    assert_eq!(first["InstanceIdSets"], replay["InstanceIdSets"]);
    assert_eq!(cloud.emulator().instances().len(), before + 2);

    run.client_token = "exec-0001-task-run-attempt-1".into();
    client.call(&run).await.unwrap();
    assert_eq!(cloud.emulator().instances().len(), before + 4);
}
