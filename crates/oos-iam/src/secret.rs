//! `SecretString`: a string that is wiped from memory on drop and never shown by `Debug`.

use std::fmt;

use zeroize::Zeroizing;

/// A secret (AccessKey secret, master key text). `Debug` prints `SecretString(***)`; there is no
/// `Display` and no `Serialize`, so a secret reaches output only through an explicit [`SecretString::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(secret: String) -> SecretString {
        SecretString(Zeroizing::new(secret))
    }

    /// The secret itself: call only where it is needed (signing, the one-time display on creation).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

impl From<&str> for SecretString {
    fn from(secret: &str) -> SecretString {
        SecretString::new(secret.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = SecretString::from("abc123-very-secret");
        let shown = format!("{secret:?} {:?}", Some(&secret));
        assert!(!shown.contains("very-secret"), "{shown}");
        assert_eq!(secret.expose(), "abc123-very-secret");
    }
}
