//! Durable storage for executions: narrow traits per concern, and the embedded SQLite implementation.
//!
//! The store holds no business rules: the engine serialises its own state into the `engine_state`
//! columns and decides what is runnable. Every state change of a step is written by one
//! [`StepStore::commit`] call, which is one database transaction fenced by the writer's lease.

pub mod api;
pub mod audit;
mod changes;
pub mod health;
pub mod model;
pub mod postgres;
mod records;
pub mod retention;
mod sql;
pub mod sqlite;
pub mod transfer;
mod wakeups;

pub use records::{
    ExecutionFilter, ExecutionRecord, InboxEvent, LogRecord, NewInboxEvent, NumberedLog, StepWrite, TaskRecord,
};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use wakeups::Wakeups;
pub use changes::{Change, Changes};
pub use retention::{RetentionPolicy, RetentionReport, RetentionStore};
pub use health::{Migrations, PoolUse, Readiness, Waiting};
pub use api::{AssistantStore, AuditStore, ConsoleStore, ExecutionApiStore, IamRecordStore, ParameterStore, SandboxInboxStore, ServerStore, StateConfigurationStore, TagStore, TemplateStore};
pub use model::*;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database itself failed (I/O, constraint, corrupt file).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A write was fenced off: another worker holds the execution's lease now.
    #[error("lease on execution {0} is held by another worker")]
    LeaseLost(String),
    /// The data directory cannot be used.
    #[error("data directory {path}: {message}")]
    DataDir { path: String, message: String },
    /// An audit segment file could not be written (retention deletes nothing then).
    #[error("AuditSegment.WriteFailed: {path}: {message}")]
    SegmentWrite { path: String, message: String },
    /// Another process already runs executions on this data directory.
    #[error("data directory {0} is in use by another oos process")]
    Busy(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Reading executions (for the engine on claim, and for the CLI/API).
#[async_trait::async_trait]
pub trait ExecutionStore: Send + Sync {
    async fn execution(&self, id: &str) -> Result<Option<ExecutionRecord>>;
    async fn executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>>;
    /// How many executions (children included) are not finished; of one template when `template_name` is given.
    async fn count_open(&self, template_name: Option<&str>) -> Result<i64>;
}

/// Reading task executions.
#[async_trait::async_trait]
pub trait TaskStore: Send + Sync {
    /// All task executions of one execution, in creation order.
    async fn tasks(&self, execution_id: &str) -> Result<Vec<TaskRecord>>;
    /// The task executions of one execution updated at or after `since_ms`, in creation order.
    async fn tasks_updated_since(&self, execution_id: &str, since_ms: i64) -> Result<Vec<TaskRecord>>;
}

/// Reading execution logs.
#[async_trait::async_trait]
pub trait LogStore: Send + Sync {
    async fn logs(&self, execution_id: &str, task_execution_id: Option<&str>) -> Result<Vec<LogRecord>>;
    /// The log lines of one execution numbered above `after` (0: all), oldest first. An execution's
    /// lines are numbered in the order they commit (its writes are serialised by its lease), so a
    /// reader that goes on from the last number it saw misses none.
    async fn logs_after(&self, execution_id: &str, after: i64) -> Result<Vec<NumberedLog>>;
}

/// The change feed: which executions changed, as their commits happen (see [`Changes`]).
pub trait ChangeFeed: Send + Sync {
    /// Announcements made from now on by any process writing this store.
    fn changes(&self) -> tokio::sync::broadcast::Receiver<Change>;
}

/// The per-execution inbox of external events (cancel, NotifyExecution, child finished).
#[async_trait::async_trait]
pub trait InboxStore: Send + Sync {
    /// Appends an event; a worker holding the execution consumes it in its next step.
    async fn push(&self, event: NewInboxEvent) -> Result<()>;
    /// Pending events of the given executions, oldest first (one query, however many ids).
    async fn pending(&self, execution_ids: &[String]) -> Result<Vec<InboxEvent>>;
    /// Pending events of every execution whose lease `owner` holds, oldest first (one query).
    async fn held_inbox(&self, owner: &str) -> Result<Vec<InboxEvent>>;
}

/// Leases: which worker may step which execution.
///
/// A worker only writes executions it holds (see [`StepStore::commit`]); a lease that is not renewed
/// expires and another worker may take the execution over.
#[async_trait::async_trait]
pub trait LeaseStore: Send + Sync {
    /// Claims up to `limit` executions that need a worker (runnable and due, or with pending inbox
    /// events) and whose lease is free or expired, and says whose expired lease each one took over.
    async fn claim(&self, owner: &str, now_ms: i64, ttl_ms: i64, limit: i64) -> Result<Vec<Claimed>>;
    /// Extends every lease `owner` holds.
    async fn renew(&self, owner: &str, now_ms: i64, ttl_ms: i64) -> Result<()>;
    /// The unfinished executions leased to `owner`: none that another worker has taken, whether or
    /// not `owner` renewed in time (its writes to them are still accepted).
    async fn leased(&self, owner: &str) -> Result<Vec<String>>;
    /// Gives up the leases on the given executions (and wakes the workers: they may take them now).
    async fn release(&self, owner: &str, execution_ids: &[String]) -> Result<()>;
    /// Announcements of work written by any process on this store: new executions, inbox events,
    /// released leases (see [`Wakeups`]).
    fn wakeups(&self) -> tokio::sync::watch::Receiver<u64>;
}

/// One execution a claim took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: String,
    /// The worker whose lease had expired when the claim took the execution over; `None` when the
    /// lease was free (a new execution, one handed back or released) or the claimer's own.
    pub taken_from: Option<String>,
}

