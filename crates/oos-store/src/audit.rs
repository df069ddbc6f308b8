//! Audit trail records: the entries an API request or an execution's cloud call appends to the
//! hash-chained log, how a record is hashed, secret redaction, and the request-scoped pending entry
//! that a store write commits in its own transaction (see [`scope`]).
//!
//! Chain: `hash = SHA-256(prev_hash || seq "\n" time_ms "\n" kind "\n" body)` in lower-case hex,
//! `prev_hash` of record 1 is [`GENESIS`], and `seq` is dense from 1.

use std::cell::RefCell;
use std::future::Future;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Shown instead of a redacted value.
pub const REDACTED: &str = "******";

/// What a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditKind {
    /// A request to the API (success or error).
    ApiCall,
    /// An outbound cloud API call made by an execution (or refused before it left).
    CloudCall,
    /// A plain outbound HTTP request: a webhook, ExecuteHttpRequest, a TemplateURL fetch (or one
    /// refused by the address policy).
    HttpCall,
    /// What a managed instance's agent did: registered, or finished an invocation (its outcome and,
    /// unless configured otherwise, its output).
    Agent,
    /// A trigger fired: a tick, an event, an alarm or TriggerExecution started a run of its template.
    Trigger,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::ApiCall => "ApiCall",
            AuditKind::CloudCall => "CloudCall",
            AuditKind::HttpCall => "HttpCall",
            AuditKind::Agent => "Agent",
            AuditKind::Trigger => "Trigger",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ApiCall" => Some(AuditKind::ApiCall),
            "CloudCall" => Some(AuditKind::CloudCall),
            "HttpCall" => Some(AuditKind::HttpCall),
            "Agent" => Some(AuditKind::Agent),
            "Trigger" => Some(AuditKind::Trigger),
            _ => None,
        }
    }
}

/// A record to append; `seq` and the hashes are assigned inside the write transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit {
    pub time_ms: i64,
    pub kind: AuditKind,
    /// The record's fields (already redacted); `Principal`, `User`, `Action`, `ExecutionId` are the
    /// ones queries filter on.
    pub body: Map<String, Value>,
}

/// One stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "PascalCase")]
pub struct AuditRecord {
    pub seq: i64,
    pub time_ms: i64,
    pub kind: String,
    /// The JSON body exactly as hashed.
    pub body: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters and paging of `AuditStore::audit_records`; every given field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Matches the record's `Principal` (ARN or role) or its `User`.
    pub principal: Option<String>,
    pub action: Option<String>,
    pub execution_id: Option<String>,
    pub kind: Option<AuditKind>,
    /// Newest first (highest `seq` first) instead of oldest first.
    pub newest_first: bool,
    pub offset: i64,
    pub limit: i64,
}

/// Why the chain is broken at a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Tamper {
    /// The record's content no longer matches its hash.
    Modified,
    /// A record is missing (a gap in `seq`, or a link to a record that is gone).
    Deleted,
    /// The record links to a record that is elsewhere in the chain.
    Reordered,
}

impl Tamper {
    pub fn as_str(self) -> &'static str {
        match self {
            Tamper::Modified => "modified",
            Tamper::Deleted => "deleted",
            Tamper::Reordered => "reordered",
        }
    }
}

/// The first place the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: Tamper,
    pub detail: String,
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Verification {
    /// Records checked.
    pub records: i64,
    /// `seq` and `hash` of the last record (compare with a copy kept elsewhere to detect a cut tail).
    pub head_seq: i64,
    pub head_hash: String,
    pub broken: Option<ChainBreak>,
    /// Where the walk started: the first record kept (1, unless retention exported and deleted the
    /// records before it: `docs/audit.md`, "Retention") and the hash it chains from.
    pub first_seq: i64,
    pub first_prev_hash: String,
}

/// The hash of a record.
pub fn chain_hash(prev_hash: &str, seq: i64, time_ms: i64, kind: &str, body: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(format!("{seq}\n{time_ms}\n{kind}\n").as_bytes());
    hasher.update(body.as_bytes());
    hex::encode(hasher.finalize())
}

