//! The server and signing helpers shared by `wire.rs` and `robustness.rs`: a server on a fresh data
//! directory with its root key, raw exchanges over TCP, and ACS3- and v1-signed request bytes.
// Each test binary uses a part of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use oos_acs::Credentials;
use oos_actions::{ApiCall, CloudApi, CloudError, Executors};
use oos_runtime::{Library, RuntimeConfig, Worker};
use oos_server::transport::Limits;
use oos_server::transport::tls::TlsSource;
use oos_server::{Server, ServerConfig};
use serde_json::Value;

#[path = "../bed/mod.rs"]
mod bed;
pub use bed::{Backend, Bed};

/// These tests run no cloud calls; a call would be a test bug and fails loudly.
struct NoCloud;

#[async_trait::async_trait]
impl CloudApi for NoCloud {
    async fn call(&self, call: &ApiCall) -> Result<Value, CloudError> {
        Err(CloudError { code: "NoCloudInTest".into(), message: format!("{}.{}", call.service, call.api), http_status: None, request_id: None })
    }
}

pub async fn start() -> (Server, Credentials, Bed) {
    start_with(Backend::Sqlite, RuntimeConfig::default()).await
}

/// [`start`] on `backend` with the worker's settings (a benchmark raises the quotas).
pub async fn start_with(backend: Backend, runtime: RuntimeConfig) -> (Server, Credentials, Bed) {
    start_front(backend, runtime, None, Limits::default()).await
}

/// [`start_with`] behind this front door: TLS or not, and its limits.
pub async fn start_front(backend: Backend, runtime: RuntimeConfig, tls: Option<TlsSource>, limits: Limits) -> (Server, Credentials, Bed) {
    let bed = Bed::new(backend).await;
    let store = bed.store().await;
    let library = Library::new(Some(store.clone()));
    let worker = Worker::new(store.clone(), Arc::new(Executors::new(Arc::new(NoCloud), oos_actions::AddressPolicy::server(Vec::new()))), Arc::new(library), runtime);
    let config = ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), region: "cn-hangzhou".into(), outbound: oos_actions::AddressPolicy::server(Vec::new()), tls, limits, audit_command_output: true, metrics: true, cloud: Default::default() };
    let server = Server::start(config, store, &oos_server::KeyFiles::in_dir(bed.path()), worker).await.unwrap();
    let saved: Value = serde_json::from_slice(&std::fs::read(server.root_credentials()).unwrap()).unwrap();
    let credentials = Credentials::new(saved["AccessKeyId"].as_str().unwrap(), saved["AccessKeySecret"].as_str().unwrap());
    (server, credentials, bed)
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

