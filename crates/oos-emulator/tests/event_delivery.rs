//! Over real HTTP: the `HttpEventSink` posts signed bodies to an intake (a tiny axum receiver
//! checking them with `verify_webhook`), and the admin endpoints exist only when enabled.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use oos_acs::verify_webhook;
use oos_emulator::{Emulator, EventKind, EventSink, FleetSeed, HttpEventSink};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const SECRET: &[u8] = b"intake-secret";

/// What the receiver saw of one post.
#[derive(Debug)]
struct Received {
    path: String,
    access_key_id: String,
    verified: bool,
    body: Value,
}

async fn receive(
    State(seen): State<mpsc::UnboundedSender<Received>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let timestamp: i64 = header("x-oos-timestamp").parse().unwrap_or_default();
    let verified = verify_webhook(SECRET, timestamp, &body, &header("x-oos-signature"));
    let received = Received {
        path: uri.path().to_owned(),
        access_key_id: header("x-oos-accesskeyid"),
        verified,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    seen.send(received).expect("the test listens");
    StatusCode::NO_CONTENT
}

/// An intake on a free port: its base URL and what it receives.
async fn intake() -> (String, mpsc::UnboundedReceiver<Received>) {
    let (seen, received) = mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/intake", listener.local_addr().unwrap());
    let router = Router::new().fallback(receive).with_state(seen);
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, received)
}

async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    // A bound against hanging forever if nothing comes, not a timing assertion.
    tokio::time::timeout(Duration::from_secs(60), received.recv())
        .await
        .expect("a post arrives")
        .expect("the intake runs")
}

#[tokio::test]
async fn events_and_alarms_are_posted_signed_to_their_intake_paths() {
    let (base, mut received) = intake().await;
    let sink = HttpEventSink::start(&base, "AK-INTAKE", SECRET).unwrap();
    sink.publish(
        EventKind::Event,
        json!({"id": "e-1", "name": "Instance:StateChange"}),
    );
    sink.publish(EventKind::Alarm, json!({"id": "a-1", "status": "firing"}));
    let event = next(&mut received).await;
    assert_eq!(
        (
            event.path.as_str(),
            event.access_key_id.as_str(),
            event.verified
        ),
        ("/intake/events/v1", "AK-INTAKE", true)
    );
    assert_eq!(
        event.body,
        json!({"id": "e-1", "name": "Instance:StateChange"})
    );
    let alarm = next(&mut received).await;
    assert_eq!(
        (alarm.path.as_str(), alarm.verified),
        ("/intake/alarms/v1", true)
    );
    assert_eq!(alarm.body["id"], "a-1");
    assert_eq!(sink.dropped(), 0);
}

#[tokio::test]
async fn a_post_signed_with_another_secret_does_not_verify() {
    let (base, mut received) = intake().await;
    let sink = HttpEventSink::start(&base, "AK-INTAKE", b"wrong-secret").unwrap();
    sink.publish(EventKind::Event, json!({"id": "e-1"}));
    assert!(!next(&mut received).await.verified);
}

#[tokio::test]
async fn a_sink_needs_an_http_url() {
    for url in ["not a url", "ftp://host/x"] {
        let error = HttpEventSink::start(url, "AK", SECRET)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("EmulatorEventSink.Failed"), "{error}");
    }
}

#[tokio::test]
async fn an_emulator_with_an_http_sink_posts_its_state_changes() {
    let (base, mut received) = intake().await;
    let sink = Arc::new(HttpEventSink::start(&base, "AK-INTAKE", SECRET).unwrap());
    let seed = FleetSeed::from_yaml("instances: [{ids: [i-web1], tags: {Env: Dev}}]").unwrap();
    let emulator = Emulator::builder()
        .seed(seed)
        .event_sink(sink)
        .build()
        .unwrap();
    let request = oos_acs::RpcRequest::new(
        "StopInstance",
        oos_emulator::ECS_VERSION,
        vec![("InstanceId".into(), "i-web1".into())],
    );
    emulator.call(&request).unwrap();
    for state in ["Stopping", "Stopped"] {
        let posted = next(&mut received).await;
        assert!(posted.verified);
        assert_eq!(
            (
                posted.body["content"]["state"].as_str(),
                posted.body["tags"].clone()
            ),
            (Some(state), json!({"Env": "Dev"}))
        );
    }
}

async fn post(url: String, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn the_admin_endpoints_raise_events_set_metrics_and_put_rules() {
    let seed = FleetSeed::from_yaml("instances: [{ids: [i-web1], tags: {Env: Dev}}]").unwrap();
    let handle = Emulator::builder()
        .seed(seed)
        .admin(true)
        .build()
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = |path: &str| format!("{}/_emulator/{path}", handle.url());
    let rule = json!({"ruleName": "cpu-high", "namespace": "acs_ecs_dashboard", "metricName": "cpu_total", "comparisonOperator": "GreaterThanThreshold", "threshold": 80});
    assert_eq!(
        post(url("alarm-rules"), json!([rule])).await,
        (200, json!({"put": 1}))
    );
    let metric = json!({"namespace": "acs_ecs_dashboard", "metricName": "cpu_total", "instanceId": "i-web1", "value": 91});
    assert_eq!(post(url("metrics"), metric).await, (200, json!({"set": 1})));
    let (status, event) = post(url("events"), json!({"product": "ECS", "name": "Instance:PreemptibleInstanceInterruption", "level": "WARN", "resourceId": "i-web1", "content": {"instanceId": "i-web1", "action": "delete"}})).await;
    assert_eq!(
        (status, event["tags"].clone()),
        (200, json!({"Env": "Dev"}))
    );
    let published: Vec<(EventKind, Value)> = handle
        .emulator()
        .events()
        .into_iter()
        .map(|published| (published.kind, published.body["id"].clone()))
        .collect();
    assert_eq!(published.len(), 2);
    assert_eq!(published[0].0, EventKind::Alarm);
    assert_eq!(published[1], (EventKind::Event, event["id"].clone()));
    let listed: Value = reqwest::get(url("events"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["events"][1], json!({"kind": "event", "body": event}));
    let (status, refused) = post(url("alarm-rules"), json!([rule, {"ruleName": "x"}])).await;
    assert_eq!(
        (status, refused["Code"].as_str()),
        (400, Some("EmulatorInput.Invalid"))
    );
    assert!(
        refused["Message"]
            .as_str()
            .unwrap()
            .starts_with("[1]: missing field"),
        "{refused}"
    );
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn without_the_admin_option_there_are_no_admin_endpoints() {
    let handle = Emulator::builder()
        .build()
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let metric = json!({"namespace": "n", "metricName": "m", "instanceId": "i-1", "value": 1});
    let (status, body) = post(format!("{}/_emulator/metrics", handle.url()), metric).await;
    assert_ne!(status, 200);
    assert!(
        body.get("set").is_none() && body.get("Code").is_some(),
        "{body}"
    );
    assert!(handle.emulator().metrics().is_empty());
    handle.shutdown().await.unwrap();
}
