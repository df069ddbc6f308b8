//! A normal client's signed requests while the front door is attacked, over loopback TCP against an
//! in-process server on the embedded store (default limits, release build): its ListTemplates
//! latency alone, then while 2,000 connections hold half a head (slowloris), while 10,000
//! connection attempts arrive 250 at a time (half of them garbage), and while 3 MB heads stream in,
//! each for the same number of requests. Every normal request must succeed.
//! Run: `cargo bench -p oos-server --bench attack` (prints markdown rows for docs/benchmarks.md).

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use oos_acs::Credentials;
use oos_runtime::RuntimeConfig;
use oos_server::transport::Limits;
use oos_testkit::wire::{Call, OOS};
use support::{Backend, exchange, start_front};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const REQUESTS: usize = 400;

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").ok().and_then(|text| text.split(' ').next().map(str::to_string)).unwrap_or_else(|| "?".into())
}

/// `REQUESTS` signed ListTemplates one after another, each on a new connection; their latencies.
async fn normal_client(addr: SocketAddr, credentials: &Credentials) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let request = Call::new(credentials, OOS, "ListTemplates", &[]).acs3(addr);
        let started = Instant::now();
        let (status, body) = exchange(addr, &request).await;
        latencies.push(started.elapsed());
        assert_eq!(status, 200, "a normal request failed during the attack: {body}");
    }
    latencies.sort();
    latencies
}

fn row(what: &str, latencies: &[Duration]) {
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    println!("| {what} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {} |", latencies.len(), at(0.5), at(0.99), at(1.0), load());
}

/// Runs `attack` until the normal client is done.
async fn during<F, Fut>(addr: SocketAddr, credentials: &Credentials, what: &str, attack: F)
where
    F: FnOnce(SocketAddr, Arc<AtomicBool>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let attacker = tokio::spawn(attack(addr, Arc::clone(&stop)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let latencies = normal_client(addr, credentials).await;
    stop.store(true, Ordering::Relaxed);
    attacker.await.unwrap();
    row(what, &latencies);
}

async fn slowloris(addr: SocketAddr, stop: Arc<AtomicBool>) {
    let mut held = Vec::new();
    for _ in 0..2000 {
        if let Ok(mut stream) = TcpStream::connect(addr).await {
            let _ = stream.write_all(b"POST /?Action=ListTemplates HTTP/1.1\r\nHost: x\r\n").await;
            held.push(stream);
        }
    }
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn connection_flood(addr: SocketAddr, stop: Arc<AtomicBool>) {
    for batch in 0..40 {
        let attempts = (0..250).map(|attempt| async move {
            let Ok(mut stream) = TcpStream::connect(addr).await else { return };
            if (batch + attempt) % 2 == 0 {
                let _ = stream.write_all(b"\x16\x03\x01garbage\r\n\r\n").await;
            }
        });
        futures::future::join_all(attempts).await;
    }
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn huge_heads(addr: SocketAddr, stop: Arc<AtomicBool>) {
    let head = format!("POST /?Junk={} HTTP/1.1\r\nHost: x\r\n\r\n", "u".repeat(3 * 1024 * 1024));
    while !stop.load(Ordering::Relaxed) {
        if let Ok(mut stream) = TcpStream::connect(addr).await {
            let _ = stream.write_all(head.as_bytes()).await;
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (server, credentials, _bed) = start_front(Backend::Sqlite, RuntimeConfig::default(), None, Limits::default()).await;
    let addr = server.addr();
    println!("| normal client's signed ListTemplates | requests | p50 | p99 | max | load average |\n| --- | --- | --- | --- | --- | --- |");
    row("alone", &normal_client(addr, &credentials).await);
    during(addr, &credentials, "while 2,000 connections hold half a head", slowloris).await;
    during(addr, &credentials, "while 10,000 connection attempts arrive (half garbage)", connection_flood).await;
    during(addr, &credentials, "while 3 MB heads stream in, one after another", huge_heads).await;
    server.shutdown().await;
}
