//! Shared helpers of the emulator's integration tests: a manual clock and request building.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use oos_acs::{AcsError, RpcRequest};
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
