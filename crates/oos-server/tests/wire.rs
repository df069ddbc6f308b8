//! The transport and the authentication pipeline over real TCP: long request targets, malformed and
//! oversized requests, unsigned, replayed and stale requests, each with its JSON error code.

use std::net::SocketAddr;
use std::sync::Arc;

use oos_acs::{Credentials, acs3, encode};
use oos_actions::{ApiCall, CloudApi, CloudError, Executors};
use oos_engine::runtime::{Library, RuntimeConfig, Worker};
use oos_server::{Server, ServerConfig};
use oos_store::SqliteStore;
use oos_store::sqlite::Durability;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// These tests run no cloud calls; a call would be a test bug and fails loudly.
struct NoCloud;

#[async_trait::async_trait]
impl CloudApi for NoCloud {
    async fn call(&self, call: &ApiCall) -> Result<Value, CloudError> {
        Err(CloudError { code: "NoCloudInTest".into(), message: format!("{}.{}", call.service, call.api), http_status: None, request_id: None })
    }
}

async fn start() -> (Server, Credentials, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    let library = Library::new(Some(Arc::new(store.clone())), &[]);
    let worker = Worker::new(Arc::new(store.clone()), Arc::new(Executors::new(Arc::new(NoCloud))), Arc::new(library), RuntimeConfig::default());
    let config = ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), region: "cn-hangzhou".into() };
    let server = Server::start(config, store, dir.path(), worker).await.unwrap();
    let saved: Value = serde_json::from_slice(&std::fs::read(server.root_credentials()).unwrap()).unwrap();
    let credentials = Credentials::new(saved["AccessKeyId"].as_str().unwrap(), saved["AccessKeySecret"].as_str().unwrap());
    (server, credentials, dir)
}

/// Sends raw bytes on a new connection and reads the answer until the server closes it.
async fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("bad status line: {head}"));
    (status, serde_json::from_str(body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {body:?}")))
}

/// An ACS3-signed `POST /?query` request with `Connection: close`.
fn signed(addr: SocketAddr, credentials: &Credentials, action: &str, query: &[(String, String)], date: &str, nonce: &str) -> Vec<u8> {
    let headers = acs3::rpc_headers(&addr.to_string(), action, "2019-06-01", date, nonce, b"", credentials);
    let authorization = acs3::sign(credentials, "POST", "/", query, &headers, b"");
    let mut request = format!("POST /?{} HTTP/1.1\r\n", encode::encode_form(query));
    for (name, value) in &headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Authorization: {authorization}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    request.into_bytes()
}

fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

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
    let huge = format!("POST /?a={} HTTP/1.1\r\n", "y".repeat(oos_server::http::MAX_HEAD_BYTES + 10));
    let (status, body) = exchange(server.addr(), huge.as_bytes()).await;
    assert_eq!((status, body["Code"].as_str()), (431, Some("RequestHeaderTooLarge")), "{body}");
    let chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    let (status, body) = exchange(server.addr(), chunked).await;
    assert_eq!((status, body["Code"].as_str()), (411, Some("MissingContentLength")), "{body}");
}
