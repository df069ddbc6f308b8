//! ECS/VPC/SLB error codes the emulator answers with (codes and HTTP statuses as Alibaba's).

use oos_acs::{AcsError, ErrorCode};

pub const INVALID_SNAPSHOT_ID_NOT_FOUND: ErrorCode =
    ErrorCode::new("InvalidSnapshotId.NotFound", 404);
pub const INVALID_IMAGE_ID_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidImageId.NotFound", 404);
pub const INVALID_SECURITY_GROUP_ID_NOT_FOUND: ErrorCode =
    ErrorCode::new("InvalidSecurityGroupId.NotFound", 404);
pub const INVALID_ALLOCATION_ID_NOT_FOUND: ErrorCode =
    ErrorCode::new("InvalidAllocationId.NotFound", 404);
pub const INVALID_LOAD_BALANCER_ID_NOT_FOUND: ErrorCode =
    ErrorCode::new("InvalidLoadBalancerId.NotFound", 404);
pub const INVALID_REGION_ID_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidRegionId.NotFound", 404);
pub const INVALID_RESOURCE_TYPE_NOT_FOUND: ErrorCode =
    ErrorCode::new("InvalidResourceType.NotFound", 404);
pub const INVALID_EVENT_ID_NO_INQUIRING_EVENT_FOUND: ErrorCode =
    ErrorCode::new("InvalidEventId.NoInquiringEventFound", 404);
pub const INCORRECT_DISK_STATUS: ErrorCode = ErrorCode::new("IncorrectDiskStatus", 403);
pub const INCORRECT_IMAGE_STATUS: ErrorCode = ErrorCode::new("IncorrectImageStatus", 403);
pub const INCORRECT_EIP_STATUS: ErrorCode = ErrorCode::new("IncorrectEipStatus", 400);
pub const DEPENDENCY_VIOLATION: ErrorCode = ErrorCode::new("DependencyViolation", 403);
pub const OPERATION_DENIED_DELETION_PROTECTION: ErrorCode =
    ErrorCode::new("OperationDenied.DeletionProtection", 403);
pub const DRY_RUN_OPERATION: ErrorCode = ErrorCode::new("DryRunOperation", 400);

/// `<kind>.NotFound` for a missing resource id.
pub fn not_found(code: ErrorCode, what: &str, id: &str) -> AcsError {
    AcsError::new(code, format!("The specified {what} does not exist: {id}."))
}

/// `InvalidInstanceId.NotFound`.
pub fn instance_not_found(id: &str) -> AcsError {
    not_found(ErrorCode::INVALID_INSTANCE_ID_NOT_FOUND, "InstanceId", id)
}

/// `IncorrectInstanceStatus` naming the current status.
pub fn incorrect_instance_status(id: &str, status: &str, operation: &str) -> AcsError {
    AcsError::new(
        ErrorCode::INCORRECT_INSTANCE_STATUS,
        format!(
            "The current status of the resource does not support this operation: {operation} on {id} which is {status}."
        ),
    )
}

/// `DryRunOperation`: the request would have succeeded.
pub fn dry_run() -> AcsError {
    AcsError::new(
        DRY_RUN_OPERATION,
        "Request validation has been passed with DryRun flag set.",
    )
}
pub const IDEMPOTENT_PARAMETER_MISMATCH: ErrorCode =
    ErrorCode::new("IdempotentParameterMismatch", 400);

// Cloud Assistant.
pub const INVALID_INSTANCE_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidInstance.NotFound", 404);
pub const INVALID_CMD_ID_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidCmdId.NotFound", 404);
pub const INVALID_INVOKE_ID_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidInvokeId.NotFound", 404);
pub const CMD_CONTENT_EXCEED_LIMIT: ErrorCode = ErrorCode::new("CmdContent.ExceedLimit", 403);
pub const FILE_CONTENT_EXCEED_LIMIT: ErrorCode = ErrorCode::new("FileContent.ExceedLimit", 403);
pub const INSTANCE_IDS_EXCEED_LIMIT: ErrorCode = ErrorCode::new("InstanceIds.ExceedLimit", 403);
pub const PARAMETER_DISABLED: ErrorCode = ErrorCode::new("Parameter.Disabled", 404);
pub const PARAMETER_NOT_MATCHED: ErrorCode = ErrorCode::new("Parameter.NotMatched", 403);

