//! Robustness of the API server over real TCP: random and mutated HTTP bytes never crash or hang it
//! (it keeps answering), a signed write with any one signed byte changed is refused and writes
//! nothing, and a table of oversized, malformed, replayed and wrongly signed requests, each with its
//! exact code and HTTP status. Property cases: 48 by default, more with `PROPTEST_CASES=2000`.

mod support;

use std::net::SocketAddr;

use oos_acs::Credentials;
use oos_server::transport::MAX_BODY_BYTES;
use oos_server::transport::edge::MAX_HEAD_BYTES;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};
use support::{exchange, now, signed, signed_v1, start, try_exchange};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(48)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

const TEMPLATE: &str = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"pause","Action":"ACS::Sleep","Properties":{"Duration":"PT0S"}}]}"#;

/// CreateTemplate's parameters: the write these tests try to sneak through.
fn create_template(name: &str) -> Vec<(String, String)> {
    vec![("TemplateName".into(), name.into()), ("Content".into(), TEMPLATE.into())]
}

/// The names of the templates stored, read through the signed API.
async fn template_names(addr: SocketAddr, credentials: &Credentials) -> Vec<String> {
    let (status, body) = exchange(addr, &signed(addr, credentials, "ListTemplates", &[], &now(), &nonce())).await;
    assert_eq!(status, 200, "{body}");
    body["Templates"].as_array().unwrap().iter().map(|template| template["TemplateName"].as_str().unwrap().to_string()).collect()
}

/// Changes applied to a valid request: overwrite, insert or delete a byte, or cut the rest off.
fn mutate(mut bytes: Vec<u8>, edits: &[(u8, Index, u8)]) -> Vec<u8> {
    for (kind, at, byte) in edits {
        if bytes.is_empty() {
            break;
        }
        let at = at.index(bytes.len());
        match kind % 4 {
            0 => bytes[at] = *byte,
            1 => bytes.insert(at, *byte),
            2 => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at),
        }
    }
    bytes
}

#[test]
fn random_and_mutated_http_bytes_never_crash_or_hang_the_server() {
    let rt = runtime();
    let (server, credentials, _dir) = rt.block_on(start());
    let addr = server.addr();
    let valid = signed(addr, &credentials, "CreateTemplate", &create_template("fuzzed"), &now(), "fuzz-nonce");
    let edits = prop::collection::vec((any::<u8>(), any::<Index>(), any::<u8>()), 1..8);
    let input = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        edits.prop_map(move |edits| mutate(valid.clone(), &edits)),
        prop::collection::vec(prop::sample::select(b"GET POST / ?=&%\r\n:HTTP/1.1 Content-Length: 5 Transfer-Encoding".to_vec()), 0..400),
    ];
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let outcome = runner.run(&input, |bytes| {
        if let Some((status, body)) = rt.block_on(try_exchange(addr, &bytes)) {
            prop_assert!(status < 500, "server error {status} {body} for {:?}", String::from_utf8_lossy(&bytes));
        }
        Ok(())
    });
    outcome.unwrap();
    let names = rt.block_on(template_names(addr, &credentials));
    assert!(names.len() <= 1, "at most the one valid request may have written: {names:?}");
    server.stop();
}

/// Byte positions of a signed request that the signature covers, and the part each is in: the
/// request line, and for ACS3 also the `x-acs-*`, `host` and `Authorization` headers (v1 signs no header).
fn signed_positions(request: &[u8], v1: bool) -> Vec<(usize, Part)> {
    let text = String::from_utf8_lossy(request);
    let mut positions = Vec::new();
    let mut offset = 0;
    for (number, line) in text.split("\r\n").enumerate() {
        let lower = line.to_ascii_lowercase();
        let covered = if number == 0 {
            line.find(" HTTP/").map(|end| (0, end))
        } else if v1 {
            None
        } else if lower.starts_with("x-acs-") || lower.starts_with("host:") || lower.starts_with("authorization:") {
            Some((0, line.len()))
        } else {
            None
        };
        if let Some((start, end)) = covered {
            let bytes = line.as_bytes();
            for at in start..end {
                let in_escape = (at >= 1 && bytes[at - 1] == b'%') || (at >= 2 && bytes[at - 2] == b'%');
                if bytes[at].is_ascii_alphanumeric() && !in_escape {
                    positions.push((offset + at, part_of(line, at)));
                }
            }
        }
        offset += line.len() + 2;
    }
    positions
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    AccessKeyId,
    Signature,
    Other,
}

