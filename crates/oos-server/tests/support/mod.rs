//! The server and signing helpers shared by `wire.rs` and `robustness.rs`: a server on a fresh data
//! directory with its root key, raw exchanges over TCP, and ACS3- and v1-signed request bytes.
// Each test binary uses a part of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use oos_acs::{Credentials, acs3, encode, v1};
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

pub async fn start() -> (Server, Credentials, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    let library = Library::new(Some(Arc::new(store.clone())), &[]);
    let worker = Worker::new(Arc::new(store.clone()), Arc::new(Executors::new(Arc::new(NoCloud), oos_actions::AddressPolicy::server(Vec::new()))), Arc::new(library), RuntimeConfig::default());
    let config = ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), region: "cn-hangzhou".into(), outbound: oos_actions::AddressPolicy::server(Vec::new()) };
    let server = Server::start(config, store, dir.path(), worker).await.unwrap();
    let saved: Value = serde_json::from_slice(&std::fs::read(server.root_credentials()).unwrap()).unwrap();
    let credentials = Credentials::new(saved["AccessKeyId"].as_str().unwrap(), saved["AccessKeySecret"].as_str().unwrap());
    (server, credentials, dir)
}

/// How long the server may take to answer or close; longer counts as a hang.
pub const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Sends raw bytes on a new connection, ends the sending side, and reads until the server closes it.
/// Returns the status and JSON body, or `None` when the server closed without answering.
/// Panics when the server neither answers nor closes within [`ANSWER_WITHIN`] (a hang), or answers
/// with anything but an HTTP status line and a JSON body.
pub async fn try_exchange(addr: SocketAddr, request: &[u8]) -> Option<(u16, Value)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The server may refuse and close before reading everything; a failed write is not a failure.
    let _ = stream.write_all(request).await;
    let _ = stream.shutdown().await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(ANSWER_WITHIN, stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server hung on {:?}", String::from_utf8_lossy(&request[..request.len().min(300)]));
    if answer.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("bad status line: {head}"));
    Some((status, serde_json::from_str(body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {body:?}"))))
}

/// [`try_exchange`] for a request the server must answer.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, Value) {
    try_exchange(addr, request).await.unwrap_or_else(|| panic!("no answer to {:?}", String::from_utf8_lossy(&request[..request.len().min(300)])))
}

/// An ACS3-signed `POST /?query` request with `Connection: close`.
pub fn signed(addr: SocketAddr, credentials: &Credentials, action: &str, query: &[(String, String)], date: &str, nonce: &str) -> Vec<u8> {
    let headers = acs3::rpc_headers(&addr.to_string(), action, "2019-06-01", date, nonce, b"", credentials);
    let authorization = acs3::sign(credentials, "POST", "/", query, &headers, b"");
    let mut request = format!("POST /?{} HTTP/1.1\r\n", encode::encode_form(query));
    for (name, value) in &headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Authorization: {authorization}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    request.into_bytes()
}

/// A v1-signed (HMAC-SHA1) `POST /?query` request: every parameter, `Signature` last, in the query.
pub fn signed_v1(addr: SocketAddr, credentials: &Credentials, action: &str, query: &[(String, String)], date: &str, nonce: &str) -> Vec<u8> {
    let mut params: Vec<(String, String)> = [("Action", action), ("Version", "2019-06-01"), ("Format", "JSON")].iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
    params.extend_from_slice(query);
    v1::sign(credentials, "POST", &mut params, date, nonce);
    format!("POST /?{} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", encode::encode_form(&params)).into_bytes()
}

pub fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
