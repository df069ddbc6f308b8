//! [`super::SESSION_PATH`]: `POST` signs in (`{"UserName", "Password", "MFACode"?}`), `GET` answers
//! the current session, `DELETE` signs out (with the CSRF header). Every sign-in and sign-out is an
//! `ApiCall` audit record (`ConsoleSignIn`, `ConsoleSignOut`) with its user name and, when refused,
//! its code and reason; never the password or the code. A successful sign-in's record commits with
//! its session.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Response, header};
use oos_acs::{AcsError, ErrorBody, ErrorCode, new_request_id};
use oos_iam::console::password;
use oos_iam::identity::LoginProfile;
use oos_store::ConsoleSession;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

use super::sessions::{COOKIE, Csrf, LOCKOUT, SESSION_LIFETIME, caller_of, csrf_token, current, new_session, new_token, token_hash};
use super::{ACCOUNT_LOCKED, INVALID_CREDENTIALS, MAX_SIGN_IN_BYTES, MFA_BIND_REQUIRED, MFA_INVALID_CODE, MFA_REQUIRED, authenticate};
use crate::actions::common::date;
use crate::api::{Api, Reply};
use crate::audit::RequestAudit;
use crate::transport::Connection;
use crate::transport::routes::{Routes, close_after, reply_response};

/// The audit trail's name of a sign-in.
pub const SIGN_IN_ACTION: &str = "ConsoleSignIn";
/// The audit trail's name of a sign-out.
pub const SIGN_OUT_ACTION: &str = "ConsoleSignOut";

/// What a sign-in sends.
#[derive(Deserialize)]
struct SignIn {
    #[serde(rename = "UserName")]
    user_name: String,
    #[serde(rename = "Password")]
    password: String,
    #[serde(rename = "MFACode", default)]
    mfa_code: Option<String>,
}

/// A refusal and why (the audit record's `Reason`); `unlock_ms` for `Account.Locked`.
struct Refusal {
    error: AcsError,
    reason: &'static str,
    unlock_ms: Option<i64>,
}

impl From<AcsError> for Refusal {
    fn from(error: AcsError) -> Self {
        Self { error, reason: "", unlock_ms: None }
    }
}

fn refused(code: ErrorCode, message: &str, reason: &'static str) -> Refusal {
    Refusal { error: AcsError::new(code, message), reason, unlock_ms: None }
}

fn locked(unlock_ms: i64) -> Refusal {
    Refusal { error: account_locked(unlock_ms), reason: "Locked", unlock_ms: Some(unlock_ms) }
}

/// `Account.Locked` until `unlock_ms`.
pub(crate) fn account_locked(unlock_ms: i64) -> AcsError {
    AcsError::new(ACCOUNT_LOCKED, format!("Too many failed sign-ins: the user is locked until {}.", date(unlock_ms)))
}

/// Counts a failed password check of `user` at `now` (a sign-in's, a password change's): the end of
/// the lock when this failure locked the user name.
pub(crate) async fn count_failure(api: &Api, user: &str, now: i64) -> Result<Option<i64>, AcsError> {
    let locked_until = api.store.record_sign_in_failure(user, now, &LOCKOUT).await.map_err(crate::error::store)?;
    Ok((locked_until > now).then_some(locked_until))
}

/// Serves [`super::SESSION_PATH`].
pub(crate) async fn session(State(routes): State<Routes>, request: Request) -> Response<Body> {
    let Some(connection) = request.extensions().get::<Connection>().cloned() else {
        return reply_response(routes.api.refuse(&crate::error::internal("a request arrived without its connection")));
    };
    let api = &routes.api;
    let method = request.method().clone();
    match method.as_str() {
        "POST" => sign_in(api, &connection, request, routes.limits.request_timeout).await,
        "GET" => match read_session(api, request).await {
            Ok((session, token, profile)) => answer(200, session_body(api, &session, &token, &profile), None, connection.secure),
            Err(error) => refusal(api, &error.into(), new_request_id()),
        },
        "DELETE" => sign_out(api, &connection, request).await,
        _ => refusal(api, &AcsError::with_code("MethodNotAllowed", 405, "The session path takes POST, GET and DELETE.").into(), new_request_id()),
    }
}

/// The request's head and an empty body, as the session functions read it.
async fn read_session(api: &Api, request: Request) -> Result<(ConsoleSession, String, LoginProfile), AcsError> {
    current(api, &head_of(&request)).await
}

fn head_of(request: &Request) -> oos_acs::IncomingRequest {
    let headers = request.headers().iter().map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())).collect();
    oos_acs::IncomingRequest::from_target(request.method().as_str(), request.uri().path(), headers, Vec::new())
}

