//! The edge of every HTTP/1 connection, between the socket (or TLS stream) and hyper: it finds each
//! request head, moves a request target too long for `http::Uri` (65,534 bytes; the SDKs put whole
//! templates in the query string) aside, and turns a head it refuses (too large, malformed, too slow)
//! into a small request for [`REFUSED_PATH`], so every refusal is answered by the router with its
//! code. Body bytes pass through, counted by `Content-Length`; after a chunked body or an upgrade
//! (WebSocket) the rest of the connection passes through untouched.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Largest request head (request line with its query string, and headers) accepted.
pub const MAX_HEAD_BYTES: usize = 2 * 1024 * 1024;
/// Most headers a request may carry.
pub const MAX_HEADERS: usize = 100;
/// Request targets longer than this are moved aside (well under `http::Uri`'s limit).
pub const LONG_TARGET_BYTES: usize = 16 * 1024;
/// The query that stands for a target moved aside.
pub const ASIDE_QUERY: &str = "oos-target-moved-aside";
/// Path of the requests that stand for refused heads: `/.oos/refused/<Refusal as u8>`.
pub const REFUSED_PATH: &str = "/.oos/refused/";
/// Bytes of a head every connection may gather freely; beyond them it draws on the [`HeadBudget`].
pub const FREE_HEAD_BYTES: usize = 64 * 1024;
/// Bytes of large heads gathered at once by all connections together.
pub const HEAD_BUDGET_BYTES: usize = 256 * 1024 * 1024;

/// Why a head was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Refusal {
    HeadTooLarge = 0,
    TooManyHeaders = 1,
    Malformed = 2,
    BadContentLength = 3,
    HeadTimeout = 4,
    /// The [`HeadBudget`] is spent: too many large heads are arriving at once.
    HeadBudget = 5,
}

impl Refusal {
    pub fn from_index(index: &str) -> Option<Self> {
        [Self::HeadTooLarge, Self::TooManyHeaders, Self::Malformed, Self::BadContentLength, Self::HeadTimeout, Self::HeadBudget]
            .into_iter()
            .find(|refusal| index == (*refusal as u8).to_string())
    }
}

/// The request targets moved aside on one connection, in request order (hyper serves an HTTP/1
/// connection's requests one after another, so the router takes them back in the same order).
#[derive(Debug, Default)]
pub struct Aside(Mutex<VecDeque<String>>);

impl Aside {
    /// The original target of the next request that carries [`ASIDE_QUERY`].
    pub fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).pop_front()
    }

    fn put(&self, target: String) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push_back(target);
    }
}

/// The memory all connections may hold in heads beyond [`FREE_HEAD_BYTES`] each: what a flood of
/// large (or slowly sent) heads can cost before any of them is authenticated.
#[derive(Debug)]
pub struct HeadBudget(AtomicUsize);

impl HeadBudget {
    pub fn new(bytes: usize) -> Self {
        Self(AtomicUsize::new(bytes))
    }

    fn take(&self, bytes: usize) -> bool {
        self.0.fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| left.checked_sub(bytes)).is_ok()
    }

    fn give_back(&self, bytes: usize) {
        self.0.fetch_add(bytes, Ordering::AcqRel);
    }
}

enum Mode {
    /// Gathering the next head.
    Head,
    /// This many body bytes follow.
    Body(u64),
    /// Everything passes through (after a chunked body or an upgrade).
    Through,
    /// A refusal was handed on; the connection ends after it.
    Ended,
}

/// A connection's bytes as hyper should read them.
pub struct Edge<S> {
    inner: S,
    mode: Mode,
    /// Bytes read from `inner` and not yet handed on.
    raw: Vec<u8>,
    /// Bytes ready for hyper, from `ready_at`.
    ready: Vec<u8>,
    ready_at: usize,
    aside: Arc<Aside>,
    budget: Arc<HeadBudget>,
    /// What this connection holds of the budget.
    borrowed: usize,
    /// How much of `raw` was looked at for the end of a head.
    scanned: usize,
    header_timeout: Duration,
    head_deadline: Option<Pin<Box<Sleep>>>,
}

