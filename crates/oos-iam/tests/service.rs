//! The `Iam` service over the in-memory store: identities, attachments, effective policies, passing roles,
//! checking cloud calls, and AccessKeys.

use oos_iam::identity::{AccessKeyStatus, KeyOwner, PolicyRef};
use oos_iam::service::oos_trust_policy;
use oos_iam::{
    AttachTarget, AuthzRequest, Context, DecisionReason, Iam, MasterKey, MemoryIdentityStore,
    Principal,
};
use serde_json::json;

const ACCOUNT: &str = "1234567890";

fn iam() -> Iam<MemoryIdentityStore> {
    Iam::new(
        ACCOUNT,
        MemoryIdentityStore::default(),
        MasterKey::generate(),
    )
}

fn request(action: &str, resource: &str) -> AuthzRequest {
    AuthzRequest {
        action: action.into(),
        resources: vec![resource.into()],
        context: Context::new(),
    }
}

const TEMPLATE: &str = "acs:oos:cn-hangzhou:1234567890:template/restart-web";

#[tokio::test]
async fn user_and_group_policies_combine() {
    let iam = iam();
    iam.create_user("alice", "Alice").await.unwrap();
    iam.create_group("operators", "").await.unwrap();
    iam.create_policy(
        "deny-delete",
        r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oos:Delete*","Resource":"*"}]}"#,
        "",
    )
    .await
    .unwrap();
    let alice = Principal::User("alice".into());
    assert_eq!(
        iam.authorize(&alice, &request("oos:GetTemplate", TEMPLATE))
            .await
            .unwrap()
            .reason,
        DecisionReason::ImplicitDeny
    );

    iam.attach_policy(
        &AttachTarget::Group("operators".into()),
        &PolicyRef::system("AliyunOOSFullAccess"),
    )
    .await
    .unwrap();
    iam.add_user_to_group("alice", "operators").await.unwrap();
    assert!(
        iam.authorize(&alice, &request("oos:DeleteTemplate", TEMPLATE))
            .await
            .unwrap()
            .allowed
    );

    iam.attach_policy(
        &AttachTarget::User("alice".into()),
        &PolicyRef::custom("deny-delete"),
    )
    .await
    .unwrap();
    let decision = iam
        .authorize(&alice, &request("oos:DeleteTemplate", TEMPLATE))
        .await
        .unwrap();
    assert_eq!(decision.reason, DecisionReason::ExplicitDeny);
    assert_eq!(decision.matched.unwrap().policy, "deny-delete");
    let names: Vec<String> = iam
        .effective_policies(&alice)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(names, ["deny-delete", "AliyunOOSFullAccess"]);

    let error = iam
        .require(&alice, &request("oos:DeleteTemplate", TEMPLATE))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "Forbidden.RAM");
    assert_eq!(error.http_status(), 403);
    let message = error.to_string();
    assert!(
        message.contains("acs:ram::1234567890:user/alice")
            && message.contains("oos:DeleteTemplate")
            && message.contains(TEMPLATE),
        "{message}"
    );

    iam.remove_user_from_group("alice", "operators")
        .await
        .unwrap();
    assert!(
        !iam.authorize(&alice, &request("oos:GetTemplate", TEMPLATE))
            .await
            .unwrap()
            .allowed
    );
    assert_eq!(
        iam.authorize(&Principal::Root, &request("oos:DeleteTemplate", TEMPLATE))
            .await
            .unwrap()
            .reason,
        DecisionReason::AccountRoot
    );
}

