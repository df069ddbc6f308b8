//! Built-in (system) policies, named as in Alibaba Cloud RAM.

use std::sync::{Arc, LazyLock};

use crate::policy::{Policy, PolicyType};

/// (name, description, document) of every system policy.
pub const SYSTEM_POLICIES: &[(&str, &str, &str)] = &[
    (
        "AdministratorAccess",
        "Full access to every service",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ),
    (
        "AliyunOOSFullAccess",
        "Full access to OOS, and passing roles to OOS",
        r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"oos:*","Resource":"*"},
            {"Effect":"Allow","Action":"ram:PassRole","Resource":"*","Condition":{"StringEquals":{"acs:Service":"oos.aliyuncs.com"}}}]}"#,
    ),
    (
        "AliyunOOSReadOnlyAccess",
        "Read-only access to OOS",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oos:Get*","oos:List*","oos:Describe*"],"Resource":"*"}]}"#,
    ),
    (
        "AliyunECSFullAccess",
        "Full access to ECS",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}"#,
    ),
    (
        "AliyunECSReadOnlyAccess",
        "Read-only access to ECS",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:Describe*","ecs:List*"],"Resource":"*"}]}"#,
    ),
    (
        "AliyunRAMFullAccess",
        "Full access to users, groups, roles, policies and AccessKeys",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:*","Resource":"*"}]}"#,
    ),
    (
        "AliyunRAMReadOnlyAccess",
        "Read-only access to RAM",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["ram:Get*","ram:List*"],"Resource":"*"}]}"#,
    ),
];

static PARSED: LazyLock<Vec<Arc<Policy>>> = LazyLock::new(|| {
    SYSTEM_POLICIES
        .iter()
        .map(|(name, _, document)| {
            Policy::parse(name, PolicyType::System, document)
                .map(Arc::new)
                .unwrap_or_else(|e| panic!("system policy {name} is invalid: {e}"))
        })
        .collect()
});

/// The parsed system policy called `name` (exact match).
pub fn system_policy(name: &str) -> Option<Arc<Policy>> {
    PARSED.iter().find(|p| p.name == name).cloned()
}