/// Whether `at` in `line` lies in the AccessKeyId or the signature value (either scheme).
fn part_of(line: &str, at: usize) -> Part {
    let value_of = |key: &str, ends: &[char]| {
        line.find(key).map(|start| {
            let start = start + key.len();
            let end = line[start..].find(ends).map_or(line.len(), |end| start + end);
            (start, end)
        })
    };
    let inside = |range: Option<(usize, usize)>| range.is_some_and(|(start, end)| (start..end).contains(&at));
    if inside(value_of("Credential=", &[','])) || inside(value_of("AccessKeyId=", &['&', ' '])) {
        Part::AccessKeyId
    } else if inside(value_of(",Signature=", &[','])) || inside(value_of("&Signature=", &['&', ' '])) {
        Part::Signature
    } else {
        Part::Other
    }
}

/// Every code a refused signed request may get (and any `MissingParameter.*`, when a protocol
/// parameter's name is changed); the AccessKeyId and signature parts have exact ones.
const REFUSALS: &[&str] = &[
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidAccessKeyId.NotFound",
    "InvalidTimeStamp.Expired",
    "InvalidTimeStamp.Format",
    "InvalidVersion",
    "InvalidParameter.SignatureMethod",
    "InvalidParameter.SignatureVersion",
];

#[test]
fn a_signed_write_with_any_signed_byte_changed_is_refused_and_writes_nothing() {
    let rt = runtime();
    let (server, credentials, _dir) = rt.block_on(start());
    let addr = server.addr();
    let alphabet: Vec<u8> = (b'0'..=b'9').chain(b'a'..=b'z').chain(b'A'..=b'Z').collect();
    let input = (any::<bool>(), any::<Index>(), any::<Index>());
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let outcome = runner.run(&input, |(use_v1, position, replacement)| {
        let sign: fn(SocketAddr, &Credentials, &str, &[(String, String)], &str, &str) -> Vec<u8> = if use_v1 { signed_v1 } else { signed };
        let mut request = sign(addr, &credentials, "CreateTemplate", &create_template("mutated"), &now(), &nonce());
        let positions = signed_positions(&request, use_v1);
        let (at, part) = positions[position.index(positions.len())];
        let original = request[at];
        let choices: Vec<u8> = alphabet.iter().copied().filter(|byte| !byte.eq_ignore_ascii_case(&original)).collect();
        request[at] = choices[replacement.index(choices.len())];
        let shown = String::from_utf8_lossy(&request).into_owned();
        let (status, body) = rt.block_on(try_exchange(addr, &request)).unwrap_or_else(|| panic!("no answer to {shown}"));
        let code = body["Code"].as_str().unwrap_or_default().to_string();
        prop_assert!(status != 200, "accepted after changing byte {at} ({:?}): {shown}", original as char);
        let expected: &[&str] = match part {
            Part::AccessKeyId => &["InvalidAccessKeyId.NotFound"],
            Part::Signature => &["SignatureDoesNotMatch"],
            Part::Other => REFUSALS,
        };
        let missing = part == Part::Other && code.starts_with("MissingParameter.");
        prop_assert!(missing || expected.contains(&code.as_str()), "{status} {code} after changing byte {at} ({part:?}): {shown}");
        Ok(())
    });
    outcome.unwrap();
    assert_eq!(rt.block_on(template_names(addr, &credentials)), Vec::<String>::new(), "a refused request wrote");
    server.stop();
}

