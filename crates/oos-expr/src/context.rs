//! The [`Context`] trait: everything an expression can read at evaluation time.

use serde_json::Value;

/// What expressions can read at evaluation time. Implemented by the engine (and by tests).
/// Every method returns `None` when the name is unknown; the evaluator turns that into an
/// `Expression.UndefinedReference` error naming the reference.
pub trait Context {
    /// Template parameter `{{ name }}` (exact name).
    fn parameter(&self, name: &str) -> Option<Value>;
    /// Declared task output `{{ task.output }}` (the implementor matches the exact name first, then
    /// case-insensitively).
    fn task_output(&self, task: &str, output: &str) -> Option<Value>;
    /// Whole raw result of a finished task: `{{ task }}`, or the input of a jq-style path such as
    /// `{{ task.Regions.Region[]?.LocalName }}`.
    fn task_result(&self, task: &str) -> Option<Value>;
    /// `ACS::` built-ins by canonical name (`RegionId`, `ExecutionId`, `AccountId`, `TaskLoopItem`,
    /// `CurrentUTCTime`, `CurrentDate`, `ExecuteUser`, `TemplateName`, …). The evaluator canonicalises
    /// the case before calling (see [`crate::Reference::Builtin`]).
    fn builtin(&self, name: &str) -> Option<Value>;
    /// Parameter store `{{ oos:Name }}` (`secret == false`) / `{{ oos-secret:Name }}` (`secret == true`).
    fn store_parameter(&self, name: &str, secret: bool) -> Option<Value>;
}