#[tokio::test]
async fn api_requests_are_authorized_through_the_action_table() {
    let iam = iam();
    iam.create_user("bob", "").await.unwrap();
    iam.create_policy(
        "run-restart-from-office",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:StartExecution","Resource":"acs:oos:*:*:template/restart-*",
            "Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
        "",
    )
    .await
    .unwrap();
    iam.attach_policy(
        &AttachTarget::User("bob".into()),
        &PolicyRef::custom("run-restart-from-office"),
    )
    .await
    .unwrap();
    let bob = Principal::User("bob".into());
    let params = |name: &str| {
        [("TemplateName".to_string(), name.to_string())]
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let office = || Context::new().with("acs:SourceIp", "10.2.3.4");
    let start = |name: &str, context| {
        let params = params(name);
        let iam = &iam;
        let bob = &bob;
        async move {
            iam.require_api_action(bob, "StartExecution", &params, "cn-hangzhou", context)
                .await
        }
    };
    assert!(start("restart-web", office()).await.is_ok());
    let error = start("delete-all", office()).await.unwrap_err();
    assert!(error.to_string().contains("template/delete-all"), "{error}");
    assert_eq!(
        start(
            "restart-web",
            Context::new().with("acs:SourceIp", "8.8.8.8")
        )
        .await
        .unwrap_err()
        .code(),
        "Forbidden.RAM"
    );
    let cancel = iam
        .require_api_action(
            &bob,
            "CancelExecution",
            &params("x"),
            "cn-hangzhou",
            office(),
        )
        .await
        .unwrap_err();
    assert_eq!(cancel.code(), "Forbidden.RAM");
}

#[tokio::test]
async fn passing_a_role_needs_pass_role_and_trust() {
    let iam = iam();
    iam.create_user("carol", "").await.unwrap();
    iam.create_role("OOSServiceRole", &oos_trust_policy(), "")
        .await
        .unwrap();
    let untrusting = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1234567890:root"]}}]}"#;
    iam.create_role("HumansOnly", untrusting, "").await.unwrap();
    let carol = Principal::User("carol".into());

    let error = iam
        .require_pass_role(&carol, "OOSServiceRole", Context::new())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "Forbidden.RAM");
    assert!(error.to_string().contains("ram:PassRole"), "{error}");

    iam.attach_policy(
        &AttachTarget::User("carol".into()),
        &PolicyRef::system("AliyunOOSFullAccess"),
    )
    .await
    .unwrap();
    let role = iam
        .require_pass_role(&carol, "OOSServiceRole", Context::new())
        .await
        .unwrap();
    assert_eq!(role.name, "OOSServiceRole");
    assert_eq!(
        iam.require_pass_role(&carol, "HumansOnly", Context::new())
            .await
            .unwrap_err()
            .code(),
        "InvalidRamRole.NotTrusted"
    );
    assert_eq!(
        iam.require_pass_role(&carol, "Missing", Context::new())
            .await
            .unwrap_err()
            .code(),
        "EntityNotExist.Role"
    );

    let bad_trust = iam
        .create_role(
            "Broken",
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
            "",
        )
        .await;
    assert_eq!(
        bad_trust.unwrap_err().code(),
        "InvalidPolicyDocument.Principal"
    );
}

#[tokio::test]
async fn an_execution_role_limits_its_cloud_calls() {
    let iam = iam();
    iam.create_role("DescribeOnly", &oos_trust_policy(), "")
        .await
        .unwrap();
    iam.attach_policy(
        &AttachTarget::Role("DescribeOnly".into()),
        &PolicyRef::system("AliyunECSReadOnlyAccess"),
    )
    .await
    .unwrap();
    let role = Principal::Role("DescribeOnly".into());
    let params = json!({"InstanceId": "i-123"});
    let params = params.as_object().unwrap();
    assert!(
        iam.require_cloud_call(
            &role,
            "ECS",
            "DescribeInstanceStatus",
            params,
            "cn-hangzhou",
            Context::new()
        )
        .await
        .is_ok()
    );
    let error = iam
        .require_cloud_call(
            &role,
            "ECS",
            "StopInstance",
            params,
            "cn-hangzhou",
            Context::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), "Forbidden.RAM");
    assert_eq!(
        error.to_string(),
        "Forbidden.RAM: acs:ram::1234567890:role/DescribeOnly is not allowed to perform ecs:StopInstance on \
         acs:ecs:cn-hangzhou:1234567890:instance/i-123 (ImplicitDeny)"
    );
}

