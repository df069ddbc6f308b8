//! What console sign-in needs from IAM: passwords (argon2id, the password policy) and TOTP codes
//! of virtual MFA devices (RFC 6238).

pub mod password;
pub mod totp;
