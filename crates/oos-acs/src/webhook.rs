//! Signed webhook deliveries (the emulator's events and alarms to a server's intake): an
//! HMAC-SHA256 over `"<unix seconds>\n<body>"`, sent as lower-case hex with the key id and the
//! timestamp in the `x-oos-*` headers below.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Header carrying the access key id of the signer.
pub const WEBHOOK_ACCESS_KEY_ID_HEADER: &str = "x-oos-accesskeyid";
/// Header carrying the signing time, in seconds since the Unix epoch.
pub const WEBHOOK_TIMESTAMP_HEADER: &str = "x-oos-timestamp";
/// Header carrying the lower-case hex signature.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "x-oos-signature";

fn webhook_mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac
}

/// The lower-case hex HMAC-SHA256 of `"<timestamp>\n<body>"` keyed by `secret`.
pub fn sign_webhook(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    hex::encode(webhook_mac(secret, timestamp, body).finalize().into_bytes())
}

/// Whether `signature_hex` is the signature of `body` at `timestamp` (hex in either case),
/// compared in constant time. Checking that `timestamp` is recent is the caller's part.
pub fn verify_webhook(secret: &[u8], timestamp: i64, body: &[u8], signature_hex: &str) -> bool {
    let Ok(claimed) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    webhook_mac(secret, timestamp, body)
        .verify_slice(&claimed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"webhook-secret";
    const BODY: &[u8] = br#"{"id":"e-1"}"#;

    #[test]
    fn signs_a_fixed_vector() {
        // python3: hmac.new(b'webhook-secret', b'1700000000\n{"id":"e-1"}', hashlib.sha256).hexdigest()
        assert_eq!(
            sign_webhook(SECRET, 1_700_000_000, BODY),
            "76926335af358985cc9e1d3da2a46dc753e7fe928bde02116691f81a6331f2f0"
        );
    }

    #[test]
    fn verifies_its_own_signature_in_either_case() {
        let signature = sign_webhook(SECRET, 1_700_000_000, BODY);
        assert!(verify_webhook(SECRET, 1_700_000_000, BODY, &signature));
        assert!(verify_webhook(
            SECRET,
            1_700_000_000,
            BODY,
            &signature.to_uppercase()
        ));
    }

    #[test]
    fn refuses_any_change() {
        let signature = sign_webhook(SECRET, 1_700_000_000, BODY);
        assert!(!verify_webhook(
            b"other-secret",
            1_700_000_000,
            BODY,
            &signature
        ));
        assert!(!verify_webhook(SECRET, 1_700_000_001, BODY, &signature));
        assert!(!verify_webhook(
            SECRET,
            1_700_000_000,
            br#"{"id":"e-2"}"#,
            &signature
        ));
        assert!(!verify_webhook(
            SECRET,
            1_700_000_000,
            BODY,
            &signature[..62]
        ));
        assert!(!verify_webhook(SECRET, 1_700_000_000, BODY, "not hex"));
        assert!(!verify_webhook(SECRET, 1_700_000_000, BODY, ""));
    }
}