#[tokio::test]
async fn referential_rules_and_names() {
    let iam = iam();
    assert_eq!(
        iam.create_user("bad name", "").await.unwrap_err().code(),
        "InvalidParameter.UserName"
    );
    assert_eq!(
        iam.create_user(&"a".repeat(65), "")
            .await
            .unwrap_err()
            .code(),
        "InvalidParameter.UserName"
    );
    assert_eq!(
        iam.create_group("a.b", "").await.unwrap_err().code(),
        "InvalidParameter.GroupName"
    );
    assert_eq!(
        iam.create_policy("AliyunOOSFullAccess", "{}", "")
            .await
            .unwrap_err()
            .code(),
        "EntityAlreadyExists.Policy"
    );
    assert_eq!(
        iam.create_policy("p", r#"{"Version":"1"}"#, "")
            .await
            .unwrap_err()
            .code(),
        "InvalidPolicyDocument.Statement"
    );
    iam.create_user("dave", "").await.unwrap();
    assert_eq!(
        iam.create_user("dave", "").await.unwrap_err().code(),
        "EntityAlreadyExists.User"
    );
    assert_eq!(
        iam.get_user("erin").await.unwrap_err().code(),
        "EntityNotExist.User"
    );
    iam.create_group("g", "").await.unwrap();
    iam.add_user_to_group("dave", "g").await.unwrap();
    assert_eq!(
        iam.delete_group("g").await.unwrap_err().code(),
        "DeleteConflict.Group"
    );
    assert_eq!(
        iam.delete_user("dave").await.unwrap_err().code(),
        "DeleteConflict.User"
    );
    iam.remove_user_from_group("dave", "g").await.unwrap();
    iam.create_policy(
        "p",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:List*","Resource":"*"}]}"#,
        "",
    )
    .await
    .unwrap();
    iam.attach_policy(&AttachTarget::Group("g".into()), &PolicyRef::custom("p"))
        .await
        .unwrap();
    assert_eq!(
        iam.delete_policy("p").await.unwrap_err().code(),
        "DeleteConflict.Policy"
    );
    assert_eq!(
        iam.delete_policy("AdministratorAccess")
            .await
            .unwrap_err()
            .code(),
        "InvalidParameter.PolicyType"
    );
    assert_eq!(
        iam.detach_policy(&AttachTarget::User("dave".into()), &PolicyRef::custom("p"))
            .await
            .unwrap_err()
            .code(),
        "EntityNotExist.Policy"
    );
    assert_eq!(
        iam.attach_policy(
            &AttachTarget::User("dave".into()),
            &PolicyRef::custom("nope")
        )
        .await
        .unwrap_err()
        .code(),
        "EntityNotExist.Policy"
    );
    iam.detach_policy(&AttachTarget::Group("g".into()), &PolicyRef::custom("p"))
        .await
        .unwrap();
    iam.delete_policy("p").await.unwrap();
    iam.delete_group("g").await.unwrap();
    iam.delete_user("dave").await.unwrap();
    assert!(iam.list_users().await.unwrap().is_empty());
    for group in ["g1", "g2", "g3", "g4", "g5", "g6"] {
        iam.create_group(group, "").await.unwrap();
    }
    iam.create_user("frank", "").await.unwrap();
    for group in ["g1", "g2", "g3", "g4", "g5"] {
        iam.add_user_to_group("frank", group).await.unwrap();
    }
    assert_eq!(
        iam.add_user_to_group("frank", "g6")
            .await
            .unwrap_err()
            .code(),
        "LimitExceeded.GroupsPerUser"
    );
    assert_eq!(iam.list_group_members("g1").await.unwrap().len(), 1);
    let names: Vec<String> = iam
        .list_policies()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.policy.name)
        .collect();
    assert!(
        names.contains(&"AliyunECSReadOnlyAccess".to_string())
            && names.contains(&"AliyunOOSReadOnlyAccess".to_string())
    );
}

