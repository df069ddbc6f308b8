//! Console sessions and sign-in failures (`console_sessions`, `console_sign_in_failures`), the same
//! statements on every backend.

use sqlx::{AssertSqlSafe, Encode, Type};

use super::{Dialect, Statement};
use crate::model::{ConsoleSession, LockoutRule};

/// The columns of a [`ConsoleSession`], in its field order.
pub(crate) const COLUMNS: &str = "token_hash, short_id, user_name, mfa_present, csrf_hash, created_ms, last_seen_ms, idle_expires_ms, expires_ms, revoked";

/// Inserts `session`.
pub(crate) fn insert<DB: Dialect>(session: &ConsoleSession) -> Statement<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    sqlx::query(AssertSqlSafe(format!("INSERT INTO console_sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")))
        .bind(session.token_hash.clone())
        .bind(session.short_id.clone())
        .bind(session.user_name.clone())
        .bind(session.mfa_present)
        .bind(session.csrf_hash.clone())
        .bind(session.created_ms)
        .bind(session.last_seen_ms)
        .bind(session.idle_expires_ms)
        .bind(session.expires_ms)
        .bind(session.revoked)
}

/// Deletes the sessions ended at `$1`.
pub(crate) const DELETE_ENDED: &str = "DELETE FROM console_sessions WHERE expires_ms <= $1 OR idle_expires_ms <= $1";

/// Session `$1`, live at `$2`, seen at `$2`: its idle end moves to `$3`.
pub(crate) fn touch() -> String {
    format!(
        "UPDATE console_sessions SET last_seen_ms = $2, idle_expires_ms = $3 \
         WHERE token_hash = $1 AND expires_ms > $2 AND idle_expires_ms > $2 RETURNING {COLUMNS}"
    )
}

pub(crate) const DELETE: &str = "DELETE FROM console_sessions WHERE token_hash = $1";

/// Revokes the sessions of user name `$1` but session `$2` (`''`: none kept).
pub(crate) const REVOKE_USERS: &str = "UPDATE console_sessions SET revoked = TRUE WHERE user_name = $1 AND token_hash <> $2 AND NOT revoked";

/// Until when user name `$1` is locked (0: never locked).
pub(crate) const LOCKED_UNTIL: &str = "SELECT locked_until_ms FROM console_sign_in_failures WHERE user_name = $1";

/// Counts a failure of `user_name` at `now_ms`: a window older than the rule's starts over; the
/// failure that reaches the rule's count locks the name. Returns the row's `locked_until_ms`.
pub(crate) fn record_failure<DB: Dialect>(user_name: &str, now_ms: i64, rule: &LockoutRule) -> Statement<DB>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    // In DO UPDATE, the table's name reads the row before the update.
    let stale = "console_sign_in_failures.window_start_ms <= $2 - $3";
    let failures = format!("CASE WHEN {stale} THEN 1 ELSE console_sign_in_failures.failures + 1 END");
    let sql = format!(
        "INSERT INTO console_sign_in_failures (user_name, failures, window_start_ms, locked_until_ms) \
         VALUES ($1, 1, $2, CASE WHEN 1 >= $4 THEN $2 + $5 ELSE 0 END) \
         ON CONFLICT (user_name) DO UPDATE SET \
           failures = {failures}, \
           window_start_ms = CASE WHEN {stale} THEN $2 ELSE console_sign_in_failures.window_start_ms END, \
           locked_until_ms = CASE WHEN {failures} >= $4 THEN $2 + $5 ELSE console_sign_in_failures.locked_until_ms END \
         RETURNING locked_until_ms"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(user_name.to_owned())
        .bind(now_ms)
        .bind(rule.window_ms)
        .bind(rule.max_failures)
        .bind(rule.lock_ms)
}

pub(crate) const CLEAR_FAILURES: &str = "DELETE FROM console_sign_in_failures WHERE user_name = $1";
