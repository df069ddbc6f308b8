//! Retention: what a server prunes, and one pass of it. Finished top-level executions older than
//! the policy go with their whole tree (never one with an unfinished or leased execution in it),
//! logs and task outputs may go earlier, and the audit trail is cut only after its old segment is
//! written to a file ([`segments`]). Every batch is a short transaction of its own, so running
//! executions are not held up; on PostgreSQL one process at a time runs a pass (an advisory lock).

pub mod segments;

use std::path::PathBuf;

use crate::Result;
use crate::audit::AuditRecord;
use crate::sql::Dialect;
use crate::sql::retention as sql;

/// The statuses of finished executions, the only ones retention removes.
pub const FINISHED: [&str; 3] = ["Success", "Failed", "Cancelled"];

/// What to keep, and for how long (milliseconds after an execution ended, or after a record's time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Finished top-level executions (with their trees) ended longer ago are deleted.
    pub executions_ms: Option<i64>,
    /// The statuses `executions_ms` applies to (a subset of [`FINISHED`]).
    pub statuses: Vec<String>,
    /// Logs and task outputs of finished trees ended longer ago are deleted.
    pub details_ms: Option<i64>,
    /// Audit records older than this are exported to `audit_dir` and deleted.
    pub audit_ms: Option<i64>,
    /// Where audit segments are written (required with `audit_ms`).
    pub audit_dir: Option<PathBuf>,
    /// Top-level executions per transaction.
    pub batch: i64,
    /// Most audit records per segment (one file, one delete).
    pub segment_records: i64,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            executions_ms: None,
            statuses: FINISHED.iter().map(|status| status.to_string()).collect(),
            details_ms: None,
            audit_ms: None,
            audit_dir: None,
            batch: 200,
            segment_records: 10_000,
        }
    }
}

/// A policy that cannot be applied.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("InvalidRetention.Status: {0:?} is not a finished status (Success, Failed, Cancelled)")]
    Status(String),
    #[error("InvalidRetention.AuditDirectory: audit retention needs a directory for the exported segments")]
    AuditDirectory,
    #[error("InvalidRetention.Batch: batch sizes must be at least 1")]
    Batch,
}

impl RetentionPolicy {
    /// Refuses statuses that are not finished, audit pruning without a directory, empty batches.
    pub fn check(&self) -> Result<(), PolicyError> {
        if let Some(status) = self.statuses.iter().find(|status| !FINISHED.contains(&status.as_str())) {
            return Err(PolicyError::Status(status.clone()));
        }
        if self.audit_ms.is_some() && self.audit_dir.is_none() {
            return Err(PolicyError::AuditDirectory);
        }
        if self.batch < 1 || self.segment_records < 1 {
            return Err(PolicyError::Batch);
        }
        Ok(())
    }
}

/// What one pass removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Executions deleted, children included.
    pub executions: u64,
    /// Log lines deleted and task outputs cleared.
    pub details: u64,
    /// Audit records deleted (each in an exported segment).
    pub audit_records: u64,
    /// The segment files written.
    pub segments: Vec<PathBuf>,
}

/// Retention as a server runs it.
#[async_trait::async_trait]
pub trait RetentionStore: Send + Sync {
    /// One pass of `policy` at `now_ms`; `None` when another process is running one (PostgreSQL).
    async fn retain(&self, policy: &RetentionPolicy, now_ms: i64) -> Result<Option<RetentionReport>>;
}

/// One execution of a tree under a root: whether it may go.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct TreeNode {
    pub root: String,
    pub id: String,
    pub status: String,
    pub lease_owner: Option<String>,
    pub lease_expires_ms: i64,
}