// Instance family: key pairs, RAM roles, billing, specs, network interfaces.
pub const INVALID_KEY_PAIR_NAME_NOT_FOUND: ErrorCode =
    ErrorCode::new("InvalidKeyPairName.NotFound", 404);
pub const KEY_PAIR_ALREADY_EXIST: ErrorCode = ErrorCode::new("KeyPair.AlreadyExist", 400);
pub const INVALID_PUBLIC_KEY_BODY_MALFORMED: ErrorCode =
    ErrorCode::new("InvalidPublicKeyBody.Malformed", 400);
pub const INVALID_RAM_ROLE_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidRamRole.NotFound", 404);
pub const CHARGE_TYPE_VIOLATION: ErrorCode = ErrorCode::new("ChargeTypeViolation", 403);
pub const INVALID_INSTANCE_TYPE_VALUE_NOT_SUPPORTED: ErrorCode =
    ErrorCode::new("InvalidInstanceType.ValueNotSupported", 400);
pub const INVALID_NETWORK_INTERFACE_ID_NOT_FOUND: ErrorCode =
    ErrorCode::new("InvalidEniId.NotFound", 404);
pub const INCORRECT_NETWORK_INTERFACE_STATUS: ErrorCode =
    ErrorCode::new("InvalidOperation.InvalidEniState", 403);
pub const INVALID_VSWITCH_ID_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidVSwitchId.NotFound", 404);
pub const INVALID_INSTANCE_ID_ALREADY_EXISTS: ErrorCode =
    ErrorCode::new("InvalidInstanceId.AlreadyExists", 403);
pub const INSTANCE_SECURITY_GROUP_LIMIT_EXCEEDED: ErrorCode =
    ErrorCode::new("InstanceSecurityGroupLimitExceeded", 400);
pub const INVALID_INSTANCE_ID_MISMATCH: ErrorCode = ErrorCode::new("InvalidInstanceId.Mismatch", 400);
pub const ENI_PER_INSTANCE_LIMIT_EXCEEDED: ErrorCode =
    ErrorCode::new("EniPerInstanceLimitExceeded", 400);
pub const IPV4_COUNT_EXCEEDED: ErrorCode = ErrorCode::new("InvalidOperation.Ipv4CountExceeded", 400);
pub const INSTANCE_LAST_SECURITY_GROUP: ErrorCode = ErrorCode::new("InstanceLastSecurityGroup", 403);
pub const INVALID_SYSTEM_DISK_SIZE: ErrorCode =
    ErrorCode::new("InvalidSystemDiskSize.LessThanImageSize", 400);
pub const INVALID_VNC_PASSWORD_MALFORMED: ErrorCode =
    ErrorCode::new("InvalidVncPassword.Malformed", 400);
pub const INVALID_REPORT_ID_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidReportId.NotFound", 404);

/// `IncorrectInstanceStatus` unless instance `id` is in one of `allowed`.
pub fn require_status(
    instance: &crate::model::Instance,
    allowed: &[&str],
    operation: &str,
) -> Result<(), AcsError> {
    if allowed.contains(&instance.status.as_str()) {
        Ok(())
    } else {
        Err(incorrect_instance_status(&instance.instance_id, &instance.status, operation))
    }
}
/// A CPU credit mode asked of an instance type that is not burstable.
pub const NOT_SUPPORT_CREDIT: ErrorCode = ErrorCode::new("InvalidInstanceType.NotSupportCredit", 400);