impl<S> Edge<S> {
    pub fn new(inner: S, aside: Arc<Aside>, budget: Arc<HeadBudget>, header_timeout: Duration) -> Self {
        Self { inner, mode: Mode::Head, raw: Vec::new(), ready: Vec::new(), ready_at: 0, aside, budget, borrowed: 0, scanned: 0, header_timeout, head_deadline: None }
    }

    /// Keeps the budget drawn in line with the head gathered: whether it could.
    fn balance_budget(&mut self) -> bool {
        let wanted = if matches!(self.mode, Mode::Head) { self.raw.len().saturating_sub(FREE_HEAD_BYTES) } else { 0 };
        if wanted > self.borrowed {
            if !self.budget.take(wanted - self.borrowed) {
                return false;
            }
        } else {
            self.budget.give_back(self.borrowed - wanted);
        }
        self.borrowed = wanted;
        true
    }

    /// Hands `bytes` on to hyper next (called only when everything handed on before was read).
    fn hand_on(&mut self, bytes: &[u8]) {
        self.ready.clear();
        self.ready_at = 0;
        self.ready.extend_from_slice(bytes);
    }

    fn refuse(&mut self, refusal: Refusal) {
        let request = format!("GET {REFUSED_PATH}{} HTTP/1.1\r\nHost: refused\r\nConnection: close\r\n\r\n", refusal as u8);
        self.hand_on(request.as_bytes());
        self.raw.clear();
        self.head_deadline = None;
        self.mode = Mode::Ended;
        self.balance_budget();
    }

