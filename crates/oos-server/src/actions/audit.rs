//! OpenOOS extensions for the audit trail: ListAuditEvents (filters and paging over the records) and
//! VerifyAuditTrail (walk the hash chain, name the first broken record).

use oos_acs::{AcsError, RpcRequest};
use oos_store::audit::{AuditKind, AuditQuery, AuditRecord};
use serde_json::{Map, Value, json};

use super::common::{Page, ascending, date, date_param, json_object};
use crate::error;
use crate::api::{Api, Fields};

/// A record as ListAuditEvents shows it: the chain fields and the body as an object.
fn event_json(record: &AuditRecord) -> Value {
    json!({
        "Seq": record.seq,
        "EventTime": date(record.time_ms),
        "EventTimeMillis": record.time_ms,
        "Kind": record.kind,
        "Event": json_object(Some(&record.body)),
        "PrevHash": record.prev_hash,
        "Hash": record.hash,
    })
}

pub async fn list(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let kind = rpc
        .get("Kind")
        .map(|text| AuditKind::parse(text).ok_or_else(|| AcsError::invalid_parameter("Kind", format!("{text:?} is not ApiCall, CloudCall or HttpCall"))))
        .transpose()?;
    let text = |name: &str| rpc.get(name).map(str::to_string);
    let query = AuditQuery {
        since_ms: date_param(rpc, "StartTime")?,
        until_ms: date_param(rpc, "EndTime")?,
        principal: text("Principal"),
        action: text("EventAction"),
        execution_id: text("ExecutionId"),
        kind,
        // Oldest first unless asked: the order ListAuditEvents always had.
        newest_first: rpc.get("SortOrder").is_some() && !ascending(rpc)?,
        offset: page.offset,
        limit: page.limit + 1,
    };
    let mut records = api.store.audit_records(&query).await.map_err(error::store)?;
    let more = records.len() as i64 > page.limit;
    records.truncate(page.limit as usize);
    let mut fields = Map::new();
    fields.insert("AuditEvents".into(), Value::Array(records.iter().map(event_json).collect()));
    page.finish(&mut fields, records.len(), more);
    Ok(fields)
}

pub async fn verify(api: &Api) -> Result<Fields, AcsError> {
    let verification = api.store.verify_audit().await.map_err(error::store)?;
    let mut fields = Map::new();
    fields.insert("Valid".into(), Value::Bool(verification.broken.is_none()));
    fields.insert("RecordCount".into(), Value::from(verification.records));
    fields.insert("HeadSeq".into(), Value::from(verification.head_seq));
    fields.insert("HeadHash".into(), Value::String(verification.head_hash));
    fields.insert("FirstSeq".into(), Value::from(verification.first_seq));
    if let Some(broken) = verification.broken {
        fields.insert("BrokenSeq".into(), Value::from(broken.seq));
        fields.insert("Reason".into(), Value::String(broken.reason.as_str().to_string()));
        fields.insert("Detail".into(), Value::String(broken.detail));
    }
    Ok(fields)
}
