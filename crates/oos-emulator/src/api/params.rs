//! Parameter conventions shared by the actions: id lists in any of their wire forms, tags,
//! regions, paging (PageNumber/PageSize and NextToken/MaxResults).

use jiff::Timestamp;
use oos_acs::{AcsError, RpcRequest};
use serde_json::{Map, Value, json};

use crate::errors::{INVALID_REGION_ID_NOT_FOUND, dry_run};
use crate::state::Cloud;

/// What a handler knows besides the request: the time, the transition delay, the region
/// used when a request names none.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub now: Timestamp,
    pub delay_ms: i64,
    pub default_region: String,
}

impl Ctx {
    /// `RegionId` of the request, else the default; must be a served region.
    pub fn region(&self, cloud: &Cloud, request: &RpcRequest) -> Result<String, AcsError> {
        let region = request
            .get("RegionId")
            .unwrap_or(&self.default_region)
            .to_string();
        if cloud.region(&region).is_none() {
            return Err(AcsError::new(
                INVALID_REGION_ID_NOT_FOUND,
                format!("The specified RegionId does not exist: {region}."),
            ));
        }
        Ok(region)
    }
}

/// Fails with `DryRunOperation` when `DryRun=true` (after the caller validated the request).
pub fn check_dry_run(request: &RpcRequest) -> Result<(), AcsError> {
    if request.bool("DryRun")?.unwrap_or(false) {
        Err(dry_run())
    } else {
        Ok(())
    }
}

/// `ids` with those given in ESS's older numbered form (`ScalingGroupId1` … `ScalingGroupId20`).
pub fn with_numbered(ids: Option<Vec<String>>, request: &RpcRequest, name: &str) -> Option<Vec<String>> {
    let numbered: Vec<String> = (1..=20)
        .filter_map(|number| request.get(&format!("{name}{number}")).map(str::to_owned))
        .collect();
    if numbered.is_empty() {
        return ids;
    }
    Some([ids.unwrap_or_default(), numbered].concat())
}

/// The ids of a comma-separated parameter (`InstanceId=i-1,i-2`), blanks trimmed; `None` when absent.
pub fn comma_ids<'a>(request: &'a RpcRequest, name: &str) -> Option<Vec<&'a str>> {
    request
        .get(name)
        .map(|ids| ids.split(',').map(str::trim).collect())
}

/// A list of ids sent as a JSON array string (`InstanceIds=["i-1"]`), as `Singular.N`
/// repeats, or as `Plural.N` repeats. `None` when the request has none of them.
pub fn id_list(
    request: &RpcRequest,
    plural: &str,
    singular: &str,
) -> Result<Option<Vec<String>>, AcsError> {
    if let Some(raw) = request.get(plural) {
        let parsed: Value = serde_json::from_str(raw)
            .map_err(|error| AcsError::invalid_parameter(plural, error))?;
        return match parsed {
            Value::Array(items) => Ok(Some(
                items
                    .iter()
                    .map(|item| {
                        // ECS ignores blanks around an id (ACS-ECS-RestoreDataWithSnapshot sends
                        // `["i-… "]`).
                        item.as_str()
                            .map_or_else(|| item.to_string(), |id| id.trim().to_owned())
                    })
                    .collect(),
            )),
            Value::String(single) => Ok(Some(vec![single])),
            _ => Err(AcsError::invalid_parameter(
                plural,
                "expected a JSON array of ids",
            )),
        };
    }
    let repeated = [request.repeated(singular), request.repeated(plural)].concat();
    Ok((!repeated.is_empty()).then_some(repeated))
}

/// Tags sent as `Tag.N.Key/Value`, `Tags.N.Key/Value`, or a JSON `Tags` parameter (an object
/// `{"k":"v"}` or an array `[{"Key":..,"Value":..}]`).
pub fn tag_list(request: &RpcRequest) -> Result<Vec<(String, String)>, AcsError> {
    let mut tags = request.tags("Tag");
    tags.extend(request.tags("Tags"));
    if let Some(raw) = request
        .get("Tags")
        .filter(|raw| raw.trim_start().starts_with(['{', '[']))
    {
        let parsed: Value = serde_json::from_str(raw)
            .map_err(|error| AcsError::invalid_parameter("Tags", error))?;
        let text = |value: &Value| {
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string)
        };
        match parsed {
            Value::Object(map) => {
                tags.extend(map.iter().map(|(key, value)| (key.clone(), text(value))))
            }
            Value::Array(items) => {
                for item in items {
                    let key = item.get("Key").or_else(|| item.get("TagKey")).map(text);
                    let value = item
                        .get("Value")
                        .or_else(|| item.get("TagValue"))
                        .map(text)
                        .unwrap_or_default();
                    tags.push((
                        key.ok_or_else(|| {
                            AcsError::invalid_parameter("Tags", "an item has no Key")
                        })?,
                        value,
                    ));
                }
            }
            _ => {
                return Err(AcsError::invalid_parameter(
                    "Tags",
                    "expected an object or an array",
                ));
            }
        }
    }
    Ok(tags)
}

