//! The front door over real sockets. Each limit is answered with its code, or the connection closes
//! within its timeout: slow heads, slow bodies, idle connections, 10,000 connection attempts,
//! oversized heads and bodies, a full connection table, garbage in the TLS handshake. A normal
//! client's signed requests keep succeeding meanwhile (their latency is printed; the figures live in
//! docs/benchmarks.md). Also: the SDKs' 200 KB request lines, chunked bodies, TLS with
//! `acs:SecureTransport`, and an execution's progress as server-sent events and over a WebSocket.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use oos_acs::Credentials;
use oos_runtime::RuntimeConfig;
use oos_server::transport::Limits;
use oos_server::transport::tls::{TlsSource, self_signed_paths};
use oos_testkit::wire::{Call, OOS, RAM};
use serde_json::{Value, json};
use support::{Backend, exchange, start_front};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// Short limits, so that every case ends quickly.
fn limits(max_connections: usize) -> Limits {
    Limits { header_timeout: Duration::from_secs(1), request_timeout: Duration::from_secs(1), idle_timeout: Duration::from_secs(2), max_connections }
}

/// Slack on top of a timeout before a test calls it missed.
const SLACK: Duration = Duration::from_secs(3);

const TEMPLATE: &str = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"pause","Action":"ACS::Sleep","Properties":{"Duration":"PT1S"}}]}"#;

/// How a connection ended for the client: an answer (status, code) or a close.
#[derive(Debug, PartialEq)]
enum End {
    Answer(u16, String),
    Closed,
}

/// Reads until the server closes (or `within` passes: `None`).
async fn end_of(stream: &mut (impl AsyncRead + Unpin), within: Duration) -> Option<End> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    let read_all = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(count) => bytes.extend_from_slice(&chunk[..count]),
            }
        }
    };
    tokio::time::timeout(within, read_all).await.ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return Some(End::Closed) };
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let code = serde_json::from_str::<Value>(body).ok().and_then(|body| body["Code"].as_str().map(str::to_owned)).unwrap_or_default();
    Some(End::Answer(status, code))
}

/// A normal client: signed ListTemplates on a fresh connection every 20 ms until `stop`; the
/// latency of each and whether it succeeded.
fn normal_client(addr: SocketAddr, credentials: Credentials, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Vec<(Duration, u16)>> {
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            let (status, _) = exchange(addr, &Call::new(&credentials, OOS, "ListTemplates", &[]).acs3(addr)).await;
            seen.push((started.elapsed(), status));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        seen
    })
}

