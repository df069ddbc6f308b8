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

/// The errors an invalid template's message lists at most.
const LISTED_TEMPLATE_ERRORS: usize = 20;

/// A template that cannot be read or is invalid: the code of its first error (`InvalidTemplate.*`)
/// and its errors with their places (`line:column: error[Code]: message (at key path)`), one a line,
/// the first first; past 20, the message says how many there are.
pub fn invalid_template(error: &TemplateError) -> AcsError {
    let others: Vec<String> = error.diagnostics.iter().filter(|d| d.is_error() && **d != error.first).map(ToString::to_string).collect();
    let count = match others.len() + 1 {
        1 => String::new(),
        n if n > LISTED_TEMPLATE_ERRORS => format!(" ({n} errors, the first {LISTED_TEMPLATE_ERRORS} listed)"),
        n => format!(" ({n} errors)"),
    };
    let mut message = format!("The template is invalid{count}: {}", error.first);
    for other in others.iter().take(LISTED_TEMPLATE_ERRORS - 1) {
        message.push('\n');
        message.push_str(other);
    }
    AcsError::with_code(error.code(), 400, message)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A template with `n` tasks of an unknown action: one error each.
    fn unknown_actions(n: usize) -> TemplateError {
        let tasks: String = (1..=n).map(|i| format!("  - Name: T{i}\n    Action: ACS::NoSuchAction\n")).collect();
        let content = format!("FormatVersion: OOS-2019-06-01\nTasks:\n{tasks}");
        let validation = oos_template::validate(&content, &oos_template::ValidateOptions::default());
        TemplateError::from_diagnostics(validation.diagnostics).expect("the template is invalid")
    }

    #[test]
    fn an_invalid_template_lists_each_error_at_its_line() {
        let one = invalid_template(&unknown_actions(1)).message;
        assert!(one.starts_with("The template is invalid: 4:5: error[") && !one.contains('\n'), "{one}");
        let three = invalid_template(&unknown_actions(3)).message;
        let lines: Vec<&str> = three.lines().collect();
        assert_eq!(lines.len(), 3, "{three}");
        assert!(lines[0].starts_with("The template is invalid (3 errors): 4:5: error["), "{three}");
        assert!(lines[1].starts_with("6:5: error[") && lines[2].starts_with("8:5: error["), "{three}");
        let many = invalid_template(&unknown_actions(25)).message;
        assert!(many.starts_with("The template is invalid (25 errors, the first 20 listed): ") && many.lines().count() == 20, "{many}");
    }
}