/// The statements of a pass, each its own transaction (implemented by each backend).
#[async_trait::async_trait]
pub(crate) trait Prune: Sync {
    /// Top-level executions of `statuses` ended before `before_ms`, after `cursor`, in (end, id) order.
    async fn ended_roots(&self, statuses: &[String], before_ms: i64, cursor: &(i64, String), limit: i64) -> Result<Vec<(i64, String)>>;
    /// [`prune_trees`] in one transaction.
    async fn prune_trees(&self, roots: &[String], now_ms: i64, whole: bool) -> Result<u64>;
    /// The oldest `limit` audit records and the newest record's seq.
    async fn oldest_audit(&self, limit: i64) -> Result<(Vec<AuditRecord>, i64)>;
    /// Deletes audit records `first..=last`.
    async fn delete_audit(&self, first: i64, last: i64) -> Result<u64>;
}

/// An execution's state as [`crate::sql::retention::lock`] read it.
pub(crate) type Locked = (String, String, Option<String>, i64);

/// The ids that may still go once `candidates` are locked: the trees of `nodes` rechecked with the
/// `locked` state (a worker may have claimed one between the read and the lock).
pub(crate) fn recheck(nodes: Vec<TreeNode>, candidates: &[String], locked: Vec<Locked>, now_ms: i64) -> Vec<String> {
    let locked: std::collections::HashMap<String, (String, Option<String>, i64)> =
        locked.into_iter().map(|(id, status, owner, expires)| (id, (status, owner, expires))).collect();
    let nodes: Vec<TreeNode> = nodes
        .into_iter()
        .filter(|node| candidates.contains(&node.id))
        .filter_map(|node| {
            let (status, lease_owner, lease_expires_ms) = locked.get(&node.id)?.clone();
            Some(TreeNode { status, lease_owner, lease_expires_ms, ..node })
        })
        .collect();
    removable(&nodes, now_ms)
}

/// A batch within the backend's transaction on `connection`: the trees under `roots`, and, for
/// those whose every execution is finished and unleased (read, then locked and read again), the
/// deletes of the whole tree (`whole`: returns the executions deleted) or of its logs and task
/// outputs (returns the log lines and outputs removed).
pub(crate) async fn prune_trees<DB: Dialect>(connection: &mut DB::Connection, roots: &[String], now_ms: i64, whole: bool) -> Result<u64>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> TreeNode: sqlx::FromRow<'r, DB::Row>,
    for<'r> Locked: sqlx::FromRow<'r, DB::Row>,
{
    let nodes: Vec<TreeNode> = sql::trees::<DB>(roots).build_query_as().fetch_all(&mut *connection).await?;
    let candidates = removable(&nodes, now_ms);
    if candidates.is_empty() {
        return Ok(0);
    }
    let locked: Vec<Locked> = sql::lock::<DB>(&candidates).build_query_as().fetch_all(&mut *connection).await?;
    let ids = recheck(nodes, &candidates, locked, now_ms);
    if ids.is_empty() {
        return Ok(0);
    }
    let statements = if whole { sql::delete_executions::<DB>(&ids) } else { sql::drop_details::<DB>(&ids).into() };
    let mut changed = 0;
    for (index, mut statement) in statements.into_iter().enumerate() {
        // RETURNING counts on both backends (their results share no rows_affected).
        let rows = statement.push(" RETURNING 1").build().fetch_all(&mut *connection).await?.len() as u64;
        if !whole || index == 0 {
            changed += rows;
        }
    }
    Ok(changed)
}

/// The ids of the trees that may go: every execution finished and not leased at `now_ms`.
pub(crate) fn removable(nodes: &[TreeNode], now_ms: i64) -> Vec<String> {
    let blocked: std::collections::HashSet<&str> = nodes
        .iter()
        .filter(|node| !FINISHED.contains(&node.status.as_str()) || (node.lease_owner.is_some() && node.lease_expires_ms > now_ms))
        .map(|node| node.root.as_str())
        .collect();
    nodes.iter().filter(|node| !blocked.contains(node.root.as_str())).map(|node| node.id.clone()).collect()
}

