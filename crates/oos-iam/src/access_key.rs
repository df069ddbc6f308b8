//! Generating AccessKey pairs: `LTAI` + 20 alphanumerics, and a 30-character secret.

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::identity::KeyOwner;
use crate::secret::SecretString;

/// Prefix of every AccessKeyId (as Alibaba Cloud's long-term keys).
pub const ACCESS_KEY_ID_PREFIX: &str = "LTAI";
const ACCESS_KEY_ID_RANDOM_LEN: usize = 20;
const ACCESS_KEY_SECRET_LEN: usize = 30;

/// A freshly created key pair: the only moment the secret is available in clear.
#[derive(Debug, Clone)]
pub struct NewAccessKey {
    pub id: String,
    pub secret: SecretString,
    pub owner: KeyOwner,
}

fn random_alphanumeric(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A new random AccessKeyId.
pub fn generate_access_key_id() -> String {
    format!(
        "{ACCESS_KEY_ID_PREFIX}{}",
        random_alphanumeric(ACCESS_KEY_ID_RANDOM_LEN)
    )
}

/// A new random AccessKey secret.
pub fn generate_access_key_secret() -> SecretString {
    SecretString::new(random_alphanumeric(ACCESS_KEY_SECRET_LEN))
}

/// Whether `id` has the shape of an AccessKeyId this crate generates.
pub fn is_access_key_id(id: &str) -> bool {
    id.strip_prefix(ACCESS_KEY_ID_PREFIX).is_some_and(|rest| {
        rest.len() == ACCESS_KEY_ID_RANDOM_LEN && rest.chars().all(|c| c.is_ascii_alphanumeric())
    })
}
