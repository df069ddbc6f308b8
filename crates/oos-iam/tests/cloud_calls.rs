//! Outbound cloud calls: `<service>:<API>` on the resources named by identifier parameters.

use oos_iam::ArnScope;
use oos_iam::cloud_calls::cloud_call_authz;
use oos_iam::execution_policy::{RequiredApi, generate_execution_policy, required_actions};
use oos_iam::{AuthzRequest, Context, Policy, PolicyType, evaluate};
use serde_json::{Value, json};

fn call(service: &str, api: &str, params: Value) -> (String, Vec<String>) {
    let Value::Object(params) = params else {
        panic!("params must be an object")
    };
    cloud_call_authz(service, api, &params, &ArnScope::new("cn-hangzhou", "123"))
}

const I: &str = "acs:ecs:cn-hangzhou:123:instance/";

#[test]
fn identifier_parameters_become_resources() {
    let cases: Vec<(&str, &str, Value, &str, Vec<String>)> = vec![
        (
            "ECS",
            "StopInstance",
            json!({"InstanceId": "i-1"}),
            "ecs:StopInstance",
            vec![format!("{I}i-1")],
        ),
        (
            "ecs",
            "StartInstance",
            json!({"InstanceId": "i-1", "RegionId": "cn-beijing"}),
            "ecs:StartInstance",
            vec!["acs:ecs:cn-beijing:123:instance/i-1".into()],
        ),
        (
            "ECS",
            "DescribeInstances",
            json!({"InstanceIds": "[\"i-1\",\"i-2\"]"}),
            "ecs:DescribeInstances",
            vec![format!("{I}i-1"), format!("{I}i-2")],
        ),
        (
            "ECS",
            "RunCommand",
            json!({"InstanceId": ["i-1", "i-2", "i-1"]}),
            "ecs:RunCommand",
            vec![format!("{I}i-1"), format!("{I}i-2")],
        ),
        (
            "ECS",
            "StopInstances",
            json!({"InstanceId.1": "i-1", "InstanceId.2": "i-3"}),
            "ecs:StopInstances",
            vec![format!("{I}i-1"), format!("{I}i-3")],
        ),
        (
            "ECS",
            "DescribeRegions",
            json!({}),
            "ecs:DescribeRegions",
            vec!["*".into()],
        ),
        (
            "ECS",
            "DescribeInstances",
            json!({"InstanceIds": "[]"}),
            "ecs:DescribeInstances",
            vec!["*".into()],
        ),
        (
            "ECS",
            "CreateSnapshot",
            json!({"DiskId": "d-1"}),
            "ecs:CreateSnapshot",
            vec!["acs:ecs:cn-hangzhou:123:disk/d-1".into()],
        ),
        (
            "ECS",
            "AuthorizeSecurityGroup",
            json!({"SecurityGroupId": "sg-1", "InstanceIdSuffix": "x"}),
            "ecs:AuthorizeSecurityGroup",
            vec!["acs:ecs:cn-hangzhou:123:securitygroup/sg-1".into()],
        ),
        (
            "VPC",
            "DescribeVSwitches",
            json!({"VpcId": "vpc-1"}),
            "vpc:DescribeVSwitches",
            vec!["acs:vpc:cn-hangzhou:123:vpc/vpc-1".into()],
        ),
        (
            "FC",
            "InvokeFunction",
            json!({"InstanceId": "i-1"}),
            "fc:InvokeFunction",
            vec!["*".into()],
        ),
    ];
    for (service, api, params, action, resources) in cases {
        assert_eq!(
            call(service, api, params.clone()),
            (action.to_string(), resources),
            "{service} {api} {params}"
        );
    }
}

#[test]
fn a_describe_only_role_may_not_stop_instances() {
    let role = Policy::parse("describe-only", PolicyType::Custom, r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}"#).unwrap();
    let check = |api: &str, params: Value| {
        let (action, resources) = call("ECS", api, params);
        evaluate(
            &[&role],
            &AuthzRequest {
                action,
                resources,
                context: Context::new(),
            },
        )
    };
    assert!(check("DescribeInstances", json!({"InstanceIds": "[\"i-1\"]"})).allowed);
    let stop = check("StopInstance", json!({"InstanceId": "i-1"}));
    assert!(!stop.allowed);
    assert_eq!(
        stop.resource.as_deref(),
        Some("acs:ecs:cn-hangzhou:123:instance/i-1")
    );
}

#[test]
fn generated_policy_is_minimal_and_valid() {
    let apis = [
        RequiredApi::new("ECS", "StopInstance"),
        RequiredApi::new("ecs", "DescribeInstances"),
        RequiredApi::new("ECS", "stopinstance"),
        RequiredApi::new("ECS", "StartInstance"),
        RequiredApi::new(" ", "Nothing"),
    ];
    assert_eq!(
        required_actions(&apis),
        [
            "ecs:DescribeInstances",
            "ecs:StartInstance",
            "ecs:StopInstance"
        ]
    );
    let document = generate_execution_policy(&apis);
    assert_eq!(
        document,
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:DescribeInstances","ecs:StartInstance","ecs:StopInstance"],"Resource":"*"}]}"#
    );
    let policy = Policy::parse("generated", PolicyType::Custom, &document).unwrap();
    let allowed = |api: &str| {
        let (action, resources) = call("ECS", api, json!({"InstanceId": "i-1"}));
        evaluate(
            &[&policy],
            &AuthzRequest {
                action,
                resources,
                context: Context::new(),
            },
        )
        .allowed
    };
    assert!(allowed("StopInstance") && allowed("DescribeInstances") && allowed("StartInstance"));
    assert!(!allowed("DeleteInstance"));
    assert_eq!(
        generate_execution_policy(&[]),
        r#"{"Version":"1","Statement":[]}"#
    );
}