#[tokio::test]
async fn access_keys_are_shown_once_stored_sealed_and_resolvable() {
    let iam = iam();
    iam.create_user("gina", "").await.unwrap();
    let owner = KeyOwner::User("gina".into());
    let key = iam.create_access_key(&owner).await.unwrap();
    assert!(oos_iam::access_key::is_access_key_id(&key.id), "{}", key.id);
    assert_eq!(key.secret.expose().len(), 30);
    assert!(
        !format!("{key:?}").contains(key.secret.expose()),
        "Debug must not show the secret"
    );
    let stored = iam.list_access_keys(&owner).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].sealed_secret.contains(key.secret.expose()));
    assert!(
        !serde_json::to_string(&stored[0])
            .unwrap()
            .contains(key.secret.expose())
    );

    let (principal, secret) = iam.resolve_access_key(&key.id).await.unwrap();
    assert_eq!(principal, Principal::User("gina".into()));
    assert_eq!(secret.expose(), key.secret.expose());

    iam.create_access_key(&owner).await.unwrap();
    assert_eq!(
        iam.create_access_key(&owner).await.unwrap_err().code(),
        "LimitExceeded.AccessKeysPerUser"
    );
    assert_eq!(
        iam.delete_user("gina").await.unwrap_err().code(),
        "DeleteConflict.User"
    );

    iam.set_access_key_status(&key.id, AccessKeyStatus::Inactive)
        .await
        .unwrap();
    assert_eq!(
        iam.resolve_access_key(&key.id).await.unwrap_err().code(),
        "InvalidAccessKeyId.Inactive"
    );
    iam.delete_access_key(&key.id).await.unwrap();
    let missing = iam.resolve_access_key(&key.id).await.unwrap_err();
    assert_eq!(
        (missing.code().as_str(), missing.http_status()),
        ("InvalidAccessKeyId.NotFound", 404)
    );
    assert_eq!(
        iam.create_access_key(&KeyOwner::User("nobody".into()))
            .await
            .unwrap_err()
            .code(),
        "EntityNotExist.User"
    );

    let root = iam
        .ensure_root_access_key()
        .await
        .unwrap()
        .expect("first start creates the root key");
    assert_eq!(
        iam.resolve_access_key(&root.id).await.unwrap().0,
        Principal::Root
    );
    assert!(
        iam.ensure_root_access_key().await.unwrap().is_none(),
        "second start keeps the existing key"
    );
    assert_eq!(
        iam.list_access_keys(&KeyOwner::Root).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn updated_policy_documents_take_effect_at_once() {
    let iam = iam();
    iam.create_user("hank", "").await.unwrap();
    let allow = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:GetTemplate","Resource":"*"}]}"#;
    iam.create_policy("reader", allow, "").await.unwrap();
    iam.attach_policy(
        &AttachTarget::User("hank".into()),
        &PolicyRef::custom("reader"),
    )
    .await
    .unwrap();
    let hank = Principal::User("hank".into());
    assert!(
        iam.authorize(&hank, &request("oos:GetTemplate", TEMPLATE))
            .await
            .unwrap()
            .allowed
    );
    let narrowed = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:GetTemplate","Resource":"acs:oos:*:*:template/other"}]}"#;
    iam.update_policy_document("reader", narrowed)
        .await
        .unwrap();
    assert!(
        !iam.authorize(&hank, &request("oos:GetTemplate", TEMPLATE))
            .await
            .unwrap()
            .allowed
    );
    let invalid = iam
        .update_policy_document("reader", r#"{"Version":"1","Statement":[{}]}"#)
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), "InvalidPolicyDocument.Effect");
    assert_eq!(
        iam.update_policy_document("AliyunOOSFullAccess", allow)
            .await
            .unwrap_err()
            .code(),
        "InvalidParameter.PolicyType"
    );
}

#[test]
fn principals_are_read_back_from_their_arns() {
    for principal in [
        Principal::Root,
        Principal::User("alice".into()),
        Principal::Role("EcsReader".into()),
    ] {
        assert_eq!(
            Principal::from_arn(&principal.arn("1234"), "1234"),
            Some(principal)
        );
    }
    for foreign in [
        "acs:ram::9999:user/alice",
        "acs:ram::1234:user/",
        "acs:ram::1234:group/ops",
        "acs:ram::12345:root",
        "oos",
    ] {
        assert_eq!(Principal::from_arn(foreign, "1234"), None, "{foreign}");
    }
}

#[tokio::test]
async fn a_user_changes_their_own_password_without_an_allow_but_not_against_a_deny() {
    let iam = iam();
    iam.create_user("alice", "").await.unwrap();
    let alice = Principal::User("alice".into());
    let own = format!("acs:ram::{ACCOUNT}:user/alice");
    let decision = iam.authorize(&alice, &request("ram:ChangePassword", &own)).await.unwrap();
    assert!(decision.allowed);
    assert_eq!(decision.reason, DecisionReason::OwnPasswordChange);
    let bobs = format!("acs:ram::{ACCOUNT}:user/bob");
    assert_eq!(iam.authorize(&alice, &request("ram:ChangePassword", &bobs)).await.unwrap().reason, DecisionReason::ImplicitDeny, "only their own");
    assert!(!iam.authorize(&alice, &request("ram:UpdateLoginProfile", &own)).await.unwrap().allowed, "nothing else of their own");
    let deny = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"ram:ChangePassword","Resource":"*"}]}"#;
    iam.create_policy("no-password-change", deny, "").await.unwrap();
    iam.attach_policy(&AttachTarget::User("alice".into()), &PolicyRef::custom("no-password-change")).await.unwrap();
    assert_eq!(iam.authorize(&alice, &request("ram:ChangePassword", &own)).await.unwrap().reason, DecisionReason::ExplicitDeny);
}
