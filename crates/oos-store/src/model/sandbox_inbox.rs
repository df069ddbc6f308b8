//! Rows of the sandbox inbox: the webhooks and HTTP requests a sandbox captured instead of sending.

/// One captured request, as stored: credential header values already redacted, the body already
/// cut at the inbox's bound.
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct SandboxLetter {
    pub id: String,
    pub captured_ms: i64,
    /// `Notify`, `Approve` (webhooks of those actions) or `HttpRequest` (ExecuteHttpRequest).
    pub kind: String,
    /// The execution whose task sent it.
    pub execution_id: String,
    pub task_name: String,
    pub method: String,
    pub url: String,
    /// JSON array of `[name, value]` pairs.
    pub headers: String,
    pub body: String,
    /// Size of the body as the task sent it (before any cut).
    pub body_bytes: i64,
}

/// Which letters [`crate::SandboxInboxStore::sandbox_letters`] reads, newest first; every given
/// field narrows.
#[derive(Debug, Clone, Default)]
pub struct SandboxLetterQuery {
    pub execution_id: Option<String>,
    pub kind: Option<String>,
    pub limit: i64,
}
