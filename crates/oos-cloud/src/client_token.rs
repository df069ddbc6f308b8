//! Which APIs take a `ClientToken` (the service's idempotency key), so a mutating call that is
//! re-driven after a crash carries the same token and is not applied twice.

use serde_json::{Map, Value};

/// `(product, API)` pairs documented with a `ClientToken` parameter.
const ACCEPTS_CLIENT_TOKEN: &[(&str, &[&str])] = &[
    (
        "ecs",
        &[
            "RunInstances",
            "CreateInstance",
            "CreateSnapshot",
            "CreateImage",
            "CopyImage",
            "CreateDisk",
            "ResizeDisk",
            "ReplaceSystemDisk",
            "CreateSecurityGroup",
            "AuthorizeSecurityGroup",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroup",
            "RevokeSecurityGroupEgress",
            "ModifyInstanceSpec",
            "ModifyPrepayInstanceSpec",
            "ModifyInstanceChargeType",
            "RenewInstance",
            "CreateCommand",
            "RunCommand",
            "InvokeCommand",
            "CreateLaunchTemplate",
            "CreateNetworkInterface",
            "AllocateEipAddress",
            "CreateSnapshotGroup",
            "CreateAutoSnapshotPolicy",
            "CreateKeyPair",
            "ImportImage",
            "ExportImage",
        ],
    ),
    (
        "vpc",
        &[
            "AllocateEipAddress",
            "AssociateEipAddress",
            "UnassociateEipAddress",
            "ReleaseEipAddress",
            "CreateVpc",
            "CreateVSwitch",
            "CreateNatGateway",
            "CreateSnatEntry",
            "CreateForwardEntry",
        ],
    ),
    ("slb", &["CreateLoadBalancer"]),
    ("rds", &["CreateDBInstance", "CreateBackup", "CloneDBInstance"]),
    ("oos", &["StartExecution"]),
    ("ros", &["CreateStack", "UpdateStack", "DeleteStack"]),
    ("ess", &["CreateScalingGroup", "ScaleWithAdjustment", "ExecuteScalingRule"]),
];

/// Alibaba limits ClientToken to 64 ASCII characters.
const MAX_CLIENT_TOKEN_LEN: usize = 64;

/// Whether `api` of `service` takes a `ClientToken` (both case-insensitive).
pub fn accepts_client_token(service: &str, api: &str) -> bool {
    ACCEPTS_CLIENT_TOKEN.iter().any(|(code, apis)| {
        code.eq_ignore_ascii_case(service) && apis.iter().any(|name| name.eq_ignore_ascii_case(api))
    })
}

/// Adds `ClientToken` when the API takes one, the caller did not set it and a token exists.
pub fn apply(service: &str, api: &str, token: &str, parameters: &mut Map<String, Value>) {
    if token.is_empty() || parameters.contains_key("ClientToken") || !accepts_client_token(service, api) {
        return;
    }
    let usable: String = token.chars().filter(char::is_ascii).take(MAX_CLIENT_TOKEN_LEN).collect();
    parameters.insert("ClientToken".to_owned(), Value::String(usable));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn mutating_apis_get_the_stable_token() {
        let mut parameters = Map::new();
        apply("ECS", "runinstances", "exec-1:task-2:0", &mut parameters);
        assert_eq!(parameters["ClientToken"], "exec-1:task-2:0");
        let mut parameters = Map::new();
        apply("ecs", "DescribeInstances", "exec-1:task-2:0", &mut parameters);
        assert!(parameters.is_empty());
    }

    #[test]
    fn caller_token_wins_and_long_tokens_are_cut() {
        let mut parameters = json!({"ClientToken": "mine"}).as_object().unwrap().clone();
        apply("ecs", "CreateSnapshot", "engine", &mut parameters);
        assert_eq!(parameters["ClientToken"], "mine");
        let mut parameters = Map::new();
        apply("ecs", "CreateImage", &"x".repeat(100), &mut parameters);
        assert_eq!(parameters["ClientToken"].as_str().unwrap().len(), 64);
    }
}
