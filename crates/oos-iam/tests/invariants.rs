//! Property tests: evaluation invariants and parser robustness.

use oos_iam::{AuthzRequest, Context, DecisionReason, Policy, PolicyType, evaluate};
use proptest::prelude::*;
use serde_json::{Value, json};

fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_string()),
        "(oos|ecs):(Start|Stop|Get|List|Delete)?[A-Z][a-z]{0,3}\\*?",
        "(oos|ecs):[A-Za-z?*]{1,6}",
    ]
}

fn resource_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_string()),
        "acs:(oos|ecs):(\\*|cn-hangzhou):(\\*|123):(template|execution|instance)/[a-c*?]{1,3}",
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("Allow"), Just("Deny")],
        any::<bool>(),
        prop::collection::vec(pattern(), 1..3),
        any::<bool>(),
        prop::collection::vec(resource_pattern(), 1..3),
        prop::option::of(prop_oneof![
            Just(json!({"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}})),
            Just(json!({"NotIpAddress": {"acs:SourceIp": ["10.1.0.0/16"]}})),
            Just(json!({"StringLike": {"oos:TemplateName": "a*"}})),
            Just(json!({"DateLessThan": {"acs:CurrentTime": "2026-06-01T00:00:00Z"}})),
        ]),
    )
        .prop_map(
            |(effect, not_action, actions, not_resource, resources, condition)| {
                let mut s = json!({"Effect": effect});
                s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
                s[if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                }] = json!(resources);
                if let Some(condition) = condition {
                    s["Condition"] = condition;
                }
                s
            },
        )
}

fn parse(statements: &[Value]) -> Policy {
    let document = json!({"Version": "1", "Statement": statements}).to_string();
    Policy::parse("p", PolicyType::Custom, &document).expect("generated policies are valid")
}

fn request() -> impl Strategy<Value = AuthzRequest> {
    (
        "(oos|ecs):(StartExecution|StopInstance|GetTemplate|ListExecutions|DeleteTemplate|Abc)",
        prop::collection::vec(
            "acs:(oos|ecs):cn-hangzhou:123:(template|execution|instance)/[a-c]{1,3}",
            1..3,
        ),
        prop_oneof![Just("10.1.2.3"), Just("10.2.0.1"), Just("192.0.2.1")],
        prop_oneof![Just("abc"), Just("bca")],
        prop_oneof![Just("2026-01-01T00:00:00Z"), Just("2027-01-01T00:00:00Z")],
    )
        .prop_map(|(action, resources, ip, template, now)| AuthzRequest {
            action,
            resources,
            context: Context::new()
                .with("acs:SourceIp", ip)
                .with("oos:TemplateName", template)
                .with("acs:CurrentTime", now),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn adding_a_deny_never_turns_deny_into_allow(
        statements in prop::collection::vec(statement(), 1..5),
        extra in statement(),
        request in request(),
    ) {
        let before = evaluate(&[&parse(&statements)], &request);
        let mut extra = extra;
        extra["Effect"] = json!("Deny");
        let mut more = statements.clone();
        more.push(extra);
        let after = evaluate(&[&parse(&more)], &request);
        if !before.allowed {
            prop_assert!(!after.allowed);
        }
        if before.reason == DecisionReason::ExplicitDeny {
            prop_assert_eq!(after.reason, DecisionReason::ExplicitDeny);
        }
    }

    #[test]
    fn statement_and_policy_order_do_not_change_the_outcome(
        statements in prop::collection::vec(statement(), 1..6),
        rotation in 0usize..6,
        request in request(),
    ) {
        let forward = evaluate(&[&parse(&statements)], &request);
        let mut reordered = statements.clone();
        reordered.reverse();
        let len = reordered.len();
        reordered.rotate_left(rotation % len);
        let backward = evaluate(&[&parse(&reordered)], &request);
        prop_assert_eq!((forward.allowed, forward.reason), (backward.allowed, backward.reason));
        let (head, tail) = statements.split_at(len / 2);
        let split = if head.is_empty() { vec![parse(tail)] } else { vec![parse(tail), parse(head)] };
        let split: Vec<&Policy> = split.iter().collect();
        let across = evaluate(&split, &request);
        prop_assert_eq!((forward.allowed, forward.reason), (across.allowed, across.reason));
    }

    #[test]
    fn an_allow_is_always_backed_by_a_matching_allow_statement(
        statements in prop::collection::vec(statement(), 1..5),
        request in request(),
    ) {
        let policy = parse(&statements);
        let decision = evaluate(&[&policy], &request);
        if let Some(matched) = &decision.matched {
            let effect = policy.statements[matched.statement].effect;
            prop_assert_eq!(decision.allowed, effect == oos_iam::policy::Effect::Allow);
        } else {
            prop_assert!(!decision.allowed);
        }
    }

    #[test]
    fn parser_never_panics_on_arbitrary_text(text in ".{0,300}") {
        let _ = Policy::parse("p", PolicyType::Custom, &text);
    }

    #[test]
    fn parser_never_panics_on_arbitrary_json(value in arbitrary_json()) {
        let _ = Policy::parse("p", PolicyType::Custom, &value.to_string());
        let _ = oos_iam::TrustPolicy::parse(&value.to_string());
    }
}

/// JSON that often looks like a policy: policy element names as object keys.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("Version".to_string()),
        Just("Statement".to_string()),
        Just("Effect".to_string()),
        Just("Action".to_string()),
        Just("NotAction".to_string()),
        Just("Resource".to_string()),
        Just("NotResource".to_string()),
        Just("Condition".to_string()),
        Just("Principal".to_string()),
        Just("IpAddress".to_string()),
        Just("DateLessThan".to_string()),
        Just("StringLike".to_string()),
        Just("NumericEquals".to_string()),
        Just("Bool".to_string()),
        "[a-z:]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any::<i64>().prop_map(Value::from),
        Just(json!("1")),
        Just(json!("Allow")),
        Just(json!("Deny")),
        Just(json!("*")),
        Just(json!("oos:*")),
        Just(json!("10.0.0.0/8")),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..5)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}
