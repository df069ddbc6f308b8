//! Every OOS API action × (allowed, denied by default, explicitly denied, denied by condition), through
//! `Iam::require_api_action` with policies attached to a user.

use std::collections::BTreeMap;

use oos_iam::identity::PolicyRef;
use oos_iam::oos_actions::OOS_ACTIONS;
use oos_iam::{
    AttachTarget, Context, DecisionReason, Iam, IamError, MasterKey, MemoryIdentityStore, Principal,
};
use serde_json::json;

fn params() -> BTreeMap<String, String> {
    [
        ("TemplateName", "web"),
        ("TemplateNames", r#"["web"]"#),
        ("ExecutionId", "exec-1"),
        ("ExecutionIds", r#"["exec-1"]"#),
        ("Name", "db"),
        ("Names", r#"["db"]"#),
        ("Path", "/db"),
        ("ResourceType", "template"),
        ("ResourceIds", r#"["web"]"#),
        ("ResourceId", "web"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A user with exactly the given custom policy documents attached.
async fn user_with(
    iam: &Iam<MemoryIdentityStore>,
    user: &str,
    documents: &[serde_json::Value],
) -> Principal {
    iam.create_user(user, "").await.unwrap();
    for (i, document) in documents.iter().enumerate() {
        let name = format!("{user}-{i}");
        iam.create_policy(&name, &document.to_string(), "")
            .await
            .unwrap();
        iam.attach_policy(
            &AttachTarget::User(user.to_string()),
            &PolicyRef::custom(&name),
        )
        .await
        .unwrap();
    }
    Principal::User(user.to_string())
}

fn allow(action: &str, condition: Option<serde_json::Value>) -> serde_json::Value {
    let mut statement =
        json!({"Effect": "Allow", "Action": format!("oos:{action}"), "Resource": "*"});
    if let Some(condition) = condition {
        statement["Condition"] = condition;
    }
    json!({"Version": "1", "Statement": [statement]})
}

#[tokio::test]
async fn every_action_in_four_situations() {
    let iam = Iam::new("123", MemoryIdentityStore::default(), MasterKey::generate());
    let office = || Context::new().with("acs:SourceIp", "10.0.0.7");
    let fenced = json!({"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}});
    let deny_all = json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "oos:*", "Resource": "*"}]});
    for (index, (action, _)) in OOS_ACTIONS.iter().enumerate() {
        let allowed = user_with(&iam, &format!("allowed{index}"), &[allow(action, None)]).await;
        let nobody = user_with(&iam, &format!("nobody{index}"), &[]).await;
        let denied = user_with(
            &iam,
            &format!("denied{index}"),
            &[allow(action, None), deny_all.clone()],
        )
        .await;
        let outside = user_with(
            &iam,
            &format!("outside{index}"),
            &[allow(action, Some(fenced.clone()))],
        )
        .await;
        let check = |principal: Principal| {
            let iam = &iam;
            async move {
                iam.require_api_action(&principal, action, &params(), "cn-hangzhou", office())
                    .await
            }
        };
        let decision = check(allowed)
            .await
            .unwrap_or_else(|e| panic!("{action}: {e}"));
        assert_eq!(decision.reason, DecisionReason::Allow, "{action}");
        let reason = |result: Result<_, IamError>| match result {
            Err(IamError::Forbidden {
                reason,
                action: denied_action,
                ..
            }) => {
                assert_eq!(denied_action, format!("oos:{action}"));
                reason
            }
            other => panic!("{action}: expected Forbidden.RAM, got {other:?}"),
        };
        assert_eq!(
            reason(check(nobody).await),
            DecisionReason::ImplicitDeny,
            "{action} by default"
        );
        assert_eq!(
            reason(check(denied).await),
            DecisionReason::ExplicitDeny,
            "{action} explicitly denied"
        );
        assert_eq!(
            reason(check(outside).await),
            DecisionReason::ImplicitDeny,
            "{action} outside the IP fence"
        );
    }
}
