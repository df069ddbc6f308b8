//! Arbitrary parameters to every action never panic the emulator, and every failure is a
//! client error (4xx) with a code, never a server error.

mod support;

use std::time::Duration;

use oos_acs::RpcRequest;
use oos_emulator::{ECS_VERSION, SLB_VERSION, VPC_VERSION};
use proptest::prelude::*;

const ACTIONS: [(&str, &str); 30] = [
    (ECS_VERSION, "DescribeInstances"),
    (ECS_VERSION, "DescribeInstanceStatus"),
    (ECS_VERSION, "StopInstance"),
    (ECS_VERSION, "StartInstances"),
    (ECS_VERSION, "DeleteInstances"),
    (ECS_VERSION, "RunInstances"),
    (ECS_VERSION, "ModifyInstanceAttribute"),
    (ECS_VERSION, "DescribeDisks"),
    (ECS_VERSION, "AttachDisk"),
    (ECS_VERSION, "CreateDisk"),
    (ECS_VERSION, "CreateSnapshot"),
    (ECS_VERSION, "DescribeSnapshots"),
    (ECS_VERSION, "CreateImage"),
    (ECS_VERSION, "DescribeImages"),
    (ECS_VERSION, "CopyImage"),
    (ECS_VERSION, "ModifyImageSharePermission"),
    (ECS_VERSION, "AuthorizeSecurityGroup"),
    (ECS_VERSION, "RevokeSecurityGroupEgress"),
    (ECS_VERSION, "TagResources"),
    (ECS_VERSION, "ListTagResources"),
    (ECS_VERSION, "DescribeZones"),
    (ECS_VERSION, "RunCommand"),
    (ECS_VERSION, "InvokeCommand"),
    (ECS_VERSION, "DescribeInvocations"),
    (ECS_VERSION, "DescribeInvocationResults"),
    (ECS_VERSION, "StopInvocation"),
    (ECS_VERSION, "SendFile"),
    (VPC_VERSION, "AssociateEipAddress"),
    (VPC_VERSION, "DescribeEipAddresses"),
    (SLB_VERSION, "AddBackendServers"),
];

fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("InstanceId".to_string()),
        Just("InstanceIds".to_string()),
        Just("InstanceId.1".to_string()),
        Just("DiskId".to_string()),
        Just("PageSize".to_string()),
        Just("PageNumber".to_string()),
        Just("MaxResults".to_string()),
        Just("NextToken".to_string()),
        Just("Tag.1.Key".to_string()),
        Just("Tags".to_string()),
        Just("ResourceType".to_string()),
        Just("ResourceId.1".to_string()),
        Just("PortRange".to_string()),
        Just("IpProtocol".to_string()),
        Just("SecurityGroupId".to_string()),
        Just("ImageId".to_string()),
        Just("InstanceType".to_string()),
        Just("Amount".to_string()),
        Just("BackendServers".to_string()),
        Just("RegionId".to_string()),
        Just("DryRun".to_string()),
        Just("CommandContent".to_string()),
        Just("ContentEncoding".to_string()),
        Just("Type".to_string()),
        Just("Timeout".to_string()),
        Just("Parameters".to_string()),
        Just("EnableParameter".to_string()),
        Just("CommandId".to_string()),
        Just("InvokeId".to_string()),
        Just("Content".to_string()),
        "[A-Za-z.0-9]{1,16}",
    ]
}

fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[\"i-1\"]".to_string()),
        Just("{\"a\":1}".to_string()),
        Just("[{\"ServerId\":7}]".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999".to_string()),
        Just("nt-18446744073709551615".to_string()),
        Just("instance".to_string()),
        Just("1/0".to_string()),
        Just("cn-hangzhou".to_string()),
        Just("RunShellScript".to_string()),
        Just("Base64".to_string()),
        Just("ACS-ECS-Public.sh".to_string()),
        ".{0,24}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn arbitrary_parameters_give_answers_or_client_errors(
        action in 0..ACTIONS.len(),
        params in prop::collection::vec((param_name(), param_value()), 0..6),
    ) {
        let (emulator, _) = support::emulator_with_clock(Duration::ZERO);
        let (version, name) = ACTIONS[action];
        if let Err(error) = emulator.call(&RpcRequest::new(name, version, params)) {
            prop_assert!((400..500).contains(&error.status), "{name}: {error}");
            prop_assert!(!error.code.is_empty() && !error.message.is_empty());
        }
    }
}
