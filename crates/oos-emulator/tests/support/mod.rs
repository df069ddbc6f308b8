//! Shared helpers of the emulator's integration tests: a manual clock and request building.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use oos_acs::{AcsError, Credentials, RpcRequest, acs3, encode};
use oos_emulator::{ECS_VERSION, Emulator, EmulatorBuilder};
use serde_json::Value;

/// A clock that only moves when told to.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new() -> Self {
        Self(Arc::new(AtomicI64::new(1_767_225_600_000)))
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.0.load(Ordering::SeqCst)).expect("valid time")
    }

    pub fn install(&self, builder: EmulatorBuilder) -> EmulatorBuilder {
        let millis = Arc::clone(&self.0);
        builder.clock(move || {
            Timestamp::from_millisecond(millis.load(Ordering::SeqCst)).expect("valid time")
        })
    }
}

/// An emulator with a manual clock and `delay` per transition step.
pub fn emulator_with_clock(delay: Duration) -> (Emulator, ManualClock) {
    let clock = ManualClock::new();
    let emulator = clock
        .install(Emulator::builder().transition_delay(delay))
        .build()
        .expect("emulator builds");
    (emulator, clock)
}

/// Calls an ECS action in-process.
pub fn ecs(emulator: &Emulator, action: &str, params: &[(&str, &str)]) -> Result<Value, AcsError> {
    let params = params
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    emulator.call(&RpcRequest::new(action, ECS_VERSION, params))
}

/// The id of the first instance.
pub fn first_instance(emulator: &Emulator) -> String {
    emulator.instances()[0].instance_id.clone()
}

/// Status of instance `id`.
pub fn status(emulator: &Emulator, id: &str) -> String {
    emulator.instance(id).expect("instance exists").status
}

/// Sends `action` of `version` over HTTP to `url`, ACS3-signed with `credentials`; the status and
/// JSON body of the answer.
pub async fn signed_http_call(
    url: &str,
    credentials: &Credentials,
    version: &str,
    action: &str,
    params: &[(String, String)],
) -> (u16, Value) {
    use std::sync::atomic::AtomicU64;
    static NONCE: AtomicU64 = AtomicU64::new(0);
    let host = url.trim_start_matches("http://");
    let date = Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let nonce = format!(
        "nonce-{}-{}",
        std::process::id(),
        NONCE.fetch_add(1, Ordering::SeqCst)
    );
    let mut request =
        reqwest::Client::new().post(format!("{url}/?{}", encode::encode_form(params)));
    let mut headers = acs3::rpc_headers(host, action, version, &date, &nonce, b"", credentials);
    headers.push((
        "authorization".into(),
        acs3::sign(credentials, "POST", "/", params, &headers, b""),
    ));
    for (name, value) in headers.into_iter().filter(|(name, _)| name != "host") {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("every answer is JSON"))
}

/// Calls an action of any API version in-process.
pub fn call(
    emulator: &Emulator,
    version: &str,
    action: &str,
    params: &[(&str, &str)],
) -> Result<Value, AcsError> {
    let params = params
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    emulator.call(&RpcRequest::new(action, version, params))
}

/// An emulator seeded with `yaml`, a manual clock and `delay` per transition step.
pub fn seeded_with_clock(yaml: &str, delay: Duration) -> (Emulator, ManualClock) {
    let clock = ManualClock::new();
    let emulator = clock
        .install(Emulator::builder().transition_delay(delay))
        .seed(oos_emulator::FleetSeed::from_yaml(yaml).expect("seed parses"))
        .build()
        .expect("emulator builds");
    (emulator, clock)
}
