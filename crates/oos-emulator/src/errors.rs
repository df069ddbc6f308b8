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
