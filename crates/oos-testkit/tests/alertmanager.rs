//! A real Alertmanager notifies a webhook, and `oos_triggers::from_alertmanager` reads what it
//! sends: the alarm's fields, the corpus' high-CPU AlarmTrigger matching it, the same
//! de-duplication key on a repeated notification and on the resolution, another key for the next
//! episode.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use oos_testkit::alertmanager::Alertmanager;
use oos_triggers::{Alarm, AlarmSpec, from_alertmanager};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// How long to wait for a notification before calling it a hang (not a timed assertion: the
/// route's intervals are one or two seconds).
const NOTIFIED_WITHIN: Duration = Duration::from_secs(60);

/// Starts a webhook receiver on a free port; its URL and the notifications it receives.
async fn receiver() -> (String, mpsc::UnboundedReceiver<Value>) {
    let (sender, notifications) = mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route("/alerts", post(|State(sender): State<mpsc::UnboundedSender<Value>>, Json(body): Json<Value>| async move { sender.send(body).is_ok().to_string() }))
        .with_state(sender);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("http://{}/alerts", listener.local_addr().expect("bound"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, notifications)
}

/// The next notification's alarms whose state is `firing`, skipping others (an earlier state's
/// repeats may still arrive).
async fn next_alarm(notifications: &mut mpsc::UnboundedReceiver<Value>, firing: bool, alertmanager: &Alertmanager) -> (Alarm, Value) {
    loop {
        let body = tokio::time::timeout(NOTIFIED_WITHIN, notifications.recv())
            .await
            .unwrap_or_else(|_| panic!("no notification within {NOTIFIED_WITHIN:?}; Alertmanager output:\n{}", alertmanager.output()))
            .expect("the receiver runs");
        let alarms = from_alertmanager(&body).unwrap_or_else(|error| panic!("{error}: {body}"));
        assert_eq!(alarms.len(), 1, "one alert per group: {body}");
        if alarms[0].firing == firing {
            return (alarms.into_iter().next().expect("one alarm"), body);
        }
    }
}

fn high_cpu(starts_at: &str, ends_at: Option<&str>) -> Value {
    let mut alert = json!({
        "labels": {"alertname": "HighCpu", "instance_id": "i-1", "metric_name": "cpu_total", "namespace": "acs_ecs_dashboard", "tag_Env": "Dev"},
        "annotations": {"value": "95.5", "threshold": "80", "summary": "CPU above 80% on i-1"},
        "startsAt": starts_at,
        "generatorURL": "http://prometheus.invalid/graph"
    });
    if let Some(ends_at) = ends_at {
        alert["endsAt"] = json!(ends_at);
    }
    json!([alert])
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.expect("the blocking work did not panic")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_notifications_become_alarms_with_episode_keys() {
    let (url, mut notifications) = receiver().await;
    let alertmanager = std::sync::Arc::new(blocking(move || Alertmanager::start(&url)).await.unwrap_or_else(|error| panic!("{error}")));
    let starts_at = jiff::Timestamp::from_millisecond(jiff::Timestamp::now().as_millisecond() - 60_000).expect("a time");
    let post = |alerts: Value| {
        let alertmanager = std::sync::Arc::clone(&alertmanager);
        blocking(move || alertmanager.post_alerts(&alerts).unwrap_or_else(|error| panic!("{error}")))
    };
    post(high_cpu(&starts_at.to_string(), None)).await;

    let (alarm, body) = next_alarm(&mut notifications, true, &alertmanager).await;
    assert_eq!(body["version"], "4");
    assert_eq!((alarm.namespace.as_str(), alarm.metric_name.as_str()), ("acs_ecs_dashboard", "cpu_total"));
    assert_eq!(alarm.resource.get("instanceId").map(String::as_str), Some("i-1"));
    assert_eq!(alarm.tags.get("Env").map(String::as_str), Some("Dev"));
    assert_eq!((alarm.value, alarm.threshold, alarm.time_ms), (Some(95.5), Some(80.0), starts_at.as_millisecond()));
    assert_eq!(alarm.labels.get("alertname").map(String::as_str), Some("HighCpu"));
    assert_eq!(alarm.payload()["instanceId"], "i-1", "the corpus' ValueSelector .instanceId");
    let held = blocking({
        let alertmanager = std::sync::Arc::clone(&alertmanager);
        move || alertmanager.alerts().unwrap_or_else(|error| panic!("{error}"))
    })
    .await;
    let fingerprint = held[0]["fingerprint"].as_str().unwrap_or_else(|| panic!("no fingerprint in {held}"));
    assert_eq!(alarm.dedup_key, format!("{fingerprint}@{starts_at}"), "the key is Alertmanager's own fingerprint and the episode start");

    // ACS-ECS-RebootSpecifiedInstanceAtHighCpu, rendered for i-1 with a threshold of 80.
    let spec = AlarmSpec::from_properties(&json!({"Namespace": "acs_ecs_dashboard", "MetricName": "cpu_total", "Statistics": "Average",
        "ComparisonOperator": "GreaterThanThreshold", "Threshold": "80", "Resources": "[{\"instanceId\":\"i-1\"}]", "SilenceTime": "300",
        "Times": 1, "Period": 60, "Interval": 60, "Tags": "[{\"Key\":\"Env\",\"Value\":\"Dev\"}]"})).expect("the corpus properties");
    assert!(spec.matches(&alarm));

    // The same alert posted again: Alertmanager notifies again after repeat_interval, same key.
    post(high_cpu(&starts_at.to_string(), None)).await;
    let (repeated, _) = next_alarm(&mut notifications, true, &alertmanager).await;
    assert_eq!(repeated.dedup_key, alarm.dedup_key);

    // Resolved: the same key, not firing, and the trigger does not match it.
    post(high_cpu(&starts_at.to_string(), Some(&jiff::Timestamp::now().to_string()))).await;
    let (resolved, _) = next_alarm(&mut notifications, false, &alertmanager).await;
    assert_eq!(resolved.dedup_key, alarm.dedup_key);
    assert!(!spec.matches(&resolved));

    // The next episode: a new startsAt, a new key.
    let next_start = jiff::Timestamp::now();
    post(high_cpu(&next_start.to_string(), None)).await;
    let (next_episode, _) = next_alarm(&mut notifications, true, &alertmanager).await;
    assert_eq!(next_episode.time_ms, next_start.as_millisecond());
    assert_ne!(next_episode.dedup_key, alarm.dedup_key);
    assert!(next_episode.dedup_key.starts_with(&format!("{fingerprint}@")), "the same alert, another episode: {}", next_episode.dedup_key);
}