/// True when `tags` holds every `(key, value)` filter (an empty value matches any value).
pub fn matches_tags(tags: &crate::model::Tags, filters: &[(String, String)]) -> bool {
    filters.iter().all(|(key, value)| {
        tags.get(key)
            .is_some_and(|actual| value.is_empty() || actual == value)
    })
}

/// `{"Tag": [{"TagKey","TagValue"}]}`.
pub fn tags_json(tags: &crate::model::Tags) -> Value {
    json!({"Tag": tags.iter().map(|(key, value)| json!({"TagKey": key, "TagValue": value})).collect::<Vec<_>>()})
}

/// Page limits of one Describe action.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    pub default_size: i64,
    pub max_size: i64,
    /// Whether the action also pages with `NextToken`/`MaxResults`.
    pub token_paging: bool,
}

impl PageLimits {
    /// `PageNumber`/`PageSize` paging, 10 a page by default, at most 100.
    pub const NUMBERED_100: PageLimits = PageLimits {
        default_size: 10,
        max_size: 100,
        token_paging: false,
    };
    /// The same, at most 50 a page.
    pub const NUMBERED_50: PageLimits = PageLimits {
        default_size: 10,
        max_size: 50,
        token_paging: false,
    };
    /// Page numbers or `NextToken`/`MaxResults`, 10 a page by default, at most 100.
    pub const TOKEN_100: PageLimits = PageLimits {
        default_size: 10,
        max_size: 100,
        token_paging: true,
    };
}

/// Cuts `items` to the requested page and returns the paging fields to merge into the body
/// (`TotalCount`, `PageNumber`, `PageSize`, and `NextToken` when the action has it).
pub fn paginate<T>(
    request: &RpcRequest,
    items: Vec<T>,
    limits: PageLimits,
) -> Result<(Vec<T>, Map<String, Value>), AcsError> {
    let total = items.len();
    let mut fields = Map::new();
    let token_mode = limits.token_paging
        && (request.get("NextToken").is_some() || request.get("MaxResults").is_some());
    let (start, size) = if token_mode {
        let size = bounded(request, "MaxResults", limits)?;
        let start = match request.get("NextToken") {
            Some(token) => token
                .strip_prefix("nt-")
                .and_then(|offset| offset.parse::<usize>().ok())
                .ok_or_else(|| {
                    AcsError::invalid_parameter("NextToken", "not a token from a previous page")
                })?,
            None => 0,
        };
        (start, size)
    } else {
        let size = bounded(request, "PageSize", limits)?;
        let number = request.int("PageNumber")?.unwrap_or(1);
        if number < 1 {
            return Err(AcsError::invalid_parameter(
                "PageNumber",
                "must be at least 1",
            ));
        }
        fields.insert("PageNumber".into(), json!(number));
        fields.insert("PageSize".into(), json!(size));
        ((number as usize - 1).saturating_mul(size), size)
    };
    let page: Vec<T> = items.into_iter().skip(start).take(size).collect();
    fields.insert("TotalCount".into(), json!(total));
    if token_mode {
        fields.insert("MaxResults".into(), json!(size));
    }
    if limits.token_paging {
        let next = if start + page.len() < total {
            format!("nt-{}", start + page.len())
        } else {
            String::new()
        };
        fields.insert("NextToken".into(), json!(next));
    }
    Ok((page, fields))
}

fn bounded(request: &RpcRequest, name: &str, limits: PageLimits) -> Result<usize, AcsError> {
    let size = request.int(name)?.unwrap_or(limits.default_size);
    if !(1..=limits.max_size).contains(&size) {
        return Err(AcsError::invalid_parameter(
            name,
            format!("must be between 1 and {}", limits.max_size),
        ));
    }
    Ok(size as usize)
}

/// Merges paging fields and a list wrapper into one response body.
pub fn list_body(
    wrapper: &str,
    item: &str,
    items: Vec<Value>,
    paging: Map<String, Value>,
) -> Value {
    let mut body = paging;
    body.insert(wrapper.into(), json!({ item: items }));
    Value::Object(body)
}

