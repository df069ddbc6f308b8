//! The sandbox inbox on a store: [`StoreInbox`] keeps the letters the sandbox door captures
//! (bounded to the newest [`INBOX_KEEP`]), and [`letter_json`] is how the API
//! (ListSandboxInbox) and `oos sandbox inbox` show one.

use std::sync::Arc;

use oos_actions::outbound::{Inbox, Letter, LetterKind};
use oos_clock::Clock;
use oos_store::{SandboxInboxStore, SandboxLetter};
use serde_json::{Map, Value, json};

use crate::actions::common::date;

/// Letters kept per store (a data directory or a database): each capture deletes the oldest
/// beyond it.
pub const INBOX_KEEP: i64 = 1000;

/// An [`Inbox`] writing into a store's `sandbox_inbox`.
pub struct StoreInbox {
    store: Arc<dyn SandboxInboxStore>,
    clock: Arc<dyn Clock>,
}

impl StoreInbox {
    pub fn new(store: Arc<dyn SandboxInboxStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

#[async_trait::async_trait]
impl Inbox for StoreInbox {
    async fn capture(&self, letter: Letter) -> Result<String, String> {
        let id = format!("letter-{}", uuid::Uuid::new_v4().simple());
        let headers: Vec<[&str; 2]> = letter
            .headers
            .iter()
            .map(|(name, value)| [name.as_str(), value.as_str()])
            .collect();
        let row = SandboxLetter {
            id: id.clone(),
            captured_ms: self.clock.now_ms(),
            kind: letter.kind.as_str().to_owned(),
            execution_id: letter.execution_id,
            task_name: letter.task_name,
            method: letter.method,
            url: letter.url,
            headers: serde_json::to_string(&headers).unwrap_or_else(|_| "[]".into()),
            body: letter.body,
            body_bytes: i64::try_from(letter.body_bytes).unwrap_or(i64::MAX),
        };
        self.store
            .capture_letter(&row, INBOX_KEEP)
            .await
            .map_err(|e| format!("the sandbox inbox could not store the request: {e}"))?;
        Ok(id)
    }
}

/// A letter as shown: its fields, headers as an object, and for a captured Approve webhook the
/// commands that approve or reject the execution waiting for it.
pub fn letter_json(letter: &SandboxLetter) -> Value {
    let pairs: Vec<(String, String)> = serde_json::from_str(&letter.headers).unwrap_or_default();
    let headers: Map<String, Value> = pairs
        .into_iter()
        .map(|(name, value)| (name, Value::String(value)))
        .collect();
    let mut shown = json!({
        "LetterId": letter.id,
        "CaptureTime": date(letter.captured_ms),
        "CaptureTimeMillis": letter.captured_ms,
        "Kind": letter.kind,
        "ExecutionId": letter.execution_id,
        "TaskName": letter.task_name,
        "Method": letter.method,
        "URL": letter.url,
        "Headers": headers,
        "Body": letter.body,
        "BodyBytes": letter.body_bytes,
    });
    if letter.kind == LetterKind::Approve.as_str() {
        shown["ApproveCommand"] =
            Value::String(format!("oos execution approve {}", letter.execution_id));
        shown["RejectCommand"] =
            Value::String(format!("oos execution reject {}", letter.execution_id));
    }
    shown
}
