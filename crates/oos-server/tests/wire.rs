//! The transport and the authentication pipeline over real TCP: long request targets, malformed and
//! oversized requests, unsigned, replayed and stale requests, each with its JSON error code.

mod support;

use oos_acs::Credentials;
use support::{exchange, now, signed, start};

#[tokio::test]
async fn signed_requests_pass_and_replays_are_refused() {
    let (server, credentials, _dir) = start().await;
    let request = signed(server.addr(), &credentials, "ListTemplates", &[], &now(), "nonce-one");
    let (status, body) = exchange(server.addr(), &request).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["RequestId"].as_str().is_some_and(|id| !id.is_empty()) && body["Templates"].is_array(), "{body}");
    let (status, body) = exchange(server.addr(), &request).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureNonceUsed")), "{body}");
    let stale = signed(server.addr(), &credentials, "ListTemplates", &[], "2020-01-01T00:00:00Z", "nonce-two");
    let (status, body) = exchange(server.addr(), &stale).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("InvalidTimeStamp.Expired")), "{body}");
}

#[tokio::test]
async fn unsigned_unknown_key_and_wrong_secret_get_their_codes() {
    let (server, credentials, _dir) = start().await;
    let unsigned = b"POST /?Action=ListTemplates&Version=2019-06-01 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let (status, body) = exchange(server.addr(), unsigned).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("IncompleteSignature")), "{body}");
    let stranger = Credentials::new("LTAIunknownunknownunk", "secret");
    let (status, body) = exchange(server.addr(), &signed(server.addr(), &stranger, "ListTemplates", &[], &now(), "n3")).await;
    assert_eq!((status, body["Code"].as_str()), (404, Some("InvalidAccessKeyId.NotFound")), "{body}");
    let wrong_secret = Credentials::new(credentials.access_key_id.clone(), "not-the-secret");
    let (status, body) = exchange(server.addr(), &signed(server.addr(), &wrong_secret, "ListTemplates", &[], &now(), "n4")).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureDoesNotMatch")), "{body}");
    assert!(body["Message"].as_str().unwrap_or_default().contains(':'), "{body}");
}

#[tokio::test]
async fn request_targets_far_beyond_64_kib_reach_the_action() {
    let (server, credentials, _dir) = start().await;
    let query = vec![("TemplateName".to_string(), "x".repeat(300_000))];
    let (status, body) = exchange(server.addr(), &signed(server.addr(), &credentials, "GetTemplate", &query, &now(), "n5")).await;
    assert_eq!((status, body["Code"].as_str()), (404, Some("EntityNotExists.Template")), "{body}");
}

#[tokio::test]
async fn malformed_and_oversized_requests_get_json_errors() {
    let (server, _, _dir) = start().await;
    let (status, body) = exchange(server.addr(), b"NOT AN HTTP REQUEST\r\n\r\n").await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("MalformedRequest")), "{body}");
    let huge = format!("POST /?a={} HTTP/1.1\r\n", "y".repeat(oos_server::transport::edge::MAX_HEAD_BYTES + 10));
    let (status, body) = exchange(server.addr(), huge.as_bytes()).await;
    assert_eq!((status, body["Code"].as_str()), (431, Some("RequestHeaderTooLarge")), "{body}");
    let chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    // A chunked body is read like any other: this one reaches the API without an Action.
    let (status, body) = exchange(server.addr(), chunked).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("MissingParameter.Action")), "{body}");
}
