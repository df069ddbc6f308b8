-- Console sign-in (oos-server `console/`). A session is kept by the SHA-256 hashes of its cookie
-- token and of its CSRF token, never the tokens; short_id (a prefix of the token hash's hex) names
-- it in the audit trail. A session ends at expires_ms (absolute) or idle_expires_ms (moved on
-- every use). Times are Unix milliseconds.
CREATE TABLE console_sessions (
    token_hash       TEXT NOT NULL PRIMARY KEY,
    short_id         TEXT NOT NULL,
    user_name        TEXT NOT NULL,
    mfa_present      INTEGER NOT NULL,
    csrf_hash        TEXT NOT NULL,
    created_ms       INTEGER NOT NULL,
    last_seen_ms     INTEGER NOT NULL,
    idle_expires_ms  INTEGER NOT NULL,
    expires_ms       INTEGER NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_name);
-- Failed sign-ins per user name (known or not) within the current window, and the lock they led
-- to: a user is locked until locked_until_ms once enough failures fell into one window.
CREATE TABLE console_sign_in_failures (
    user_name        TEXT NOT NULL PRIMARY KEY,
    failures         INTEGER NOT NULL,
    window_start_ms  INTEGER NOT NULL,
    locked_until_ms  INTEGER NOT NULL
);
