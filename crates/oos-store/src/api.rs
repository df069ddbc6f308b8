//! The storage seam of the API server, one narrow trait per concern: the template catalogue, the
//! API's view of executions, the parameter store, resource tags, IAM records and the audit trail.
//! Every backend implements them all; [`ServerStore`] is what a server holds. Mutating methods
//! commit the request's pending audit record (see [`crate::audit::scope`]) in their own transaction.

use crate::audit::{AuditQuery, AuditRecord, NewAudit, Verification};
use crate::model::{
    ExecutionMeta, ExecutionQuery, ListedExecution, NewParameter, NewTemplateVersion, ParameterQuery, ParameterRow, ParameterUpdate,
    ParameterVersionRow, ResourceTag, TagChange, TaggedKind, TemplateQuery, TemplateRow,
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

/// The hash-chained audit trail.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends records in a transaction of their own.
    async fn append_audit(&self, entries: &[NewAudit]) -> Result<()>;
    async fn audit_records(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>>;
    /// Walks the whole chain.
    async fn verify_audit(&self) -> Result<Verification>;
}

/// Everything a server reads and writes: the engine's store and the API's.
pub trait ServerStore: Store + TemplateStore + ExecutionApiStore + ParameterStore + TagStore + IamRecordStore + AuditStore + Close + std::fmt::Debug {}

impl<T> ServerStore for T where T: Store + TemplateStore + ExecutionApiStore + ParameterStore + TagStore + IamRecordStore + AuditStore + Close + std::fmt::Debug {}
