//! AutoPaging: find a response's list, decide the next page (NextToken or PageNumber style) and
//! merge every page's items into the first response.
//!
//! Decisions (docs/cloud-client.md): paging is off when the caller passed `NextToken` or
//! `PageNumber` (they asked for one page); `PageSize`/`MaxResults` alone are kept as the page
//! size. The list is the response's single array-valued container (`Templates: [...]` or the
//! ECS wrapper `Instances: {Instance: [...]}`); with none or several, the first page is returned.

use serde_json::{Map, Value};

/// Parameters that mean "I am paging myself".
const EXPLICIT_PAGE_PARAMETERS: &[&str] = &["NextToken", "PageNumber"];

/// Whether AutoPaging applies to a request with these parameters.
pub fn applies(auto_paging: bool, parameters: &Map<String, Value>) -> bool {
    auto_paging && !EXPLICIT_PAGE_PARAMETERS.iter().any(|name| parameters.contains_key(*name))
}

/// The parameter to add for the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextPage {
    NextToken(String),
    PageNumber(u64),
}

impl NextPage {
    /// The wire pair to add to the request.
    pub fn parameter(&self) -> (String, String) {
        match self {
            Self::NextToken(token) => ("NextToken".to_owned(), token.clone()),
            Self::PageNumber(number) => ("PageNumber".to_owned(), number.to_string()),
        }
    }
}

/// Collects pages into the first response.
#[derive(Debug)]
pub struct PageMerger {
    first: Value,
    path: [String; 2],
    depth: usize,
    items: Vec<Value>,
    page_number: u64,
    last_token: Option<String>,
    /// The first answer echoed `PageNumber`/`PageSize`/`TotalCount`: page by number even if a
    /// `NextToken` is also present (its page size would differ from the caller's `PageSize`).
    by_page_number: bool,
}

impl PageMerger {
    /// Starts from the first page; `None` when the response has no single list to merge into.
    pub fn new(first: Value) -> Option<Self> {
        let (path, depth) = list_path(&first)?;
        let items = list_at(&first, &path, depth).cloned().unwrap_or_default();
        let page_number = number(&first, "PageNumber").unwrap_or(1);
        let last_token = token(&first);
        let by_page_number = ["PageNumber", "PageSize", "TotalCount"].iter().all(|key| number(&first, key).is_some());
        Some(Self { first, path, depth, items, page_number, last_token, by_page_number })
    }

    /// Which page to fetch next, if any; `latest` is the page just absorbed (the first page at start).
    pub fn next(&self, latest_page_len: usize) -> Option<NextPage> {
        if self.by_page_number {
            let total = number(&self.first, "TotalCount")?;
            let more = latest_page_len > 0 && (self.items.len() as u64) < total;
            return more.then_some(NextPage::PageNumber(self.page_number + 1));
        }
        self.last_token.clone().map(NextPage::NextToken)
    }

    /// Number of items in the first page (for the first call of [`next`](Self::next)).
    pub fn collected(&self) -> usize {
        self.items.len()
    }

    /// Adds one page's items; returns how many it held. A repeated NextToken ends paging.
    pub fn absorb(&mut self, page: &Value) -> usize {
        let page_items = list_at(page, &self.path, self.depth).cloned().unwrap_or_default();
        let count = page_items.len();
        self.items.extend(page_items);
        self.page_number = number(page, "PageNumber").unwrap_or(self.page_number + 1);
        let new_token = token(page);
        self.last_token = if new_token == self.last_token { None } else { new_token };
        count
    }

    /// The first response with every page's items in its list and an empty `NextToken`.
    pub fn finish(mut self) -> Value {
        let items = std::mem::take(&mut self.items);
        if let Some(object) = self.first.as_object_mut() {
            if object.contains_key("NextToken") {
                object.insert("NextToken".to_owned(), Value::String(String::new()));
            }
            let outer = object.get_mut(&self.path[0]);
            let slot = if self.depth == 1 { outer } else { outer.and_then(|inner| inner.get_mut(&self.path[1])) };
            if let Some(slot) = slot {
                *slot = Value::Array(items);
            }
        }
        self.first
    }
}