fn quantile(latencies: &mut [Duration], q: f64) -> Duration {
    latencies.sort();
    latencies[((latencies.len() as f64 - 1.0) * q).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_limit_is_answered_or_closed_in_time_while_signed_requests_keep_succeeding() {
    let (server, credentials, _bed) = start_front(Backend::Sqlite, RuntimeConfig::default(), None, limits(2048)).await;
    let addr = server.addr();
    let stop = Arc::new(AtomicBool::new(false));
    let client = normal_client(addr, credentials.clone(), Arc::clone(&stop));

    // Slow head: half a head, then nothing.
    let mut slow_head = TcpStream::connect(addr).await.unwrap();
    slow_head.write_all(b"POST /?Action=ListTemplates HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // Slow body: a head promising 100 bytes, then 10.
    let mut slow_body = TcpStream::connect(addr).await.unwrap();
    slow_body.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nAction=Lis").await.unwrap();
    // Idle: a new connection that sends nothing, and one that goes quiet after a request.
    let mut idle_new = TcpStream::connect(addr).await.unwrap();
    let mut idle_after = TcpStream::connect(addr).await.unwrap();
    let keep_alive = String::from_utf8(Call::new(&credentials, OOS, "ListTemplates", &[]).acs3(addr)).unwrap().replace("Connection: close", "Connection: keep-alive");
    idle_after.write_all(keep_alive.as_bytes()).await.unwrap();

    let started = Instant::now();
    assert_eq!(end_of(&mut slow_head, Duration::from_secs(1) + SLACK).await, Some(End::Answer(408, "RequestTimeout".into())), "slow head");
    assert_eq!(end_of(&mut slow_body, Duration::from_secs(1) + SLACK).await, Some(End::Answer(408, "RequestTimeout".into())), "slow body");
    assert_eq!(end_of(&mut idle_new, Duration::from_secs(2) + SLACK).await, Some(End::Closed), "idle new connection");
    // The kept-alive connection got its answer, then was closed when idle.
    assert!(matches!(end_of(&mut idle_after, Duration::from_secs(2) + SLACK).await, Some(End::Answer(200, _))), "idle after a request");
    assert!(started.elapsed() < Duration::from_secs(2) + SLACK, "the timeouts ran in parallel, within their limits: {:?}", started.elapsed());

    // Oversized head and body: their codes.
    let huge_head = format!("POST /?Junk={} HTTP/1.1\r\nHost: x\r\n\r\n", "u".repeat(3 * 1024 * 1024));
    let huge_body = format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", 3 * 1024 * 1024);
    for (case, bytes, status, code) in [("head", huge_head, 431, "RequestHeaderTooLarge"), ("body", huge_body, 413, "RequestEntityTooLarge")] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let _ = stream.write_all(bytes.as_bytes()).await;
        assert_eq!(end_of(&mut stream, SLACK).await, Some(End::Answer(status, code.into())), "oversized {case}");
    }

    // 10,000 connection attempts, 250 at a time: half close at once, half send garbage.
    for batch in 0..40 {
        let attempts = (0..250).map(|attempt| async move {
            let Ok(mut stream) = TcpStream::connect(addr).await else { return };
            if (batch + attempt) % 2 == 0 {
                let _ = stream.write_all(b"\x16\x03\x01garbage\r\n\r\n").await;
                let _ = end_of(&mut stream, SLACK).await;
            }
        });
        futures::future::join_all(attempts).await;
    }

    stop.store(true, Ordering::Relaxed);
    let seen = client.await.unwrap();
    let failed: Vec<_> = seen.iter().filter(|(_, status)| *status != 200).collect();
    assert!(seen.len() > 10 && failed.is_empty(), "{} normal requests, failed: {failed:?}", seen.len());
    let mut latencies: Vec<Duration> = seen.iter().map(|(latency, _)| *latency).collect();
    println!("normal client during the attack: {} requests, p50 {:?}, p99 {:?}", latencies.len(), quantile(&mut latencies, 0.5), quantile(&mut latencies, 0.99));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_connection_table_answers_503_and_frees_up() {
    let (server, credentials, _bed) = start_front(Backend::Sqlite, RuntimeConfig::default(), None, limits(8)).await;
    let addr = server.addr();
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"P").await.unwrap();
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(addr).await.unwrap();
    assert_eq!(end_of(&mut extra, SLACK).await, Some(End::Answer(503, "ServiceUnavailable.TooManyConnections".into())));
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = exchange(addr, &Call::new(&credentials, OOS, "ListTemplates", &[]).acs3(addr)).await;
    assert_eq!(status, 200, "{body}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_kb_request_line_and_a_chunked_body_are_served() {
    let (server, credentials, _bed) = start_front(Backend::Sqlite, RuntimeConfig::default(), None, Limits::default()).await;
    let addr = server.addr();
    // The SDKs put a whole template and its parameters in the query: here 63 KB of template and
    // 9 KB of parameters that percent-encode to over 200 KB, signed both ways.
    let content = json!({
        "FormatVersion": "OOS-2019-06-01",
        "Description": "中".repeat(21 * 1024),
        "Parameters": {"note": {"Type": "String"}},
        "Tasks": [{"Name": "pause", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}],
    })
    .to_string();
    let parameters = json!({"note": "中".repeat(3 * 1024)}).to_string();
    let start = [("TemplateContent", content.as_str()), ("Parameters", parameters.as_str())];
    for (signature, bytes) in [("ACS3", Call::new(&credentials, OOS, "StartExecution", &start).acs3(addr)), ("v1", Call::new(&credentials, OOS, "StartExecution", &start).v1(addr))] {
        assert!(bytes.len() > 200 * 1024, "{signature}: {} bytes", bytes.len());
        let (status, body) = exchange(addr, &bytes).await;
        assert_eq!(status, 200, "{signature}: {body}");
        let id = body["Execution"]["ExecutionId"].as_str().unwrap();
        let (_, got) = exchange(addr, &Call::new(&credentials, OOS, "GetExecutionTemplate", &[("ExecutionId", id)]).acs3(addr)).await;
        assert_eq!(got["Content"].as_str(), Some(content.as_str()), "{signature}: the template arrived whole");
    }
    // A form body sent in chunks.
    let call = Call::new(&credentials, OOS, "CreateTemplate", &[]).with_form(&[("TemplateName", "chunked"), ("Content", TEMPLATE)]);
    let plain = call.v1(addr);
    let split = plain.windows(4).position(|window| window == b"\r\n\r\n").unwrap();
    let (head, body) = (String::from_utf8_lossy(&plain[..split]).replace(&format!("Content-Length: {}", plain.len() - split - 4), "Transfer-Encoding: chunked"), &plain[split + 4..]);
    let mut chunked = format!("{head}\r\n\r\n").into_bytes();
    for piece in body.chunks(40) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, body) = exchange(addr, &chunked).await;
    assert_eq!(status, 200, "chunked: {body}");
    server.shutdown().await;
}

/// A TLS client trusting the server's self-signed certificate.
fn tls_connector(dir: &std::path::Path) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(self_signed_paths(dir).0).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    TlsConnector::from(Arc::new(ClientConfig::builder().with_root_certificates(roots).with_no_client_auth()))
}

async fn tls_exchange(connector: &TlsConnector, addr: SocketAddr, request: &[u8]) -> (u16, Value) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    tls.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(SLACK, tls.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no answer over TLS: {text}"));
    (head.split(' ').nth(1).unwrap().parse().unwrap(), serde_json::from_str(body).unwrap())
}

/// Makes `ops` with a key, allowed ListTemplates only over TLS; sends each call with `send`.
async fn secure_only_user<F, Fut>(credentials: &Credentials, addr: SocketAddr, send: F) -> Credentials
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = (u16, Value)>,
{
    let policy = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oos:ListTemplates", "Resource": "*", "Condition": {"Bool": {"acs:SecureTransport": "true"}}}]}).to_string();
    let calls: [(&str, Vec<(&str, &str)>); 3] = [
        ("CreateUser", vec![("UserName", "ops")]),
        ("CreatePolicy", vec![("PolicyName", "tls-only"), ("PolicyDocument", &policy)]),
        ("AttachPolicyToUser", vec![("PolicyName", "tls-only"), ("PolicyType", "Custom"), ("UserName", "ops")]),
    ];
    for (action, params) in calls {
        let (status, body) = send(Call::new(credentials, RAM, action, &params).v1(addr)).await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    let (_, key) = send(Call::new(credentials, RAM, "CreateAccessKey", &[("UserName", "ops")]).v1(addr)).await;
    Credentials::new(key["AccessKey"]["AccessKeyId"].as_str().unwrap(), key["AccessKey"]["AccessKeySecret"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_secure_transport_is_true_and_handshake_garbage_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let tls = TlsSource::SelfSigned { dir: dir.path().to_path_buf() };
    let (server, root, _bed) = start_front(Backend::Sqlite, RuntimeConfig::default(), Some(tls), limits(64)).await;
    let addr = server.addr();
    let connector = tls_connector(dir.path());
    let ops = secure_only_user(&root, addr, |bytes| {
        let connector = connector.clone();
        async move { tls_exchange(&connector, addr, &bytes).await }
    })
    .await;
    let (status, body) = tls_exchange(&connector, addr, &Call::new(&ops, OOS, "ListTemplates", &[]).v1(addr)).await;
    assert_eq!(status, 200, "over TLS the condition holds: {body}");

    // Garbage instead of a ClientHello, and a handshake that never starts: both closed in time.
    let mut garbage = TcpStream::connect(addr).await.unwrap();
    garbage.write_all(&[0x42; 2048]).await.unwrap();
    assert!(matches!(end_of(&mut garbage, SLACK).await, Some(End::Closed)), "garbage handshake");
    let mut silent = TcpStream::connect(addr).await.unwrap();
    assert!(matches!(end_of(&mut silent, Duration::from_secs(1) + SLACK).await, Some(End::Closed)), "silent handshake");
    let (status, _) = tls_exchange(&connector, addr, &Call::new(&ops, OOS, "ListTemplates", &[]).v1(addr)).await;
    assert_eq!(status, 200, "still serving");
    server.shutdown().await;

    // The same user and policy over plain HTTP: denied.
    let (plain, root, _bed) = start_front(Backend::Sqlite, RuntimeConfig::default(), None, Limits::default()).await;
    let addr = plain.addr();
    let ops = secure_only_user(&root, addr, |bytes| async move { exchange(addr, &bytes).await }).await;
    let (status, body) = exchange(addr, &Call::new(&ops, OOS, "ListTemplates", &[]).v1(addr)).await;
    assert_eq!((status, body["Code"].as_str()), (403, Some("Forbidden.RAM")), "{body}");
    plain.shutdown().await;
}

/// Starts the one-second template; its execution id.
async fn start_execution(addr: SocketAddr, credentials: &Credentials) -> String {
    let (status, body) = exchange(addr, &Call::new(credentials, OOS, "StartExecution", &[("TemplateContent", TEMPLATE)]).acs3(addr)).await;
    assert_eq!(status, 200, "{body}");
    body["Execution"]["ExecutionId"].as_str().unwrap().to_owned()
}

/// The event kinds, and the last event's data, of a stream.
fn summary(events: &[(String, Value)]) -> (Vec<&str>, Value) {
    let mut kinds: Vec<&str> = events.iter().map(|(kind, _)| kind.as_str()).collect();
    kinds.dedup();
    (kinds, events.last().map(|(_, data)| data.clone()).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execution_streams_as_server_sent_events_and_over_a_websocket() {
    let (server, credentials, _bed) = start_front(Backend::Sqlite, RuntimeConfig::default(), None, Limits::default()).await;
    let addr = server.addr();

    // Server-sent events.
    let id = start_execution(addr, &credentials).await;
    let query = Call::new(&credentials, OOS, "ListExecutionLogs", &[("ExecutionId", &id)]).v1_query("GET", "/stream");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(format!("GET /stream?{query} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n").as_bytes()).await.unwrap();
    let mut text = String::new();
    let mut chunk = [0u8; 4096];
    while !text.contains("event: end") {
        let count = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut chunk)).await.expect("events keep coming").unwrap();
        assert!(count > 0, "the stream ended before its end event: {text}");
        text.push_str(&String::from_utf8_lossy(&chunk[..count]));
    }
    assert!(text.starts_with("HTTP/1.1 200") && text.contains("text/event-stream"), "{text}");
    let events: Vec<(String, Value)> = text
        .split("\n\n")
        .filter_map(|block| {
            let kind = block.lines().find_map(|line| line.strip_prefix("event: "))?;
            let data = block.lines().find_map(|line| line.strip_prefix("data: "))?;
            Some((kind.to_owned(), serde_json::from_str(data).unwrap()))
        })
        .collect();
    let (kinds, last) = summary(&events);
    assert_eq!(kinds.first(), Some(&"status"), "{kinds:?}");
    assert!(kinds.contains(&"log") && kinds.last() == Some(&"end"), "{kinds:?}");
    assert_eq!(last, json!({"ExecutionId": id, "Status": "Success"}));

    // The same over a WebSocket.
    let id = start_execution(addr, &credentials).await;
    let query = Call::new(&credentials, OOS, "ListExecutionLogs", &[("ExecutionId", &id)]).v1_query("GET", "/stream");
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/stream?{query}")).await.unwrap();
    let mut events = Vec::new();
    while let Some(message) = tokio::time::timeout(Duration::from_secs(20), socket.next()).await.expect("messages keep coming") {
        let Ok(tokio_tungstenite::tungstenite::Message::Text(text)) = message else { break };
        let event: Value = serde_json::from_str(&text).unwrap();
        events.push((event["event"].as_str().unwrap().to_owned(), event["data"].clone()));
    }
    let (kinds, last) = summary(&events);
    assert!(kinds.first() == Some(&"status") && kinds.contains(&"log") && kinds.last() == Some(&"end"), "{kinds:?}");
    assert_eq!(last, json!({"ExecutionId": id, "Status": "Success"}));

    // A stream is opened only by a request the caller may make: a wrong signature gets its code.
    let stranger = Credentials::new(credentials.access_key_id.clone(), "not-the-secret");
    let query = Call::new(&stranger, OOS, "ListExecutionLogs", &[("ExecutionId", &id)]).v1_query("GET", "/stream");
    let (status, body) = exchange(addr, format!("GET /stream?{query} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n").as_bytes()).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureDoesNotMatch")), "{body}");
    // And only with ListExecutionLogs.
    let query = Call::new(&credentials, OOS, "ListTemplates", &[]).v1_query("GET", "/stream");
    let (status, body) = exchange(addr, format!("GET /stream?{query} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("InvalidParameter.Action")), "{body}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_ends_open_streams_and_idle_connections_at_once() {
    let (server, credentials, _bed) = start_front(Backend::Sqlite, RuntimeConfig::default(), None, Limits::default()).await;
    let addr = server.addr();
    let long = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"pause","Action":"ACS::Sleep","Properties":{"Duration":"PT10M"}}]}"#;
    let (_, body) = exchange(addr, &Call::new(&credentials, OOS, "StartExecution", &[("TemplateContent", long)]).acs3(addr)).await;
    let id = body["Execution"]["ExecutionId"].as_str().unwrap().to_owned();
    let query = Call::new(&credentials, OOS, "ListExecutionLogs", &[("ExecutionId", &id)]).v1_query("GET", "/stream");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(format!("GET /stream?{query} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n").as_bytes()).await.unwrap();
    let mut first = [0u8; 1024];
    let count = tokio::time::timeout(SLACK, stream.read(&mut first)).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first[..count]).contains("200 OK"), "the stream opened");
    let mut idle = TcpStream::connect(addr).await.unwrap();

    let started = Instant::now();
    server.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(5), "the shutdown waited for a stream or an idle connection: {:?}", started.elapsed());
    assert!(end_of(&mut stream, SLACK).await.is_some(), "the stream ended");
    assert_eq!(end_of(&mut idle, SLACK).await, Some(End::Closed), "the idle connection was closed");
}
