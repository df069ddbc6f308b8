//! Policy documents that must be refused, with the exact code, statement index and path.

use oos_iam::policy::MAX_POLICY_DOCUMENT_CHARS;
use oos_iam::{Policy, PolicyType, TrustPolicy};

fn refuse(document: &str) -> (String, Option<usize>, String) {
    let error = Policy::parse("p", PolicyType::Custom, document).expect_err(document);
    (error.code.to_string(), error.statement, error.path)
}

#[test]
fn refused_documents_name_code_statement_and_path() {
    let ok = r#"{"Effect":"Allow","Action":"oos:*","Resource":"*"}"#;
    let cases: Vec<(String, &str, Option<usize>, &str)> = vec![
        ("not json".into(), "InvalidPolicyDocument.Malformed", None, "$"),
        ("[]".into(), "InvalidPolicyDocument.Malformed", None, "$"),
        (r#"{"Statement":[]}"#.into(), "InvalidPolicyDocument.Version", None, "$.Version"),
        (r#"{"Version":"2","Statement":[]}"#.into(), "InvalidPolicyDocument.Version", None, "$.Version"),
        (r#"{"Version":1,"Statement":[]}"#.into(), "InvalidPolicyDocument.Version", None, "$.Version"),
        (r#"{"Version":"1"}"#.into(), "InvalidPolicyDocument.Statement", None, "$.Statement"),
        (r#"{"Version":"1","Statement":[]}"#.into(), "InvalidPolicyDocument.Statement", None, "$.Statement"),
        (r#"{"Version":"1","Statement":{}}"#.into(), "InvalidPolicyDocument.Statement", None, "$.Statement"),
        (r#"{"Version":"1","Statement":[],"Id":"x"}"#.into(), "InvalidPolicyDocument.UnknownElement", None, "$.Id"),
        (format!(r#"{{"Version":"1","Statement":[{ok},7]}}"#), "InvalidPolicyDocument.Statement", Some(1), "$.Statement[1]"),
        (r#"{"Version":"1","Statement":[{"Action":"oos:*","Resource":"*"}]}"#.into(), "InvalidPolicyDocument.Effect", Some(0), "$.Statement[0].Effect"),
        (r#"{"Version":"1","Statement":[{"Effect":"allow","Action":"oos:*","Resource":"*"}]}"#.into(), "InvalidPolicyDocument.Effect", Some(0), "$.Statement[0].Effect"),
        (format!(r#"{{"Version":"1","Statement":[{ok},{{"Effect":"Allow","Resource":"*"}}]}}"#), "InvalidPolicyDocument.Action", Some(1), "$.Statement[1].Action"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","NotAction":"ecs:*","Resource":"*"}]}"#.into(), "InvalidPolicyDocument.Action", Some(0), "$.Statement[0].NotAction"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#.into(), "InvalidPolicyDocument.Action", Some(0), "$.Statement[0].Action"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oos:*","StartExecution"],"Resource":"*"}]}"#.into(), "InvalidPolicyDocument.Action", Some(0), "$.Statement[0].Action[1]"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oos:*",3],"Resource":"*"}]}"#.into(), "InvalidPolicyDocument.Action", Some(0), "$.Statement[0].Action[1]"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"o o:x","Resource":"*"}]}"#.into(), "InvalidPolicyDocument.Action", Some(0), "$.Statement[0].Action[0]"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:"}]}"#.into(), "InvalidPolicyDocument.Action", Some(0), "$.Statement[0].Action[0]"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*"}]}"#.into(), "InvalidPolicyDocument.Resource", Some(0), "$.Statement[0].Resource"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"template/x"}]}"#.into(), "InvalidPolicyDocument.Resource", Some(0), "$.Statement[0].Resource[0]"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"acs:oos:*:template/x"}]}"#.into(), "InvalidPolicyDocument.Resource", Some(0), "$.Statement[0].Resource[0]"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","NotResource":"*"}]}"#.into(), "InvalidPolicyDocument.Resource", Some(0), "$.Statement[0].NotResource"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Sid":"a"}]}"#.into(), "InvalidPolicyDocument.UnknownElement", Some(0), "$.Statement[0].Sid"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Principal":{"RAM":"*"}}]}"#.into(), "InvalidPolicyDocument.Principal", Some(0), "$.Statement[0].Principal"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Condition":[]}]}"#.into(), "InvalidPolicyDocument.Condition", Some(0), "$.Statement[0].Condition"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Condition":{"StringEqual":{"k":"v"}}}]}"#.into(), "InvalidPolicyDocument.Condition", Some(0), "$.Statement[0].Condition.StringEqual"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Condition":{"StringEquals":"v"}}]}"#.into(), "InvalidPolicyDocument.Condition", Some(0), "$.Statement[0].Condition.StringEquals"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Condition":{"StringEquals":{}}}]}"#.into(), "InvalidPolicyDocument.Condition", Some(0), "$.Statement[0].Condition.StringEquals"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Condition":{"StringEquals":{"k":[]}}}]}"#.into(), "InvalidPolicyDocument.Condition", Some(0), "$.Statement[0].Condition.StringEquals.k"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Condition":{"StringEquals":{"k":[{"a":1}]}}}]}"#.into(), "InvalidPolicyDocument.Condition", Some(0), "$.Statement[0].Condition.StringEquals.k[0]"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","10.0.0.0/33"]}}}]}"#.into(), "InvalidPolicyDocument.Condition", Some(0), "$.Statement[0].Condition.IpAddress.acs:SourceIp[1]"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"tomorrow"}}}]}"#.into(), "InvalidPolicyDocument.Condition", Some(0), "$.Statement[0].Condition.DateLessThan.acs:CurrentTime[0]"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Condition":{"NumericLessThan":{"k":"ten"}}}]}"#.into(), "InvalidPolicyDocument.Condition", Some(0), "$.Statement[0].Condition.NumericLessThan.k[0]"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"yes"}}}]}"#.into(), "InvalidPolicyDocument.Condition", Some(0), "$.Statement[0].Condition.Bool.acs:SecureTransport[0]"),
    ];
    for (document, code, statement, path) in cases {
        assert_eq!(
            refuse(&document),
            (code.to_string(), statement, path.to_string()),
            "{document}"
        );
    }
}

#[test]
fn messages_say_what_was_expected() {
    let error = Policy::parse("p", PolicyType::Custom, r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"300.1.1.1"}}}]}"#).unwrap_err();
    assert_eq!(
        error.to_string(),
        "InvalidPolicyDocument.Condition: IpAddress needs an IPv4/IPv6 address or CIDR block, got \"300.1.1.1\" (at $.Statement[0].Condition.IpAddress.acs:SourceIp[0])"
    );
    let error = Policy::parse(
        "p",
        PolicyType::Custom,
        "{\n  \"Version\": \"1\",\n  oops\n}",
    )
    .unwrap_err();
    assert!(error.message.contains("line 3"), "{}", error.message);
}

#[test]
fn size_limit_is_rams_6144_characters() {
    let statement = r#"{"Effect":"Allow","Action":"oos:GetTemplate","Resource":"*"}"#;
    let build = |padding: usize| {
        format!(
            r#"{{"Version":"1","Statement":[{statement}]{}}}"#,
            " ".repeat(padding)
        )
    };
    let base = build(0).chars().count();
    let at_limit = build(MAX_POLICY_DOCUMENT_CHARS - base);
    assert_eq!(at_limit.chars().count(), 6144);
    assert!(Policy::parse("p", PolicyType::Custom, &at_limit).is_ok());
    let over = build(MAX_POLICY_DOCUMENT_CHARS - base + 1);
    assert_eq!(refuse(&over).0, "InvalidPolicyDocument.TooLong");
}

#[test]
fn accepted_forms() {
    let documents = [
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        r#"{"Version":"1","Statement":[{"Effect":"Deny","NotAction":["oos:Get*","oos:List*"],"NotResource":"acs:oos:*:*:template/*"}]}"#,
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oos:Start?xecution","Resource":["acs:oos:cn-hangzhou:123:template/a","acs:ecs:*:*:instance/i-*"],
            "Condition":{"Bool":{"acs:MFAPresent":true},"NumericLessThan":{"k":3.5},"DateGreaterThan":{"acs:CurrentTime":1700000000}}}]}"#,
    ];
    for document in documents {
        Policy::parse("p", PolicyType::Custom, document)
            .unwrap_or_else(|e| panic!("{document}: {e}"));
    }
}

#[test]
fn trust_policies_need_principal_and_may_omit_resource() {
    let trust = TrustPolicy::parse(
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["oos.aliyuncs.com"],"RAM":["acs:ram::123:root"]}}]}"#,
    )
    .unwrap();
    use oos_iam::policy::TrustedPrincipal::{Ram, Service};
    assert!(trust.trusts(&Service("oos.aliyuncs.com")));
    assert!(trust.trusts(&Service("OOS.aliyuncs.com")));
    assert!(!trust.trusts(&Service("ecs.aliyuncs.com")));
    assert!(trust.trusts(&Ram("acs:ram::123:root")));
    assert!(!trust.trusts(&Ram("acs:ram::456:root")));
    let missing = TrustPolicy::parse(
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
    )
    .unwrap_err();
    assert_eq!(
        (missing.code, missing.path.as_str()),
        (
            "InvalidPolicyDocument.Principal",
            "$.Statement[0].Principal"
        )
    );
    let empty = TrustPolicy::parse(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{}}]}"#).unwrap_err();
    assert_eq!(empty.code, "InvalidPolicyDocument.Principal");
    let denied = TrustPolicy::parse(
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*"}},
            {"Effect":"Deny","Action":"sts:*","Principal":{"Service":"oos.aliyuncs.com"}}]}"#,
    )
    .unwrap();
    assert!(
        !denied.trusts(&Service("oos.aliyuncs.com")),
        "Deny wins in trust policies too"
    );
    assert!(denied.trusts(&Service("fc.aliyuncs.com")));
}
