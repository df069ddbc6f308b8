//! The storage seam of the API server, one narrow trait per concern: the template catalogue, the
//! API's view of executions, the parameter store, resource tags, IAM records and the audit trail.
//! Every backend implements them all; [`ServerStore`] is what a server holds. Mutating methods
//! commit the request's pending audit record (see [`crate::audit::scope`]) in their own transaction.

use crate::audit::{AuditQuery, AuditRecord, NewAudit, Verification};
use crate::model::{
    ActivationRow, Application, ConsoleSession, LockoutRule, CommandQuery, CommandRow, Delivery, InvocationQuery, InvocationRow, InvocationTarget, ManagedInstanceQuery,
    ManagedInstanceRow, RegisterOutcome, TargetChange, ExecutionMeta, ExecutionQuery, ListedExecution, NewParameter, NewTemplateVersion, ParameterQuery, ParameterRow, ParameterUpdate,
    ParameterVersionRow, ResourceTag, SandboxLetter, SandboxLetterQuery, StateConfigurationQuery, StateConfigurationRow, TagChange, TaggedKind, TemplateQuery, TemplateRow,
};
use crate::{Close, Result, Store};

/// Templates created through the API, versioned (each version's content is in the engine's library).
#[async_trait::async_trait]
pub trait TemplateStore: Send + Sync {
    /// Version 1 of a new template; `None` when the name is taken.
    async fn create_template(&self, new: &NewTemplateVersion) -> Result<Option<TemplateRow>>;
    /// A new version of an existing template; `None` when it does not exist.
    async fn update_template(&self, new: &NewTemplateVersion) -> Result<Option<TemplateRow>>;
    /// The template at `version`, or at its latest version.
    async fn template(&self, name: &str, version: Option<i64>) -> Result<Option<TemplateRow>>;
    /// Every version of a template, newest first.
    async fn template_versions(&self, name: &str) -> Result<Vec<TemplateRow>>;
    async fn list_templates(&self, query: &TemplateQuery) -> Result<Vec<TemplateRow>>;
    /// Whether the template exists (and now has the flag).
    async fn set_template_favorite(&self, name: &str, favorite: bool) -> Result<bool>;
    /// Whether a template was deleted (all its versions).
    async fn delete_template(&self, name: &str) -> Result<bool>;
}

/// What the API keeps about executions beyond the engine's rows, and the ListExecutions query.
#[async_trait::async_trait]
pub trait ExecutionApiStore: Send + Sync {
    /// Records a new execution's metadata; when its ClientToken belongs to another execution
    /// already, nothing is written and that execution's id is returned.
    async fn put_execution_meta(&self, meta: &ExecutionMeta) -> Result<Option<String>>;
    async fn execution_meta(&self, execution_id: &str) -> Result<Option<ExecutionMeta>>;
    async fn execution_by_client_token(&self, client_token: &str) -> Result<Option<String>>;
    /// Deletes executions with their tasks, logs and children; returns the ids deleted.
    async fn delete_executions(&self, ids: &[String]) -> Result<Vec<String>>;
    /// One page and the total count.
    async fn list_executions(&self, query: &ExecutionQuery) -> Result<(Vec<ListedExecution>, i64)>;
    async fn listed_execution(&self, execution_id: &str) -> Result<Option<ListedExecution>>;
}

/// Common and secret parameters, versioned (secret values arrive sealed).
#[async_trait::async_trait]
pub trait ParameterStore: Send + Sync {
    /// Version 1 of a new parameter; `None` when the name is taken.
    async fn create_parameter(&self, new: &NewParameter) -> Result<Option<ParameterRow>>;
    /// The changed parameter; `None` when it does not exist.
    async fn update_parameter(&self, update: &ParameterUpdate) -> Result<Option<ParameterRow>>;
    async fn parameter(&self, secret: bool, name: &str, version: Option<i64>) -> Result<Option<ParameterRow>>;
    async fn parameter_versions(&self, secret: bool, name: &str) -> Result<Vec<ParameterVersionRow>>;
    async fn list_parameters(&self, query: &ParameterQuery) -> Result<(Vec<ParameterRow>, i64)>;
    async fn delete_parameter(&self, secret: bool, name: &str) -> Result<bool>;
}

