//! [`HttpEventSink`]: events and alarms posted to a server's intake (`<base>/events/v1`,
//! `<base>/alarms/v1`), signed with an access key (`oos_acs::webhook`). Publishing only queues;
//! one task posts in order, so the emulator's requests never wait on the network.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use oos_acs::sign_webhook;
use oos_acs::webhook::{
    WEBHOOK_ACCESS_KEY_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER,
};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::{EmulatorError, EventKind, EventSink};

/// How many bodies wait to be posted before new ones are dropped.
pub const HTTP_SINK_QUEUE: usize = 1024;
/// How long one post may take.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// Posts each event and alarm, signed, to an intake. The posting task ends when the sink is dropped.
pub struct HttpEventSink {
    queue: mpsc::Sender<(EventKind, Value)>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for HttpEventSink {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HttpEventSink")
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

/// Where and as whom the posting task posts.
struct Poster {
    client: reqwest::Client,
    events_url: String,
    alarms_url: String,
    access_key_id: String,
    secret: Vec<u8>,
}

impl HttpEventSink {
    /// Starts posting to `base_url` (e.g. `http://127.0.0.1:8080`) as `access_key_id`, signing
    /// with `secret`. Must be called inside a tokio runtime, which runs the posting task.
    pub fn start(
        base_url: &str,
        access_key_id: &str,
        secret: &[u8],
    ) -> Result<Self, EmulatorError> {
        let failed = |message: String| EmulatorError::EventSink(message);
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|error| failed(format!("no tokio runtime to post from: {error}")))?;
        let base = reqwest::Url::parse(base_url)
            .map_err(|error| failed(format!("{base_url:?} is not a URL: {error}")))?;
        if !["http", "https"].contains(&base.scheme()) {
            return Err(failed(format!("{base_url:?} is not an http(s) URL")));
        }
        let client = reqwest::Client::builder()
            .timeout(POST_TIMEOUT)
            .build()
            .map_err(|error| failed(error.to_string()))?;
        let base = base_url.trim_end_matches('/');
        let poster = Poster {
            client,
            events_url: format!("{base}/events/v1"),
            alarms_url: format!("{base}/alarms/v1"),
            access_key_id: access_key_id.to_owned(),
            secret: secret.to_vec(),
        };
        let (queue, mut waiting) = mpsc::channel::<(EventKind, Value)>(HTTP_SINK_QUEUE);
        runtime.spawn(async move {
            while let Some((kind, body)) = waiting.recv().await {
                poster.post(kind, &body).await;
            }
        });
        Ok(Self {
            queue,
            dropped: Arc::default(),
        })
    }

    /// How many bodies were dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl EventSink for HttpEventSink {
    fn publish(&self, kind: EventKind, body: Value) {
        match self.queue.try_send((kind, body)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full((_, body))) => {
                let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(id = %body["id"], dropped, "event sink queue full: event dropped");
            }
            Err(mpsc::error::TrySendError::Closed((_, body))) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(id = %body["id"], "event sink stopped: event dropped");
            }
        }
    }
}

impl Poster {
    async fn post(&self, kind: EventKind, body: &Value) {
        let url = match kind {
            EventKind::Event => &self.events_url,
            EventKind::Alarm => &self.alarms_url,
        };
        let bytes = body.to_string().into_bytes();
        let timestamp = Timestamp::now().as_second();
        let signature = sign_webhook(&self.secret, timestamp, &bytes);
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(WEBHOOK_ACCESS_KEY_ID_HEADER, &self.access_key_id)
            .header(WEBHOOK_TIMESTAMP_HEADER, timestamp.to_string())
            .header(WEBHOOK_SIGNATURE_HEADER, signature)
            .body(bytes)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                tracing::debug!(%url, id = %body["id"], "event posted");
            }
            Ok(response) => {
                tracing::warn!(%url, id = %body["id"], status = %response.status(), "event refused by the intake");
            }
            Err(error) => tracing::warn!(%url, id = %body["id"], %error, "event not posted"),
        }
    }
}

/// A sink whose target is given after the emulator is built (a server started after its sandbox,
/// which signs with the server's root key); until then events stay only in the emulator's log.
#[derive(Debug, Default)]
pub struct LateSink(std::sync::OnceLock<HttpEventSink>);

impl LateSink {
    /// Sends everything published from now on to `sink`; false when a target was set already.
    pub fn set(&self, sink: HttpEventSink) -> bool {
        self.0.set(sink).is_ok()
    }
}

impl EventSink for LateSink {
    fn publish(&self, kind: EventKind, body: Value) {
        if let Some(sink) = self.0.get() {
            sink.publish(kind, body);
        }
    }
}
