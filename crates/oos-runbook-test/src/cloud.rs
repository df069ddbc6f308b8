//! Assertions on the emulated cloud after a case: select resources of one kind by tags and fields,
//! then check how many there are (overall, or per resource of a related kind) and what fields they
//! hold. Resources are seen as the official Describe actions show them; evaluation is pure.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::matcher::Matcher;

/// A resource kind and the Describe action that lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kind {
    pub name: &'static str,
    /// `ECS`, `VPC` or `SLB`.
    pub product: &'static str,
    pub action: &'static str,
    /// Where the list is in the answer.
    pub list: [&'static str; 2],
    /// The field holding the resource's id.
    pub id: &'static str,
    /// Extra request parameters.
    pub extra: &'static [(&'static str, &'static str)],
}

/// Every kind a spec can name.
pub const KINDS: [Kind; 7] = [
    Kind {
        name: "instances",
        product: "ECS",
        action: "DescribeInstances",
        list: ["Instances", "Instance"],
        id: "InstanceId",
        extra: &[],
    },
    Kind {
        name: "disks",
        product: "ECS",
        action: "DescribeDisks",
        list: ["Disks", "Disk"],
        id: "DiskId",
        extra: &[],
    },
    Kind {
        name: "snapshots",
        product: "ECS",
        action: "DescribeSnapshots",
        list: ["Snapshots", "Snapshot"],
        id: "SnapshotId",
        extra: &[],
    },
    Kind {
        name: "images",
        product: "ECS",
        action: "DescribeImages",
        list: ["Images", "Image"],
        id: "ImageId",
        extra: &[("ImageOwnerAlias", "self")],
    },
    Kind {
        name: "security_groups",
        product: "ECS",
        action: "DescribeSecurityGroups",
        list: ["SecurityGroups", "SecurityGroup"],
        id: "SecurityGroupId",
        extra: &[],
    },
    Kind {
        name: "eips",
        product: "VPC",
        action: "DescribeEipAddresses",
        list: ["EipAddresses", "EipAddress"],
        id: "AllocationId",
        extra: &[],
    },
    Kind {
        name: "load_balancers",
        product: "SLB",
        action: "DescribeLoadBalancers",
        list: ["LoadBalancers", "LoadBalancer"],
        id: "LoadBalancerId",
        extra: &[],
    },
];

/// (resources of this kind, belong to resources of that kind, through this field).
const LINKS: [(&str, &str, &str); 2] = [
    ("snapshots", "disks", "SourceDiskId"),
    ("disks", "instances", "InstanceId"),
];

impl Kind {
    pub fn named(name: &str) -> Option<Kind> {
        KINDS.into_iter().find(|kind| kind.name == name)
    }

    /// The field through which resources of this kind belong to `owner`, if they do.
    pub fn link_to(&self, owner: &Kind) -> Option<&'static str> {
        LINKS
            .iter()
            .find(|(from, to, _)| *from == self.name && *to == owner.name)
            .map(|(_, _, field)| *field)
    }
}

/// Which resources: every `tags` entry and every field must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub tags: Vec<(String, Matcher)>,
    /// Field (dotted for nested objects) → matcher.
    pub fields: Vec<(String, Matcher)>,
}

/// One entry of `expect.cloud`.
#[derive(Debug, Clone)]
pub struct CloudAssertion {
    pub kind: Kind,
    pub filter: Filter,
    pub count: Option<Matcher>,
    pub all: Option<Filter>,
    pub any: Option<Filter>,
    pub none: Option<Filter>,
    /// Group by the resources of this kind (filtered) that they belong to.
    pub per: Option<(Kind, Filter)>,
}

/// The emulated cloud as the Describe actions show it, by kind name.
pub type Snapshot = BTreeMap<&'static str, Vec<Value>>;

impl Filter {
    /// Whether `resource` matches.
    pub fn holds(&self, resource: &Value) -> bool {
        self.failure(resource).is_none()
    }

    /// The first field that does not match, with why.
    pub fn failure(&self, resource: &Value) -> Option<String> {
        let tags = tags_of(resource);
        for (key, matcher) in &self.tags {
            if let Err(why) = matcher.check(tags.get(key)) {
                return Some(format!("tag {key} {why}"));
            }
        }
        for (field, matcher) in &self.fields {
            if let Err(why) = matcher.check(field_of(resource, field)) {
                return Some(format!("{field} {why}"));
            }
        }
        None
    }