/// Tags of templates, executions and parameters.
#[async_trait::async_trait]
pub trait TagStore: Send + Sync {
    /// Applies `change` to each resource; returns the ids that do not exist (nothing is written then).
    async fn retag(&self, kind: TaggedKind, ids: &[String], change: &TagChange) -> Result<Vec<String>>;
    /// Tags of the given resources (all when `ids` is empty) that have every tag of `having`.
    async fn resource_tags(&self, kind: TaggedKind, ids: &[String], having: &[(String, String)], offset: i64, limit: i64) -> Result<Vec<ResourceTag>>;
    async fn tag_keys(&self, kind: TaggedKind, offset: i64, limit: i64) -> Result<Vec<String>>;
    async fn tag_values(&self, kind: TaggedKind, tag_key: &str, offset: i64, limit: i64) -> Result<Vec<String>>;
}

/// IAM entities as JSON documents by kind and key.
#[async_trait::async_trait]
pub trait IamRecordStore: Send + Sync {
    /// Whether it was inserted (false: the key exists).
    async fn insert_iam_record(&self, kind: &str, key: &str, body: &str) -> Result<bool>;
    /// Whether it existed.
    async fn update_iam_record(&self, kind: &str, key: &str, body: &str) -> Result<bool>;
    async fn iam_record(&self, kind: &str, key: &str) -> Result<Option<String>>;
    async fn iam_records(&self, kind: &str) -> Result<Vec<String>>;
    async fn delete_iam_record(&self, kind: &str, key: &str) -> Result<bool>;
}

/// Console sign-in: sessions by token hash, and failed sign-ins per user name for the lock-out.
/// Creating and deleting a session commit the request's pending audit record with it.
#[async_trait::async_trait]
pub trait ConsoleStore: Send + Sync {
    /// Stores `session` and deletes the sessions ended at `now_ms`.
    async fn create_console_session(&self, session: &ConsoleSession, now_ms: i64) -> Result<()>;
    /// The session with this token hash if it is live at `now_ms`; its idle end moves to `idle_expires_ms`.
    async fn touch_console_session(&self, token_hash: &str, now_ms: i64, idle_expires_ms: i64) -> Result<Option<ConsoleSession>>;
    /// Whether it existed.
    async fn delete_console_session(&self, token_hash: &str) -> Result<bool>;
    /// Revokes every session of the user name but the one with token hash `keep`; how many.
    async fn revoke_console_sessions(&self, user_name: &str, keep: Option<&str>) -> Result<u64>;
    /// Until when the user name is locked (Unix ms; 0 or past: not locked).
    async fn sign_in_locked_until(&self, user_name: &str) -> Result<i64>;
    /// Counts a failed sign-in of the user name under `rule`; until when it is locked now.
    async fn record_sign_in_failure(&self, user_name: &str, now_ms: i64, rule: &LockoutRule) -> Result<i64>;
    /// Forgets the user name's failures (after a successful sign-in).
    async fn clear_sign_in_failures(&self, user_name: &str) -> Result<()>;
}

/// The hash-chained audit trail.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends records in a transaction of their own.
    async fn append_audit(&self, entries: &[NewAudit]) -> Result<()>;
    async fn audit_records(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>>;
    /// Walks the whole chain.
    async fn verify_audit(&self) -> Result<Verification>;
}

/// The Cloud Assistant for managed instances: activations, registered hosts, saved commands and
/// invocations. Tags of instances, commands and activations go through [`TagStore`].
#[async_trait::async_trait]
pub trait AssistantStore: Send + Sync {
    /// `false` when the id is taken.
    async fn create_activation(&self, activation: &ActivationRow) -> Result<bool>;
    /// The activations with these ids (every one when empty), newest first.
    async fn activations(&self, ids: &[String]) -> Result<Vec<ActivationRow>>;
    async fn delete_activation(&self, activation_id: &str) -> Result<bool>;
    /// In one transaction: the activation exists with `code_hash`, has not expired at `now_ms` and
    /// has uses left; its use is counted and `instance` inserted. Otherwise nothing is written.
    async fn register_instance(&self, code_hash: &str, now_ms: i64, instance: &ManagedInstanceRow) -> Result<RegisterOutcome>;
    async fn managed_instance(&self, instance_id: &str) -> Result<Option<ManagedInstanceRow>>;
    async fn managed_instances(&self, query: &ManagedInstanceQuery) -> Result<Vec<ManagedInstanceRow>>;
    /// Removes the instance (its activation counts it deregistered) and fails its unfinished
    /// targets; `false` when it did not exist.
    async fn deregister_instance(&self, instance_id: &str, now_ms: i64) -> Result<bool>;
    /// The hub saw the agent: last seen, connected or not, and its host inventory when given.
    /// `false` when the instance does not exist (deregistered).
    async fn instance_seen(&self, instance_id: &str, now_ms: i64, connected: bool, inventory: Option<&str>) -> Result<bool>;
    /// Merges collected inventory (a JSON object: type → items) into the instance's.
    async fn record_inventory(&self, instance_id: &str, collected: &str) -> Result<()>;

