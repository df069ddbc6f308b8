//! Arbitrary input never panics the parser or the verifier, and signing round-trips.

use std::collections::HashMap;

use oos_acs::{Credentials, IncomingRequest, RpcRequest, Verifier, acs3, encode, v1};
use proptest::prelude::*;

fn keys() -> HashMap<String, String> {
    HashMap::from([("ak".to_string(), "sk".to_string())])
}

fn header() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof![
            Just("Authorization".to_string()),
            Just("x-acs-action".to_string()),
            Just("host".to_string()),
            Just("content-type".to_string()),
            "[a-z-]{1,12}"
        ],
        prop_oneof![
            Just(
                "ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host;x-acs-date,Signature=00"
                    .to_string()
            ),
            Just("application/x-www-form-urlencoded".to_string()),
            ".{0,40}"
        ],
    )
}

proptest! {
    #[test]
    fn parsing_and_verification_never_panic(
        method in "[A-Z]{0,7}",
        target in ".{0,200}",
        headers in prop::collection::vec(header(), 0..6),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let request = IncomingRequest::from_target(&method, &target, headers, body);
        let _ = RpcRequest::parse(&request);
        let _ = Verifier::new(keys()).verify(&request);
        let _ = acs3::Authorization::parse(request.header("authorization").unwrap_or_default());
    }

    #[test]
    fn anything_signed_with_either_scheme_verifies(
        params in prop::collection::vec(("[A-Za-z][A-Za-z0-9.]{0,10}", ".{0,30}"), 0..6),
        use_v1 in any::<bool>(),
    ) {
        let credentials = Credentials::new("ak", "sk");
        let request = if use_v1 {
            let mut signed = params.clone();
            v1::sign(&credentials, "POST", &mut signed, "2025-01-01T00:00:00Z", "nonce");
            IncomingRequest::from_target("POST", &format!("/?{}", encode::encode_form(&signed)), Vec::new(), Vec::new())
        } else {
            let mut headers = acs3::rpc_headers("127.0.0.1:1", "DescribeRegions", "2014-05-26", "2025-01-01T00:00:00Z", "nonce", b"", &credentials);
            let authorization = acs3::sign(&credentials, "POST", "/", &params, &headers, b"");
            headers.push(("Authorization".to_string(), authorization));
            IncomingRequest::from_target("POST", &format!("/?{}", encode::encode_form(&params)), headers, Vec::new())
        };
        prop_assert!(Verifier::new(keys()).verify(&request).is_ok());
    }
}
