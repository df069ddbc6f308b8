//! Envelope encryption of secrets at rest: each secret gets a fresh random data key; the data key is sealed
//! with the master key, the secret with the data key, both with XChaCha20-Poly1305 and random 192-bit nonces.
//! The master key lives in a file readable only by its owner (0600), created on first use.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, Generate, Key, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::secret::SecretString;

const FORMAT_PREFIX: &str = "xc20p1";
const NONCE_LEN: usize = 24;

/// Failures reading the master key or opening sealed secrets. Messages never contain secret material.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("master key file {path}: {message}")]
    KeyFile { path: String, message: String },
    #[error("sealed secret is malformed: {0}")]
    Malformed(&'static str),
    #[error(
        "sealed secret cannot be opened: wrong master key, wrong record, or tampered ciphertext"
    )]
    Tampered,
}

/// A 256-bit XChaCha20-Poly1305 key, wiped on drop: the master key that seals every data key (and the
/// per-secret data keys themselves).
pub struct MasterKey(Key<XChaCha20Poly1305>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(self.0.as_mut_slice());
    }
}

impl MasterKey {
    /// A fresh random key (for tests and for first start).
    pub fn generate() -> MasterKey {
        MasterKey(Key::<XChaCha20Poly1305>::generate())
    }

    /// Reads the key from `path`, or creates the file with a new random key (mode 0600) if it does not exist.
    /// Refuses a key file that group or others may read or write.
    pub fn load_or_create(path: &Path) -> Result<MasterKey, SecretError> {
        let fail = |message: String| SecretError::KeyFile {
            path: path.display().to_string(),
            message,
        };
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(mut file) => {
                let key = MasterKey::generate();
                let encoded = Zeroizing::new(BASE64.encode(key.0.as_slice()));
                file.write_all(encoded.as_bytes())
                    .and_then(|()| file.write_all(b"\n"))
                    .and_then(|()| file.sync_all())
                    .map_err(|e| fail(format!("cannot write: {e}")))?;
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mode = fs::metadata(path)
                    .map_err(|e| fail(format!("cannot stat: {e}")))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    return Err(fail(format!(
                        "permissions are {:o}; must be 600 (owner only)",
                        mode & 0o777
                    )));
                }
                let text = Zeroizing::new(
                    fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?,
                );
                let bytes = Zeroizing::new(
                    BASE64
                        .decode(text.trim())
                        .map_err(|_| fail("not base64".to_string()))?,
                );
                let key = Key::<XChaCha20Poly1305>::try_from(bytes.as_slice()).map_err(|_| {
                    fail(format!(
                        "expected a 32-byte key, found {} bytes",
                        bytes.len()
                    ))
                })?;
                Ok(MasterKey(key))
            }
            Err(e) => Err(fail(format!("cannot create: {e}"))),
        }
    }

    /// Seals `secret`, binding it to `context` (e.g. the AccessKeyId): opening with another context fails.
    /// Output: `xc20p1:<base64 sealed data key>:<base64 sealed secret>`.
    pub fn seal(&self, secret: &str, context: &str) -> String {
        let data_key = MasterKey::generate();
        let sealed_key = seal_with(&self.0, data_key.0.as_slice(), context);
        let sealed_secret = seal_with(&data_key.0, secret.as_bytes(), context);
        format!(
            "{FORMAT_PREFIX}:{}:{}",
            BASE64.encode(sealed_key),
            BASE64.encode(sealed_secret)
        )
    }

    /// Opens what [`MasterKey::seal`] produced with the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<SecretString, SecretError> {
        let mut parts = sealed.split(':');
        let (Some(FORMAT_PREFIX), Some(key_part), Some(secret_part), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SecretError::Malformed("expected xc20p1:<key>:<secret>"));
        };
        let decode = |part: &str| {
            BASE64
                .decode(part)
                .map_err(|_| SecretError::Malformed("not base64"))
        };
        let data_key = Zeroizing::new(open_with(&self.0, &decode(key_part)?, context)?);
        let data_key = Key::<XChaCha20Poly1305>::try_from(data_key.as_slice())
            .map_err(|_| SecretError::Malformed("bad data key length"))?;
        let data_key = MasterKey(data_key);
        let plain = Zeroizing::new(open_with(&data_key.0, &decode(secret_part)?, context)?);
        let text = String::from_utf8(plain.to_vec())
            .map_err(|_| SecretError::Malformed("secret is not UTF-8"))?;
        Ok(SecretString::new(text))
    }
}

fn seal_with(key: &Key<XChaCha20Poly1305>, plain: &[u8], context: &str) -> Vec<u8> {
    let nonce = XNonce::generate();
    let ciphertext = XChaCha20Poly1305::new(key)
        .encrypt(
            &nonce,
            Payload {
                msg: plain,
                aad: context.as_bytes(),
            },
        )
        .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
    [nonce.as_slice(), &ciphertext].concat()
}

fn open_with(
    key: &Key<XChaCha20Poly1305>,
    sealed: &[u8],
    context: &str,
) -> Result<Vec<u8>, SecretError> {
    if sealed.len() < NONCE_LEN {
        return Err(SecretError::Malformed("too short"));
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = XNonce::try_from(nonce).map_err(|_| SecretError::Malformed("bad nonce"))?;
    XChaCha20Poly1305::new(key)
        .decrypt(
            &nonce,
            Payload {
                msg: ciphertext,
                aad: context.as_bytes(),
            },
        )
        .map_err(|_| SecretError::Tampered)
}
