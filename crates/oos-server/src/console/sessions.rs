//! Session tokens and what a request's session cookie makes of it. A token is 256 random bits;
//! its CSRF token is derived from it (so that the session's `GET` can hand it to a reloaded page);
//! the store keeps the SHA-256 of each, never the tokens. Every use moves the idle end.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oos_acs::{AcsError, IncomingRequest};
use oos_iam::Principal;
use oos_iam::identity::LoginProfile;
use oos_store::{ConsoleSession, LockoutRule};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{CSRF_INVALID, CSRF_MISSING, SESSION_EXPIRED, SESSION_REVOKED};
use crate::api::Api;
use crate::auth::{Caller, claimed_key_id};

/// The session cookie.
pub const COOKIE: &str = "oos_console";
/// The header carrying the session's CSRF token on every request but `/stream`.
pub const CSRF_HEADER: &str = "X-OOS-CSRF-Token";
/// A session ends this long after sign-in, however used.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// A session ends this long after its last use.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Five failed sign-ins of a user name within 15 minutes lock it for 15 minutes.
pub const LOCKOUT: LockoutRule = LockoutRule { max_failures: 5, window_ms: 15 * 60_000, lock_ms: 15 * 60_000 };

/// Whether a session request must carry the CSRF header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Csrf {
    Required,
    /// `/stream` (read-only; EventSource sends no headers; the cookie is SameSite=Strict).
    NotRequired,
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A new session token: 256 random bits, base64url.
pub(super) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token, hex: what the store keeps.
pub(super) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token of session token `token`.
pub(super) fn csrf_token(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(format!("oos-console-csrf\0{token}").as_bytes()))
}

/// The row of a new session of `user_name` at `now_ms`.
pub(super) fn new_session(token: &str, user_name: &str, mfa_present: bool, now_ms: i64) -> ConsoleSession {
    let token_hash = token_hash(token);
    ConsoleSession {
        short_id: token_hash[..12].to_owned(),
        token_hash,
        user_name: user_name.to_owned(),
        mfa_present,
        csrf_hash: self::token_hash(&csrf_token(token)),
        created_ms: now_ms,
        last_seen_ms: now_ms,
        idle_expires_ms: now_ms + millis(IDLE_TIMEOUT),
        expires_ms: now_ms + millis(SESSION_LIFETIME),
        revoked: false,
    }
}

/// The caller a session's requests act as, under `profile` (its user's login profile).
pub(super) fn caller_of(session: &ConsoleSession, account: &str, profile: &LoginProfile) -> Caller {
    let principal = Principal::User(session.user_name.clone());
    Caller {
        arn: principal.arn(account),
        principal,
        access_key_id: format!("via console session {}", session.short_id),
        mfa_present: session.mfa_present,
        password_reset_required: profile.password_reset_required,
        console_session: Some(session.token_hash.clone()),
    }
}

/// The session token of the request's `Cookie` header.
pub(super) fn cookie_token(request: &IncomingRequest) -> Option<&str> {
    request
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, value)| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .filter(|token| !token.is_empty())
}

/// The live session the request's cookie names, now used (its idle end moves), with its token and
/// its user's login profile; a revoked session, or one whose user or login profile is gone, is deleted.
pub(super) async fn current(api: &Api, request: &IncomingRequest) -> Result<(ConsoleSession, String, LoginProfile), AcsError> {
    let expired = || AcsError::new(SESSION_EXPIRED, "Sign in: there is no session, or it ended (signed out, idle for too long or past its lifetime).");
    let token = cookie_token(request).ok_or_else(expired)?;
    let now = api.clock.now_ms();
    let hash = token_hash(token);
    let session = api.store.touch_console_session(&hash, now, now + millis(IDLE_TIMEOUT)).await.map_err(crate::error::store)?.ok_or_else(expired)?;
    let profile = match api.iam.sign_in_profile(&session.user_name).await.map_err(crate::error::iam)? {
        Some(profile) if !session.revoked => profile,
        _ => {
            api.store.delete_console_session(&hash).await.map_err(crate::error::store)?;
            return Err(AcsError::new(SESSION_REVOKED, "The session was revoked: its user's password changed, or the user, their login profile or MFA device was removed."));
        }
    };
    Ok((session, token.to_owned(), profile))
}

/// The caller of an unsigned request carrying the session cookie (`None`: the request claims an
/// AccessKey, or carries no cookie: the signature path answers it). With [`Csrf::Required`] the
/// CSRF header must hold the session's token.
pub(crate) async fn authenticate(api: &Api, request: &IncomingRequest, csrf: Csrf) -> Result<Option<Caller>, AcsError> {
    if claimed_key_id(request)?.is_some() || cookie_token(request).is_none() {
        return Ok(None);
    }
    if csrf == Csrf::Required && request.header(CSRF_HEADER).is_none() {
        return Err(AcsError::new(CSRF_MISSING, format!("A console request needs the {CSRF_HEADER} header of its session.")));
    }
    let (session, _, profile) = current(api, request).await?;
    if csrf == Csrf::Required {
        let given = token_hash(request.header(CSRF_HEADER).unwrap_or_default());
        if !bool::from(given.as_bytes().ct_eq(session.csrf_hash.as_bytes())) {
            return Err(AcsError::new(CSRF_INVALID, format!("The {CSRF_HEADER} header is not the session's CSRF token.")));
        }
    }
    Ok(Some(caller_of(&session, api.iam.account(), &profile)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_and_the_store_sees_hashes_only() {
        let headers = vec![("Cookie".to_owned(), "theme=dark; oos_console=abc123; other=x".to_owned())];
        let request = IncomingRequest::from_target("GET", "/", headers, Vec::new());
        assert_eq!(cookie_token(&request), Some("abc123"));
        let token = new_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        let session = new_session(&token, "alice", false, 0);
        assert!(!session.token_hash.contains(&token) && session.csrf_hash != csrf_token(&token));
        assert_eq!(session.idle_expires_ms, 30 * 60_000);
        let profile = LoginProfile { user_name: "alice".into(), password_hash: String::new(), password_reset_required: true, mfa_bind_required: false, created: jiff::Timestamp::UNIX_EPOCH, updated: jiff::Timestamp::UNIX_EPOCH };
        let caller = caller_of(&session, "1", &profile);
        assert_eq!(caller.access_key_id, format!("via console session {}", &session.token_hash[..12]));
        assert!(caller.password_reset_required);
    }
}
