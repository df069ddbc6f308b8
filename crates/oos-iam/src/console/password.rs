//! Console passwords: the password policy, and argon2id hashes in PHC form (the only form a password
//! is kept in). A sign-in for an unknown user verifies against [`dummy_hash`], so it takes the time
//! of a wrong password.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::IamError;

/// Shortest password the policy allows.
pub const MIN_LENGTH: usize = 8;
/// Longest password the policy allows (RAM: 32; a longer one only costs hashing time).
pub const MAX_LENGTH: usize = 32;
/// Of lower case, upper case, digits and symbols, how many kinds a password must mix.
pub const MIN_CHARACTER_KINDS: usize = 3;

fn refuse(rule: &'static str, detail: impl Into<String>) -> IamError {
    IamError::PasswordPolicy { rule, detail: detail.into() }
}

/// Checks `password` of `user_name` against the policy: 8 to 32 printable ASCII characters, at
/// least three kinds of lower case, upper case, digits and symbols, and not containing the user name.
pub fn check_policy(password: &str, user_name: &str) -> Result<(), IamError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(refuse("Length", format!("the password must have at least {MIN_LENGTH} characters")));
    }
    if length > MAX_LENGTH {
        return Err(refuse("Length", format!("the password must have at most {MAX_LENGTH} characters")));
    }
    if !password.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return Err(refuse("Characters", "the password may hold printable ASCII characters only"));
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if kinds.iter().filter(|present| **present).count() < MIN_CHARACTER_KINDS {
        return Err(refuse("Characters", format!("the password must mix at least {MIN_CHARACTER_KINDS} of lower case, upper case, digits and symbols")));
    }
    if !user_name.is_empty() && password.to_ascii_lowercase().contains(&user_name.to_ascii_lowercase()) {
        return Err(refuse("UserName", "the password must not contain the user name"));
    }
    Ok(())
}

/// The argon2id hash (PHC string, random salt) of `password`.
pub fn hash(password: &str) -> Result<String, IamError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| IamError::Store(crate::error::StoreError::Backend(format!("password hashing failed: {error}"))))
}

/// Whether `password` matches `phc` (argon2's own comparison is constant-time). A hash that cannot
/// be read matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), phc).is_ok()
}

/// A hash no password is known for, verified against when the user has no login profile.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random: String = crate::access_key::generate_access_key_secret().expose().to_owned();
        hash(&random).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_rule_broken() {
        let code = |password: &str| check_policy(password, "alice").err().map(|e| e.code());
        assert_eq!(code("Sh0rt!"), Some("InvalidParameter.Password.Length".into()));
        assert_eq!(code("alllowercaseletters"), Some("InvalidParameter.Password.Characters".into()));
        assert_eq!(code("Alice-2026-pass"), Some("InvalidParameter.Password.UserName".into()));
        assert_eq!(code("Corr3ct-Horse"), None);
    }

    #[test]
    fn hashes_verify_only_their_password_and_keep_no_plain_text() {
        let phc = hash("Corr3ct-Horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(!phc.contains("Corr3ct-Horse"));
        assert!(verify("Corr3ct-Horse", &phc));
        assert!(!verify("Corr3ct-Horsf", &phc));
        assert!(!verify("Corr3ct-Horse", "not a hash"));
        assert!(!verify("Corr3ct-Horse", dummy_hash()));
    }
}
