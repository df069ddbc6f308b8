//! Every condition operator, table-driven: (operator, policy values, context values or absent, holds?).

use oos_iam::{AuthzRequest, Context, Policy, PolicyType, evaluate};
use serde_json::{Value, json};

/// Evaluates an Allow statement guarded by `{operator: {key: values}}` against `context`.
fn holds(operator: &str, key: &str, values: Value, context: Context) -> bool {
    let document = json!({
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "oos:GetTemplate", "Resource": "*",
                       "Condition": {operator: {key: values}}}]
    });
    let policy =
        Policy::parse("p", PolicyType::Custom, &document.to_string()).expect("valid policy");
    let request = AuthzRequest {
        action: "oos:GetTemplate".into(),
        resources: vec!["*".into()],
        context,
    };
    evaluate(&[&policy], &request).allowed
}

const KEY: &str = "test:Key";

fn ctx(values: &[&str]) -> Context {
    Context::new().with_values(KEY, values.iter().copied())
}

fn absent() -> Context {
    Context::new()
}

#[test]
fn string_operators() {
    let cases: &[(&str, Value, Option<&[&str]>, bool)] = &[
        ("StringEquals", json!("prod"), Some(&["prod"]), true),
        ("StringEquals", json!("prod"), Some(&["Prod"]), false),
        (
            "StringEquals",
            json!(["dev", "prod"]),
            Some(&["prod"]),
            true,
        ),
        ("StringEquals", json!("prod"), None, false),
        ("StringNotEquals", json!("prod"), Some(&["dev"]), true),
        ("StringNotEquals", json!("prod"), Some(&["prod"]), false),
        (
            "StringNotEquals",
            json!(["dev", "prod"]),
            Some(&["prod"]),
            false,
        ),
        ("StringNotEquals", json!("prod"), None, true),
        (
            "StringEqualsIgnoreCase",
            json!("PROD"),
            Some(&["prod"]),
            true,
        ),
        (
            "StringEqualsIgnoreCase",
            json!("PROD"),
            Some(&["pro"]),
            false,
        ),
        ("StringEqualsIgnoreCase", json!("PROD"), None, false),
        (
            "StringNotEqualsIgnoreCase",
            json!("PROD"),
            Some(&["prod"]),
            false,
        ),
        (
            "StringNotEqualsIgnoreCase",
            json!("PROD"),
            Some(&["dev"]),
            true,
        ),
        ("StringNotEqualsIgnoreCase", json!("PROD"), None, true),
        ("StringLike", json!("web-*"), Some(&["web-01"]), true),
        ("StringLike", json!("web-?"), Some(&["web-01"]), false),
        ("StringLike", json!("web-??"), Some(&["web-01"]), true),
        ("StringLike", json!("Web-*"), Some(&["web-01"]), false),
        ("StringLike", json!("web-*"), None, false),
        ("StringNotLike", json!("web-*"), Some(&["db-01"]), true),
        ("StringNotLike", json!("web-*"), Some(&["web-01"]), false),
        ("StringNotLike", json!("web-*"), None, true),
        // multi-valued context key: any value matching is enough
        (
            "StringEquals",
            json!("owner"),
            Some(&["team", "owner"]),
            true,
        ),
        (
            "StringNotEquals",
            json!("owner"),
            Some(&["team", "owner"]),
            false,
        ),
    ];
    check(cases);
}

#[test]
fn numeric_operators() {
    let cases: &[(&str, Value, Option<&[&str]>, bool)] = &[
        ("NumericEquals", json!(10), Some(&["10"]), true),
        ("NumericEquals", json!("10"), Some(&["10.0"]), true),
        ("NumericEquals", json!(10), Some(&["11"]), false),
        ("NumericEquals", json!(10), Some(&["ten"]), false),
        ("NumericEquals", json!(10), None, false),
        ("NumericNotEquals", json!(10), Some(&["11"]), true),
        ("NumericNotEquals", json!(10), Some(&["10"]), false),
        ("NumericNotEquals", json!(10), None, true),
        ("NumericLessThan", json!(10), Some(&["9"]), true),
        ("NumericLessThan", json!(10), Some(&["10"]), false),
        ("NumericLessThanEquals", json!(10), Some(&["10"]), true),
        ("NumericLessThanEquals", json!(10), Some(&["10.5"]), false),
        ("NumericGreaterThan", json!(10), Some(&["10.5"]), true),
        ("NumericGreaterThan", json!(10), Some(&["10"]), false),
        ("NumericGreaterThanEquals", json!(10), Some(&["10"]), true),
        ("NumericGreaterThanEquals", json!(10), Some(&["-3"]), false),
        (
            "NumericGreaterThanEquals",
            json!([100, 5]),
            Some(&["7"]),
            true,
        ),
        ("NumericLessThan", json!(10), None, false),
    ];
    check(cases);
}

