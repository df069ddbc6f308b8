//! The console's error codes (listed in `docs/error-codes.md`).

use oos_acs::ErrorCode;

/// Wrong user name or password, or a user without a login profile (one answer for all three).
pub const INVALID_CREDENTIALS: ErrorCode = ErrorCode::new("SignIn.InvalidCredentials", 401);
/// Too many failed sign-ins: the user name is locked until `UnlockTime`.
pub const ACCOUNT_LOCKED: ErrorCode = ErrorCode::new("Account.Locked", 403);
/// The password was right; the user has an MFA device, so the sign-in needs `MFACode` too.
pub const MFA_REQUIRED: ErrorCode = ErrorCode::new("MFA.Required", 401);
/// `MFACode` is not a current, unused code of the user's device.
pub const MFA_INVALID_CODE: ErrorCode = ErrorCode::new("MFA.InvalidCode", 401);
/// The login profile asks for an MFA device and none is bound: an administrator binds one first.
pub const MFA_BIND_REQUIRED: ErrorCode = ErrorCode::new("MFA.BindRequired", 403);
/// Too many sign-ins from this source lately, or too many being checked at once.
pub const THROTTLED: ErrorCode = ErrorCode::new("Throttling.SignIn", 429);
/// No session cookie, or its session is unknown, signed out, idle too long or past its lifetime.
pub const SESSION_EXPIRED: ErrorCode = ErrorCode::new("Console.SessionExpired", 401);
/// The session's user, or their login profile, was deleted.
pub const SESSION_REVOKED: ErrorCode = ErrorCode::new("Console.SessionRevoked", 401);
/// A request with the session cookie but without the `X-OOS-CSRF-Token` header.
pub const CSRF_MISSING: ErrorCode = ErrorCode::new("Console.CsrfTokenMissing", 403);
/// The `X-OOS-CSRF-Token` header is not the session's token.
pub const CSRF_INVALID: ErrorCode = ErrorCode::new("Console.CsrfTokenInvalid", 403);
/// The session's user must change their password (ChangePassword) before any other request.
pub const PASSWORD_RESET_REQUIRED: ErrorCode = ErrorCode::new("Console.PasswordResetRequired", 403);
/// ChangePassword's `OldPassword` is not the caller's password (counted as a failed sign-in).
pub const OLD_PASSWORD_WRONG: ErrorCode = ErrorCode::new("ChangePassword.InvalidOldPassword", 403);
/// ChangePassword by a caller that is not a RAM user (the root, a role).
pub const NOT_A_USER: ErrorCode = ErrorCode::new("ChangePassword.NotAUser", 400);
