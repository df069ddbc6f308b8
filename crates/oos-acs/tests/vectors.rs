//! Every signature vector of `shared/docs/sdk-wire-vectors.json` (produced by the official
//! SDKs): sign, verify, and tampering with any part of the request breaks verification.

use std::collections::HashMap;
use std::path::PathBuf;

use oos_acs::{Credentials, IncomingRequest, Scheme, Verifier, acs3, encode, v1};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/docs/sdk-wire-vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    let document: Value = serde_json::from_str(&text).unwrap();
    let vectors = document["vectors"].as_array().unwrap().clone();
    assert_eq!(
        vectors.len(),
        4,
        "the vector file changed; review these tests"
    );
    vectors
}

fn pairs(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().to_string(),
                pair[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn credentials(vector: &Value) -> Credentials {
    Credentials::new(
        vector["inputs"]["AccessKeyId"].as_str().unwrap(),
        vector["inputs"]["AccessKeySecret"].as_str().unwrap(),
    )
}

fn incoming(vector: &Value) -> IncomingRequest {
    let request = &vector["request"];
    IncomingRequest::from_target(
        request["method"].as_str().unwrap(),
        request["target"].as_str().unwrap(),
        pairs(&request["headers"]),
        request["body"].as_str().unwrap().as_bytes().to_vec(),
    )
}

fn verifier(vector: &Value) -> Verifier<Vec<Credentials>> {
    Verifier::new(vec![credentials(vector)])
}

fn is_acs3(vector: &Value) -> bool {
    vector["derived"]["scheme"] == "ACS3-HMAC-SHA256"
}

#[test]
fn query_decoding_matches_the_sdk() {
    for vector in vectors() {
        assert_eq!(
            incoming(&vector).query_params(),
            pairs(&vector["decoded_query"]),
            "{}",
            vector["title"]
        );
        let derived = &vector["derived"];
        let unsigned: Vec<_> = pairs(&vector["decoded_query"])
            .into_iter()
            .filter(|(key, _)| key != "Signature")
            .collect();
        assert_eq!(
            encode::canonical_query(&unsigned),
            derived["canonical_query"].as_str().unwrap(),
            "{}",
            vector["title"]
        );
    }
}

#[test]
fn acs3_vectors_canonicalise_and_sign_identically() {
    for vector in vectors().iter().filter(|vector| is_acs3(vector)) {
        let derived = &vector["derived"];
        let request = incoming(vector);
        let signed: Vec<(String, String)> = derived["signed_headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|name| {
                let name = name.as_str().unwrap();
                (name.to_string(), request.header(name).unwrap().to_string())
            })
            .collect();
        let payload = acs3::hashed_payload(&request.body);
        assert_eq!(payload, derived["hashed_payload"].as_str().unwrap());
        let canonical =
            acs3::canonical_request("POST", "/", &request.query_params(), &signed, &payload);
        assert_eq!(canonical, derived["canonical_request"].as_str().unwrap());
        let to_sign = acs3::string_to_sign(&canonical);
        assert_eq!(to_sign, derived["string_to_sign"].as_str().unwrap());
        let secret = &credentials(vector).access_key_secret;
        assert_eq!(
            acs3::signature(secret, &to_sign),
            derived["signature_sent_by_sdk"].as_str().unwrap()
        );
        // The client-side signer, given exactly the signed headers, produces the SDK's header.
        let authorization = acs3::sign(
            &credentials(vector),
            "POST",
            "/",
            &request.query_params(),
            &signed,
            &request.body,
        );
        assert_eq!(
            Some(authorization.as_str()),
            request.header("Authorization")
        );
    }
}

#[test]
fn v1_vectors_sign_identically() {
    for vector in vectors().iter().filter(|vector| !is_acs3(vector)) {
        let derived = &vector["derived"];
        let params = pairs(&vector["decoded_query"]);
        let to_sign = v1::string_to_sign("POST", "/", &params);
        assert_eq!(to_sign, derived["string_to_sign"].as_str().unwrap());
        let secret = &credentials(vector).access_key_secret;
        assert_eq!(
            v1::signature(secret, &to_sign),
            derived["signature_sent_by_sdk"].as_str().unwrap()
        );
        // The client-side signer re-creates the same Signature from the unsigned parameters.
        let protocol = [
            "AccessKeyId",
            "SignatureMethod",
            "SignatureVersion",
            "SignatureNonce",
            "Timestamp",
            "Signature",
        ];
        let mut unsigned: Vec<_> = params
            .iter()
            .filter(|(key, _)| !protocol.contains(&key.as_str()))
            .cloned()
            .collect();
        let value = |name: &str| {
            params
                .iter()
                .find(|(key, _)| key == name)
                .unwrap()
                .1
                .clone()
        };
        v1::sign(
            &credentials(vector),
            "POST",
            &mut unsigned,
            &value("Timestamp"),
            &value("SignatureNonce"),
        );
        assert_eq!(
            unsigned.last().unwrap(),
            &("Signature".to_string(), value("Signature"))
        );
    }
}

#[test]
fn every_vector_verifies_with_its_scheme() {
    for vector in vectors() {
        let verified = verifier(&vector)
            .verify(&incoming(&vector))
            .unwrap_or_else(|error| panic!("{}: {error}", vector["title"]));
        assert_eq!(verified.access_key_id, "testAccessKeyId");
        let expected = if is_acs3(&vector) {
            Scheme::Acs3HmacSha256
        } else {
            Scheme::HmacSha1V1
        };
        assert_eq!(verified.scheme, expected);
    }
}

/// Each way of altering a received request, applied to every vector.
fn tamperings(request: &IncomingRequest) -> Vec<(String, IncomingRequest)> {
    let mut variants = Vec::new();
    let mut method = request.clone();
    method.method = "GET".into();
    variants.push(("method".to_string(), method));
    let mut path = request.clone();
    path.path = "/x".into();
    variants.push(("path".to_string(), path));
    let mut body = request.clone();
    body.body = b"extra".to_vec();
    body.headers.push((
        "Content-Type".into(),
        "application/x-www-form-urlencoded".into(),
    ));
    variants.push(("body".to_string(), body));
    let mut added = request.clone();
    added.raw_query.push_str("&Extra=1");
    variants.push(("added query parameter".to_string(), added));
    for (index, pair) in request.raw_query.split('&').enumerate() {
        let (key, _) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "Signature" {
            continue;
        }
        let mut changed = request.clone();
        changed.raw_query = request
            .raw_query
            .split('&')
            .enumerate()
            .map(|(position, part)| {
                if position == index {
                    format!("{part}X")
                } else {
                    part.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("&");
        variants.push((format!("query value of {key}"), changed));
    }
    for (index, (name, _)) in request.headers.iter().enumerate() {
        let lower = name.to_ascii_lowercase();
        let signed_by_acs3 = request
            .header("authorization")
            .is_some_and(|auth| auth.contains(&lower));
        if !signed_by_acs3 || lower == "authorization" {
            continue;
        }
        let mut changed = request.clone();
        changed.headers[index].1.push('0');
        variants.push((format!("header {name}"), changed));
    }
    if let Some(index) = request
        .headers
        .iter()
        .position(|(name, _)| name.eq_ignore_ascii_case("authorization"))
    {
        let mut changed = request.clone();
        let value = &mut changed.headers[index].1;
        let last = value.pop().unwrap();
        value.push(if last == '0' { '1' } else { '0' });
        variants.push(("signature".to_string(), changed));
        let mut unsigned_header = request.clone();
        unsigned_header
            .headers
            .push(("x-acs-extra".into(), "1".into()));
        variants.push(("an unsigned x-acs header".to_string(), unsigned_header));
    }
    variants
}

#[test]
fn tampering_with_any_part_fails_verification() {
    for vector in vectors() {
        let request = incoming(&vector);
        let variants = tamperings(&request);
        assert!(
            variants.len() >= 8,
            "too few tamperings for {}",
            vector["title"]
        );
        for (what, changed) in variants {
            let error = verifier(&vector).verify(&changed).expect_err(&format!(
                "{}: tampered {what} still verified",
                vector["title"]
            ));
            assert!(
                [
                    "SignatureDoesNotMatch",
                    "IncompleteSignature",
                    "InvalidAccessKeyId.NotFound"
                ]
                .contains(&error.code.as_ref())
                    || error.code.starts_with("InvalidParameter.Signature"),
                "{}: tampered {what} gave {error}",
                vector["title"]
            );
            if error.code == "SignatureDoesNotMatch" {
                assert!(
                    error.message.contains(':'),
                    "the message must contain ':' for the core SDK"
                );
            }
        }
    }
}

#[test]
fn wrong_secret_and_unknown_key_are_rejected_with_their_codes() {
    for vector in vectors() {
        let request = incoming(&vector);
        let wrong = Verifier::new(HashMap::from([(
            "testAccessKeyId".to_string(),
            "other".to_string(),
        )]));
        let error = wrong.verify(&request).unwrap_err();
        assert_eq!(
            (error.code.as_ref(), error.status),
            ("SignatureDoesNotMatch", 400)
        );
        let expected_to_sign = vector["derived"]["string_to_sign"].as_str().unwrap();
        assert_eq!(error.message.split_once(':').unwrap().1, expected_to_sign);
        let unknown = Verifier::new(HashMap::from([(
            "someone-else".to_string(),
            "x".to_string(),
        )]));
        let error = unknown.verify(&request).unwrap_err();
        assert_eq!(
            (error.code.as_ref(), error.status),
            ("InvalidAccessKeyId.NotFound", 404)
        );
    }
}

#[test]
fn replay_protection_rejects_the_old_vectors() {
    let vector = &vectors()[0];
    let guarded = verifier(vector).with_replay_guard(oos_acs::ReplayGuard::new());
    let error = guarded.verify(&incoming(vector)).unwrap_err();
    assert_eq!(error.code, "InvalidTimeStamp.Expired");
    let in_window = guarded.verify_at(&incoming(vector), "2025-01-01T00:01:00Z".parse().unwrap());
    assert!(in_window.is_ok());
    let replayed = guarded
        .verify_at(&incoming(vector), "2025-01-01T00:02:00Z".parse().unwrap())
        .unwrap_err();
    assert_eq!(replayed.code, "SignatureNonceUsed");
}

#[test]
fn unsigned_requests_are_rejected() {
    let request =
        IncomingRequest::from_target("POST", "/?Action=DescribeRegions", Vec::new(), Vec::new());
    let error = Verifier::new(HashMap::<String, String>::new())
        .verify(&request)
        .unwrap_err();
    assert_eq!(error.code, "IncompleteSignature");
}
