//! The RAM management API (Version 2015-05-01) through the signed endpoint: RAM's response shapes, the
//! referential rules with oos-iam's error codes and HTTP statuses, and AccessKeys that take effect at once.

mod api_client;

use oos_actions::CloudError;
use serde_json::{Value, json};
use api_client::{call, ram, start, user};

const RAM: &str = "2015-05-01";

/// The code and HTTP status of a refused call.
fn refusal(outcome: Result<Value, CloudError>) -> (String, Option<u16>) {
    match outcome {
        Ok(answer) => panic!("expected a refusal, got {answer}"),
        Err(error) => (error.code, error.http_status),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_groups_roles_and_policies_in_rams_shapes_with_its_rules() {
    let (server, root, _dir) = start().await;
    let created = ram(&root, "CreateUser", &[("UserName", "alice"), ("DisplayName", "Alice")]).await;
    assert_eq!((created["User"]["UserName"].as_str(), created["User"]["DisplayName"].as_str()), (Some("alice"), Some("Alice")));
    assert!(created["User"]["UserId"].as_str().is_some_and(|id| id.len() == 16), "{created}");
    assert_eq!(refusal(call(&root, RAM, "CreateUser", &[("UserName", "alice")]).await), ("EntityAlreadyExists.User".into(), Some(409)));
    assert_eq!(refusal(call(&root, RAM, "GetUser", &[("UserName", "bob")]).await), ("EntityNotExist.User".into(), Some(404)));
    assert_eq!(refusal(call(&root, RAM, "CreateUser", &[("UserName", "no spaces")]).await), ("InvalidParameter.UserName".into(), Some(400)));
    assert_eq!(refusal(call(&root, RAM, "GetUser", &[]).await).1, Some(400), "a missing UserName is MissingParameter");
    let users = ram(&root, "ListUsers", &[]).await;
    assert_eq!((users["Users"]["User"][0]["UserName"].as_str(), users["IsTruncated"].as_bool()), (Some("alice"), Some(false)), "{users}");

    ram(&root, "CreateGroup", &[("GroupName", "ops"), ("Comments", "operators")]).await;
    ram(&root, "AddUserToGroup", &[("UserName", "alice"), ("GroupName", "ops")]).await;
    let groups = ram(&root, "ListGroupsForUser", &[("UserName", "alice")]).await;
    assert_eq!(groups["Groups"]["Group"][0]["GroupName"], "ops", "{groups}");
    let members = ram(&root, "ListUsersForGroup", &[("GroupName", "ops")]).await;
    assert_eq!(members["Users"]["User"][0]["UserName"], "alice", "{members}");
    assert_eq!(refusal(call(&root, RAM, "DeleteGroup", &[("GroupName", "ops")]).await), ("DeleteConflict.Group".into(), Some(409)));

    let trust = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["oos.aliyuncs.com"]}}]});
    let role = ram(&root, "CreateRole", &[("RoleName", "OOSRunner"), ("AssumeRolePolicyDocument", &trust.to_string())]).await;
    assert!(role["Role"]["Arn"].as_str().is_some_and(|arn| arn.starts_with("acs:ram::") && arn.ends_with(":role/OOSRunner")), "{role}");
    assert_eq!(refusal(call(&root, RAM, "CreateRole", &[("RoleName", "Bad"), ("AssumeRolePolicyDocument", "{}")]).await).1, Some(400));

    let document = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oos:List*", "Resource": "*"}]}).to_string();
    ram(&root, "CreatePolicy", &[("PolicyName", "readers"), ("PolicyDocument", &document), ("Description", "read only")]).await;
    let policy = ram(&root, "GetPolicy", &[("PolicyName", "readers")]).await;
    assert_eq!((policy["Policy"]["PolicyType"].as_str(), policy["DefaultPolicyVersion"]["PolicyDocument"].as_str()), (Some("Custom"), Some(document.as_str())));
    let invalid = call(&root, RAM, "CreatePolicy", &[("PolicyName", "broken"), ("PolicyDocument", r#"{"Version": "1"}"#)]).await;
    assert!(refusal(invalid).0.starts_with("InvalidPolicyDocument"));
    let system = ram(&root, "ListPolicies", &[("PolicyType", "System")]).await;
    assert!(system["Policies"]["Policy"].as_array().is_some_and(|all| !all.is_empty() && all.iter().all(|p| p["PolicyType"] == "System")), "{system}");

    for (action, key, name) in [("ToGroup", "GroupName", "ops"), ("ToRole", "RoleName", "OOSRunner")] {
        ram(&root, &format!("AttachPolicy{action}"), &[(key, name), ("PolicyName", "readers"), ("PolicyType", "Custom")]).await;
        let listed = ram(&root, &format!("ListPoliciesFor{}", &action[2..]), &[(key, name)]).await;
        assert_eq!(listed["Policies"]["Policy"][0]["PolicyName"], "readers", "{listed}");
    }
    assert_eq!(refusal(call(&root, RAM, "DeletePolicy", &[("PolicyName", "readers")]).await), ("DeleteConflict.Policy".into(), Some(409)));
    let detach = [("UserName", "alice"), ("PolicyName", "readers"), ("PolicyType", "Custom")];
    assert_eq!(refusal(call(&root, RAM, "DetachPolicyFromUser", &detach).await), ("EntityNotExist.Policy".into(), Some(404)));
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_keys_are_shown_once_and_their_status_takes_effect_at_once() {
    let (server, root, _dir) = start().await;
    let url = format!("http://{}", server.addr());
    let alice = user(&root, &url, "alice").await;
    ram(&root, "CreatePolicy", &[("PolicyName", "own-keys"), ("PolicyDocument", r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:*AccessKey*", "Resource": "*"}]}"#)]).await;
    ram(&root, "AttachPolicyToUser", &[("UserName", "alice"), ("PolicyName", "own-keys")]).await;

    // Without UserName, a user's AccessKey actions are about its own keys.
    let second = ram(&alice, "CreateAccessKey", &[]).await;
    let second_id = second["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    assert!(second["AccessKey"]["AccessKeySecret"].as_str().is_some_and(|secret| secret.len() >= 30), "{second}");
    let keys = ram(&root, "ListAccessKeys", &[("UserName", "alice")]).await;
    let keys = keys["AccessKeys"]["AccessKey"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|key| key.get("AccessKeySecret").is_none() && key["Status"] == "Active"), "{keys:?}");
    assert_eq!(refusal(call(&alice, RAM, "CreateAccessKey", &[]).await), ("LimitExceeded.AccessKeysPerUser".into(), Some(409)));

    ram(&root, "CreateUser", &[("UserName", "bob")]).await;
    let foreign = [("UserAccessKeyId", second_id.as_str()), ("UserName", "bob"), ("Status", "Inactive")];
    assert_eq!(refusal(call(&root, RAM, "UpdateAccessKey", &foreign).await), ("EntityNotExist.AccessKey".into(), Some(404)));
    let first_id = keys.iter().map(|key| key["AccessKeyId"].as_str().unwrap()).find(|id| *id != second_id).unwrap().to_owned();
    ram(&root, "UpdateAccessKey", &[("UserAccessKeyId", &first_id), ("UserName", "alice"), ("Status", "Inactive")]).await;
    assert_eq!(refusal(call(&alice, RAM, "ListAccessKeys", &[]).await), ("InvalidAccessKeyId.Inactive".into(), Some(403)));
    ram(&root, "UpdateAccessKey", &[("UserAccessKeyId", &first_id), ("UserName", "alice"), ("Status", "Active")]).await;
    ram(&alice, "ListAccessKeys", &[]).await;

    assert_eq!(refusal(call(&root, RAM, "DeleteUser", &[("UserName", "alice")]).await), ("DeleteConflict.User".into(), Some(409)));
    ram(&root, "DeleteAccessKey", &[("UserAccessKeyId", &first_id), ("UserName", "alice")]).await;
    assert_eq!(refusal(call(&alice, RAM, "ListAccessKeys", &[]).await), ("InvalidAccessKeyId.NotFound".into(), Some(404)));
    server.stop();
}
