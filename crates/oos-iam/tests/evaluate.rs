//! Evaluation: wildcards in actions and resources, Deny over Allow, NotAction/NotResource, several
//! resources, and which statement is reported.

use oos_iam::{
    AuthzRequest, Context, DecisionReason, MatchedStatement, Policy, PolicyType, evaluate,
};

fn policy(name: &str, statements: &str) -> Policy {
    Policy::parse(
        name,
        PolicyType::Custom,
        &format!(r#"{{"Version":"1","Statement":[{statements}]}}"#),
    )
    .expect("valid policy")
}

fn request(action: &str, resources: &[&str]) -> AuthzRequest {
    AuthzRequest {
        action: action.into(),
        resources: resources.iter().map(|r| r.to_string()).collect(),
        context: Context::new(),
    }
}

const TEMPLATE: &str = "acs:oos:cn-hangzhou:123456:template/restart-web";
const EXECUTION: &str = "acs:oos:cn-hangzhou:123456:execution/exec-1";
const INSTANCE: &str = "acs:ecs:cn-hangzhou:123456:instance/i-abc";

#[test]
fn action_wildcards_ignore_case() {
    let cases = [
        ("oos:StartExecution", "oos:StartExecution", true),
        ("oos:Start*", "oos:StartExecution", true),
        ("OOS:start*", "oos:StartExecution", true),
        ("oos:Start*", "oos:StopExecution", false),
        ("oos:*", "oos:DeleteTemplate", true),
        ("oos:*", "ecs:StopInstance", false),
        ("*", "ecs:StopInstance", true),
        ("ecs:Describe*", "ecs:DescribeInstances", true),
        ("ecs:Describe*", "ecs:StopInstance", false),
        ("ecs:?topInstance", "ecs:StopInstance", true),
        ("ecs:?topInstance", "ecs:SStopInstance", false),
        ("*:Get*", "oos:GetTemplate", true),
        (
            "oos:GetTemplate",
            "oos:GetTemplateParameterConstraints",
            false,
        ),
    ];
    for (pattern, action, want) in cases {
        let p = policy(
            "p",
            &format!(r#"{{"Effect":"Allow","Action":"{pattern}","Resource":"*"}}"#),
        );
        assert_eq!(
            evaluate(&[&p], &request(action, &[TEMPLATE])).allowed,
            want,
            "{pattern} vs {action}"
        );
    }
}

#[test]
fn resource_globs_are_case_sensitive() {
    let cases = [
        ("*", TEMPLATE, true),
        ("acs:oos:*:*:template/*", TEMPLATE, true),
        ("acs:oos:*:*:template/*", EXECUTION, false),
        ("acs:oos:*:*:*", EXECUTION, true),
        (
            "acs:oos:cn-hangzhou:123456:template/restart-*",
            TEMPLATE,
            true,
        ),
        (
            "acs:oos:cn-beijing:123456:template/restart-*",
            TEMPLATE,
            false,
        ),
        ("acs:oos:*:654321:template/*", TEMPLATE, false),
        ("acs:oos:*:*:template/Restart-*", TEMPLATE, false),
        ("acs:ecs:cn-hangzhou:123456:instance/i-*", INSTANCE, true),
        ("acs:ecs:cn-hangzhou:123456:instance/i-?bc", INSTANCE, true),
        ("acs:ecs:cn-hangzhou:123456:instance/i-x*", INSTANCE, false),
        // a request for the whole collection (`template/*`) needs a pattern covering it
        (
            "acs:oos:*:*:template/*",
            "acs:oos:cn-hangzhou:123456:template/*",
            true,
        ),
        (
            "acs:oos:*:*:template/prod-*",
            "acs:oos:cn-hangzhou:123456:template/*",
            false,
        ),
        // `*` requests (not resource-scoped actions) only match `*` or patterns that end in `*` throughout
        ("acs:oos:*:*:*", "*", false),
        ("*", "*", true),
    ];
    for (pattern, resource, want) in cases {
        let p = policy(
            "p",
            &format!(r#"{{"Effect":"Allow","Action":"*","Resource":"{pattern}"}}"#),
        );
        assert_eq!(
            evaluate(&[&p], &request("oos:GetTemplate", &[resource])).allowed,
            want,
            "{pattern} vs {resource}"
        );
    }
}

#[test]
fn explicit_deny_wins_then_allow_then_implicit_deny() {
    let allow = policy(
        "allow-all",
        r#"{"Effect":"Allow","Action":"oos:*","Resource":"*"}"#,
    );
    let deny = policy(
        "no-delete",
        r#"{"Effect":"Allow","Action":"oos:List*","Resource":"*"},{"Effect":"Deny","Action":"oos:Delete*","Resource":"*"}"#,
    );
    let decision = evaluate(
        &[&allow, &deny],
        &request("oos:DeleteTemplate", &[TEMPLATE]),
    );
    assert!(!decision.allowed);
    assert_eq!(decision.reason, DecisionReason::ExplicitDeny);
    assert_eq!(
        decision.matched,
        Some(MatchedStatement {
            policy: "no-delete".into(),
            statement: 1
        })
    );
    assert_eq!(decision.resource.as_deref(), Some(TEMPLATE));

    let decision = evaluate(&[&deny, &allow], &request("oos:GetTemplate", &[TEMPLATE]));
    assert_eq!(
        (decision.allowed, decision.reason),
        (true, DecisionReason::Allow)
    );
    assert_eq!(
        decision.matched,
        Some(MatchedStatement {
            policy: "allow-all".into(),
            statement: 0
        })
    );

    let decision = evaluate(&[&deny], &request("oos:GetTemplate", &[TEMPLATE]));
    assert_eq!(
        (decision.allowed, decision.reason, decision.matched),
        (false, DecisionReason::ImplicitDeny, None)
    );

    let decision = evaluate(&[], &request("oos:GetTemplate", &[TEMPLATE]));
    assert_eq!(
        (decision.allowed, decision.reason),
        (false, DecisionReason::ImplicitDeny)
    );
}

#[test]
fn not_action_and_not_resource() {
    let p = policy(
        "p",
        r#"{"Effect":"Allow","NotAction":["oos:Delete*","oos:Update*"],"Resource":"*"},
           {"Effect":"Deny","Action":"oos:*","NotResource":"acs:oos:*:*:template/*"}"#,
    );
    let cases = [
        ("oos:GetTemplate", TEMPLATE, true),
        ("oos:DeleteTemplate", TEMPLATE, false),
        ("oos:UpdateTemplate", TEMPLATE, false),
        ("ecs:StopInstance", INSTANCE, true),
        ("oos:CancelExecution", EXECUTION, false),
    ];
    for (action, resource, want) in cases {
        assert_eq!(
            evaluate(&[&p], &request(action, &[resource])).allowed,
            want,
            "{action} on {resource}"
        );
    }
    let reason = evaluate(&[&p], &request("oos:CancelExecution", &[EXECUTION])).reason;
    assert_eq!(reason, DecisionReason::ExplicitDeny);
}

#[test]
fn every_resource_must_be_allowed() {
    let p = policy(
        "p",
        r#"{"Effect":"Allow","Action":"oos:DeleteExecutions","Resource":"acs:oos:*:*:execution/exec-1"}"#,
    );
    let two = request(
        "oos:DeleteExecutions",
        &[EXECUTION, "acs:oos:cn-hangzhou:123456:execution/exec-2"],
    );
    let decision = evaluate(&[&p], &two);
    assert_eq!(
        (decision.allowed, decision.reason),
        (false, DecisionReason::ImplicitDeny)
    );
    assert_eq!(
        decision.resource.as_deref(),
        Some("acs:oos:cn-hangzhou:123456:execution/exec-2")
    );
    assert!(evaluate(&[&p], &request("oos:DeleteExecutions", &[EXECUTION])).allowed);
    assert!(
        !evaluate(&[&p], &request("oos:DeleteExecutions", &[])).allowed,
        "no resource is never allowed"
    );

    let deny_second = policy(
        "d",
        r#"{"Effect":"Deny","Action":"*","Resource":"acs:oos:*:*:execution/exec-3"}"#,
    );
    let mixed = request(
        "oos:DeleteExecutions",
        &[
            "acs:oos:r:a:execution/exec-9",
            "acs:oos:r:a:execution/exec-3",
        ],
    );
    assert_eq!(
        evaluate(&[&p, &deny_second], &mixed).reason,
        DecisionReason::ExplicitDeny,
        "explicit deny on any resource wins"
    );
}

#[test]
fn conditions_gate_deny_statements_too() {
    let p = policy(
        "ip-fence",
        r#"{"Effect":"Allow","Action":"ecs:*","Resource":"*"},
           {"Effect":"Deny","Action":"ecs:*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":["192.0.2.0/24","203.0.113.2"]}}}"#,
    );
    let from = |ip: &str| AuthzRequest {
        context: Context::new().with("acs:SourceIp", ip),
        ..request("ecs:StopInstance", &[INSTANCE])
    };
    assert!(evaluate(&[&p], &from("192.0.2.10")).allowed);
    assert!(evaluate(&[&p], &from("203.0.113.2")).allowed);
    assert_eq!(
        evaluate(&[&p], &from("198.51.100.1")).reason,
        DecisionReason::ExplicitDeny
    );
    assert_eq!(
        evaluate(&[&p], &request("ecs:StopInstance", &[INSTANCE])).reason,
        DecisionReason::ExplicitDeny,
        "no source IP: fenced out"
    );
}
