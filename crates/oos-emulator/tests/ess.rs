//! Auto Scaling (ESS 2014-08-28): groups from the seed and from the API, scale-out creating real
//! ECS instances and scale-in releasing them, lifecycle hooks holding instances with a pending
//! action until CompleteLifecycleAction or the heartbeat timeout, standby and protection, and the
//! real error codes.

mod support;

use std::time::Duration;

use oos_acs::{AcsError, RpcRequest};
use oos_emulator::{ESS_VERSION, Emulator, EventKind, FleetSeed};
use serde_json::Value;
use support::ManualClock;

const SEED: &str = "
instances:
  - ids: [i-old1, i-old2, i-free]
load_balancers:
  - {name: web-lb, id: lb-web}
scaling_groups:
  - id: asg-web
    name: web
    min_size: 1
    max_size: 4
    load_balancers: [lb-web]
    instances: [i-old1, i-old2]
    configuration: {id: asc-web, instance_type: ecs.c7.large}
    lifecycle_hooks:
      - id: ash-launch
        name: launch
        transition: SCALE_OUT
        default_result: ABANDON
        heartbeat_timeout: 60
        notification_arn: 'acs:ess:cn-hangzhou:1000000000000001:oos/ACS-ESS-LifeCycleRunCommand'
";

fn emulator() -> (Emulator, ManualClock) {
    let clock = ManualClock::new();
    let emulator = clock
        .install(Emulator::builder())
        .seed(FleetSeed::from_yaml(SEED).expect("the seed parses"))
        .build()
        .expect("the emulator builds");
    (emulator, clock)
}

fn ess(emulator: &Emulator, action: &str, params: &[(&str, &str)]) -> Result<Value, AcsError> {
    let mut params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    params.push(("RegionId".into(), "cn-hangzhou".into()));
    emulator.call(&RpcRequest::new(action, ESS_VERSION, params))
}