/// A record ready to insert: its place in the chain and its hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Linked {
    pub seq: i64,
    pub time_ms: i64,
    pub kind: String,
    pub body: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Links `entries` after the chain head `(seq, hash)`; returns the rows and the new head.
pub(crate) fn link(seq: i64, prev_hash: String, entries: &[NewAudit]) -> Vec<Linked> {
    link_serialized(seq, prev_hash, entries.iter().map(|entry| (entry.time_ms, entry.kind.as_str().to_owned(), Value::Object(entry.body.clone()).to_string())))
}

/// Links records already serialized (`time_ms`, kind, body) after the chain head `(seq, hash)`.
pub(crate) fn link_serialized(mut seq: i64, mut prev_hash: String, records: impl Iterator<Item = (i64, String, String)>) -> Vec<Linked> {
    records
        .map(|(time_ms, kind, body)| {
            seq += 1;
            let hash = chain_hash(&prev_hash, seq, time_ms, &kind, &body);
            Linked { seq, time_ms, kind, body, prev_hash: std::mem::replace(&mut prev_hash, hash.clone()), hash }
        })
        .collect()
}

/// Where a chain walk reads the stored records from.
#[async_trait::async_trait]
pub(crate) trait ChainSource: Sync {
    /// Up to `limit` records after `seq`, in order.
    async fn records_after(&self, seq: i64, limit: i64) -> crate::Result<Vec<AuditRecord>>;
    /// The `seq` of a record other than `not_seq` whose hash is `hash`.
    async fn seq_with_hash(&self, hash: &str, not_seq: i64) -> crate::Result<Option<i64>>;
}

/// The query of [`crate::AuditStore::audit_records`] (the same SQL on every backend).
pub(crate) fn records_query<DB: sqlx::Database>(query: &AuditQuery) -> sqlx::QueryBuilder<DB>
where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut sql = sqlx::QueryBuilder::new("SELECT seq, time_ms, kind, body, prev_hash, hash FROM audit_log WHERE 1 = 1");
    if let Some(since) = query.since_ms {
        sql.push(" AND time_ms >= ").push_bind(since);
    }
    if let Some(until) = query.until_ms {
        sql.push(" AND time_ms <= ").push_bind(until);
    }
    if let Some(principal) = &query.principal {
        sql.push(" AND (principal = ").push_bind(principal.clone()).push(" OR user_name = ").push_bind(principal.clone()).push(")");
    }
    if let Some(action) = &query.action {
        sql.push(" AND action = ").push_bind(action.clone());
    }
    if let Some(execution_id) = &query.execution_id {
        sql.push(" AND execution_id = ").push_bind(execution_id.clone());
    }
    if let Some(kind) = query.kind {
        sql.push(" AND kind = ").push_bind(kind.as_str().to_owned());
    }
    sql.push(if query.newest_first { " ORDER BY seq DESC LIMIT " } else { " ORDER BY seq LIMIT " }).push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
    sql
}

/// Records read per query while walking the chain.
const VERIFY_PAGE: i64 = 20_000;

/// Walks the chain from its first record (seq 1, or the first one retention kept, trusted as the
/// start) and reports the first broken record.
pub(crate) async fn walk(source: &dyn ChainSource) -> crate::Result<Verification> {
    match source.records_after(0, 1).await?.into_iter().next() {
        Some(first) => walk_from(source, first.seq - 1, first.prev_hash).await,
        None => walk_from(source, 0, GENESIS.to_string()).await,
    }
}

/// Walks the records after `(seq, hash)`, which the first of them must chain from.
pub(crate) async fn walk_from(source: &dyn ChainSource, seq: i64, hash: String) -> crate::Result<Verification> {
    let mut verification =
        Verification { records: 0, head_seq: seq, head_hash: hash.clone(), broken: None, first_seq: seq + 1, first_prev_hash: hash };
    loop {
        let records = source.records_after(verification.head_seq, VERIFY_PAGE).await?;
        if records.is_empty() {
            return Ok(verification);
        }
        for record in records {
            if let Some(broken) = check_link(source, &verification, &record).await? {
                verification.broken = Some(broken);
                return Ok(verification);
            }
            verification.records += 1;
            verification.head_seq = record.seq;
            verification.head_hash = record.hash;
        }
    }
}