async fn sign_in(api: &Api, connection: &Connection, request: Request, timeout: std::time::Duration) -> Response<Body> {
    let request_id = new_request_id();
    let mut audit = RequestAudit::new(connection.peer, &request_id, api.clock.now_ms());
    audit.console(SIGN_IN_ACTION, "");
    let outcome = match read_body(request, timeout).await {
        Ok(body) => attempt(api, connection.peer, &mut audit, &body).await,
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok((token, session, profile)) => {
            audit.finish(api, "Success", 200).await;
            answer(200, session_body(api, &session, &token, &profile), Some(&token), connection.secure)
        }
        Err(refusal) => {
            audit.reason(refusal.reason);
            audit.finish(api, &refusal.error.code, refusal.error.status).await;
            let response = self::refusal(api, &refusal, request_id);
            // A body left unread (too large) ends the connection.
            if refusal.error.status == 413 { close_after(response) } else { response }
        }
    }
}

/// The body, at most [`MAX_SIGN_IN_BYTES`], within the request timeout.
async fn read_body(request: Request, timeout: std::time::Duration) -> Result<Vec<u8>, AcsError> {
    let too_large = || AcsError::with_code("RequestEntityTooLarge", 413, format!("A sign-in body holds at most {MAX_SIGN_IN_BYTES} bytes."));
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()).and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_SIGN_IN_BYTES) {
        return Err(too_large());
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(request.into_body(), MAX_SIGN_IN_BYTES)).await {
        Ok(Ok(body)) => Ok(body.to_vec()),
        Ok(Err(_)) => Err(too_large()),
        Err(_) => Err(AcsError::with_code("RequestTimeout", 408, "The sign-in body did not arrive in time.")),
    }
}

/// Checks one sign-in; the new session's token, row and login profile.
async fn attempt(api: &Api, peer: SocketAddr, audit: &mut RequestAudit, body: &[u8]) -> Result<(String, ConsoleSession, LoginProfile), Refusal> {
    api.console.admit(peer.ip()).map_err(|error| Refusal { error, reason: "SourceThrottled", unlock_ms: None })?;
    let mut sign_in: SignIn = serde_json::from_slice(body)
        .map_err(|_| AcsError::invalid_parameter("Body", "a sign-in is a JSON object with UserName, Password and, with an MFA device, MFACode"))?;
    audit.console(SIGN_IN_ACTION, &sign_in.user_name);
    if sign_in.user_name.is_empty() || sign_in.user_name.chars().count() > 64 {
        return Err(AcsError::invalid_parameter("UserName", "a user name has 1 to 64 characters").into());
    }
    let user = sign_in.user_name.as_str();
    let now = api.clock.now_ms();
    let locked_until = api.store.sign_in_locked_until(user).await.map_err(crate::error::store)?;
    if locked_until > now {
        return Err(locked(locked_until));
    }
    let profile = api.iam.sign_in_profile(user).await.map_err(crate::error::iam)?;
    // Unknown users and users without a login profile are checked against a dummy hash: the same work.
    let hash = profile.as_ref().map_or_else(|| password::dummy_hash().to_owned(), |profile| profile.password_hash.clone());
    let given = Zeroizing::new(std::mem::take(&mut sign_in.password));
    let matches = api.console.hash(move || password::verify(&given, &hash)).await?;
    let Some(profile) = profile.filter(|_| matches) else {
        return Err(failed(api, user, now, refused(INVALID_CREDENTIALS, "The user name or password is wrong.", "InvalidCredentials")).await);
    };
    let mfa_present = match (api.iam.user_mfa_device(user).await.map_err(crate::error::iam)?, sign_in.mfa_code.as_deref().filter(|code| !code.is_empty())) {
        (Some(_), None) => return Err(refused(MFA_REQUIRED, "The user has an MFA device: give its current code as MFACode.", "MFARequired")),
        (Some(_), Some(code)) => {
            if !api.iam.accept_mfa_code(user, code).await.map_err(crate::error::iam)? {
                return Err(failed(api, user, now, refused(MFA_INVALID_CODE, "The MFA code is wrong, used already or not current.", "InvalidMFACode")).await);
            }
            true
        }
        (None, _) if profile.mfa_bind_required => {
            return Err(refused(MFA_BIND_REQUIRED, "The user must bind an MFA device before signing in: ask an administrator to bind one.", "MFABindRequired"));
        }
        (None, _) => false,
    };
    api.store.clear_sign_in_failures(user).await.map_err(crate::error::store)?;
    let token = new_token();
    let session = new_session(&token, user, mfa_present, now);
    audit.identify(&caller_of(&session, api.iam.account(), &profile));
    let (created, committed) = oos_store::audit::scope(audit.entry("Success", 200), api.store.create_console_session(&session, now)).await;
    audit.committed = committed;
    created.map_err(crate::error::store)?;
    Ok((token, session, profile))
}

