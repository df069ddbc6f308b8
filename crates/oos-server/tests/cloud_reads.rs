//! The cloud's read-only ECS actions the server forwards (DescribeInstances, DescribeRegions, ECS
//! 2014-05-26): authorized as `ecs:<Action>` on the caller's RAM policies, audited, answered from the
//! server's cloud (here the in-process emulator) without its credentials; a write, an undocumented
//! parameter or a region naming another host never reaches the cloud.

#[allow(dead_code)] // not every helper of the shared module is used here
mod api_client;

use api_client::{Backend, call, ecs, events, ram, start_with_emulator, user};
use oos_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET};
use serde_json::{Value, json};

const ECS: &str = "2014-05-26";

async fn allow(root: &oos_cloud::CloudClient, user: &str, actions: &[&str]) {
    let document = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}).to_string();
    ram(root, "CreatePolicy", &[("PolicyName", &format!("{user}Policy")), ("PolicyDocument", &document)]).await;
    ram(root, "AttachPolicyToUser", &[("PolicyType", "Custom"), ("PolicyName", &format!("{user}Policy")), ("UserName", user)]).await;
}

#[tokio::test]
async fn describe_instances_lists_the_clouds_instances_for_an_allowed_user_and_nothing_else_reaches_the_cloud() {
    let (server, root, emulator, _bed) = start_with_emulator(Backend::Sqlite).await;
    let url = format!("http://{}", server.addr());
    // alice may do anything on ECS (writes too): the server still forwards its reads only.
    let alice = user(&root, &url, "alice").await;
    allow(&root, "alice", &["ecs:*", "oos:ListAuditEvents"]).await;
    let bob = user(&root, &url, "bob").await;
    allow(&root, "bob", &["oos:*"]).await;
    let cloud = emulator.emulator();
    let mut expected: Vec<String> = cloud.instances().into_iter().map(|instance| instance.instance_id).collect();
    expected.sort();
    assert!(!expected.is_empty());

    let listed = ecs(&alice, "DescribeInstances", &[("RegionId", "cn-hangzhou"), ("PageSize", "500"), ("MaxResults", "500")]).await;
    let mut ids: Vec<String> = listed["Instances"]["Instance"].as_array().unwrap().iter().map(|i| i["InstanceId"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    assert_eq!(ids, expected);
    let text = listed.to_string();
    assert!(!text.contains(DEFAULT_ACCESS_KEY_ID) && !text.contains(DEFAULT_ACCESS_KEY_SECRET), "{text}");
    let regions = ecs(&alice, "DescribeRegions", &[]).await;
    assert!(regions["Regions"]["Region"].as_array().is_some_and(|regions| !regions.is_empty()), "{regions}");

    let refused = call(&bob, ECS, "DescribeInstances", &[("RegionId", "cn-hangzhou")]).await.unwrap_err();
    assert_eq!(refused.code, "Forbidden.RAM", "{refused:?}");
    assert!(refused.message.contains("ecs:DescribeInstances"), "{}", refused.message);

    let target = expected[0].clone();
    for write in ["StopInstance", "StopInstances", "DeleteInstance", "RebootInstance", "RunInstances", "ModifyInstanceAttribute"] {
        let error = call(&alice, ECS, write, &[("InstanceId", &target), ("InstanceIds", &format!("[\"{target}\"]")), ("RegionId", "cn-hangzhou")]).await.unwrap_err();
        assert_eq!(error.code, "InvalidAction.NotFound", "{write}: {error:?}");
    }
    for (name, value) in [("ForceStop", "true"), ("InstanceId", "i-1"), ("Tag.21.Key", "x"), ("OwnerId", "1")] {
        let error = call(&alice, ECS, "DescribeInstances", &[("RegionId", "cn-hangzhou"), (name, value)]).await.unwrap_err();
        assert_eq!(error.code, format!("InvalidParameter.{name}"), "{error:?}");
    }
    let error = call(&alice, ECS, "DescribeInstances", &[("RegionId", "x.attacker.example/")]).await.unwrap_err();
    assert_eq!(error.code, "InvalidParameter.RegionId");

    // The emulated cloud saw the two reads and nothing else; every instance is as it was.
    let actions: Vec<String> = cloud.calls().into_iter().map(|call| call.action).collect();
    assert_eq!(actions, ["DescribeInstances", "DescribeRegions"]);
    assert!(cloud.mutations().is_empty());
    assert!(cloud.instances().iter().all(|instance| instance.status == "Running"));

    let audited = events(&alice, &[("EventAction", "DescribeInstances")]).await;
    let outcomes: Vec<(String, String)> = audited.iter().map(|event| (field(event, "Principal"), field(event, "ResultCode"))).collect();
    assert!(outcomes.iter().any(|(who, code)| who.ends_with("user/alice") && code == "Success"), "{audited:#?}");
    assert!(outcomes.iter().any(|(who, code)| who.ends_with("user/bob") && code == "Forbidden.RAM"), "{audited:#?}");
    let written = events(&alice, &[("EventAction", "StopInstance")]).await;
    assert!(!written.is_empty());
    assert!(written.iter().all(|event| field(event, "ResultCode") == "InvalidAction.NotFound"), "{written:#?}");
}

/// A field of an audit event's record.
fn field(event: &Value, name: &str) -> String {
    event["Event"][name].as_str().unwrap_or_default().to_owned()
}