    /// `false` when the id is taken.
    async fn create_command(&self, command: &CommandRow) -> Result<bool>;
    async fn commands(&self, query: &CommandQuery) -> Result<Vec<CommandRow>>;
    async fn delete_command(&self, command_id: &str) -> Result<bool>;

    /// The invocation and its targets in one transaction. When its `client_token` belongs to an
    /// invocation already, nothing is written and that invocation's id is returned.
    async fn create_invocation(&self, invocation: &InvocationRow, targets: &[InvocationTarget]) -> Result<Option<String>>;
    /// Invocations newest first, each with its targets (only the queried instance's when the query
    /// names one), and the total count.
    async fn invocations(&self, query: &InvocationQuery) -> Result<(Vec<(InvocationRow, Vec<InvocationTarget>)>, i64)>;
    /// Targets of these instances that are `Pending` or `Stopping`, oldest first (one query).
    async fn deliveries(&self, instance_ids: &[String]) -> Result<Vec<Delivery>>;
    /// Applies `change` to one target unless it is final; `false` when nothing changed.
    async fn update_target(&self, invoke_id: &str, instance_id: &str, change: &TargetChange) -> Result<bool>;
    /// Fails every unfinished target whose deadline is before `now_ms`: `ClientNotResponse` when
    /// it was never accepted, `ExecutionTimeout` when it was; returns how many.
    async fn expire_targets(&self, now_ms: i64) -> Result<u64>;
}

/// State configurations (CreateStateConfiguration…): each write of one also writes the invocation
/// applying it, when it targets any instance, in the same transaction.
#[async_trait::async_trait]
pub trait StateConfigurationStore: Send + Sync {
    /// The configuration and its application. When its `client_token` belongs to a configuration
    /// already, nothing is written and that configuration's id is returned.
    async fn create_state_configuration(&self, row: &StateConfigurationRow, application: Option<Application<'_>>) -> Result<Option<String>>;
    /// The changed configuration and its new application; `false` (nothing written) when it does not exist.
    async fn update_state_configuration(&self, row: &StateConfigurationRow, application: Option<Application<'_>>) -> Result<bool>;
    async fn state_configurations(&self, query: &StateConfigurationQuery) -> Result<Vec<StateConfigurationRow>>;
    /// Deletes these configurations (the invocations that applied them stay); how many existed.
    async fn delete_state_configurations(&self, ids: &[String]) -> Result<u64>;
    /// Scheduled configurations whose next application is due at `now_ms`, most overdue first.
    async fn due_state_configurations(&self, now_ms: i64, limit: i64) -> Result<Vec<StateConfigurationRow>>;
    /// Claims the application of `id` due at `due_ms` by moving it to `next_ms`, and writes it, in one
    /// transaction; `false` (nothing written) when another writer claimed it first or it is gone.
    async fn reapply_state_configuration(&self, id: &str, due_ms: i64, next_ms: i64, application: Option<Application<'_>>) -> Result<bool>;
}

/// The sandbox inbox: requests a sandbox captured instead of sending them.
#[async_trait::async_trait]
pub trait SandboxInboxStore: Send + Sync {
    /// Stores `letter` and deletes the oldest letters beyond the newest `keep`, in one transaction.
    async fn capture_letter(&self, letter: &SandboxLetter, keep: i64) -> Result<()>;
    /// The letters matching `query`, newest first.
    async fn sandbox_letters(&self, query: &SandboxLetterQuery) -> Result<Vec<SandboxLetter>>;
    async fn sandbox_letter(&self, id: &str) -> Result<Option<SandboxLetter>>;
    /// Deletes every letter; how many there were.
    async fn clear_sandbox_inbox(&self) -> Result<u64>;
}

/// Everything a server reads and writes: the engine's store and the API's.
pub trait ServerStore:
    Store + TemplateStore + ExecutionApiStore + ParameterStore + TagStore + IamRecordStore + ConsoleStore + AuditStore + AssistantStore + StateConfigurationStore + SandboxInboxStore + crate::RetentionStore + crate::Readiness + Close + std::fmt::Debug
{
}

impl<T> ServerStore for T where
    T: Store + TemplateStore + ExecutionApiStore + ParameterStore + TagStore + IamRecordStore + ConsoleStore + AuditStore + AssistantStore + StateConfigurationStore + SandboxInboxStore + crate::RetentionStore + crate::Readiness + Close + std::fmt::Debug
{
}
