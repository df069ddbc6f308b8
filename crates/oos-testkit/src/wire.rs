//! Raw API exchanges over TCP for tests: ACS3- and v1-signed request bytes (parameters in the query,
//! the form body or both, repeated names allowed, as an attacker would send them) and one request per
//! connection, with a hang counted as a failure.

use std::net::SocketAddr;
use std::time::Duration;

use oos_acs::{Credentials, acs3, encode, v1};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long a server may take to answer or close; longer counts as a hang.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// The OOS API version.
pub const OOS: &str = "2019-06-01";
/// The RAM API version.
pub const RAM: &str = "2015-05-01";

/// Sends raw bytes on a new connection, ends the sending side, and reads until the server closes it.
/// Returns the status and JSON body, or `None` when the server closed without answering.
/// Panics when the server neither answers nor closes within [`ANSWER_WITHIN`] (a hang), or answers
/// with anything but an HTTP status line and a JSON body.
pub async fn try_exchange(addr: SocketAddr, request: &[u8]) -> Option<(u16, Value)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("the server accepts connections");
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
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no HTTP answer: {:.300}", text));
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("bad status line: {head}"));
    Some((status, serde_json::from_str(body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {body:.300}"))))
}

/// [`try_exchange`] for a request the server must answer.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, Value) {
    try_exchange(addr, request).await.unwrap_or_else(|| panic!("no answer to {:?}", String::from_utf8_lossy(&request[..request.len().min(300)])))
}

/// The current time as the signatures want it.
pub fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A fresh nonce.
pub fn nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Parameters as owned pairs.
pub fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(key, value)| ((*key).to_string(), (*value).to_string())).collect()
}

/// What to sign and send; `query` and `form` may repeat names.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub credentials: &'a Credentials,
    pub version: &'a str,
    pub action: &'a str,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub date: String,
    pub nonce: String,
}

impl<'a> Call<'a> {
    /// An OOS or RAM call with its parameters in the query, signed now with a fresh nonce.
    pub fn new(credentials: &'a Credentials, version: &'a str, action: &'a str, query: &[(&str, &str)]) -> Self {
        Self { credentials, version, action, query: params(query), form: Vec::new(), date: now(), nonce: nonce() }
    }

    /// The same call with these parameters in a form body as well.
    pub fn with_form(mut self, form: &[(&str, &str)]) -> Self {
        self.form = params(form);
        self
    }

    fn form_body(&self) -> Vec<u8> {
        encode::encode_form(&self.form).into_bytes()
    }

    fn content_type(&self) -> &'static str {
        if self.form.is_empty() { "" } else { "Content-Type: application/x-www-form-urlencoded\r\n" }
    }

    /// ACS3-HMAC-SHA256 request bytes (`Connection: close`).
    pub fn acs3(&self, addr: SocketAddr) -> Vec<u8> {
        let body = self.form_body();
        let mut headers = acs3::rpc_headers(&addr.to_string(), self.action, self.version, &self.date, &self.nonce, &body, self.credentials);
        if !self.form.is_empty() {
            headers.push(("content-type".into(), "application/x-www-form-urlencoded".into()));
        }
        let authorization = acs3::sign(self.credentials, "POST", "/", &self.query, &headers, &body);
        let mut request = format!("POST /?{} HTTP/1.1\r\n", encode::encode_form(&self.query));
        for (name, value) in &headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str(&format!("Authorization: {authorization}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(&body);
        bytes
    }

    /// v1 (HMAC-SHA1) request bytes: protocol parameters and `Signature` in the query, the call's
    /// form parameters in the body, every parameter signed.
    pub fn v1(&self, addr: SocketAddr) -> Vec<u8> {
        let body = self.form_body();
        let head = format!(
            "POST /?{} HTTP/1.1\r\nHost: {addr}\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.v1_query("POST", "/"),
            self.content_type(),
            body.len()
        );
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&body);
        bytes
    }

    /// The v1 (HMAC-SHA1) signed query of a `method` request to `path`: protocol parameters, the
    /// call's query parameters and `Signature` (form parameters are signed but left for the body).
    pub fn v1_query(&self, method: &str, path: &str) -> String {
        let mut signed: Vec<(String, String)> = params(&[("Action", self.action), ("Version", self.version), ("Format", "JSON")]);
        signed.extend(self.query.iter().cloned());
        signed.extend(self.form.iter().cloned());
        v1::sign_path(self.credentials, method, path, &mut signed, &self.date, &self.nonce);
        let query: Vec<(String, String)> = signed.iter().filter(|pair| !self.form.contains(pair)).cloned().collect();
        encode::encode_form(&query)
    }

    /// Sends the ACS3 form of the call.
    pub async fn send(&self, addr: SocketAddr) -> (u16, Value) {
        exchange(addr, &self.acs3(addr)).await
    }
}
