//! OpenOOS extensions for the sandbox inbox: ListSandboxInbox (the requests a sandbox captured
//! instead of sending, newest first; one by `LetterId`, or narrowed by `ExecutionId` and `Kind`) and
//! ClearSandboxInbox.

use oos_acs::{AcsError, RpcRequest};
use oos_store::SandboxLetterQuery;
use serde_json::{Map, Value};

use crate::api::{Api, Fields};
use crate::error;
use crate::sandbox_inbox::{INBOX_KEEP, letter_json};

/// The kinds of letters.
const KINDS: [&str; 3] = ["Notify", "Approve", "HttpRequest"];

pub async fn list(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let letters = match rpc.get("LetterId") {
        Some(id) => api
            .store
            .sandbox_letter(id)
            .await
            .map_err(error::store)?
            .into_iter()
            .collect(),
        None => {
            let limit = rpc.int("MaxResults")?.unwrap_or(100);
            if !(1..=INBOX_KEEP).contains(&limit) {
                return Err(AcsError::invalid_parameter(
                    "MaxResults",
                    format!("must be between 1 and {INBOX_KEEP}, got {limit}"),
                ));
            }
            let kind = rpc.get("Kind").map(str::to_owned);
            if let Some(kind) = kind.as_deref().filter(|kind| !KINDS.contains(kind)) {
                return Err(AcsError::invalid_parameter(
                    "Kind",
                    format!("{kind:?} is not Notify, Approve or HttpRequest"),
                ));
            }
            let query = SandboxLetterQuery {
                execution_id: rpc.get("ExecutionId").map(str::to_owned),
                kind,
                limit,
            };
            api.store
                .sandbox_letters(&query)
                .await
                .map_err(error::store)?
        }
    };
    let mut fields = Map::new();
    fields.insert(
        "Letters".into(),
        Value::Array(letters.iter().map(letter_json).collect()),
    );
    Ok(fields)
}

pub async fn clear(api: &Api) -> Result<Fields, AcsError> {
    let cleared = api
        .store
        .clear_sandbox_inbox()
        .await
        .map_err(error::store)?;
    let mut fields = Map::new();
    fields.insert("Cleared".into(), Value::from(cleared));
    Ok(fields)
}
