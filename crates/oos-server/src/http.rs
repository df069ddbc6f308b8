//! The HTTP/1.1 transport: a tokio accept loop with `httparse`, because hyper (and so axum) refuse
//! request targets over 65,534 bytes and the official SDKs put whole templates in the query string
//! (sdk-wire.md §2.3). Keep-alive, `Content-Length` bodies, JSON error bodies for every refusal.
//! A stop signal ends the accept loop (the listener closes) and the idle connections; a request in
//! progress is answered, with `Connection: close`.

use std::net::SocketAddr;
use std::sync::Arc;

use oos_acs::encode::is_well_formed_form;
use oos_acs::{AcsError, ErrorCode, IncomingRequest};
use oos_runtime::TaskRegistry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::api::{Api, Reply};

/// Kind of the accept loop's task in the server's [`TaskRegistry`].
pub const ACCEPT_TASK: &str = "accept";
/// Kind of the task serving one connection.
pub const CONNECTION_TASK: &str = "connection";

/// Largest request head (request line with its query string, and headers) accepted.
pub const MAX_HEAD_BYTES: usize = 2 * 1024 * 1024;
/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
const MAX_HEADERS: usize = 100;

/// Accepts connections until `stop` turns true (or its sender is dropped); each connection is served
/// on its own task of `tasks`. Returning drops the listener: new connections are refused.
pub async fn serve(listener: TcpListener, api: Arc<Api>, tasks: TaskRegistry, mut stop: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stopping| *stopping) => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let api = Arc::clone(&api);
                let stop = stop.clone();
                tasks.spawn(CONNECTION_TASK, async move {
                    if let Err(error) = serve_connection(stream, peer, &api, stop).await {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                });
            }
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// What reading one request produced.
enum Read {
    Request(IncomingRequest, bool),
    /// The request cannot be served; answer and close.
    Refused(AcsError),
}

async fn serve_connection(mut stream: TcpStream, peer: SocketAddr, api: &Api, mut stop: watch::Receiver<bool>) -> std::io::Result<()> {
    let mut buffer = Vec::with_capacity(16 * 1024);
    loop {
        // Idle between requests: a stop closes the connection, and so does the peer (0 bytes); a
        // request that has begun is served. (`read_buf` reads nothing when cancelled; `readable()`
        // would wake spuriously on a new socket.)
        if buffer.is_empty() {
            let read = tokio::select! {
                biased;
                _ = stop.wait_for(|stopping| *stopping) => return Ok(()),
                read = stream.read_buf(&mut buffer) => read?,
            };
            if read == 0 {
                return Ok(());
            }
        }
        let (reply, keep_alive) = match read_request(&mut stream, &mut buffer).await? {
            Read::Refused(error) => (api.refuse(&error), false),
            Read::Request(request, keep_alive) => (api.handle(request, peer).await, keep_alive),
        };
        let keep_alive = keep_alive && !*stop.borrow();
        write_reply(&mut stream, &reply, keep_alive).await?;
        if !keep_alive {
            return Ok(());
        }
    }
}

/// Reads one request; `buffer` holds its first bytes (and keeps what follows it).
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<Read> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(buffer) {
            Ok(httparse::Status::Complete(head_len)) if head_len > MAX_HEAD_BYTES => {
                return Ok(Read::Refused(head_too_large(&format!("The request line and headers exceed {MAX_HEAD_BYTES} bytes."))));
            }
            Ok(httparse::Status::Complete(head_len)) => {
                let method = parsed.method.unwrap_or("").to_string();
                let target = parsed.path.unwrap_or("/").to_string();
                let http10 = parsed.version == Some(0);
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|header| (header.name.to_string(), String::from_utf8_lossy(header.value).into_owned()))
                    .collect();
                return finish_request(stream, buffer, head_len, method, &target, headers, http10).await;
            }
            Ok(httparse::Status::Partial) if buffer.len() > MAX_HEAD_BYTES => {
                return Ok(Read::Refused(head_too_large(&format!("The request line and headers exceed {MAX_HEAD_BYTES} bytes."))));
            }
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => return Ok(Read::Refused(head_too_large(&format!("The request has more than {MAX_HEADERS} headers.")))),
            Err(error) => return Ok(Read::Refused(malformed(&format!("The HTTP request is malformed: {error}.")))),
        }
        if stream.read_buf(buffer).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
}

async fn finish_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    head_len: usize,
    method: String,
    target: &str,
    headers: Vec<(String, String)>,
    http10: bool,
) -> std::io::Result<Read> {
    let header = |name: &str| headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.trim().to_ascii_lowercase());
    if header("transfer-encoding").is_some_and(|value| value != "identity") {
        return Ok(Read::Refused(AcsError::with_code("MissingContentLength", 411, "Send the body with a Content-Length header; chunked bodies are not accepted.")));
    }
    let body_len = match header("content-length").map(|value| value.parse::<usize>()) {
        None => 0,
        Some(Ok(len)) if len <= MAX_BODY_BYTES => len,
        Some(Ok(_)) => return Ok(Read::Refused(AcsError::with_code("RequestEntityTooLarge", 413, format!("The request body exceeds {MAX_BODY_BYTES} bytes.")))),
        Some(Err(_)) => return Ok(Read::Refused(AcsError::new(ErrorCode::INVALID_PARAMETER, "The Content-Length header is not a number."))),
    };
    while buffer.len() < head_len + body_len {
        if stream.read_buf(buffer).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    let body = buffer[head_len..head_len + body_len].to_vec();
    buffer.drain(..head_len + body_len);
    let query = target.split_once('?').map_or("", |(_, query)| query);
    let form = header("content-type").is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !is_well_formed_form(query) || (form && !std::str::from_utf8(&body).is_ok_and(is_well_formed_form)) {
        return Ok(Read::Refused(malformed("The query string or form body is not valid percent-encoded UTF-8.")));
    }
    let keep_alive = match header("connection").as_deref() {
        Some("close") => false,
        Some("keep-alive") => true,
        _ => !http10,
    };
    Ok(Read::Request(IncomingRequest::from_target(&method, target, headers, body), keep_alive))
}

fn head_too_large(message: &str) -> AcsError {
    AcsError::with_code("RequestHeaderTooLarge", 431, message)
}

fn malformed(message: &str) -> AcsError {
    AcsError::with_code("MalformedRequest", 400, message)
}

async fn write_reply(stream: &mut TcpStream, reply: &Reply, keep_alive: bool) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json;charset=utf-8\r\nContent-Length: {}\r\nx-acs-request-id: {}\r\nConnection: {}\r\n\r\n",
        reply.status,
        reason(reply.status),
        reply.body.len(),
        reply.request_id,
        if keep_alive { "keep-alive" } else { "close" },
    );
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&reply.body);
    stream.write_all(&bytes).await?;
    stream.flush().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        _ => "Status",
    }
}
