//! API names are case-insensitive in templates (`stopinstance`, `DescribeInstanceRAMRole`) but
//! exact on the wire: the canonical spelling of every API the corpus, the emulator and the OOS
//! OpenAPI use, per product. Unknown names are sent as written.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Product code → space-separated canonical API names.
const API_NAMES: &[(&str, &str)] = &[
    ("actiontrail", "CreateTrail"),
    ("adb", "DescribeBackupPolicy ModifyBackupPolicy ModifyDBClusterAccessWhiteList ModifyDBClusterMaintainTime"),
    ("bssopenapi", "GetOrderDetail RenewInstance SetRenewal"),
    ("clickhouse", "CreateSQLAccount DescribeAccounts"),
    ("cloudapi", "AbolishApi DescribeApi ModifyApi"),
    ("computenestsupplier", "GetServiceInstance RollbackServiceInstance UpgradeServiceInstance"),
    ("cr", "GetAuthorizationToken GetInstance"),
    (
        "cs",
        "DeleteClusterNodes DescribeClusterAttachScripts DescribeClusterNodes DescribeClusterV2UserKubeconfig \
         DescribeClusters DescribeTaskInfo ModifyCluster",
    ),
    ("dds", "ModifySecurityIps"),
    (
        "ecd",
        "CreateSnapshot DescribeCloudAssistantStatus DescribeDesktops DescribeInvocations DescribeSnapshots \
         ModifyDesktopChargeType RebootDesktops RebuildDesktops RenewDesktops RunCommand StartDesktops \
         StopDesktops",
    ),
    ("eci", "DescribeContainerGroups ExecContainerCommand UpdateContainerGroup"),
    (
        "ecs",
        "AcceptInquiredSystemEvent AddTags AllocateEipAddress AllocatePublicIpAddress ApplyAutoSnapshotPolicy \
         AssociateEipAddress AttachDisk AttachInstanceRamRole AttachKeyPair AttachNetworkInterface \
         AuthorizeSecurityGroup AuthorizeSecurityGroupEgress CancelAutoSnapshotPolicy CancelCopyImage \
         ConvertNatPublicIpToEip CopyImage CreateCommand CreateDiagnosticReport CreateDisk CreateImage \
         CreateInstance CreateLaunchTemplateVersion CreateNetworkInterface CreateSavingsPlan \
         CreateSecurityGroup CreateSnapshot DeleteCommand DeleteDisk DeleteImage DeleteInstance \
         DeleteInstances DeleteLaunchTemplateVersion DeleteNetworkInterface DeleteSecurityGroup \
         DeleteSnapshot DeleteSnapshotGroup DescribeAccountAttributes DescribeAutoSnapshotPolicyEx \
         DescribeAvailableResource DescribeCloudAssistantStatus DescribeDiagnosticReportAttributes \
         DescribeDisks DescribeEipAddresses DescribeImageSharePermission DescribeImages \
         DescribeInstanceAttribute DescribeInstanceRamRole DescribeInstanceStatus DescribeInstanceTypes \
         DescribeInstances DescribeInstancesFullStatus DescribeInvocationResults DescribeInvocations \
         DescribeKeyPairs DescribeLaunchTemplateVersions DescribeLaunchTemplates DescribeManagedInstances \
         DescribeNetworkInterfaces DescribeRegions DescribeReservedInstances DescribeSavingsPlanEstimation \
         DescribeSavingsPlanPrice DescribeSecurityGroupAttribute DescribeSecurityGroups \
         DescribeSnapshotGroups DescribeSnapshots DescribeSpotPriceHistory DescribeVSwitches DescribeVpcs \
         DescribeZones DetachDisk DetachInstanceRamRole DetachKeyPair DetachNetworkInterface ExportImage \
         InstallCloudAssistant InvokeCommand ListTagResources ModifyAutoSnapshotPolicyEx ModifyDiskAttribute \
         ModifyDiskSpec ModifyImageAttribute ModifyImageSharePermission ModifyInstanceAttribute \
         ModifyInstanceAutoRenewAttribute ModifyInstanceChargeType ModifyInstanceMaintenanceAttributes \
         ModifyInstanceNetworkSpec ModifyInstanceSpec ModifyInstanceVncPasswd ModifyInstanceVpcAttribute \
         ModifyLaunchTemplateDefaultVersion ModifyPrepayInstanceSpec PurchaseReservedInstancesOffering \
         ReInitDisk RebootInstance RebootInstances ReleaseEipAddress ReleasePublicIpAddress RenewInstance \
         ReplaceSystemDisk ResetDisk ResizeDisk RevokeSecurityGroup RevokeSecurityGroupEgress RunCommand \
         RunInstances StartInstance StartInstances StopInstance StopInstances TagResources \
         UnassociateEipAddress UntagResources",
    ),
    ("ehpc", "ModifyClusterAttributes"),
    ("ens", "DescribeDisks DescribeInstances"),
    (
        "ess",
        "CompleteLifecycleAction CreateLifecycleHook DescribeLifecycleHooks DescribeScalingConfigurations \
         DescribeScalingGroups DescribeScalingInstances EnterStandby ExitStandby ListTagResources \
         ModifyEciScalingConfiguration ModifyLifecycleHook ModifyScalingConfiguration ModifyScalingGroup \
         ResumeProcesses SetInstancesProtection SuspendProcesses",
    ),
    ("eventbridge", "PutEvents"),
    ("fc", "GetService InvokeFunction"),
    (
        "hbr",
        "CreateClients CreateHanaInstance CreateHanaRestore DeleteHanaInstance DescribeClients \
         DescribeHanaBackupSetting DescribeHanaBackupsAsync DescribeHanaInstances DescribeHanaRestores \
         DescribeTask UpdateHanaBackupSetting",
    ),
    ("kms", "DescribeKey SetDeletionProtection UpdateRotationPolicy"),
    ("mns", "PublishMessage"),
    (
        "oos",
        "AnalyzeGitRepository CancelExecution ChangeResourceGroup CheckGitRepoFileExists \
         CheckGitRepositoryExists ContinueDeployApplicationGroup CreateApplication CreateApplicationGroup \
         CreateChatConfiguration CreateDeployRevision CreateGitRepository CreateOpsItem CreateParameter \
         CreatePatchBaseline CreateSecretParameter CreateStateConfiguration CreateTemplate DeleteApplication \
         DeleteApplicationGroup DeleteChatConfiguration DeleteExecutions DeleteOpsItems DeleteParameter \
         DeletePatchBaseline DeleteSecretParameter DeleteStateConfigurations DeleteTemplate DeleteTemplates \
         DeployApplicationGroup DescribeApplicationGroupBill DescribeRegions GenerateExecutionPolicy \
         GenerateOpsItem GetApplication GetApplicationGroup GetChatConfiguration GetExecutionTemplate \
         GetGitBranch GetGitRepository GetInventorySchema GetOpsItem GetParameter GetParameters \
         GetParametersByPath GetPatchBaseline GetSecretParameter GetSecretParameters \
         GetSecretParametersByPath GetServiceSettings GetTemplate GetTemplateParameterConstraints ListActions \
         ListApplicationGroups ListApplications ListChatConfigurations ListExecutionLogs \
         ListExecutionRiskyTasks ListExecutions ListGitAccounts ListGitBranches ListGitOrganizations \
         ListGitRepositories ListGitRepositoryContents ListInstancePackageStates ListInstancePatchStates \
         ListInstancePatches ListInventoryEntries ListOpsItems ListParameterVersions ListParameters \
         ListPatchBaselines ListResourceExecutionStatus ListSecretParameterVersions ListSecretParameters \
         ListStateConfigurations ListTagKeys ListTagResources ListTagValues ListTaskExecutionInvocations \
         ListTaskExecutions ListTemplateVersions ListTemplates NotifyExecution RegisterDefaultPatchBaseline \
         SearchInventory SetServiceSettings StartDebugExecution StartExecution TagResources TriggerExecution \
         UntagResources UpdateApplication UpdateApplicationGroup UpdateChatConfiguration UpdateExecution \
         UpdateInstancePackageState UpdateOpsItem UpdateParameter UpdatePatchBaseline UpdateSecretParameter \
         UpdateStateConfiguration UpdateTemplate UpdateTemplateAttributes ValidateTemplateContent",
    ),
    (
        "oss",
        "GenerateUrl GetBucketPolicy GetBucketReferer PutBucketLogging PutBucketPolicy PutBucketReferer \
         PutBucketVersioning",
    ),
    (
        "polardb",
        "DescribeDBClusterAccessWhitelist ModifyBackupPolicy ModifyDBClusterAccessWhitelist \
         ModifyDBClusterDeletion ModifyDBClusterMaintainTime",
    ),
    (
        "r-kvstore",
        "CreateBackup DeleteInstance DescribeBackupPolicy DescribeBackupTasks DescribeBackups \
         DescribeDBInstanceNetInfo DescribeSecurityIps EnableAdditionalBandwidth FlushExpireKeys \
         ModifyAuditLogConfig ModifyBackupPolicy ModifyInstanceAttribute ModifyInstanceMaintainTime \
         ModifySecurityIps ReleaseInstancePublicConnection RenewInstance ResetAccountPassword",
    ),
    ("ram", "GetPolicy SetPasswordPolicy UpdateLoginProfile"),
    (
        "rds",
        "CreateAccount CreateBackup CreateDBInstance CreateDatabase DeleteDBInstance DescribeAccounts \
         DescribeDBInstanceAttribute DescribeDBInstanceIPArrayList DescribeDBInstanceNetInfo \
         DescribeDBInstances DescribeDatabases GrantAccountPrivilege MigrateSecurityIPMode \
         ModifyActionEventPolicy ModifyBackupPolicy ModifyDBInstanceDeletionProtection ModifyDBInstanceSpec \
         ModifySQLCollectorPolicy ModifySQLCollectorRetention ModifySecurityIps RecoveryDBInstance \
         ReleaseInstancePublicConnection RenewInstance RestartDBInstance StartDBInstance StopDBInstance \
         UpgradeDBInstanceEngineVersion",
    ),
    ("resourcecenter", "SearchResources"),
    ("resourcemanager", "MoveResources"),
    ("resourcesharing", "DisassociateResourceShare ListSharedResources"),
    ("ros", "CreateStack DeleteStack GetStack"),
    ("sae", "BindSlb CreateApplication DescribeChangeOrder"),
    (
        "sas",
        "CancelOnceTask DescribeAgentInstallStatus DescribeCloudCenterInstances DescribeOnceTask \
         DescribeVulExportInfo ExportVul GetAssetDetailByUuid GetAuthSummary ModifyStartVulScan \
         OperateAgentClientInstall RefreshAssets",
    ),
    (
        "slb",
        "AddAccessControlListEntry AddBackendServers DescribeLoadBalancerAttribute DescribeLoadBalancers \
         DescribeVServerGroupAttribute ModifyLoadBalancerInstanceSpec ModifyLoadBalancerInternetSpec \
         RemoveAccessControlListEntry RemoveBackendServers SetBackendServers SetLoadBalancerDeleteProtection \
         SetLoadBalancerModificationProtection SetVServerGroupAttribute",
    ),
    ("sts", "AssumeRole GetCallerIdentity"),
    ("tag", "ListTagResources ListTagValues TagResources UntagResources"),
    (
        "vpc",
        "AddCommonBandwidthPackageIp AllocateEipAddress AssociateEipAddress CreateVSwitch DeleteForwardEntry \
         DeleteVSwitch DeleteVpc DeletionProtection DescribeEipAddresses DescribeForwardTableEntries \
         DescribeIpv6Addresses DescribeIpv6Gateways DescribeNatGateways DescribeVSwitches \
         DescribeVpcAttribute DescribeVpcs ListTagResources ModifyEipAddressAttribute ReleaseEipAddress \
         RemoveCommonBandwidthPackageIp TagResources UnTagResources UnassociateEipAddress",
    ),
    ("waf-openapi", "ModifyLogServiceStatus"),
];

/// `"<product>/<api>"` in lower case → canonical API name.
static CANONICAL: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    API_NAMES
        .iter()
        .flat_map(|(product, names)| {
            names.split_whitespace().map(move |name| (format!("{product}/{}", name.to_ascii_lowercase()), name))
        })
        .collect()
});

/// The wire spelling of `api` for product `service` (both matched case-insensitively).
pub fn canonical_api<'a>(service: &str, api: &'a str) -> &'a str {
    let key = format!("{}/{}", service.to_ascii_lowercase(), api.to_ascii_lowercase());
    CANONICAL.get(&key).copied().unwrap_or(api)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_get_their_wire_spelling() {
        assert_eq!(canonical_api("ECS", "stopinstance"), "StopInstance");
        assert_eq!(canonical_api("ecs", "DescribeInstanceRAMRole"), "DescribeInstanceRamRole");
        assert_eq!(canonical_api("Ess", "ExitStandBy"), "ExitStandby");
        assert_eq!(canonical_api("oos", "liststemplates"), "liststemplates");
        assert_eq!(canonical_api("oos", "listtemplates"), "ListTemplates");
        assert_eq!(canonical_api("NewProduct", "doThing"), "doThing");
    }
}
