//! Percent-encoding as Alibaba signs it (RFC 3986 unreserved set) and form-urlencoded decoding.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, utf8_percent_encode};

/// Every byte except `A–Z a–z 0–9 - _ . ~` is escaped (`%XX`, upper-case hex).
const RFC3986_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `value` the way both signature schemes canonicalise keys and values:
/// space → `%20`, `*` → `%2A`, `+` → `%2B`, `/` → `%2F`, `~` kept, UTF-8 bytes escaped.
pub fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, RFC3986_ESCAPED).to_string()
}

/// Decodes an `application/x-www-form-urlencoded` string (a raw query or a form body) into
/// ordered `(key, value)` pairs: `+` is a space, `%XX` a byte, then UTF-8 (invalid sequences
/// become U+FFFD). Empty values are kept (`SignatureType=` is real); empty segments are skipped.
pub fn decode_form(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| match segment.split_once('=') {
            Some((key, value)) => (decode_component(key), decode_component(value)),
            None => (decode_component(segment), String::new()),
        })
        .collect()
}

fn decode_component(component: &str) -> String {
    let spaced = component.replace('+', " ");
    percent_decode(spaced.as_bytes())
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether `raw` is well-formed form encoding: every `%` starts a two-hex-digit escape and the
/// decoded bytes are UTF-8. [`decode_form`] is lenient; a server refuses what this rejects.
pub fn is_well_formed_form(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let escapes_ok = bytes.iter().enumerate().filter(|(_, byte)| **byte == b'%').all(|(at, _)| {
        bytes.get(at + 1..at + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    escapes_ok && percent_decode(bytes).decode_utf8().is_ok()
}

/// Encodes `(key, value)` pairs as a query string or form body with the RFC 3986 escaping
/// (space as `%20`; any form decoder reads it back unchanged).
pub fn encode_form(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Sorts pairs by key (byte order; stable for repeated keys) and joins them as
/// `key=value&…` with both sides percent-encoded: the canonical query of both schemes.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(key, value)| (percent_encode(key), percent_encode(value)))
        .collect();
    encoded.sort_by(|left, right| left.0.cmp(&right.0));
    encoded
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_outside_the_unreserved_set() {
        assert_eq!(
            percent_encode("a b*c~d+e/é:"),
            "a%20b%2Ac~d%2Be%2F%C3%A9%3A"
        );
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
    }

    #[test]
    fn well_formed_forms_have_complete_escapes_and_utf8() {
        assert!(is_well_formed_form("a=x+y%2Bz&c=%C3%A9&flag"));
        for bad in ["a=%ZZ", "a=%4", "a=%", "a=%FF", "a=%C3"] {
            assert!(!is_well_formed_form(bad), "{bad}");
        }
    }

    #[test]
    fn decodes_plus_as_space_and_keeps_empty_values() {
        let pairs = decode_form("a=x+y%2Bz&SignatureType=&flag&&c=%C3%A9");
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "x y+z".into()),
                ("SignatureType".into(), String::new()),
                ("flag".into(), String::new()),
                ("c".into(), "é".into()),
            ]
        );
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let pairs = vec![("Tag.1.Value".to_string(), "prod env+*/~&=".to_string())];
        assert_eq!(decode_form(&encode_form(&pairs)), pairs);
    }

    #[test]
    fn canonical_query_sorts_by_encoded_key() {
        let pairs = vec![
            ("b".to_string(), "2".to_string()),
            ("a".to_string(), "x y".to_string()),
        ];
        assert_eq!(canonical_query(&pairs), "a=x%20y&b=2");
    }
}