/// Checks `record` against the verified chain before it: position, link, own hash.
async fn check_link(source: &dyn ChainSource, before: &Verification, record: &AuditRecord) -> crate::Result<Option<ChainBreak>> {
    let expected = before.head_seq + 1;
    if record.seq != expected {
        let detail = format!("seq {expected}..{} missing: the next record is seq {}", record.seq - 1, record.seq);
        return Ok(Some(ChainBreak { seq: expected, reason: Tamper::Deleted, detail }));
    }
    if record.prev_hash != before.head_hash {
        return Ok(Some(match source.seq_with_hash(&record.prev_hash, before.head_seq).await? {
            Some(other) => {
                let detail = format!("seq {} links to the record now at seq {other}, not to seq {}", record.seq, before.head_seq);
                ChainBreak { seq: record.seq, reason: Tamper::Reordered, detail }
            }
            None => {
                let detail = format!("seq {} links to a record that is not in the log (prev_hash mismatch)", record.seq);
                ChainBreak { seq: record.seq, reason: Tamper::Deleted, detail }
            }
        }));
    }
    let hash = chain_hash(&record.prev_hash, record.seq, record.time_ms, &record.kind, &record.body);
    if hash != record.hash {
        let detail = format!("seq {}: content does not match its hash", record.seq);
        return Ok(Some(ChainBreak { seq: record.seq, reason: Tamper::Modified, detail }));
    }
    Ok(None)
}

/// Whether a parameter of this name carries a secret by its name (`AccessKeySecret`, `Signature`,
/// `SecurityToken`, `…Password`, `…Secret`, MFA codes: `AuthenticationCode…`, `MFACode`).
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "signature" | "securitytoken" | "accesskeysecret" | "mfacode") || lower.ends_with("secret") || lower.ends_with("password") || lower.starts_with("authenticationcode")
}

/// Replaces, at any depth, the values of secret-named keys and every string containing one of
/// `secrets` (non-empty values only) with [`REDACTED`].
pub fn redact(value: &mut Value, secrets: &[String]) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if is_secret_name(key) {
                    *item = Value::String(REDACTED.into());
                } else {
                    redact(item, secrets);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| redact(item, secrets)),
        Value::String(text) if secrets.iter().any(|secret| !secret.is_empty() && text.contains(secret.as_str())) => {
            *text = REDACTED.into();
        }
        _ => {}
    }
}

/// The request-scoped audit entry: set by the API pipeline around an action, committed by the first
/// store write transaction of that action (in the same transaction), and marked as committed.
#[derive(Debug, Default)]
struct Pending {
    entry: Option<NewAudit>,
    committed: bool,
}

tokio::task_local! {
    static PENDING: RefCell<Pending>;
}

/// Runs `action` with `entry` pending; returns its output and whether a write committed the entry.
pub async fn scope<F: Future>(entry: NewAudit, action: F) -> (F::Output, bool) {
    PENDING
        .scope(RefCell::new(Pending { entry: Some(entry), committed: false }), async move {
            let output = action.await;
            let committed = PENDING.with(|pending| pending.borrow().committed);
            (output, committed)
        })
        .await
}

/// The pending entry of the current request, if it is not committed yet.
pub fn pending() -> Option<NewAudit> {
    PENDING.try_with(|pending| {
        let pending = pending.borrow();
        if pending.committed { None } else { pending.entry.clone() }
    })
    .ok()
    .flatten()
}

/// Adds the field `name` to the pending entry of the current request, before a write commits it (what
/// an action learns only while it runs, such as what a NotifyExecution approval does).
pub fn annotate(name: &str, value: Value) {
    let _ = PENDING.try_with(|pending| {
        if let Some(entry) = pending.borrow_mut().entry.as_mut() {
            entry.body.insert(name.to_owned(), value);
        }
    });
}

/// Marks the pending entry as committed (by the transaction that wrote it).
pub fn mark_committed() {
    let _ = PENDING.try_with(|pending| pending.borrow_mut().committed = true);
}
