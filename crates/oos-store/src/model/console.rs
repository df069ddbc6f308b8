//! Rows of console sign-in: sessions (kept by token hashes) and the lock-out rule.

/// One console session, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConsoleSession {
    /// SHA-256 (hex) of the cookie token.
    pub token_hash: String,
    /// What the audit trail names the session by.
    pub short_id: String,
    pub user_name: String,
    pub mfa_present: bool,
    /// SHA-256 (hex) of the CSRF token.
    pub csrf_hash: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    pub idle_expires_ms: i64,
    pub expires_ms: i64,
    /// Revoked (its user's password changed, …): its next request is refused as such.
    pub revoked: bool,
}

/// When repeated failed sign-ins lock a user name out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutRule {
    /// Failures within one window that lock.
    pub max_failures: i64,
    pub window_ms: i64,
    /// How long a lock lasts.
    pub lock_ms: i64,
}
