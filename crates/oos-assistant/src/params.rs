//! Reading the Cloud Assistant's request parameters: instance lists in every form the ECS API
//! takes, pages, bounded numbers.

use oos_acs::{AcsError, RpcRequest};

/// Most instances one invocation may name.
pub(crate) const MAX_INSTANCES: usize = 100;

/// `InstanceId.N` (or a JSON list in `InstanceIds`/`InstanceId`), de-duplicated in order; at most
/// [`MAX_INSTANCES`]; `required` refuses an empty list.
pub(crate) fn instance_ids(request: &RpcRequest, required: bool) -> Result<Vec<String>, AcsError> {
    let mut ids = request.repeated("InstanceId");
    for name in ["InstanceIds", "InstanceId"] {
        if let Some(text) = request.get(name) {
            match serde_json::from_str::<Vec<String>>(text) {
                Ok(list) => ids.extend(list),
                Err(_) if name == "InstanceId" => ids.push(text.to_string()),
                Err(error) => return Err(AcsError::invalid_parameter(name, error)),
            }
        }
    }
    let mut unique: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids.into_iter().map(|id| id.trim().to_string()).filter(|id| !id.is_empty()) {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    if required && unique.is_empty() {
        return Err(AcsError::missing_parameter("InstanceId"));
    }
    if unique.len() > MAX_INSTANCES {
        return Err(AcsError::invalid_parameter("InstanceId", format!("at most {MAX_INSTANCES} instances per call, got {}", unique.len())));
    }
    Ok(unique)
}

/// `PageNumber` (from 1) and `PageSize` (1..=50, default 10) as offset and limit.
pub(crate) fn page(request: &RpcRequest) -> Result<Page, AcsError> {
    let number = bounded(request, "PageNumber", 1, 1, i64::from(u32::MAX))?;
    let size = bounded(request, "PageSize", 10, 1, 50)?;
    Ok(Page { number, size })
}

/// One page of a listing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub number: i64,
    pub size: i64,
}

impl Page {
    pub fn offset(self) -> i64 {
        (self.number - 1) * self.size
    }

    /// `fields` with the paging fields of an answer: `TotalCount`, `PageNumber`, `PageSize`.
    pub fn answer(self, mut fields: crate::Fields, total: usize) -> crate::Fields {
        fields.insert("TotalCount".into(), serde_json::json!(total));
        fields.insert("PageNumber".into(), serde_json::json!(self.number));
        fields.insert("PageSize".into(), serde_json::json!(self.size));
        fields
    }

    /// The items of this page out of all of them.
    pub fn of<T: Clone>(self, all: &[T]) -> Vec<T> {
        let start = usize::try_from(self.offset()).unwrap_or(usize::MAX).min(all.len());
        let end = start.saturating_add(usize::try_from(self.size).unwrap_or(0)).min(all.len());
        all[start..end].to_vec()
    }
}

/// An integer parameter within `min..=max`, `default` when absent.
pub(crate) fn bounded(request: &RpcRequest, name: &str, default: i64, min: i64, max: i64) -> Result<i64, AcsError> {
    let value = request.int(name)?.unwrap_or(default);
    if !(min..=max).contains(&value) {
        return Err(AcsError::invalid_parameter(name, format!("must be between {min} and {max}, got {value}")));
    }
    Ok(value)
}

/// A text parameter of at most `max` characters (empty when absent).
pub(crate) fn text(request: &RpcRequest, name: &str, max: usize) -> Result<String, AcsError> {
    let value = request.get(name).unwrap_or_default();
    if value.chars().count() > max {
        return Err(AcsError::invalid_parameter(name, format!("longer than {max} characters")));
    }
    Ok(value.to_string())
}