fn members(emulator: &Emulator) -> Vec<(String, String)> {
    let body = ess(
        emulator,
        "DescribeScalingInstances",
        &[("ScalingGroupId", "asg-web")],
    )
    .unwrap();
    body["ScalingInstances"]["ScalingInstance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["InstanceId"].as_str().unwrap().to_owned(),
                item["LifecycleState"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn state_of(emulator: &Emulator, id: &str) -> Option<String> {
    members(emulator)
        .into_iter()
        .find(|(member, _)| member == id)
        .map(|(_, state)| state)
}

/// Scales out by one and returns the new instance, its lifecycle action token.
fn scale_out_one(emulator: &Emulator) -> (String, String) {
    let before: Vec<String> = members(emulator).into_iter().map(|(id, _)| id).collect();
    let activity = ess(
        emulator,
        "ScaleWithAdjustment",
        &[
            ("ScalingGroupId", "asg-web"),
            ("AdjustmentType", "QuantityChangeInCapacity"),
            ("AdjustmentValue", "1"),
        ],
    )
    .unwrap();
    let new = members(emulator)
        .into_iter()
        .map(|(id, _)| id)
        .find(|id| !before.contains(id))
        .expect("a new member");
    let actions = ess(
        emulator,
        "DescribeLifecycleActions",
        &[(
            "ScalingActivityId",
            activity["ScalingActivityId"].as_str().unwrap(),
        )],
    )
    .unwrap();
    let token = actions["LifecycleActions"]["LifecycleAction"][0]["LifecycleActionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    (new, token)
}

#[test]
fn the_seeded_group_is_described_with_the_2014_shapes() {
    let (emulator, _) = emulator();
    let body = ess(
        &emulator,
        "DescribeScalingGroups",
        &[("ScalingGroupId.1", "asg-web")],
    )
    .unwrap();
    let group = &body["ScalingGroups"]["ScalingGroup"][0];
    assert_eq!(group["LifecycleState"], "Active");
    assert_eq!(group["ActiveScalingConfigurationId"], "asc-web");
    assert_eq!(group["TotalCapacity"], 2);
    assert_eq!(group["ActiveCapacity"], 2);
    assert_eq!(group["LoadBalancerIds"]["LoadBalancerId"][0], "lb-web");
    assert_eq!(body["TotalCount"], 1);
    let hooks = ess(
        &emulator,
        "DescribeLifecycleHooks",
        &[("ScalingGroupId", "asg-web")],
    )
    .unwrap();
    assert_eq!(
        hooks["LifecycleHooks"]["LifecycleHook"][0]["DefaultResult"],
        "ABANDON"
    );
    let configurations = ess(
        &emulator,
        "DescribeScalingConfigurations",
        &[("ScalingGroupId", "asg-web")],
    )
    .unwrap();
    assert_eq!(
        configurations["ScalingConfigurations"]["ScalingConfiguration"][0]["InstanceType"],
        "ecs.c7.large"
    );
    let backends =
        emulator.with_cloud(|cloud| cloud.load_balancers["lb-web"].backend_servers.len());
    assert_eq!(
        backends, 2,
        "seeded members are backends of the group's load balancer"
    );
}

#[test]
fn a_scale_out_with_a_hook_waits_for_complete_lifecycle_action() {
    let (emulator, _) = emulator();
    let (new, token) = scale_out_one(&emulator);
    assert_eq!(state_of(&emulator, &new).as_deref(), Some("Pending:Wait"));
    let instance = emulator.instance(&new).expect("a real ECS instance");
    assert_eq!(instance.instance_type, "ecs.c7.large");
    let events = emulator.events();
    let pending = events
        .iter()
        .rev()
        .find(|event| {
            event.kind == EventKind::Event && event.body["name"] == "LifecycleAction:Pending"
        })
        .expect("the hook notifies");
    assert_eq!(
        pending.body["content"]["lifecycleActionToken"],
        token.as_str()
    );
    assert_eq!(
        pending.body["content"]["oosTemplateName"],
        "ACS-ESS-LifeCycleRunCommand"
    );
    assert_eq!(pending.body["content"]["instanceIds"][0], new.as_str());
    let busy = ess(
        &emulator,
        "ScaleWithAdjustment",
        &[
            ("ScalingGroupId", "asg-web"),
            ("AdjustmentType", "QuantityChangeInCapacity"),
            ("AdjustmentValue", "1"),
        ],
    );
    assert_eq!(busy.unwrap_err().code, "ScalingActivityInProgress");
    ess(
        &emulator,
        "CompleteLifecycleAction",
        &[
            ("LifecycleHookId", "ash-launch"),
            ("LifecycleActionToken", &token),
            ("LifecycleActionResult", "CONTINUE"),
        ],
    )
    .unwrap();
    assert_eq!(state_of(&emulator, &new).as_deref(), Some("InService"));
    let again = ess(
        &emulator,
        "CompleteLifecycleAction",
        &[
            ("LifecycleHookId", "ash-launch"),
            ("LifecycleActionToken", &token),
            ("LifecycleActionResult", "CONTINUE"),
        ],
    );
    assert_eq!(
        again.unwrap_err().code,
        "InvalidLifecycleActionToken.NotExist"
    );
    let activities = ess(
        &emulator,
        "DescribeScalingActivities",
        &[("ScalingGroupId", "asg-web")],
    )
    .unwrap();
    assert_eq!(
        activities["ScalingActivities"]["ScalingActivity"][0]["StatusCode"],
        "Successful"
    );
}

#[test]
fn abandon_and_the_heartbeat_timeout_release_the_new_instance() {
    let (emulator, clock) = emulator();
    let (new, token) = scale_out_one(&emulator);
    ess(
        &emulator,
        "CompleteLifecycleAction",
        &[
            ("LifecycleHookId", "ash-launch"),
            ("LifecycleActionToken", &token),
            ("LifecycleActionResult", "ABANDON"),
        ],
    )
    .unwrap();
    assert_eq!(state_of(&emulator, &new), None);
    assert!(
        emulator.instance(&new).is_none(),
        "an abandoned scale-out releases its instance"
    );

    let (second, _) = scale_out_one(&emulator);
    clock.advance(Duration::from_secs(61));
    assert_eq!(
        state_of(&emulator, &second),
        None,
        "the hook's DefaultResult ABANDON applies at the timeout"
    );
    assert!(emulator.instance(&second).is_none());
}

#[test]
fn standby_protection_and_removal_follow_the_lifecycle_states() {
    let (emulator, _) = emulator();
    let group = ("ScalingGroupId", "asg-web");
    ess(
        &emulator,
        "EnterStandby",
        &[group, ("InstanceId.1", "i-old1")],
    )
    .unwrap();
    assert_eq!(state_of(&emulator, "i-old1").as_deref(), Some("Standby"));
    let weight = emulator.with_cloud(|cloud| {
        cloud.load_balancers["lb-web"]
            .backend_servers
            .iter()
            .find(|s| s.server_id == "i-old1")
            .unwrap()
            .weight
    });
    assert_eq!(weight, 0, "a Standby instance takes no traffic");
    let protect = ess(
        &emulator,
        "SetInstancesProtection",
        &[
            group,
            ("InstanceIds.1", "i-old1"),
            ("ProtectedFromScaleIn", "true"),
        ],
    );
    assert_eq!(protect.unwrap_err().code, "IncorrectInstanceStatus");
    ess(
        &emulator,
        "ExitStandby",
        &[group, ("InstanceId.1", "i-old1")],
    )
    .unwrap();
    ess(
        &emulator,
        "SetInstancesProtection",
        &[
            group,
            ("InstanceIds.1", "i-old1"),
            ("ProtectedFromScaleIn", "true"),
        ],
    )
    .unwrap();
    assert_eq!(state_of(&emulator, "i-old1").as_deref(), Some("Protected"));

    let below_min = ess(
        &emulator,
        "RemoveInstances",
        &[
            group,
            ("InstanceId.1", "i-old1"),
            ("InstanceId.2", "i-old2"),
        ],
    );
    assert_eq!(below_min.unwrap_err().code, "IncorrectCapacity.MinSize");
    ess(
        &emulator,
        "DetachInstances",
        &[group, ("InstanceId.1", "i-old2")],
    )
    .unwrap();
    assert_eq!(state_of(&emulator, "i-old2"), None);
    assert!(
        emulator.instance("i-old2").is_some(),
        "a detached instance is kept"
    );
    ess(
        &emulator,
        "AttachInstances",
        &[group, ("InstanceId.1", "i-free")],
    )
    .unwrap();
    assert_eq!(
        state_of(&emulator, "i-free").as_deref(),
        Some("Pending:Wait"),
        "attaching goes through the SCALE_OUT hook"
    );
}

#[test]
fn groups_created_through_the_api_scale_from_their_configuration() {
    let (emulator, _) = emulator();
    let group = ess(
        &emulator,
        "CreateScalingGroup",
        &[
            ("ScalingGroupName", "api"),
            ("MinSize", "2"),
            ("MaxSize", "5"),
        ],
    )
    .unwrap();
    let id = group["ScalingGroupId"].as_str().unwrap().to_owned();
    let not_active = ess(
        &emulator,
        "ScaleWithAdjustment",
        &[
            ("ScalingGroupId", &id),
            ("AdjustmentType", "TotalCapacity"),
            ("AdjustmentValue", "3"),
        ],
    );
    assert_eq!(not_active.unwrap_err().code, "IncorrectScalingGroupStatus");
    let no_image = ess(
        &emulator,
        "CreateScalingConfiguration",
        &[
            ("ScalingGroupId", &id),
            ("InstanceType", "ecs.g7.large"),
            ("ImageId", "m-none"),
        ],
    );
    assert_eq!(no_image.unwrap_err().code, "InvalidImageId.NotFound");
    ess(
        &emulator,
        "CreateScalingConfiguration",
        &[
            ("ScalingGroupId", &id),
            ("InstanceType", "ecs.g7.large"),
            ("ImageId", "aliyun_3_x64_20G_alibase_20240819.vhd"),
        ],
    )
    .unwrap();
    ess(&emulator, "EnableScalingGroup", &[("ScalingGroupId", &id)]).unwrap();
    let count = |emulator: &Emulator| {
        let body = ess(
            emulator,
            "DescribeScalingInstances",
            &[("ScalingGroupId", &id)],
        )
        .unwrap();
        body["TotalCount"].as_u64().unwrap()
    };
    assert_eq!(count(&emulator), 2, "enabling launches the minimum");
    let rule = ess(
        &emulator,
        "CreateScalingRule",
        &[
            ("ScalingGroupId", &id),
            ("AdjustmentType", "QuantityChangeInCapacity"),
            ("AdjustmentValue", "2"),
        ],
    )
    .unwrap();
    ess(
        &emulator,
        "ExecuteScalingRule",
        &[("ScalingRuleAri", rule["ScalingRuleAri"].as_str().unwrap())],
    )
    .unwrap();
    assert_eq!(count(&emulator), 4);
    let scale_in = ess(
        &emulator,
        "ScaleWithAdjustment",
        &[
            ("ScalingGroupId", &id),
            ("AdjustmentType", "TotalCapacity"),
            ("AdjustmentValue", "2"),
        ],
    )
    .unwrap();
    assert!(
        scale_in["ScalingActivityId"]
            .as_str()
            .unwrap()
            .starts_with("asa-")
    );
    assert_eq!(count(&emulator), 2);
    assert_eq!(
        emulator.instances().len(),
        3 + 2,
        "the scale-in released the instances it removed"
    );
    let unknown = ess(
        &emulator,
        "ExecuteScalingRule",
        &[(
            "ScalingRuleAri",
            "ari:acs:ess:cn-hangzhou:1:scalingrule/asr-none",
        )],
    );
    assert_eq!(unknown.unwrap_err().code, "InvalidScalingRuleId.NotFound");
    let busy_delete = ess(&emulator, "DeleteScalingGroup", &[("ScalingGroupId", &id)]);
    assert_eq!(busy_delete.unwrap_err().code, "IncorrectScalingGroupStatus");
    ess(
        &emulator,
        "DeleteScalingGroup",
        &[("ScalingGroupId", &id), ("ForceDelete", "true")],
    )
    .unwrap();
    assert_eq!(emulator.instances().len(), 3);
    let gone = ess(
        &emulator,
        "DescribeScalingInstances",
        &[("ScalingGroupId", &id)],
    );
    assert_eq!(gone.unwrap_err().code, "InvalidScalingGroupId.NotFound");
}

#[test]
fn a_bad_seed_names_the_group() {
    let seed = "scaling_groups:\n  - {name: bad, instances: [i-missing]}\n";
    let error = Emulator::builder()
        .seed(FleetSeed::from_yaml(seed).unwrap())
        .build()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("scaling_groups[0] (\"bad\"): instances: \"i-missing\""),
        "{error}"
    );
}

/// Two groups, each with a hook whose lifecycle action the seed leaves pending.
const PENDING_SEED: &str = "
instances:
  - ids: [i-new1, i-new2, i-leaving]
scaling_groups:
  - id: asg-out
    name: out
    instances: [i-new1, i-new2]
    lifecycle_hooks:
      - id: ash-out
        name: out
        transition: SCALE_OUT
        pending: {token: 11111111-2222-3333-4444-555555555555, activity: asa-out, instances: [i-new1, i-new2]}
  - id: asg-in
    name: in
    instances: [i-leaving]
    lifecycle_hooks:
      - id: ash-in
        name: in
        transition: SCALE_IN
        pending: {token: 66666666-7777-8888-9999-000000000000, instances: [i-leaving]}
";

fn group_states(emulator: &Emulator, group: &str) -> Vec<(String, String)> {
    let body = ess(emulator, "DescribeScalingInstances", &[("ScalingGroupId", group)]).unwrap();
    body["ScalingInstances"]["ScalingInstance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| (item["InstanceId"].as_str().unwrap().to_owned(), item["LifecycleState"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_seeded_pending_lifecycle_action_holds_its_instances_until_completed() {
    let emulator = Emulator::builder()
        .seed(FleetSeed::from_yaml(PENDING_SEED).expect("the seed parses"))
        .build()
        .expect("the emulator builds");
    let waiting = |state: &str| vec![("i-new1".to_owned(), state.to_owned()), ("i-new2".to_owned(), state.to_owned())];
    assert_eq!(group_states(&emulator, "asg-out"), waiting("Pending:Wait"));
    let actions = ess(&emulator, "DescribeLifecycleActions", &[("ScalingActivityId", "asa-out")]).unwrap();
    let action = &actions["LifecycleActions"]["LifecycleAction"][0];
    assert_eq!(action["LifecycleActionToken"], "11111111-2222-3333-4444-555555555555");
    assert_eq!(action["LifecycleActionStatus"], "Pending");
    let busy = ess(&emulator, "ScaleWithAdjustment", &[("ScalingGroupId", "asg-out"), ("AdjustmentType", "QuantityChangeInCapacity"), ("AdjustmentValue", "1")]);
    assert_eq!(busy.unwrap_err().code, "ScalingActivityInProgress");
    let wrong_hook = ess(&emulator, "CompleteLifecycleAction", &[("LifecycleHookId", "ash-in"), ("LifecycleActionToken", "11111111-2222-3333-4444-555555555555")]);
    assert_eq!(wrong_hook.unwrap_err().code, "InvalidLifecycleActionToken.NotExist");
    ess(&emulator, "CompleteLifecycleAction", &[("LifecycleHookId", "ash-out"), ("LifecycleActionToken", "11111111-2222-3333-4444-555555555555"), ("LifecycleActionResult", "CONTINUE")]).unwrap();
    assert_eq!(group_states(&emulator, "asg-out"), waiting("InService"));
    let activities = ess(&emulator, "DescribeScalingActivities", &[("ScalingGroupId", "asg-out")]).unwrap();
    assert_eq!(activities["ScalingActivities"]["ScalingActivity"][0]["StatusCode"], "Successful");

    assert_eq!(group_states(&emulator, "asg-in"), [("i-leaving".to_owned(), "Removing:Wait".to_owned())]);
    ess(&emulator, "CompleteLifecycleAction", &[("LifecycleHookId", "ash-in"), ("LifecycleActionToken", "66666666-7777-8888-9999-000000000000"), ("LifecycleActionResult", "CONTINUE")]).unwrap();
    assert!(group_states(&emulator, "asg-in").is_empty(), "the scale-in goes on");
    assert!(emulator.instance("i-leaving").is_some(), "an attached instance is kept when it leaves");
}

#[test]
fn a_pending_action_holds_only_instances_of_its_group() {
    let seed = PENDING_SEED.replace("instances: [i-leaving]}", "instances: [i-new1]}");
    let error = Emulator::builder().seed(FleetSeed::from_yaml(&seed).unwrap()).build().unwrap_err();
    assert!(
        error.to_string().contains("scaling_groups[1] (\"in\"): lifecycle_hooks[0]: pending: instances: \"i-new1\" is not an instance of the group"),
        "{error}"
    );
}
