//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps, 6 digits,
//! as authenticator apps compute them for a virtual MFA device's Base32 seed.

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds per time step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: usize = 6;
/// Bytes of a new seed (160 bits, RFC 4226's recommendation).
const SEED_BYTES: usize = 20;

/// A new random seed, Base32 without padding (what `Base32StringSeed` shows).
pub fn new_seed() -> String {
    let mut seed = [0u8; SEED_BYTES];
    rand::rng().fill_bytes(&mut seed);
    data_encoding::BASE32_NOPAD.encode(&seed)
}

/// The time step of `unix_seconds`.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The code of `seed` (Base32) at time step `step`; `None` when the seed is not Base32.
pub fn code(seed: &str, step: i64) -> Option<String> {
    let key = data_encoding::BASE32_NOPAD.decode(seed.trim_end_matches('=').as_bytes()).ok()?;
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&key).ok()?;
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let truncated = u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    Some(format!("{:0width$}", truncated % 1_000_000, width = DIGITS))
}

/// The step (within one step either side of `unix_seconds`) at which `given` is the code of
/// `seed`; codes are compared in constant time.
pub fn matching_step(seed: &str, given: &str, unix_seconds: i64) -> Option<i64> {
    if given.len() != DIGITS {
        return None;
    }
    let now = step_at(unix_seconds);
    [now - 1, now, now + 1].into_iter().find(|step| code(seed, *step).is_some_and(|expected| bool::from(expected.as_bytes().ct_eq(given.as_bytes()))))
}

/// The `otpauth://` URI an authenticator app scans for `seed`.
pub fn otpauth_uri(issuer: &str, account: &str, seed: &str) -> String {
    let label = format!("{issuer}:{account}");
    format!(
        "otpauth://totp/{}?secret={seed}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        percent(&label),
        percent(issuer)
    )
}

/// Percent-encodes everything but unreserved characters.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA1 seed "12345678901234567890", 8-digit codes cut to their last 6.
    #[test]
    fn rfc_6238_test_vectors() {
        let seed = data_encoding::BASE32_NOPAD.encode(b"12345678901234567890");
        for (time, expected) in [(59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"), (1_234_567_890, "89005924"), (2_000_000_000, "69279037")] {
            assert_eq!(code(&seed, step_at(time)).unwrap(), expected[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_matches_one_step_either_side_only() {
        let seed = new_seed();
        let now = 1_700_000_000;
        let current = code(&seed, step_at(now)).unwrap();
        assert_eq!(matching_step(&seed, &current, now), Some(step_at(now)));
        assert_eq!(matching_step(&seed, &current, now + STEP_SECONDS), Some(step_at(now)));
        assert_eq!(matching_step(&seed, &current, now + 2 * STEP_SECONDS), None);
        assert_eq!(matching_step(&seed, "12345", now), None);
        assert!(otpauth_uri("OpenOOS", "alice@123", &seed).starts_with("otpauth://totp/OpenOOS%3Aalice%40123?secret="));
    }
}
