//! Every diagnostic code this crate emits; `docs/error-codes.md` documents each one.

/// The template text is larger than the content limit (64 KB by default).
pub const TOO_LARGE: &str = "InvalidTemplate.TooLarge";
/// The text is neither valid JSON nor valid YAML.
pub const SYNTAX: &str = "InvalidTemplate.Syntax";
/// A mapping has the same key twice.
pub const DUPLICATE_KEY: &str = "InvalidTemplate.DuplicateKey";
/// `FormatVersion` is missing or is not `OOS-2019-06-01`.
pub const FORMAT_VERSION: &str = "InvalidTemplate.FormatVersion";
/// A state template (`OOS-2019-06-01-State`) where a template to execute is needed (StartExecution,
/// `oos run`, `ACS::Template`): state templates are applied by a state configuration.
pub const STATE_TEMPLATE: &str = "InvalidTemplate.StateTemplate";
/// An automation template where a state template is needed (CreateStateConfiguration).
pub const NOT_STATE_TEMPLATE: &str = "InvalidTemplate.NotStateTemplate";
/// A state template with `Tasks` (it has `States`).
pub const TASKS_IN_STATE: &str = "InvalidTemplate.TasksInStateTemplate";
/// A state's `ResourceType` that is not one this engine applies (`ACS:Inventory`).
pub const RESOURCE_TYPE: &str = "InvalidTemplate.ResourceType";
/// An `ACS:Inventory` `Policy` that is not an object of inventory type → `{Collection, Filters}`.
pub const POLICY: &str = "InvalidTemplate.Policy";
/// A required key (Tasks, task Name/Action, Loop Items, output Value…) is missing.
pub const MISSING_KEY: &str = "InvalidTemplate.MissingKey";
/// A key holds a value of the wrong shape (e.g. `Tasks` is a string).
pub const WRONG_TYPE: &str = "InvalidTemplate.WrongType";
/// A key the template language does not define (warning).
pub const UNKNOWN_KEY: &str = "InvalidTemplate.UnknownKey";
/// A task name is empty, too long or contains characters outside `[A-Za-z0-9_-]`.
pub const TASK_NAME: &str = "InvalidTemplate.TaskName";
/// Two tasks have the same name.
pub const DUPLICATE_TASK_NAME: &str = "InvalidTemplate.DuplicateTaskName";
/// A jump (OnSuccess/OnError/OnCancel, Choice NextTask/DefaultTask) or a reference names no task.
/// In template `Outputs` (computed after the run) it is a warning.
pub const TASK_NOT_FOUND: &str = "InvalidTemplate.TaskNotFound";
/// An `ACS::<Name>` action that does not exist.
pub const ACTION_NOT_FOUND: &str = "InvalidTemplate.ActionNotFound";
/// An action real OOS has but this engine does not implement, e.g. `ACS::GitCodeRepo` (warning).
pub const UNSUPPORTED_ACTION: &str = "InvalidTemplate.UnsupportedAction";
/// A product action `ACS::<Product>::<Name>` that the template library does not hold (warning).
pub const ACTION_UNKNOWN: &str = "InvalidTemplate.ActionUnknown";
/// A required property of the task's action is missing.
pub const MISSING_PROPERTY: &str = "InvalidTemplate.MissingProperty";
/// A property value has the wrong type for the action.
pub const PROPERTY_TYPE: &str = "InvalidTemplate.PropertyType";
/// A property the action does not define (warning).
pub const UNKNOWN_PROPERTY: &str = "InvalidTemplate.UnknownProperty";
/// A parameter `Type` other than String, Number, Boolean, List, Json.
pub const PARAMETER_TYPE: &str = "InvalidTemplate.ParameterType";
/// A parameter constraint is malformed (bad regex, MinLength not a number, …).
pub const PARAMETER_CONSTRAINT: &str = "InvalidTemplate.ParameterConstraint";
/// A parameter's literal Default violates its own Type or constraints.
pub const PARAMETER_DEFAULT: &str = "InvalidTemplate.ParameterDefault";
/// `{{ name }}` names no declared parameter.
pub const UNDEFINED_PARAMETER: &str = "InvalidTemplate.UndefinedParameter";
/// `{{ task.output }}` names a task that exists but declares no such output. A Loop
/// `AggregateField` naming no declared output is reported as a warning with this code.
pub const UNDEFINED_TASK_OUTPUT: &str = "InvalidTemplate.UndefinedTaskOutput";
/// A `{{ task.output }}` reference to a task that cannot have run before this point (warning).
pub const REFERENCE_ORDER: &str = "InvalidTemplate.ReferenceOrder";
/// A reference whose name matches a parameter or output only when case is ignored (warning;
/// OOS resolves such names case-insensitively).
pub const REFERENCE_CASE: &str = "InvalidTemplate.ReferenceCase";
/// An AllowedPattern that uses regex features this engine does not support (look-around,
/// backreferences); it is not enforced (warning).
pub const UNSUPPORTED_PATTERN: &str = "InvalidTemplate.UnsupportedPattern";
/// An expression (`{{ }}` or `Fn::`) that does not parse.
pub const EXPRESSION: &str = "InvalidTemplate.Expression";
/// An unknown `Fn::` function (the same code as in `oos-expr`).
pub const FUNCTION: &str = "InvalidTemplate.Function";
/// An `Fn::` function real OOS has but this engine does not implement, e.g. `Fn::FindMatchedPackage`
/// (warning: the template is valid, running that branch fails).
pub const UNSUPPORTED_FUNCTION: &str = "InvalidTemplate.UnsupportedFunction";
/// A jq program (ValueSelector, PropertySelector, Fn::Jq) that does not compile.
pub const JQ: &str = "InvalidTemplate.JqSyntax";
/// A jq program longer or more deeply nested than evaluation allows (see `oos_expr::limits`).
pub const JQ_TOO_COMPLEX: &str = "InvalidTemplate.JqTooComplex";
/// A duration literal (Sleep Duration) that does not parse.
pub const DURATION: &str = "InvalidTemplate.Duration";
/// A TimerTrigger cron or rate expression that does not parse.
pub const CRON: &str = "InvalidTemplate.Cron";
/// A Loop without Items, or with a malformed shape.
pub const LOOP: &str = "InvalidTemplate.Loop";
/// A literal RateControl (or legacy Concurrency/MaxErrors) that is malformed.
pub const RATE_CONTROL: &str = "InvalidTemplate.RateControl";
/// An output `Type` other than String, Number, Boolean, List, Json (Object).
pub const OUTPUT_TYPE: &str = "InvalidTemplate.OutputType";
/// A jump value that is not a task name or `ACS::END`/`ACS::NEXT`.
pub const JUMP: &str = "InvalidTemplate.Jump";
/// An ACS::Approve `MinRequiredApprovals` below 1 or above the number of `Approvers`.
pub const APPROVALS: &str = "InvalidTemplate.Approvals";
/// Retries/Delay/DelayType/BackOff/MaxRetryInterval/IsCritical literal of the wrong type or range.
pub const RETRY: &str = "InvalidTemplate.Retry";

/// A required parameter (no Default) was not given.
pub const MISSING_PARAMETER: &str = "MissingParameter";
/// A given parameter the template does not declare.
pub const UNKNOWN_PARAMETER: &str = "InvalidParameter.Unknown";
/// A value that cannot be coerced to the parameter's Type.
pub const PARAMETER_VALUE_TYPE: &str = "InvalidParameter.Type";
/// A value (or list element) not in AllowedValues.
pub const ALLOWED_VALUES: &str = "InvalidParameter.AllowedValues";
/// A string that does not fully match AllowedPattern.
pub const ALLOWED_PATTERN: &str = "InvalidParameter.AllowedPattern";
/// A string/list shorter than MinLength.
pub const MIN_LENGTH: &str = "InvalidParameter.MinLength";
/// A string/list longer than MaxLength.
pub const MAX_LENGTH: &str = "InvalidParameter.MaxLength";
/// A number below MinValue.
pub const MIN_VALUE: &str = "InvalidParameter.MinValue";
/// A number above MaxValue.
pub const MAX_VALUE: &str = "InvalidParameter.MaxValue";
/// A Default expression that could not be evaluated.
pub const DEFAULT_EVALUATION: &str = "InvalidParameter.Default";
