//! Property test of the disk, snapshot policy, image task, VPC and SLB group actions: any
//! parameters, including ids that exist, give an answer or a 4xx error, never a panic.

mod support;

use std::time::Duration;

use oos_acs::RpcRequest;
use oos_emulator::{ECS_VERSION, SLB_VERSION, VPC_VERSION};
use proptest::prelude::*;

const SEED: &str = "
instances:
  - ids: [i-1, i-2]
images:
  - ids: [m-1]
load_balancers:
  - id: lb-1
    name: web
    backends: 2
    vserver_groups: [{id: rsp-1, name: app, backends: 1}]
";

const ACTIONS: [(&str, &str); 41] = [
    (ECS_VERSION, "ModifyDiskSpec"),
    (ECS_VERSION, "ReInitDisk"),
    (ECS_VERSION, "ResetDisk"),
    (ECS_VERSION, "ModifyDiskAttribute"),
    (ECS_VERSION, "ModifyDiskChargeType"),
    (ECS_VERSION, "CreateAutoSnapshotPolicy"),
    (ECS_VERSION, "DescribeAutoSnapshotPolicyEx"),
    (ECS_VERSION, "ModifyAutoSnapshotPolicyEx"),
    (ECS_VERSION, "ApplyAutoSnapshotPolicy"),
    (ECS_VERSION, "CancelAutoSnapshotPolicy"),
    (ECS_VERSION, "DeleteAutoSnapshotPolicy"),
    (ECS_VERSION, "CopySnapshot"),
    (ECS_VERSION, "ExportImage"),
    (ECS_VERSION, "ImportImage"),
    (ECS_VERSION, "DescribeTasks"),
    (ECS_VERSION, "DescribeTaskAttribute"),
    (ECS_VERSION, "DescribeVSwitches"),
    (ECS_VERSION, "AllocatePublicIpAddress"),
    (ECS_VERSION, "ReleasePublicIpAddress"),
    (ECS_VERSION, "ConvertNatPublicIpToEip"),
    (VPC_VERSION, "CreateVpc"),
    (VPC_VERSION, "CreateVSwitch"),
    (VPC_VERSION, "DeleteVSwitch"),
    (VPC_VERSION, "DeleteVpc"),
    (VPC_VERSION, "DescribeVpcs"),
    (VPC_VERSION, "CreateNatGateway"),
    (VPC_VERSION, "DeleteNatGateway"),
    (VPC_VERSION, "CreateCommonBandwidthPackage"),
    (VPC_VERSION, "AddCommonBandwidthPackageIp"),
    (VPC_VERSION, "DescribeCommonBandwidthPackages"),
    (SLB_VERSION, "CreateVServerGroup"),
    (SLB_VERSION, "AddVServerGroupBackendServers"),
    (SLB_VERSION, "RemoveVServerGroupBackendServers"),
    (SLB_VERSION, "SetVServerGroupAttribute"),
    (SLB_VERSION, "ModifyVServerGroupBackendServers"),
    (SLB_VERSION, "DeleteVServerGroup"),
    (SLB_VERSION, "DescribeVServerGroups"),
    (SLB_VERSION, "CreateLoadBalancerTCPListener"),
    (SLB_VERSION, "DescribeLoadBalancerTCPListenerAttribute"),
    (SLB_VERSION, "DescribeHealthStatus"),
    (SLB_VERSION, "DescribeLoadBalancerAttribute"),
];

fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("DiskId".to_string()),
        Just("DiskIds".to_string()),
        Just("diskIds".to_string()),
        Just("PerformanceLevel".to_string()),
        Just("DiskCategory".to_string()),
        Just("SnapshotId".to_string()),
        Just("InstanceId".to_string()),
        Just("autoSnapshotPolicyId".to_string()),
        Just("timePoints".to_string()),
        Just("repeatWeekdays".to_string()),
        Just("retentionDays".to_string()),
        Just("ImageId".to_string()),
        Just("OSSBucket".to_string()),
        Just("DiskDeviceMapping.1.OSSBucket".to_string()),
        Just("DiskDeviceMapping.1.OSSObject".to_string()),
        Just("DiskDeviceMapping.1.DiskImageSize".to_string()),
        Just("TaskId".to_string()),
        Just("VpcId".to_string()),
        Just("VSwitchId".to_string()),
        Just("ZoneId".to_string()),
        Just("CidrBlock".to_string()),
        Just("Bandwidth".to_string()),
        Just("BandwidthPackageId".to_string()),
        Just("IpInstanceId".to_string()),
        Just("PublicIpAddress".to_string()),
        Just("LoadBalancerId".to_string()),
        Just("VServerGroupId".to_string()),
        Just("BackendServers".to_string()),
        Just("OldBackendServers".to_string()),
        Just("NewBackendServers".to_string()),
        Just("ListenerPort".to_string()),
        Just("BackendServerPort".to_string()),
        "[A-Za-z.0-9]{1,16}",
    ]
}

fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("i-1".to_string()),
        Just("m-1".to_string()),
        Just("lb-1".to_string()),
        Just("rsp-1".to_string()),
        Just("vpc-cnhangzhou".to_string()),
        Just("vsw-cnhangzhouh".to_string()),
        Just("cn-hangzhou-h".to_string()),
        Just("[\"d-1\"]".to_string()),
        Just("[\"25\",\"1\"]".to_string()),
        Just("[{\"ServerId\":\"i-1\",\"Port\":\"99999\",\"Weight\":-1}]".to_string()),
        Just("[{\"ServerId\":\"i-2\",\"Port\":80}]".to_string()),
        Just("10.0.0.0/33".to_string()),
        Just("0.0.0.0/0".to_string()),
        Just("PL3".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999".to_string()),
        ".{0,24}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]
    #[test]
    fn arbitrary_parameters_give_answers_or_client_errors(
        action in 0..ACTIONS.len(),
        params in prop::collection::vec((param_name(), param_value()), 0..7),
    ) {
        let (emulator, _) = support::seeded_with_clock(SEED, Duration::ZERO);
        let (version, name) = ACTIONS[action];
        if let Err(error) = emulator.call(&RpcRequest::new(name, version, params)) {
            prop_assert!((400..500).contains(&error.status), "{name}: {error}");
            prop_assert!(!error.code.is_empty() && !error.message.is_empty());
        }
    }
}
