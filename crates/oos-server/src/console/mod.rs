//! The console's back end: RAM users sign in with their login profile's password (and a TOTP code
//! when an MFA device is bound) at [`SESSION_PATH`]; the session lives in an HttpOnly, SameSite=Strict
//! cookie ([`COOKIE`]) and is kept in the store by the hashes of its tokens only. A request to the
//! RPC endpoint without a signature that carries the cookie and the session's CSRF token
//! ([`CSRF_HEADER`]) is the session's user's request: authorized, run and audited as a signed one
//! (`/stream` takes the cookie alone: a browser's EventSource sends no headers and the stream only reads).
//! Failed sign-ins lock a user name out; a per-source bound and a bound on concurrent password
//! hashing cap what unauthenticated callers can cost ([`guard`]). See `docs/console.md`.

mod errors;
mod guard;
mod sessions;
mod sign_in;

pub use errors::*;
pub use guard::{ConsoleGuard, SIGN_INS_PER_SOURCE, SOURCE_WINDOW};
pub use sessions::{COOKIE, CSRF_HEADER, IDLE_TIMEOUT, LOCKOUT, SESSION_LIFETIME};
pub(crate) use sessions::{Csrf, authenticate};
pub(crate) use sign_in::{account_locked, count_failure, session};

/// Sign in (`POST`), the current session (`GET`), sign out (`DELETE`).
pub const SESSION_PATH: &str = "/console/api/session";
/// Longest sign-in body read.
pub const MAX_SIGN_IN_BYTES: usize = 4096;
