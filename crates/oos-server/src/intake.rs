//! Event and alarm intake: where events and alarms from anywhere reach EventTriggers and
//! AlarmTriggers. Three doors on the front door's listener, each bounded before anything is
//! parsed (the body limit and request timeout of every request):
//!
//! - `POST /events/v1` — one event in the intake's JSON shape ([`CloudEvent::from_wire`]);
//! - `POST /alarms/v1` — one alarm ([`Alarm::from_content`]; what the emulator's alarm rules raise);
//!
//! both signed with an AccessKey: `x-oos-accesskeyid`, `x-oos-timestamp` (unix seconds, within
//! [`MAX_SKEW_SECS`] of the server's clock) and `x-oos-signature` (hex HMAC-SHA256 of
//! `"<timestamp>\n<body>"` with the key's secret, [`oos_acs::webhook`]);
//!
//! - `POST /alertmanager/v1` — Prometheus Alertmanager's webhook, authenticated by HTTP Basic with
//!   the AccessKeyId and its secret (Alertmanager's `basic_auth`, over TLS).
//!
//! The sender's key must be active, and the sender is allowed `oos:TriggerExecution` on each
//! matching trigger execution; those it is not allowed are counted, not fired. A firing is an inbox
//! event: the worker stepping the trigger execution starts the run, once per key (an event's id —
//! by default the hash of its body — or an alarm's de-duplication key), and audits it.

use oos_acs::AcsError;
use oos_engine::{Event, FireSource, TriggerSignal};
use oos_iam::Principal;
use oos_iam::arn::ArnScope;
use oos_iam::evaluate::{AuthzRequest, Context, keys};
use oos_store::{NewInboxEvent, TriggerQuery};
use oos_triggers::{Alarm, AlarmSpec, CloudEvent, EventSpec};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::api::{Api, Fields};
use crate::error;

/// How far a signed request's timestamp may be from the server's clock.
pub const MAX_SKEW_SECS: i64 = 300;
/// Largest event or alarm body: each matching trigger keeps a copy (its inbox event, then its run's
/// trigger result), so a sender cannot multiply the front door's 2 MiB by the number of triggers.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Triggers read per page while matching.
const PAGE: i64 = 500;

/// Where the three doors are.
pub const EVENTS_PATH: &str = "/events/v1";
pub const ALARMS_PATH: &str = "/alarms/v1";
pub const ALERTMANAGER_PATH: &str = "/alertmanager/v1";

/// What came in, and how many triggers it fired.
#[derive(Debug, Default)]
pub struct Delivery {
    pub fired: Vec<String>,
    pub refused: usize,
}

impl Delivery {
    fn fields(self) -> Fields {
        let mut fields = Map::new();
        fields.insert("FiredExecutionIds".into(), json!(self.fired));
        fields.insert("Unauthorized".into(), json!(self.refused));
        fields
    }
}

fn unauthenticated(message: impl Into<String>) -> AcsError {
    AcsError::with_code("InvalidSignature.Webhook", 401, message)
}

fn body_json(body: &[u8]) -> Result<Value, AcsError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(AcsError::with_code("InvalidEvent.TooLarge", 413, format!("the body is larger than {MAX_BODY_BYTES} bytes")));
    }
    serde_json::from_slice(body).map_err(|e| AcsError::with_code("InvalidEvent.Format", 400, format!("the body is not JSON: {e}")))
}

/// The sender of a signed request: its key's principal, once the signature and the timestamp hold.
async fn signed_sender(api: &Api, request: &oos_acs::IncomingRequest) -> Result<Principal, AcsError> {
    let header = |name: &str| request.header(name).ok_or_else(|| unauthenticated(format!("the {name} header is missing")));
    let key_id = header("x-oos-accesskeyid")?;
    let timestamp: i64 = header("x-oos-timestamp")?.trim().parse().map_err(|_| unauthenticated("x-oos-timestamp is not unix seconds"))?;
    let signature = header("x-oos-signature")?;
    let now = api.clock.now_ms() / 1000;
    if (now - timestamp).abs() > MAX_SKEW_SECS {
        return Err(unauthenticated(format!("x-oos-timestamp is more than {MAX_SKEW_SECS} s from the server's time")));
    }
    let (principal, secret) = api.iam.resolve_access_key(key_id).await.map_err(error::iam)?;
    if !oos_acs::webhook::verify_webhook(secret.expose().as_bytes(), timestamp, &request.body, signature) {
        return Err(unauthenticated("the signature does not match"));
    }
    Ok(principal)
}

/// The sender of an Alertmanager webhook: HTTP Basic with an AccessKeyId and its secret.
async fn basic_sender(api: &Api, request: &oos_acs::IncomingRequest) -> Result<Principal, AcsError> {
    use base64::Engine;
    let authorization = request.header("authorization").ok_or_else(|| unauthenticated("the Authorization header is missing"))?;
    let encoded = authorization.strip_prefix("Basic ").ok_or_else(|| unauthenticated("Authorization is not Basic"))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| unauthenticated("Authorization is not base64"))?;
    let text = String::from_utf8(decoded).map_err(|_| unauthenticated("Authorization is not UTF-8"))?;
    let (key_id, given) = text.split_once(':').ok_or_else(|| unauthenticated("Authorization has no AccessKeyId:secret"))?;
    let (principal, secret) = api.iam.resolve_access_key(key_id).await.map_err(error::iam)?;
    if !oos_acs::webhook::same_secret(secret.expose().as_bytes(), given.as_bytes()) {
        return Err(unauthenticated("the AccessKey secret does not match"));
    }
    Ok(principal)
}

