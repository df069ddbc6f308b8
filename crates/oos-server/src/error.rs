//! The server's own error codes (beside the wire-level ones of `oos-acs`) and conversions of
//! library errors into API errors.

use oos_acs::{AcsError, ErrorCode};
use oos_iam::IamError;
use oos_template::TemplateError;

/// No template with this name.
pub const TEMPLATE_NOT_FOUND: ErrorCode = ErrorCode::new("EntityNotExists.Template", 404);
/// The template exists but not at the requested version.
pub const TEMPLATE_VERSION_NOT_FOUND: ErrorCode = ErrorCode::new("EntityNotExists.TemplateVersion", 404);
/// A write to a library template (`OpenOOS-…`) other than installing its own content.
pub const PUBLIC_TEMPLATE: ErrorCode = ErrorCode::new("Forbidden.PublicTemplate", 403);
/// CreateTemplate with a name that is taken.
pub const TEMPLATE_EXISTS: ErrorCode = ErrorCode::new("EntityAlreadyExists.Template", 409);
/// No parameter with this name.
pub const PARAMETER_NOT_FOUND: ErrorCode = ErrorCode::new("EntityNotExists.Parameter", 404);
/// The parameter exists but not at the requested version.
pub const PARAMETER_VERSION_NOT_FOUND: ErrorCode = ErrorCode::new("EntityNotExists.ParameterVersion", 404);
/// CreateParameter with a name that is taken.
pub const PARAMETER_EXISTS: ErrorCode = ErrorCode::new("EntityAlreadyExists.Parameter", 409);
/// No secret parameter with this name.
pub const SECRET_PARAMETER_NOT_FOUND: ErrorCode = ErrorCode::new("EntityNotExists.SecretParameter", 404);
/// The secret parameter exists but not at the requested version.
pub const SECRET_PARAMETER_VERSION_NOT_FOUND: ErrorCode = ErrorCode::new("EntityNotExists.SecretParameterVersion", 404);
/// CreateSecretParameter with a name that is taken.
pub const SECRET_PARAMETER_EXISTS: ErrorCode = ErrorCode::new("EntityAlreadyExists.SecretParameter", 409);
/// No execution with this id.
pub const EXECUTION_NOT_FOUND: ErrorCode = ErrorCode::new("EntityNotExists.Execution", 404);
/// Cancel or notify an execution that already finished.
pub const INCORRECT_EXECUTION_STATUS: ErrorCode = ErrorCode::new("IncorrectExecutionStatus", 400);
/// NotifyExecution Approve/Reject by a caller the waiting task's `Approvers` does not name.
pub const NOT_APPROVER: ErrorCode = ErrorCode::new("Forbidden.NotApprover", 403);
/// NotifyExecution Approve/Reject by the execution's starter without `oos:ApproveOwnExecution`.
pub const SELF_APPROVAL: ErrorCode = ErrorCode::new("Forbidden.SelfApproval", 403);

/// `InternalError` for a failure the caller cannot fix; the detail goes to the log, not the caller.
pub fn internal(error: impl std::fmt::Display) -> AcsError {
    tracing::error!(%error, "internal error");
    AcsError::new(ErrorCode::INTERNAL_ERROR, "The request processing has failed due to some unknown error.")
}

/// A template that cannot be read or is invalid: its code (`InvalidTemplate.*`) and the first
/// error with its place (line:column, key path).
pub fn invalid_template(error: &TemplateError) -> AcsError {
    AcsError::with_code(error.code(), 400, format!("The template is invalid: {}", error.first))
}

/// An IAM refusal or failure as an API error (internal failures are not detailed to the caller).
pub fn iam(error: IamError) -> AcsError {
    match error {
        IamError::Secret(_) | IamError::Store(_) => internal(error),
        IamError::AccessKeyNotFound => AcsError::new(ErrorCode::INVALID_ACCESS_KEY_ID_NOT_FOUND, "Specified access key is not found."),
        other => {
            let message = other.to_string();
            let message = message.split_once(": ").map_or(message.as_str(), |(_, rest)| rest).to_string();
            AcsError::with_code(other.code(), other.http_status(), message)
        }
    }
}

/// A store failure.
pub fn store(error: oos_store::StoreError) -> AcsError {
    internal(error)
}
