//! A client of `/stream` over server-sent events, for tests: opened with a signed
//! `ListExecutionLogs` request or a console session's cookie, read event by event.

use std::net::SocketAddr;
use std::time::Duration;

use oos_acs::Credentials;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::wire::{Call, OOS};

/// One event: its kind and its data.
pub type StreamEvent = (String, Value);

/// An open server-sent event stream of one execution.
pub struct EventStream {
    socket: TcpStream,
    text: String,
}

impl EventStream {
    /// Opens the stream of execution `id` at `addr`.
    pub async fn open(addr: SocketAddr, credentials: &Credentials, id: &str) -> Self {
        let query = Call::new(credentials, OOS, "ListExecutionLogs", &[("ExecutionId", id)]).v1_query("GET", "/stream");
        Self::request(addr, &query, "").await
    }

    /// Opens the stream of execution `id` at `addr` as a browser's EventSource does: unsigned, with
    /// the `Cookie` header `cookie` (e.g. `oos_console=<token>`) and no CSRF header.
    pub async fn open_with_cookie(addr: SocketAddr, cookie: &str, id: &str) -> Self {
        let query = format!("Action=ListExecutionLogs&Version={OOS}&ExecutionId={id}");
        Self::request(addr, &query, &format!("Cookie: {cookie}\r\n")).await
    }

    /// Sends `GET /stream?<query>` with the `headers` lines (each ending in CRLF) added.
    async fn request(addr: SocketAddr, query: &str, headers: &str) -> Self {
        let mut socket = TcpStream::connect(addr).await.expect("the server accepts");
        let request = format!("GET /stream?{query} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{headers}\r\n");
        socket.write_all(request.as_bytes()).await.expect("the request is sent");
        Self { socket, text: String::new() }
    }

    /// Whether the connection ends (closed or reset) within `within`; what arrives until then is dropped.
    pub async fn ends_within(&mut self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        let mut chunk = [0u8; 8192];
        loop {
            match tokio::time::timeout_at(deadline, self.socket.read(&mut chunk)).await {
                Err(_) => return false,
                Ok(Ok(0) | Err(_)) => return true,
                Ok(Ok(_)) => {}
            }
        }
    }

    /// The next event; `None` when none comes within `within`.
    pub async fn next(&mut self, within: Duration) -> Option<StreamEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.text.find("\n\n") {
                let block: String = self.text.drain(..end + 2).collect();
                // Lines of the chunked transfer encoding come between events: skipped.
                let kind = block.lines().find_map(|line| line.strip_prefix("event: "));
                let data = block.lines().find_map(|line| line.strip_prefix("data: "));
                if let (Some(kind), Some(data)) = (kind, data) {
                    return Some((kind.to_owned(), serde_json::from_str(data).expect("JSON data")));
                }
            }
            let mut chunk = [0u8; 8192];
            let count = tokio::time::timeout_at(deadline, self.socket.read(&mut chunk)).await.ok()?.expect("the stream reads");
            assert!(count > 0, "the stream closed before its end: {}", self.text);
            self.text.push_str(&String::from_utf8_lossy(&chunk[..count]));
        }
    }

    /// The events up to and including the first that `stop` accepts; panics when a gap between two
    /// is longer than `bound`.
    pub async fn until(&mut self, bound: Duration, stop: impl Fn(&str, &Value) -> bool) -> Vec<StreamEvent> {
        let mut seen = Vec::new();
        loop {
            let (kind, data) = self.next(bound).await.unwrap_or_else(|| panic!("no event within {bound:?} after {seen:?}"));
            let done = stop(&kind, &data);
            seen.push((kind, data));
            if done {
                return seen;
            }
        }
    }
}

/// Whether an event is the `task` event of task `name` with `status`.
pub fn is_task(kind: &str, data: &Value, name: &str, status: &str) -> bool {
    kind == "task" && data["TaskName"] == name && data["Status"] == status
}

/// The statuses of task `name` in `events`, in the order sent.
pub fn task_statuses<'a>(events: &'a [StreamEvent], name: &str) -> Vec<&'a str> {
    events.iter().filter(|(kind, data)| kind == "task" && data["TaskName"] == name).filter_map(|(_, data)| data["Status"].as_str()).collect()
}