/// Reads one text field of a resource.
pub type FieldGetter<T> = fn(&T) -> &str;

/// A text field of a resource that a Describe action filters on by equality.
pub type Field<T> = (&'static str, FieldGetter<T>);

/// The equality filters a request sets, looked up once per request (`all` matches anything).
pub struct FieldFilters<'a, T> {
    active: Vec<(&'a str, FieldGetter<T>)>,
}

impl<'a, T> FieldFilters<'a, T> {
    /// The filters among `fields` that `request` sets.
    pub fn new(request: &'a RpcRequest, fields: &[Field<T>]) -> Self {
        let active = fields
            .iter()
            .filter_map(|(name, get)| {
                request
                    .get(name)
                    .filter(|wanted| *wanted != "all")
                    .map(|wanted| (wanted, *get))
            })
            .collect();
        Self { active }
    }

    /// True when `item` passes every filter.
    pub fn matches(&self, item: &T) -> bool {
        self.active.iter().all(|(wanted, get)| get(item) == *wanted)
    }
}

/// Parses Alibaba times with or without seconds (`2024-01-01T00:00Z`, `…T00:00:00Z`).
fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    text.parse().ok().or_else(|| {
        text.strip_suffix('Z')
            .and_then(|minutes| format!("{minutes}:00Z").parse().ok())
    })
}

/// The creation-time window of `Filter.N.Key=CreationStartTime|CreationEndTime`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreationWindow {
    start: Option<Timestamp>,
    end: Option<Timestamp>,
}

impl CreationWindow {
    /// Reads the window from the `Filter.N.{Key,Value}` records.
    pub fn from_request(request: &RpcRequest) -> Result<Self, AcsError> {
        let mut window = Self::default();
        for (key, value) in request.tags("Filter") {
            let slot = match key.as_str() {
                "CreationStartTime" => &mut window.start,
                "CreationEndTime" => &mut window.end,
                _ => continue,
            };
            *slot = Some(parse_time(&value).ok_or_else(|| {
                AcsError::invalid_parameter(
                    &format!("Filter.{key}"),
                    format!("{value:?} is not a time like 2024-01-01T00:00Z"),
                )
            })?);
        }
        Ok(window)
    }

    /// True when `creation_time` lies inside the window (unparsable times are outside any
    /// bounded window).
    pub fn contains(&self, creation_time: &str) -> bool {
        if self.start.is_none() && self.end.is_none() {
            return true;
        }
        parse_time(creation_time).is_some_and(|time| {
            self.start.is_none_or(|start| time >= start) && self.end.is_none_or(|end| time <= end)
        })
    }
}

/// `item` with each field of `unmodelled` it lacks: the SDK model's fields for features the
/// emulator does not model (dedicated hosts, IPv6, bandwidth packages…), answered with the
/// values Alibaba Cloud gives a resource that does not use them (`tests/sdk_models.rs`).
pub fn with_unmodelled(mut item: Value, unmodelled: Value) -> Value {
    if let (Value::Object(fields), Value::Object(defaults)) = (&mut item, unmodelled) {
        for (key, value) in defaults {
            fields.entry(key).or_insert(value);
        }
    }
    item
}

/// A list parameter of the SDK's `Name.N` form that may also come as one plain value
/// (`NetworkInterfaceId=eni-1`) or a JSON array (`NetworkInterfaceId=["eni-1"]`). `None`
/// when absent.
pub fn repeated_or_single(
    request: &RpcRequest,
    name: &str,
) -> Result<Option<Vec<String>>, AcsError> {
    match request.get(name) {
        Some(raw) if raw.trim_start().starts_with('[') => id_list(request, name, name),
        Some(single) => Ok(Some(
            [vec![single.to_string()], request.repeated(name)].concat(),
        )),
        None => Ok(Some(request.repeated(name)).filter(|items| !items.is_empty())),
    }
}

/// The required `InstanceIds` list (JSON array or `InstanceId.N`) of at most `max` ids.
pub fn required_instance_ids(request: &RpcRequest, max: usize) -> Result<Vec<String>, AcsError> {
    let ids = id_list(request, "InstanceIds", "InstanceId")?
        .filter(|ids| !ids.is_empty())
        .ok_or_else(|| AcsError::missing_parameter("InstanceIds"))?;
    if ids.len() > max {
        return Err(AcsError::invalid_parameter(
            "InstanceIds",
            format!("at most {max} instances"),
        ));
    }
    Ok(ids)
}