    /// Looks for a complete head in `raw`; hands it on (rewritten if need be) and picks the mode of
    /// what follows. Returns whether anything was decided.
    fn parse_head(&mut self) -> bool {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let head_len = match request.parse(&self.raw) {
            Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD_BYTES => len,
            Ok(httparse::Status::Complete(_)) => {
                self.refuse(Refusal::HeadTooLarge);
                return true;
            }
            Ok(httparse::Status::Partial) if self.raw.len() > MAX_HEAD_BYTES => {
                self.refuse(Refusal::HeadTooLarge);
                return true;
            }
            Ok(httparse::Status::Partial) => return false,
            Err(httparse::Error::TooManyHeaders) => {
                self.refuse(Refusal::TooManyHeaders);
                return true;
            }
            Err(_) => {
                self.refuse(Refusal::Malformed);
                return true;
            }
        };
        if !acceptable(&request) {
            self.refuse(Refusal::Malformed);
            return true;
        }
        let headers: &[httparse::Header<'_>] = request.headers;
        let header = |name: &'static str| headers.iter().filter(move |header| header.name.eq_ignore_ascii_case(name)).map(|header| header.value);
        let mut lengths = header("content-length").map(|value| std::str::from_utf8(value).ok().and_then(|text| text.trim().parse::<u64>().ok()));
        let length = match (lengths.next(), lengths.next()) {
            (None, _) => Some(0),
            (Some(Some(length)), None) => Some(length),
            _ => None,
        };
        let through = header("transfer-encoding").next().is_some() || header("upgrade").next().is_some() || request.method == Some("CONNECT");
        let (Some(length), path) = (length, request.path.unwrap_or("/")) else {
            self.refuse(Refusal::BadContentLength);
            return true;
        };
        let mut head = Vec::new();
        if path.len() > LONG_TARGET_BYTES {
            let (bare, _) = path.split_once('?').unwrap_or((path, ""));
            // The router needs a path it can match; the request keeps its own, moved aside.
            let bare = if bare.len() <= LONG_TARGET_BYTES && bare.parse::<http::Uri>().is_ok() { bare } else { "/" };
            let line_end = self.raw.iter().position(|&byte| byte == b'\n').map_or(head_len, |at| at + 1);
            let version = if request.version == Some(0) { "1.0" } else { "1.1" };
            head.extend_from_slice(format!("{} {bare}?{ASIDE_QUERY} HTTP/{version}\r\n", request.method.unwrap_or("GET")).as_bytes());
            head.extend_from_slice(&self.raw[line_end..head_len]);
            self.aside.put(path.to_owned());
        } else {
            head.extend_from_slice(&self.raw[..head_len]);
        }
        self.hand_on(&head);
        self.raw.drain(..head_len);
        self.scanned = 0;
        self.head_deadline = None;
        self.balance_budget();
        self.mode = if through { Mode::Through } else if length > 0 { Mode::Body(length) } else { Mode::Head };
        true
    }

    /// Copies ready bytes into `buf`; whether any were.
    fn give(&mut self, buf: &mut ReadBuf<'_>) -> bool {
        let ready = &self.ready[self.ready_at..];
        if ready.is_empty() {
            return false;
        }
        let count = ready.len().min(buf.remaining());
        buf.put_slice(&ready[..count]);
        self.ready_at += count;
        true
    }
}

/// Heads up to this size are parsed at every read.
const EARLY_PARSE_BYTES: usize = 8 * 1024;

/// Whether an end of a head (an empty line, `\n\n` or `\n\r\n`) lies in `raw` beyond the first
/// `scanned` bytes (looked at before).
fn head_ends_after(raw: &[u8], scanned: usize) -> bool {
    let from = scanned.saturating_sub(2);
    raw[from..].windows(2).enumerate().any(|(at, pair)| pair == b"\n\n" || (pair == b"\r\n" && at + from > 0 && raw[at + from - 1] == b'\n'))
}

/// Whether hyper will take the head too (it answers what it refuses without a JSON body): a
/// method, a target (short enough to check; a long one is moved aside whole), names and values it
/// accepts.
fn acceptable(request: &httparse::Request<'_, '_>) -> bool {
    let method = request.method.is_some_and(|method| http::Method::from_bytes(method.as_bytes()).is_ok());
    let target = request.path.is_some_and(|path| path.len() > LONG_TARGET_BYTES || path.parse::<http::Uri>().is_ok());
    let headers = request.headers.iter().all(|header| http::HeaderName::from_bytes(header.name.as_bytes()).is_ok() && http::HeaderValue::from_bytes(header.value).is_ok());
    method && target && headers
}

impl<S: AsyncRead + Unpin> Edge<S> {
    /// Reads more of the socket into `raw`; `Ok(false)` at its end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        let mut chunk = [0u8; 16 * 1024];
        let mut read = ReadBuf::new(&mut chunk);
        ready!(Pin::new(&mut self.inner).poll_read(cx, &mut read))?;
        self.raw.extend_from_slice(read.filled());
        Poll::Ready(Ok(!read.filled().is_empty()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Edge<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.give(buf) {
                return Poll::Ready(Ok(()));
            }
            match this.mode {
                Mode::Ended => return Poll::Ready(Ok(())),
                Mode::Through if this.raw.is_empty() => return Pin::new(&mut this.inner).poll_read(cx, buf),
                Mode::Through => {
                    let raw = std::mem::take(&mut this.raw);
                    this.hand_on(&raw);
                }
                Mode::Body(left) if !this.raw.is_empty() => {
                    let count = this.raw.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let body: Vec<u8> = this.raw.drain(..count).collect();
                    this.hand_on(&body);
                    this.mode = if left == count as u64 { Mode::Head } else { Mode::Body(left - count as u64) };
                }
                Mode::Body(_) => match ready!(this.poll_fill(cx))? {
                    true => {}
                    false => this.mode = Mode::Ended,
                },
                Mode::Head => {
                    if !this.raw.is_empty() {
                        // Parse a small head at once (garbage is refused on its first bytes), a
                        // larger one only when its end has arrived or it is over the limit: parsing
                        // at every read would cost quadratic time in the head's length.
                        let worth_parsing = this.raw.len() <= EARLY_PARSE_BYTES || this.raw.len() > MAX_HEAD_BYTES || head_ends_after(&this.raw, this.scanned);
                        if worth_parsing && this.parse_head() {
                            continue;
                        }
                        this.scanned = this.raw.len();
                        if this.head_deadline.is_none() {
                            this.head_deadline = Some(Box::pin(tokio::time::sleep(this.header_timeout)));
                        }
                    }
                    match this.poll_fill(cx) {
                        Poll::Ready(Ok(true)) if !this.balance_budget() => this.refuse(Refusal::HeadBudget),
                        Poll::Ready(Ok(true)) => {}
                        // The peer is done: what was gathered goes on as it is (hyper answers a
                        // partial head, or sees a clean end).
                        Poll::Ready(Ok(false)) => {
                            let raw = std::mem::take(&mut this.raw);
                            this.hand_on(&raw);
                            this.mode = Mode::Ended;
                        }
                        Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                        Poll::Pending => {
                            if let Some(deadline) = this.head_deadline.as_mut()
                                && deadline.as_mut().poll(cx).is_ready()
                            {
                                this.refuse(Refusal::HeadTimeout);
                                continue;
                            }
                            return Poll::Pending;
                        }
                    }
                }
            }
        }
    }
}

impl<S> Drop for Edge<S> {
    fn drop(&mut self) {
        self.budget.give_back(self.borrowed);
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Edge<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// What hyper would read from an edge over `input`, with a budget of `budget` bytes.
    async fn through_edge(input: Vec<u8>, budget: usize) -> (String, Arc<Aside>, Arc<HeadBudget>) {
        let (mut client, server) = tokio::io::duplex(8 * 1024 * 1024);
        let aside = Arc::new(Aside::default());
        let budget = Arc::new(HeadBudget::new(budget));
        let mut edge = Edge::new(server, Arc::clone(&aside), Arc::clone(&budget), Duration::from_secs(5));
        client.write_all(&input).await.unwrap();
        drop(client);
        let mut out = Vec::new();
        edge.read_to_end(&mut out).await.unwrap();
        drop(edge);
        (String::from_utf8_lossy(&out).into_owned(), aside, budget)
    }

    #[tokio::test]
    async fn a_long_target_is_moved_aside_and_pipelined_requests_keep_their_bodies() {
        let long = format!("/?Content={}", "x".repeat(100_000));
        let input = format!("POST {long} HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /?a=1 HTTP/1.1\r\nHost: h\r\n\r\n");
        let (out, aside, _) = through_edge(input.into_bytes(), HEAD_BUDGET_BYTES).await;
        assert_eq!(out, format!("POST /?{ASIDE_QUERY} HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /?a=1 HTTP/1.1\r\nHost: h\r\n\r\n"));
        assert_eq!(aside.take().as_deref(), Some(long.as_str()));
        assert_eq!(aside.take(), None);
    }

    #[tokio::test]
    async fn large_heads_draw_on_a_shared_budget_and_give_it_back() {
        let input = format!("POST /?Junk={} HTTP/1.1\r\nHost: h\r\n", "u".repeat(200_000)).into_bytes();
        let (out, _, budget) = through_edge(input.clone(), 100_000).await;
        assert!(out.starts_with(&format!("GET {REFUSED_PATH}{} ", Refusal::HeadBudget as u8)), "{out:.80}");
        assert_eq!(budget.0.load(Ordering::Acquire), 100_000, "the budget is whole again");
        let (out, _, budget) = through_edge(input, HEAD_BUDGET_BYTES).await;
        assert!(out.starts_with("POST /?Junk=uuu"), "within the budget the partial head passes on: {:.40}", out);
        assert_eq!(budget.0.load(Ordering::Acquire), HEAD_BUDGET_BYTES);
    }

    #[tokio::test]
    async fn refused_heads_become_requests_for_their_refusal() {
        for (input, refusal) in [
            ("NOT HTTP\r\n\r\n".to_owned(), Refusal::Malformed),
            ("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n".to_owned(), Refusal::BadContentLength),
            (format!("POST / HTTP/1.1\r\n{}\r\n", "x-h: 1\r\n".repeat(MAX_HEADERS + 1)), Refusal::TooManyHeaders),
        ] {
            let (out, _, _) = through_edge(input.into_bytes(), HEAD_BUDGET_BYTES).await;
            assert_eq!(out, format!("GET {REFUSED_PATH}{} HTTP/1.1\r\nHost: refused\r\nConnection: close\r\n\r\n", refusal as u8));
        }
    }
}