#[test]
fn date_operators() {
    let cases: &[(&str, Value, Option<&[&str]>, bool)] = &[
        (
            "DateEquals",
            json!("2026-01-01T00:00:00Z"),
            Some(&["2026-01-01T08:00:00+08:00"]),
            true,
        ),
        (
            "DateEquals",
            json!("2026-01-01T00:00:00Z"),
            Some(&["2026-01-01T00:00:01Z"]),
            false,
        ),
        (
            "DateEquals",
            json!("2026-01-01"),
            Some(&["2026-01-01T00:00:00Z"]),
            true,
        ),
        (
            "DateEquals",
            json!(1767225600),
            Some(&["2026-01-01T00:00:00Z"]),
            true,
        ),
        (
            "DateEquals",
            json!("2026-01-01T00:00:00Z"),
            Some(&["1767225600"]),
            true,
        ),
        ("DateEquals", json!("2026-01-01T00:00:00Z"), None, false),
        (
            "DateNotEquals",
            json!("2026-01-01T00:00:00Z"),
            Some(&["2026-01-02T00:00:00Z"]),
            true,
        ),
        (
            "DateNotEquals",
            json!("2026-01-01T00:00:00Z"),
            Some(&["2026-01-01T00:00:00Z"]),
            false,
        ),
        ("DateNotEquals", json!("2026-01-01T00:00:00Z"), None, true),
        (
            "DateLessThan",
            json!("2026-06-01T00:00:00+08:00"),
            Some(&["2026-05-31T16:00:00Z"]),
            false,
        ),
        (
            "DateLessThan",
            json!("2026-06-01T00:00:00+08:00"),
            Some(&["2026-05-31T15:59:59Z"]),
            true,
        ),
        (
            "DateLessThanEquals",
            json!("2026-06-01T00:00:00Z"),
            Some(&["2026-06-01T00:00:00Z"]),
            true,
        ),
        (
            "DateLessThanEquals",
            json!("2026-06-01T00:00:00Z"),
            Some(&["2026-06-01T00:00:01Z"]),
            false,
        ),
        (
            "DateGreaterThan",
            json!("2026-06-01T00:00:00Z"),
            Some(&["2026-06-01T00:00:01Z"]),
            true,
        ),
        (
            "DateGreaterThan",
            json!("2026-06-01T00:00:00Z"),
            Some(&["2026-06-01T00:00:00Z"]),
            false,
        ),
        (
            "DateGreaterThanEquals",
            json!("2026-06-01T00:00:00Z"),
            Some(&["2026-06-01T00:00:00Z"]),
            true,
        ),
        (
            "DateGreaterThanEquals",
            json!("2026-06-01T00:00:00Z"),
            Some(&["2025-06-01T00:00:00Z"]),
            false,
        ),
        (
            "DateGreaterThan",
            json!("2026-06-01T00:00:00Z"),
            Some(&["not a date"]),
            false,
        ),
        ("DateLessThan", json!("2026-06-01T00:00:00Z"), None, false),
    ];
    check(cases);
}

