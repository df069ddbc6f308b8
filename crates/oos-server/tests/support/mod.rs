//! The server and signing helpers shared by `wire.rs` and `robustness.rs`: a server on a fresh data
//! directory with its root key, raw exchanges over TCP, and ACS3- and v1-signed request bytes.
// Each test binary uses a part of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use oos_acs::Credentials;
use oos_actions::{ApiCall, CloudApi, CloudError, Executors};
use oos_runtime::{Library, RuntimeConfig, Worker};
use oos_server::{Server, ServerConfig};
use oos_store::SqliteStore;
use oos_store::sqlite::Durability;
use serde_json::Value;

/// These tests run no cloud calls; a call would be a test bug and fails loudly.
struct NoCloud;

#[async_trait::async_trait]
impl CloudApi for NoCloud {
    async fn call(&self, call: &ApiCall) -> Result<Value, CloudError> {
        Err(CloudError { code: "NoCloudInTest".into(), message: format!("{}.{}", call.service, call.api), http_status: None, request_id: None })
    }
}

pub async fn start() -> (Server, Credentials, tempfile::TempDir) {
    start_with(RuntimeConfig::default()).await
}

/// [`start`] with the worker's settings (a benchmark raises the quotas).
pub async fn start_with(runtime: RuntimeConfig) -> (Server, Credentials, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    let library = Library::new(Some(Arc::new(store.clone())), &[]);
    let worker = Worker::new(Arc::new(store.clone()), Arc::new(Executors::new(Arc::new(NoCloud), oos_actions::AddressPolicy::server(Vec::new()))), Arc::new(library), runtime);
    let config = ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), region: "cn-hangzhou".into(), outbound: oos_actions::AddressPolicy::server(Vec::new()) };
    let server = Server::start(config, std::sync::Arc::new(store), &oos_server::KeyFiles::in_dir(dir.path()), worker).await.unwrap();
    let saved: Value = serde_json::from_slice(&std::fs::read(server.root_credentials()).unwrap()).unwrap();
    let credentials = Credentials::new(saved["AccessKeyId"].as_str().unwrap(), saved["AccessKeySecret"].as_str().unwrap());
    (server, credentials, dir)
}

#[allow(unused_imports, reason = "each test binary uses a part of these")]
pub use oos_testkit::wire::{ANSWER_WITHIN, exchange, now, try_exchange};

/// An ACS3-signed `POST /?query` request with `Connection: close`.
pub fn signed(addr: SocketAddr, credentials: &Credentials, action: &str, query: &[(String, String)], date: &str, nonce: &str) -> Vec<u8> {
    call(credentials, action, query, date, nonce).acs3(addr)
}

/// A v1-signed (HMAC-SHA1) `POST /?query` request: every parameter, `Signature` last, in the query.
pub fn signed_v1(addr: SocketAddr, credentials: &Credentials, action: &str, query: &[(String, String)], date: &str, nonce: &str) -> Vec<u8> {
    call(credentials, action, query, date, nonce).v1(addr)
}

fn call<'a>(credentials: &'a Credentials, action: &'a str, query: &[(String, String)], date: &str, nonce: &str) -> oos_testkit::wire::Call<'a> {
    oos_testkit::wire::Call { credentials, version: oos_testkit::wire::OOS, action, query: query.to_vec(), form: Vec::new(), date: date.into(), nonce: nonce.into() }
}