/// Raw request bytes with `Connection: close`.
fn raw(head: &str) -> Vec<u8> {
    format!("{head}\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_malformed_replayed_and_wrongly_signed_requests_get_their_exact_codes_and_write_nothing() {
    let (server, credentials, _dir) = start().await;
    let addr = server.addr();
    let write = create_template("refused");
    let stranger = Credentials::new("LTAIunknownunknownunk", "secret");
    let wrong_secret = Credentials::new(credentials.access_key_id.clone(), "not-the-secret");
    let later = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_hours(2)).unwrap().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut too_many_headers = String::from("POST /?Action=CreateTemplate&Version=2019-06-01 HTTP/1.1\r\n");
    for number in 0..120 {
        too_many_headers.push_str(&format!("x-extra-{number}: 1\r\n"));
    }
    let mut bad_encoding = signed(addr, &credentials, "CreateTemplate", &write, &now(), &nonce());
    let query_end = bad_encoding.windows(6).position(|window| window == b" HTTP/").unwrap();
    bad_encoding.splice(query_end..query_end, b"&Junk=%ZZ".iter().copied());
    let replayed = signed(addr, &credentials, "CreateTemplate", &create_template("replayed"), &now(), "replayed-nonce");
    let replayed_v1 = signed_v1(addr, &credentials, "CreateTemplate", &create_template("replayed-v1"), &now(), "replayed-nonce-v1");

    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("URL beyond the head limit", raw(&format!("POST /?Junk={} HTTP/1.1", "u".repeat(MAX_HEAD_BYTES + 10))), 431, "RequestHeaderTooLarge"),
        ("header beyond the head limit", raw(&format!("POST / HTTP/1.1\r\nx-big: {}", "h".repeat(MAX_HEAD_BYTES + 10))), 431, "RequestHeaderTooLarge"),
        ("too many headers", format!("{too_many_headers}\r\n").into_bytes(), 431, "RequestHeaderTooLarge"),
        ("body beyond the limit", raw(&format!("POST / HTTP/1.1\r\nContent-Length: {}", MAX_BODY_BYTES + 1)), 413, "RequestEntityTooLarge"),
        ("not HTTP", b"NOT AN HTTP REQUEST\r\n\r\n".to_vec(), 400, "MalformedRequest"),
        ("Content-Length not a number", raw("POST / HTTP/1.1\r\nContent-Length: ten"), 400, "InvalidParameter"),
        ("chunked body cut off", raw("POST / HTTP/1.1\r\nTransfer-Encoding: chunked"), 400, "MalformedRequest"),
        ("bad percent-encoding", bad_encoding, 400, "MalformedRequest"),
        ("invalid UTF-8 in the query", raw("POST /?Action=CreateTemplate&Version=2019-06-01&TemplateName=%FF HTTP/1.1"), 400, "MalformedRequest"),
        ("missing Action", raw("POST /?Version=2019-06-01&TemplateName=x HTTP/1.1"), 400, "MissingParameter.Action"),
        ("missing Version", raw("POST /?Action=CreateTemplate&TemplateName=x HTTP/1.1"), 400, "MissingParameter.Version"),
        ("unsigned", raw("POST /?Action=CreateTemplate&Version=2019-06-01&TemplateName=x HTTP/1.1"), 400, "IncompleteSignature"),
        ("ACS3 timestamp long past", signed(addr, &credentials, "CreateTemplate", &write, "2020-01-01T00:00:00Z", &nonce()), 400, "InvalidTimeStamp.Expired"),
        ("ACS3 timestamp in the future", signed(addr, &credentials, "CreateTemplate", &write, &later, &nonce()), 400, "InvalidTimeStamp.Expired"),
        ("v1 timestamp long past", signed_v1(addr, &credentials, "CreateTemplate", &write, "2020-01-01T00:00:00Z", &nonce()), 400, "InvalidTimeStamp.Expired"),
        ("ACS3 wrong secret", signed(addr, &wrong_secret, "CreateTemplate", &write, &now(), &nonce()), 400, "SignatureDoesNotMatch"),
        ("v1 wrong secret", signed_v1(addr, &wrong_secret, "CreateTemplate", &write, &now(), &nonce()), 400, "SignatureDoesNotMatch"),
        ("ACS3 unknown key", signed(addr, &stranger, "CreateTemplate", &write, &now(), &nonce()), 404, "InvalidAccessKeyId.NotFound"),
        ("v1 unknown key", signed_v1(addr, &stranger, "CreateTemplate", &write, &now(), &nonce()), 404, "InvalidAccessKeyId.NotFound"),
        ("ACS3 first use of a nonce", replayed.clone(), 200, ""),
        ("ACS3 same nonce again", replayed, 400, "SignatureNonceUsed"),
        ("v1 first use of a nonce", replayed_v1.clone(), 200, ""),
        ("v1 same nonce again", replayed_v1, 400, "SignatureNonceUsed"),
    ];
    let mut wrong = Vec::new();
    for (case, request, status, code) in &cases {
        let (got_status, body) = exchange(addr, request).await;
        let got_code = body["Code"].as_str().unwrap_or_default();
        if (got_status, got_code) != (*status, *code) {
            wrong.push(format!("{case}: expected {status} {code:?}, got {got_status} {got_code:?} ({body})"));
        }
    }
    assert!(wrong.is_empty(), "{} of {} cases wrong:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
    let mut names = template_names(addr, &credentials).await;
    names.sort();
    assert_eq!(names, ["replayed", "replayed-v1"], "only the first use of each nonce may write");
    server.stop();
}
