//! The outbound-address table: loopback, RFC 1918, link-local, metadata and reserved addresses,
//! their IPv6 forms, other spellings of them, DNS names that resolve to them and redirects to them
//! are each refused with `Outbound.AddressDenied` and never connected to; an allow-listed local
//! server works, and its redirects are checked again.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oos_actions::outbound::{ADDRESS_DENIED, AddressPolicy, Outbound};

/// A server answering `GET /ok` with 200 and `GET /go?<url>` with a redirect to `<url>`; counts
/// the connections it gets.
fn server(ip: &str) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind((ip, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&hits);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
            let read = stream.read(&mut buffer).unwrap_or(0);
            let request = String::from_utf8_lossy(&buffer[..read]).into_owned();
            let target = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let answer = match target.strip_prefix("/go?") {
                Some(location) => format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
                None => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_owned(),
            };
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (port, hits)
}

#[tokio::test]
async fn internal_destinations_are_refused_and_allow_listed_ones_work() {
    let (internal, internal_hits) = server("127.0.0.2");
    let (allowed, _) = server("127.0.0.1");
    let strict = Outbound::new(AddressPolicy::server(Vec::new()), Duration::from_secs(5));
    let refused = [
        format!("http://127.0.0.2:{internal}/ok"),
        format!("http://127.0.0.1:{allowed}/ok"),
        format!("http://localhost:{internal}/ok"),
        format!("http://0x7f000002:{internal}/ok"),
        format!("http://2130706434:{internal}/ok"),
        format!("http://127.2:{internal}/ok"),
        format!("http://0.0.0.0:{internal}/ok"),
        "http://10.0.0.1/".to_owned(),
        "http://172.16.5.4/".to_owned(),
        "http://192.168.1.1/".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://100.100.100.200/latest/meta-data/ram/security-credentials/".to_owned(),
        "http://100.64.0.1/".to_owned(),
        "http://224.0.0.1/".to_owned(),
        "http://255.255.255.255/".to_owned(),
        format!("http://[::1]:{internal}/ok"),
        format!("http://[::ffff:127.0.0.2]:{internal}/ok"),
        "http://[::ffff:169.254.169.254]/".to_owned(),
        "http://[::ffff:a9fe:a9fe]/".to_owned(),
        "http://[64:ff9b::a9fe:a9fe]/".to_owned(),
        "http://[fe80::1]/".to_owned(),
        "http://[fd00::1]/".to_owned(),
        "http://[::]/".to_owned(),
        "https://[::1]/".to_owned(),
    ];
    let mut wrong = Vec::new();
    for url in &refused {
        match strict.send("GET", url, &[], Vec::new(), 1024).await {
            Err(error) if error.code == ADDRESS_DENIED => {}
            other => wrong.push(format!("{url}: {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "not refused as Outbound.AddressDenied:\n{}", wrong.join("\n"));
    assert_eq!(internal_hits.load(Ordering::SeqCst), 0, "nothing reached the internal server");

    // 127.0.0.1 is allow-listed; what it redirects to is checked again.
    let listed = Outbound::new(AddressPolicy::server(vec!["127.0.0.1".parse().unwrap()]), Duration::from_secs(5));
    let answer = listed.send("GET", &format!("http://127.0.0.1:{allowed}/ok"), &[], Vec::new(), 1024).await.unwrap();
    assert_eq!((answer.status, answer.body.as_slice()), (200, b"ok".as_slice()));
    let redirects = [
        format!("http://127.0.0.2:{internal}/ok"),
        format!("http://[::1]:{internal}/ok"),
        "http://169.254.169.254/".to_owned(),
        "http://10.1.2.3/".to_owned(),
    ];
    for to in &redirects {
        let url = format!("http://127.0.0.1:{allowed}/go?{to}");
        let outcome = listed.send("GET", &url, &[], Vec::new(), 1024).await;
        assert!(matches!(&outcome, Err(error) if error.code == ADDRESS_DENIED), "a redirect to {to}: {outcome:?}");
    }
    assert_eq!(internal_hits.load(Ordering::SeqCst), 0, "no redirect reached the internal server");
    // A name is checked by what it resolves to: localhost is allowed only for its 127.0.0.1.
    let answer = listed.send("GET", &format!("http://localhost:{allowed}/ok"), &[], Vec::new(), 1024).await.unwrap();
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn an_open_policy_reaches_loopback_and_limits_still_apply() {
    let (port, _) = server("127.0.0.1");
    let open = Outbound::new(AddressPolicy::open(), Duration::from_secs(5));
    assert_eq!(open.send("GET", &format!("http://127.0.0.1:{port}/ok"), &[], Vec::new(), 1024).await.unwrap().status, 200);
    let too_small = open.send("GET", &format!("http://127.0.0.1:{port}/ok"), &[], Vec::new(), 1).await.unwrap_err();
    assert_eq!(too_small.code, "Http.ResponseTooLarge");
    let scheme = open.send("GET", "file:///etc/passwd", &[], Vec::new(), 1024).await.unwrap_err();
    assert_eq!(scheme.code, "Outbound.InvalidURL");
}