/// `POST /events/v1`.
pub async fn events(api: &Api, request: &oos_acs::IncomingRequest) -> Result<Fields, AcsError> {
    let sender = signed_sender(api, request).await?;
    let body = body_json(&request.body)?;
    let event = CloudEvent::from_wire(&body, &content_id(&request.body), api.clock.now_ms()).map_err(invalid)?;
    Ok(fire_event(api, &event, Some(&sender)).await?.fields())
}

/// `POST /alarms/v1`.
pub async fn alarms(api: &Api, request: &oos_acs::IncomingRequest) -> Result<Fields, AcsError> {
    let sender = signed_sender(api, request).await?;
    let alarm = Alarm::from_content(&body_json(&request.body)?, api.clock.now_ms()).map_err(invalid)?;
    Ok(fire_alarm(api, &alarm, Some(&sender)).await?.fields())
}

/// `POST /alertmanager/v1`: every firing alert of the notification.
pub async fn alertmanager(api: &Api, request: &oos_acs::IncomingRequest) -> Result<Fields, AcsError> {
    let sender = basic_sender(api, request).await?;
    let alarms = oos_triggers::from_alertmanager(&body_json(&request.body)?).map_err(invalid)?;
    let mut delivery = Delivery::default();
    for alarm in alarms.iter().filter(|alarm| alarm.firing) {
        let one = fire_alarm(api, alarm, Some(&sender)).await?;
        delivery.fired.extend(one.fired);
        delivery.refused += one.refused;
    }
    Ok(delivery.fields())
}

fn invalid(error: oos_triggers::TriggerError) -> AcsError {
    AcsError::with_code(error.code, 400, error.message)
}

/// An event's default id: the hash of its body, so the same body sent twice fires once.
fn content_id(body: &[u8]) -> String {
    format!("evt-{}", hex::encode(&Sha256::digest(body)[..12]))
}

/// Fires every active EventTrigger `event` matches (and `sender`, when given, may trigger).
pub async fn fire_event(api: &Api, event: &CloudEvent, sender: Option<&Principal>) -> Result<Delivery, AcsError> {
    let payload = event.payload();
    let key = event.id.clone();
    fire_matching(api, "EventTrigger", sender, |properties| EventSpec::from_properties(properties).is_ok_and(|spec| spec.matches(event)), FireSource::Event, &key, &payload).await
}

/// Fires every active AlarmTrigger `alarm` matches (and `sender`, when given, may trigger).
pub async fn fire_alarm(api: &Api, alarm: &Alarm, sender: Option<&Principal>) -> Result<Delivery, AcsError> {
    let payload = alarm.payload();
    fire_matching(api, "AlarmTrigger", sender, |properties| AlarmSpec::from_properties(properties).is_ok_and(|spec| spec.matches(alarm)), FireSource::Alarm, &alarm.dedup_key, &payload).await
}

#[allow(clippy::too_many_arguments, reason = "one call site per door; a struct would only rename them")]
async fn fire_matching(api: &Api, kind: &str, sender: Option<&Principal>, matches: impl Fn(&Value) -> bool, source: FireSource, key: &str, payload: &Value) -> Result<Delivery, AcsError> {
    let mut delivery = Delivery::default();
    let mut after = None;
    loop {
        let query = TriggerQuery { kind: Some(kind.into()), status: Some("Active".into()), after: after.clone(), limit: PAGE, ..TriggerQuery::default() };
        let page = api.store.triggers(&query).await.map_err(error::store)?;
        for trigger in &page {
            let properties: Value = serde_json::from_str(&trigger.properties).unwrap_or(Value::Null);
            if !matches(&properties) {
                continue;
            }
            if let Some(sender) = sender
                && !may_trigger(api, sender, &trigger.execution_id).await
            {
                delivery.refused += 1;
                continue;
            }
            let signal = TriggerSignal::Fire { key: key.to_owned(), source, payload: payload.clone() };
            let payload = serde_json::to_string(&Event::Trigger(signal)).map_err(error::internal)?;
            api.store.push(NewInboxEvent { execution_id: trigger.execution_id.clone(), payload, created_ms: api.clock.now_ms() }).await.map_err(error::store)?;
            delivery.fired.push(trigger.execution_id.clone());
        }
        if (page.len() as i64) < PAGE {
            return Ok(delivery);
        }
        after = page.last().map(|trigger| trigger.execution_id.clone());
    }
}

/// Whether `sender` is allowed `oos:TriggerExecution` on the execution (with its tags and the time).
async fn may_trigger(api: &Api, sender: &Principal, execution_id: &str) -> bool {
    let resource = ArnScope::new(api.region.clone(), api.iam.account().to_string()).execution(execution_id);
    let tags = crate::resource_tags::of(api, &resource).await;
    let context = crate::resource_tags::with_tags(Context::new().with(keys::CURRENT_TIME, api.clock.timestamp().to_string()), &tags);
    let request = AuthzRequest { action: "oos:TriggerExecution".to_owned(), resources: vec![resource], context };
    api.iam.require(sender, &request).await.is_ok()
}