#[test]
fn bool_and_ip_operators() {
    let cases: &[(&str, Value, Option<&[&str]>, bool)] = &[
        ("Bool", json!(true), Some(&["true"]), true),
        ("Bool", json!("true"), Some(&["TRUE"]), true),
        ("Bool", json!("false"), Some(&["true"]), false),
        ("Bool", json!(false), Some(&["false"]), true),
        ("Bool", json!(true), Some(&["yes"]), false),
        ("Bool", json!(true), None, false),
        (
            "IpAddress",
            json!("192.0.2.0/24"),
            Some(&["192.0.2.77"]),
            true,
        ),
        (
            "IpAddress",
            json!("192.0.2.0/24"),
            Some(&["192.0.3.1"]),
            false,
        ),
        (
            "IpAddress",
            json!(["192.0.2.0/24", "203.0.113.2"]),
            Some(&["203.0.113.2"]),
            true,
        ),
        (
            "IpAddress",
            json!("203.0.113.2"),
            Some(&["203.0.113.3"]),
            false,
        ),
        (
            "IpAddress",
            json!("10.0.0.0/8"),
            Some(&["10.255.255.255"]),
            true,
        ),
        ("IpAddress", json!("0.0.0.0/0"), Some(&["8.8.8.8"]), true),
        (
            "IpAddress",
            json!("2001:db8::/32"),
            Some(&["2001:db8:1::5"]),
            true,
        ),
        (
            "IpAddress",
            json!("2001:db8::/32"),
            Some(&["2001:db9::1"]),
            false,
        ),
        (
            "IpAddress",
            json!("2001:db8::/32"),
            Some(&["192.0.2.1"]),
            false,
        ),
        ("IpAddress", json!("::1"), Some(&["::1"]), true),
        (
            "IpAddress",
            json!("192.0.2.0/24"),
            Some(&["garbage"]),
            false,
        ),
        ("IpAddress", json!("192.0.2.0/24"), None, false),
        (
            "NotIpAddress",
            json!("192.0.2.0/24"),
            Some(&["192.0.3.1"]),
            true,
        ),
        (
            "NotIpAddress",
            json!("192.0.2.0/24"),
            Some(&["192.0.2.1"]),
            false,
        ),
        (
            "NotIpAddress",
            json!(["192.0.2.0/24", "2001:db8::/32"]),
            Some(&["2001:db8::1"]),
            false,
        ),
        ("NotIpAddress", json!("192.0.2.0/24"), None, true),
    ];
    check(cases);
}

fn check(cases: &[(&str, Value, Option<&[&str]>, bool)]) {
    for (operator, values, context, want) in cases {
        let context = context.map_or_else(absent, ctx);
        assert_eq!(
            holds(operator, KEY, values.clone(), context.clone()),
            *want,
            "{operator} {values} vs {context:?}"
        );
    }
}

#[test]
fn keys_are_anded_operators_anded_and_key_names_case_insensitive() {
    let document = json!({"Version": "1", "Statement": [{
        "Effect": "Allow", "Action": "oos:StartExecution", "Resource": "*",
        "Condition": {
            "IpAddress": {"acs:SourceIp": "10.0.0.0/8"},
            "StringEquals": {"oos:TemplateName": "restart-web", "ACS:SecureTransport": "true"}
        }
    }]});
    let policy = Policy::parse("p", PolicyType::Custom, &document.to_string()).unwrap();
    let base = || {
        Context::new()
            .with("acs:sourceip", "10.1.2.3")
            .with("oos:TemplateName", "restart-web")
            .with("acs:SecureTransport", "true")
    };
    let allowed = |context: Context| {
        evaluate(
            &[&policy],
            &AuthzRequest {
                action: "oos:StartExecution".into(),
                resources: vec!["*".into()],
                context,
            },
        )
        .allowed
    };
    assert!(allowed(base()));
    assert!(
        !allowed(base().with("acs:SourceIp", "11.0.0.1")),
        "IpAddress fails"
    );
    assert!(
        !allowed(base().with("oos:TemplateName", "other")),
        "first key of StringEquals fails"
    );
    assert!(
        !allowed(base().with("acs:SecureTransport", "false")),
        "second key of StringEquals fails"
    );
}

#[test]
fn resource_tags_and_request_context_keys() {
    let document = json!({"Version": "1", "Statement": [{
        "Effect": "Allow", "Action": "oos:*", "Resource": "*",
        "Condition": {"StringEquals": {"oos:ResourceTag/team": "dev"}, "DateLessThan": {"acs:CurrentTime": "2030-01-01T00:00:00Z"}}
    }]});
    let policy = Policy::parse("p", PolicyType::Custom, &document.to_string()).unwrap();
    let now = "2026-11-25T12:00:00Z".parse().unwrap();
    let context = Context::for_request("192.0.2.1".parse().unwrap(), now, true, false);
    let request = |context| AuthzRequest {
        action: "oos:GetTemplate".into(),
        resources: vec!["*".into()],
        context,
    };
    assert!(
        evaluate(
            &[&policy],
            &request(context.clone().with_resource_tag("team", "dev"))
        )
        .allowed
    );
    assert!(
        !evaluate(
            &[&policy],
            &request(context.clone().with_resource_tag("team", "ops"))
        )
        .allowed
    );
    assert!(
        !evaluate(&[&policy], &request(context)).allowed,
        "missing tag"
    );
}