/// The step transaction: all state changes of one or more steps, atomically.
#[async_trait::async_trait]
pub trait StepStore: Send + Sync {
    /// Writes everything in `write` in one transaction. Updates of existing executions are fenced:
    /// if `owner` does not hold the lease, nothing is written and [`StoreError::LeaseLost`] is returned.
    async fn commit(&self, owner: &str, write: &StepWrite) -> Result<()>;
    /// Creates new executions (unleased: any worker claims them) with their API metadata in one
    /// transaction, and wakes the workers. When `meta`'s ClientToken belongs to an execution
    /// already, nothing is written and that execution's id is returned.
    async fn create(&self, write: &StepWrite, meta: Option<&ExecutionMeta>) -> Result<Option<String>>;
}

/// The crash-loop guard: which executions were being worked on when their worker died.
#[async_trait::async_trait]
pub trait CrashGuard: Send + Sync {
    /// Marks executions `owner` holds as being worked on, before the work starts (durably).
    async fn mark_at_risk(&self, owner: &str, execution_ids: &[String]) -> Result<()>;
    /// Counts a crash when the execution was at risk (its worker died during the work) and clears
    /// the mark; returns how many crashes it has had since its last committed progress (every
    /// write of the execution by [`StepStore::commit`] resets the count).
    async fn recover(&self, execution_id: &str) -> Result<i64>;
}

/// Versioned templates of the library (product actions and user templates stored in the data dir).
#[async_trait::async_trait]
pub trait LibraryStore: Send + Sync {
    /// The content of `name` at `version`, or at its latest version.
    async fn library_template(&self, name: &str, version: Option<i64>) -> Result<Option<(i64, String)>>;
    /// Stores a new version of `name` and returns its number (1, 2, …).
    async fn put_library_template(&self, name: &str, content: &str, now_ms: i64) -> Result<i64>;
}

/// The end of a store's use by this process.
#[async_trait::async_trait]
pub trait Close: Send + Sync {
    /// Waits for the statements in progress and closes the connections (SQLite checkpoints its WAL
    /// into the database file); the store is not used afterwards.
    async fn close(&self);
}

/// Reading trigger executions' triggers and firings (written by [`StepStore::commit`]).
#[async_trait::async_trait]
pub trait TriggerStore: Send + Sync {
    /// Triggers in execution id order, narrowed by `query`, at most `query.limit`.
    async fn triggers(&self, query: &TriggerQuery) -> Result<Vec<TriggerRecord>>;
    /// The firings of one trigger execution, newest first, at most `limit`.
    async fn firings(&self, execution_id: &str, limit: i64) -> Result<Vec<FiringRecord>>;
}

/// Everything the engine runtime needs from a store.
pub trait Store:
    ExecutionStore + TaskStore + LogStore + ChangeFeed + InboxStore + LeaseStore + StepStore + LibraryStore + CrashGuard + TriggerStore
{
}

impl<T> Store for T where
    T: ExecutionStore + TaskStore + LogStore + ChangeFeed + InboxStore + LeaseStore + StepStore + LibraryStore + CrashGuard + TriggerStore
{
}
