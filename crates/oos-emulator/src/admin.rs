//! The admin endpoints under `/_emulator/`, served only when the emulator is built with
//! [`crate::EmulatorBuilder::admin`]: raise an event, set metric values, put alarm rules, read
//! what was published. They take no signature (the emulator is a local tool).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{AlarmRule, Emulator, EmulatorError, EventKind, MetricValue};

/// The admin routes, to merge into the server's router.
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/_emulator/events", post(raise_event).get(published))
        .route("/_emulator/metrics", post(set_metrics))
        .route("/_emulator/alarm-rules", post(put_alarm_rules))
}

fn refused(message: String) -> Response {
    let code = "EmulatorInput.Invalid";
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"Code": code, "Message": message})),
    )
        .into_response()
}

fn answer(result: Result<Value, EmulatorError>) -> Response {
    match result {
        Ok(body) => Json(body).into_response(),
        Err(EmulatorError::InvalidInput(message)) => refused(message),
        Err(error) => refused(error.to_string()),
    }
}

fn json_body(body: &[u8]) -> Result<Value, EmulatorError> {
    serde_json::from_slice(body)
        .map_err(|error| EmulatorError::InvalidInput(format!("the body is not JSON: {error}")))
}

/// One item or a list of them; an error names the item (`[2].threshold: …`).
fn items<T: DeserializeOwned>(body: Value) -> Result<Vec<T>, EmulatorError> {
    let (listed, values) = match body {
        Value::Array(values) => (true, values),
        value => (false, vec![value]),
    };
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            serde_json::from_value(value).map_err(|error| {
                let place = if listed {
                    format!("[{index}]: ")
                } else {
                    String::new()
                };
                EmulatorError::InvalidInput(format!("{place}{error}"))
            })
        })
        .collect()
}

async fn raise_event(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer(json_body(&body).and_then(|event| emulator.raise_event(event)))
}

async fn published(State(emulator): State<Emulator>) -> Response {
    let events: Vec<Value> = emulator
        .events()
        .into_iter()
        .map(|published| {
            let kind = match published.kind {
                EventKind::Event => "event",
                EventKind::Alarm => "alarm",
            };
            json!({"kind": kind, "body": published.body})
        })
        .collect();
    Json(json!({"events": events})).into_response()
}

async fn set_metrics(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer(
        json_body(&body)
            .and_then(items::<MetricValue>)
            .and_then(|metrics| {
                let count = metrics.len();
                metrics
                    .into_iter()
                    .try_for_each(|metric| emulator.set_metric(metric))?;
                Ok(json!({"set": count}))
            }),
    )
}

async fn put_alarm_rules(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer(
        json_body(&body)
            .and_then(items::<AlarmRule>)
            .and_then(|rules| {
                let count = rules.len();
                rules
                    .into_iter()
                    .try_for_each(|rule| emulator.put_alarm_rule(rule))?;
                Ok(json!({"put": count}))
            }),
    )
}
