//! The real emulator in-process, seeded, with a client pointed at it.

use std::sync::Arc;
use std::time::Duration;

use oos_cloud::{CloudClient, CloudConfig, Credentials, RetryPolicy, SignatureScheme};
use oos_emulator::{Emulator, EmulatorHandle, FleetSeed};

pub const AK: &str = "cloud-test-ak";
pub const SK: &str = "cloud-test-sk";

/// A seeded emulator on a free port.
pub struct Emulated {
    pub handle: EmulatorHandle,
}

impl Emulated {
    /// `seed_yaml` is a fleet seed; `throttle_rps` limits requests per second per AccessKey.
    pub async fn start(seed_yaml: &str, throttle_rps: Option<f64>) -> Self {
        let seed = FleetSeed::from_yaml(seed_yaml).expect("seed parses");
        let mut builder = Emulator::builder()
            .access_key(AK, SK)
            .transition_delay(Duration::ZERO)
            .default_region("cn-hangzhou")
            .seed(seed);
        if let Some(rate) = throttle_rps {
            builder = builder.throttle_rps(rate);
        }
        let emulator = builder.build().expect("emulator builds");
        let handle = emulator.spawn("127.0.0.1:0".parse().unwrap()).await.expect("emulator starts");
        Self { handle }
    }

    pub fn emulator(&self) -> &Emulator {
        self.handle.emulator()
    }

    /// A client signing with `scheme`, every product pointed at this emulator.
    pub fn client(&self, scheme: SignatureScheme, retry: RetryPolicy) -> Arc<CloudClient> {
        let mut config = CloudConfig::default().with_sandbox(self.handle.url());
        config.signature = scheme;
        config.retry = retry;
        Arc::new(CloudClient::new(config, Credentials::new(AK, SK)).expect("client builds"))
    }
}