/// The path to the response's single list: `[key]` (depth 1) or `[wrapper, key]` (depth 2).
fn list_path(response: &Value) -> Option<([String; 2], usize)> {
    let mut found = None;
    for (key, value) in response.as_object()? {
        let candidate = match value {
            Value::Array(_) => Some(([key.clone(), String::new()], 1)),
            Value::Object(inner) if inner.len() == 1 => {
                let (inner_key, inner_value) = inner.iter().next()?;
                inner_value.is_array().then(|| ([key.clone(), inner_key.clone()], 2))
            }
            _ => None,
        };
        if candidate.is_some() {
            if found.is_some() {
                return None;
            }
            found = candidate;
        }
    }
    found
}

fn list_at<'a>(response: &'a Value, path: &[String; 2], depth: usize) -> Option<&'a Vec<Value>> {
    let outer = response.get(&path[0])?;
    let list = if depth == 1 { outer } else { outer.get(&path[1])? };
    list.as_array()
}

fn number(response: &Value, key: &str) -> Option<u64> {
    match response.get(key)? {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

fn token(response: &Value) -> Option<String> {
    response.get("NextToken")?.as_str().filter(|token| !token.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ecs_page(ids: &[&str], number: u64, total: u64) -> Value {
        let instances: Vec<Value> = ids.iter().map(|id| json!({"InstanceId": id})).collect();
        json!({"RequestId": "r", "TotalCount": total, "PageNumber": number, "PageSize": 2, "Instances": {"Instance": instances}})
    }

    #[test]
    fn explicit_page_parameters_turn_paging_off() {
        let mut parameters = Map::new();
        assert!(applies(true, &parameters));
        assert!(!applies(false, &parameters));
        parameters.insert("PageSize".into(), json!(50));
        assert!(applies(true, &parameters));
        parameters.insert("PageNumber".into(), json!(3));
        assert!(!applies(true, &parameters));
    }

    #[test]
    fn page_number_style_merges_into_the_ecs_wrapper() {
        let mut merger = PageMerger::new(ecs_page(&["i-1", "i-2"], 1, 5)).unwrap();
        assert_eq!(merger.next(merger.collected()), Some(NextPage::PageNumber(2)));
        let count = merger.absorb(&ecs_page(&["i-3", "i-4"], 2, 5));
        assert_eq!(merger.next(count), Some(NextPage::PageNumber(3)));
        let count = merger.absorb(&ecs_page(&["i-5"], 3, 5));
        assert_eq!(merger.next(count), None);
        let merged = merger.finish();
        let ids: Vec<&str> = merged["Instances"]["Instance"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["InstanceId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["i-1", "i-2", "i-3", "i-4", "i-5"]);
        assert_eq!(merged["TotalCount"], 5);
    }

    #[test]
    fn an_empty_page_stops_page_number_paging() {
        let mut merger = PageMerger::new(ecs_page(&["i-1", "i-2"], 1, 9)).unwrap();
        let count = merger.absorb(&ecs_page(&[], 2, 9));
        assert_eq!(merger.next(count), None);
    }

    #[test]
    fn next_token_style_with_bare_arrays() {
        let first = json!({"RequestId": "a", "MaxResults": 2, "NextToken": "t1", "Templates": [{"n": 1}, {"n": 2}]});
        let mut merger = PageMerger::new(first).unwrap();
        assert_eq!(merger.next(2), Some(NextPage::NextToken("t1".into())));
        let count = merger.absorb(&json!({"RequestId": "b", "NextToken": "", "Templates": [{"n": 3}]}));
        assert_eq!(merger.next(count), None);
        let merged = merger.finish();
        assert_eq!(merged["Templates"], json!([{"n": 1}, {"n": 2}, {"n": 3}]));
        assert_eq!(merged["NextToken"], "");
        assert_eq!(merged["RequestId"], "a");
    }

    #[test]
    fn page_number_answers_page_by_number_even_with_a_token() {
        let mut first = ecs_page(&["i-1", "i-2"], 1, 3);
        first["NextToken"] = json!("nt-2");
        let merger = PageMerger::new(first).unwrap();
        assert_eq!(merger.next(2), Some(NextPage::PageNumber(2)));
    }

    #[test]
    fn a_repeated_token_ends_paging() {
        let mut merger = PageMerger::new(json!({"NextToken": "same", "Items": [1]})).unwrap();
        let count = merger.absorb(&json!({"NextToken": "same", "Items": [2]}));
        assert_eq!(merger.next(count), None);
    }

    #[test]
    fn no_single_list_means_no_merger() {
        assert!(PageMerger::new(json!({"RequestId": "r", "SnapshotId": "s-1"})).is_none());
        assert!(PageMerger::new(json!({"A": [1], "B": {"C": [2]}})).is_none());
    }
}