    /// The fields this filter names, from `resource` (for showing it).
    fn shown(&self, resource: &Value) -> Value {
        let tags = tags_of(resource);
        let mut shown = serde_json::Map::new();
        for (key, _) in &self.tags {
            shown.insert(
                format!("tags.{key}"),
                tags.get(key).cloned().unwrap_or(Value::Null),
            );
        }
        for (field, _) in &self.fields {
            shown.insert(
                field.clone(),
                field_of(resource, field).cloned().unwrap_or(Value::Null),
            );
        }
        Value::Object(shown)
    }
}

/// A nested field by its dotted name.
fn field_of<'a>(resource: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(resource, |value, key| value.get(key))
}

/// The resource's tags (`Tags.Tag[]` of `{TagKey, TagValue}` or `{Key, Value}`).
fn tags_of(resource: &Value) -> BTreeMap<String, Value> {
    let list = resource
        .pointer("/Tags/Tag")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.iter()
        .filter_map(|tag| {
            let key = tag.get("TagKey").or_else(|| tag.get("Key"))?.as_str()?;
            let value = tag
                .get("TagValue")
                .or_else(|| tag.get("Value"))
                .cloned()
                .unwrap_or(Value::Null);
            Some((key.to_owned(), value))
        })
        .collect()
}

impl CloudAssertion {
    /// What does not hold in `cloud`, one line each (empty: it holds).
    pub fn check(&self, cloud: &Snapshot) -> Vec<String> {
        let selected: Vec<&Value> = cloud
            .get(self.kind.name)
            .into_iter()
            .flatten()
            .filter(|resource| self.filter.holds(resource))
            .collect();
        let mut problems = Vec::new();
        let id = |resource: &Value| {
            resource
                .get(self.kind.id)
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned()
        };
        match &self.per {
            Some((owner, owner_filter)) => {
                let link = self.kind.link_to(owner).unwrap_or(owner.id);
                let count = self.count.clone().unwrap_or_else(|| {
                    Matcher::parse(&serde_json::json!({"min": 1}))
                        .unwrap_or_else(|_| Matcher::equal(Value::from(1)))
                });
                for owner_resource in cloud
                    .get(owner.name)
                    .into_iter()
                    .flatten()
                    .filter(|resource| owner_filter.holds(resource))
                {
                    let owner_id = owner_resource.get(owner.id).cloned().unwrap_or(Value::Null);
                    let n = selected
                        .iter()
                        .filter(|resource| resource.get(link) == Some(&owner_id))
                        .count();
                    if let Err(why) = count.check(Some(&Value::from(n))) {
                        problems.push(format!(
                            "{} of {} {}: count {n} {why}",
                            self.kind.name,
                            owner.name,
                            owner_id.as_str().unwrap_or("?")
                        ));
                    }
                }
            }
            None => {
                if let Some(count) = &self.count
                    && let Err(why) = count.check(Some(&Value::from(selected.len())))
                {
                    let ids: Vec<String> = selected.iter().map(|resource| id(resource)).collect();
                    problems.push(format!(
                        "count {} {why} (selected: {})",
                        selected.len(),
                        ids.join(", ")
                    ));
                }
            }
        }
        if let Some(all) = &self.all {
            for resource in &selected {
                if let Some(why) = all.failure(resource) {
                    problems.push(format!(
                        "all: {} {why} (has {})",
                        id(resource),
                        all.shown(resource)
                    ));
                }
            }
        }
        if let Some(any) = &self.any
            && !selected.iter().any(|resource| any.holds(resource))
        {
            let seen: Vec<String> = selected
                .iter()
                .map(|resource| format!("{} {}", id(resource), any.shown(resource)))
                .collect();
            problems.push(format!(
                "any: none of the {} selected matches (seen: {})",
                selected.len(),
                seen.join("; ")
            ));
        }
        if let Some(none) = &self.none {
            for resource in selected.iter().filter(|resource| none.holds(resource)) {
                problems.push(format!(
                    "none: {} matches (has {})",
                    id(resource),
                    none.shown(resource)
                ));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests;
