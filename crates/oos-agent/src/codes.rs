//! The stable error codes an [`oos_agent_proto::Outcome`] carries when it did not succeed.

/// The process exited with a non-zero code (or was killed by a signal it was not sent by us).
pub const EXIT_CODE_NONZERO: &str = "ExitCodeNonzero";
/// The command ran past its timeout and was killed with its whole process group.
pub const EXECUTION_TIMEOUT: &str = "ExecutionTimeout";
/// The agent stopped while the invocation ran; it is never run again.
pub const EXECUTION_INTERRUPTED: &str = "ExecutionInterrupted";
/// StopInvocation killed it.
pub const INVOCATION_STOPPED: &str = "InvocationStopped";
/// The command type cannot run on this host (PowerShell and batch need Windows).
pub const COMMAND_NOT_APPLICABLE: &str = "CommandNotApplicable";
/// The user is unknown, or the agent cannot switch to it (it does not run as root).
pub const INVALID_USER: &str = "InvalidUser";
/// The working directory does not exist.
pub const INVALID_WORKING_DIR: &str = "InvalidWorkingDir";
/// The content references a `{{ parameter }}` that was not given.
pub const PARAMETER_MISSING: &str = "ParameterMissing";
/// The process could not be started (interpreter missing, script not writable…).
pub const PROCESS_START_FAILED: &str = "ProcessStartFailed";
/// SendFile: the file exists and `overwrite` is false.
pub const FILE_ALREADY_EXISTS: &str = "FileAlreadyExists";
/// SendFile: the name is empty, `.`/`..`, or has a `/`.
pub const INVALID_FILE_NAME: &str = "InvalidFileName";
/// SendFile: the mode is not octal permission bits.
pub const INVALID_FILE_MODE: &str = "InvalidFileMode";
/// SendFile: the content is not base64.
pub const INVALID_FILE_CONTENT: &str = "InvalidFileContent";
/// SendFile: the group is unknown.
pub const INVALID_GROUP: &str = "InvalidGroup";
/// SendFile: the directory or file could not be written.
pub const FILE_WRITE_FAILED: &str = "FileWriteFailed";
