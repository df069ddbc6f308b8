//! What the actions share: paging, dates, sort order and the JSON shapes of tags and stored documents.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Map, Value};

use crate::api::Fields;

/// One page of a list action: `MaxResults` (1–100, default 50) and the opaque `NextToken`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub offset: i64,
    pub limit: i64,
}

impl Page {
    pub fn from_request(rpc: &RpcRequest) -> Result<Self, AcsError> {
        let limit = rpc.int("MaxResults")?.unwrap_or(50);
        if !(1..=100).contains(&limit) {
            return Err(AcsError::invalid_parameter("MaxResults", format!("must be between 1 and 100, got {limit}")));
        }
        let offset = match rpc.get("NextToken") {
            None => 0,
            Some(token) => token.parse::<i64>().ok().filter(|offset| *offset >= 0).ok_or_else(|| AcsError::invalid_parameter("NextToken", "not a token this server issued"))?,
        };
        Ok(Self { offset, limit })
    }

    /// Adds `MaxResults` and `NextToken` (only when more rows follow) to a list answer.
    pub fn finish(&self, fields: &mut Fields, rows_on_page: usize, more: bool) {
        fields.insert("MaxResults".into(), Value::from(self.limit));
        if more {
            fields.insert("NextToken".into(), Value::from((self.offset + rows_on_page as i64).to_string()));
        }
    }
}

/// OOS date text (`2019-05-16T10:26:14Z`) of unix milliseconds.
pub(crate) fn date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

/// A date parameter as unix milliseconds.
pub(crate) fn date_param(rpc: &RpcRequest, name: &str) -> Result<Option<i64>, AcsError> {
    rpc.get(name)
        .map(|text| {
            text.trim().parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).map_err(|_| AcsError::invalid_parameter(name, format!("{text:?} is not a date like 2019-05-16T10:26:14Z")))
        })
        .transpose()
}

/// `Ascending` / `Descending` (default descending).
pub(crate) fn ascending(rpc: &RpcRequest) -> Result<bool, AcsError> {
    match rpc.get("SortOrder") {
        None => Ok(false),
        Some(order) if order.eq_ignore_ascii_case("Ascending") => Ok(true),
        Some(order) if order.eq_ignore_ascii_case("Descending") => Ok(false),
        Some(order) => Err(AcsError::invalid_parameter("SortOrder", format!("{order:?} is neither Ascending nor Descending"))),
    }
}

/// A `Tags` parameter (JSON object) as text, checked.
pub(crate) fn tags_param(rpc: &RpcRequest) -> Result<Option<String>, AcsError> {
    Ok(rpc.json::<Map<String, Value>>("Tags")?.map(|tags| Value::Object(tags).to_string()))
}

/// A `Tags` filter as (key, value) pairs.
pub(crate) fn tag_filter(rpc: &RpcRequest) -> Result<Vec<(String, String)>, AcsError> {
    let tags = rpc.json::<Map<String, Value>>("Tags")?.unwrap_or_default();
    Ok(tags.into_iter().map(|(key, value)| (key, value.as_str().map_or_else(|| value.to_string(), str::to_string))).collect())
}

/// A stored JSON document parsed back (an object when unreadable or absent).
pub(crate) fn json_object(text: Option<&str>) -> Value {
    text.and_then(|text| serde_json::from_str(text).ok()).unwrap_or_else(|| Value::Object(Map::new()))
}