/// Counts a failed sign-in: `refusal`, or `Account.Locked` when this failure locked the user name.
async fn failed(api: &Api, user: &str, now: i64, refusal: Refusal) -> Refusal {
    match count_failure(api, user, now).await {
        Ok(Some(locked_until)) => Refusal { reason: refusal.reason, ..locked(locked_until) },
        Ok(None) => refusal,
        Err(error) => error.into(),
    }
}

async fn sign_out(api: &Api, connection: &Connection, request: Request) -> Response<Body> {
    let request_id = new_request_id();
    let mut audit = RequestAudit::new(connection.peer, &request_id, api.clock.now_ms());
    audit.console(SIGN_OUT_ACTION, "");
    let head = head_of(&request);
    let outcome = async {
        let caller = authenticate(api, &head, Csrf::Required).await?.ok_or_else(|| AcsError::new(super::SESSION_EXPIRED, "There is no session to sign out of."))?;
        audit.identify(&caller);
        let hash = token_hash(super::sessions::cookie_token(&head).unwrap_or_default());
        let (deleted, committed) = oos_store::audit::scope(audit.entry("Success", 200), api.store.delete_console_session(&hash)).await;
        audit.committed = committed;
        deleted.map_err(crate::error::store)
    }
    .await;
    match outcome {
        Ok(_) => {
            audit.finish(api, "Success", 200).await;
            let mut response = answer(200, Map::new(), None, connection.secure);
            if let Ok(cookie) = HeaderValue::from_str(&format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(error) => {
            audit.finish(api, &error.code, error.status).await;
            refusal(api, &error.into(), request_id)
        }
    }
}

/// The session's answer: `User`, `CsrfToken`, `MFAPresent`, `ExpiresAt`, `IdleExpiresAt`.
fn session_body(api: &Api, session: &ConsoleSession, token: &str, profile: &LoginProfile) -> Map<String, Value> {
    let mut user = crate::actions::ram::user_reference(&session.user_name);
    user.insert("Arn".into(), Value::String(oos_iam::Principal::User(session.user_name.clone()).arn(api.iam.account())));
    user.insert("PasswordResetRequired".into(), Value::Bool(profile.password_reset_required));
    let body = json!({
        "User": user,
        "CsrfToken": csrf_token(token),
        "MFAPresent": session.mfa_present,
        "ExpiresAt": date(session.expires_ms),
        "IdleExpiresAt": date(session.idle_expires_ms),
    });
    let mut body = match body {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if profile.password_reset_required {
        // The session serves ChangePassword alone until the password is changed.
        body.insert("Challenge".into(), Value::String(super::PASSWORD_RESET_REQUIRED.code.into()));
    }
    body
}

/// A JSON answer with `RequestId`; with `token`, the session cookie is set (`Secure` over TLS).
fn answer(status: u16, fields: Map<String, Value>, token: Option<&str>, secure: bool) -> Response<Body> {
    let request_id = new_request_id();
    let mut body = Map::with_capacity(fields.len() + 1);
    body.insert("RequestId".into(), Value::String(request_id.clone()));
    body.extend(fields);
    let mut response = reply_response(Reply { status, body: serde_json::to_vec(&body).unwrap_or_default(), request_id });
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(token) = token {
        let secure = if secure { "; Secure" } else { "" };
        let max_age = SESSION_LIFETIME.as_secs();
        if let Ok(cookie) = HeaderValue::from_str(&format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}")) {
            headers.insert(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// The error answer: RPC's error body, with `UnlockTime` for `Account.Locked`.
fn refusal(api: &Api, refusal: &Refusal, request_id: String) -> Response<Body> {
    let mut body = serde_json::to_value(ErrorBody::new(&refusal.error, request_id.clone(), &api.host_id)).unwrap_or_default();
    if let (Some(unlock_ms), Value::Object(fields)) = (refusal.unlock_ms, &mut body) {
        fields.insert("UnlockTime".into(), Value::String(date(unlock_ms)));
    }
    let mut response = reply_response(Reply { status: refusal.error.status, body: serde_json::to_vec(&body).unwrap_or_default(), request_id });
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