/// One pass: audit segments, then whole trees, then details.
pub(crate) async fn run(store: &dyn Prune, policy: &RetentionPolicy, now_ms: i64) -> Result<RetentionReport> {
    let mut report = RetentionReport::default();
    if let (Some(keep), Some(dir)) = (policy.audit_ms, &policy.audit_dir) {
        prune_audit(store, now_ms - keep, dir, policy.segment_records, &mut report).await?;
    }
    if let Some(keep) = policy.executions_ms {
        report.executions = prune_ended(store, &policy.statuses, now_ms - keep, now_ms, policy.batch, true).await?;
    }
    if let Some(keep) = policy.details_ms {
        let finished: Vec<String> = FINISHED.iter().map(|status| status.to_string()).collect();
        report.details = prune_ended(store, &finished, now_ms - keep, now_ms, policy.batch, false).await?;
    }
    Ok(report)
}

/// Walks the roots ended before `before_ms` page by page, pruning each page in one transaction.
async fn prune_ended(store: &dyn Prune, statuses: &[String], before_ms: i64, now_ms: i64, batch: i64, whole: bool) -> Result<u64> {
    let mut cursor = (i64::MIN, String::new());
    let mut changed = 0;
    loop {
        let roots = store.ended_roots(statuses, before_ms, &cursor, batch).await?;
        let Some(last) = roots.last() else { return Ok(changed) };
        cursor = last.clone();
        let ids: Vec<String> = roots.into_iter().map(|(_, id)| id).collect();
        changed += store.prune_trees(&ids, now_ms, whole).await?;
    }
}

/// Exports and deletes segments of records older than `before_ms`, never the newest record (the
/// chain head new records link to).
async fn prune_audit(store: &dyn Prune, before_ms: i64, dir: &std::path::Path, limit: i64, report: &mut RetentionReport) -> Result<()> {
    loop {
        let (records, head_seq) = store.oldest_audit(limit).await?;
        let segment: Vec<AuditRecord> = records.into_iter().take_while(|record| record.time_ms < before_ms && record.seq < head_seq).collect();
        let (Some(first), Some(last)) = (segment.first(), segment.last()) else { return Ok(()) };
        let (first, last) = (first.seq, last.seq);
        report.segments.push(segments::write(dir, &segment)?);
        report.audit_records += store.delete_audit(first, last).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(root: &str, id: &str, status: &str, lease: Option<(&str, i64)>) -> TreeNode {
        TreeNode { root: root.into(), id: id.into(), status: status.into(), lease_owner: lease.map(|(owner, _)| owner.into()), lease_expires_ms: lease.map_or(0, |(_, at)| at) }
    }

    #[test]
    fn a_tree_goes_whole_or_not_at_all() {
        let nodes = vec![
            node("a", "a", "Success", None),
            node("a", "a1", "Failed", Some(("dead-worker", 50))),
            node("b", "b", "Success", None),
            node("b", "b1", "Waiting", None),
            node("c", "c", "Cancelled", Some(("worker", 200))),
        ];
        assert_eq!(removable(&nodes, 100), vec!["a".to_string(), "a1".to_string()], "an expired lease does not hold a tree");
    }

    #[test]
    fn a_tree_claimed_between_the_read_and_the_lock_stays() {
        let nodes = vec![node("a", "a", "Success", None), node("a", "a1", "Success", None), node("b", "b", "Success", None)];
        let candidates = removable(&nodes, 100);
        let locked = vec![
            ("a".to_string(), "Success".to_string(), None, 0),
            ("a1".to_string(), "Success".to_string(), Some("worker".to_string()), 200),
            ("b".to_string(), "Success".to_string(), None, 0),
        ];
        assert_eq!(recheck(nodes, &candidates, locked, 100), vec!["b".to_string()]);
    }

    #[test]
    fn policies_that_cannot_be_applied_are_refused() {
        let policy = RetentionPolicy { statuses: vec!["Running".into()], ..RetentionPolicy::default() };
        assert_eq!(policy.check(), Err(PolicyError::Status("Running".into())));
        let policy = RetentionPolicy { audit_ms: Some(1), ..RetentionPolicy::default() };
        assert_eq!(policy.check(), Err(PolicyError::AuditDirectory));
        assert_eq!(RetentionPolicy { batch: 0, ..RetentionPolicy::default() }.check(), Err(PolicyError::Batch));
        assert_eq!(RetentionPolicy::default().check(), Ok(()));
    }
}
