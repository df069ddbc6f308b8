//! STS on the emulator: AssumeRole's checks and answer, calls signed with the temporary keys and
//! their SecurityToken (refused when expired, missing or someone else's), AssumeRoleWithOIDC
//! unsigned, GetCallerIdentity, the journal of callers, and the ECS metadata service's role
//! credentials.

mod support;

use std::time::Duration;

use oos_acs::{Credentials, IncomingRequest, acs3, encode};
use oos_emulator::{
    Caller, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, ECS_VERSION, Emulator, EmulatorBuilder, Reply,
    STS_VERSION,
};
use serde_json::Value;
use support::ManualClock;

const ACCOUNT: &str = "1234567890123456";

fn emulator(configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder) -> (Emulator, ManualClock) {
    let clock = ManualClock::new();
    let builder = clock.install(Emulator::builder().account_id(ACCOUNT).journal(true));
    (configure(builder).build().unwrap(), clock)
}

fn base() -> Credentials {
    Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
}

/// An ACS3-signed request (with `x-acs-security-token` when the credentials carry one).
fn signed(emulator: &Emulator, clock: &ManualClock, credentials: &Credentials, version: &str, action: &str, params: &[(&str, &str)]) -> Reply {
    let params: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let date = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let nonce = uuid_like(&date, action);
    let mut headers = acs3::rpc_headers("emulator", action, version, &date, &nonce, b"", credentials);
    headers.push(("authorization".into(), acs3::sign(credentials, "POST", "/", &params, &headers, b"")));
    emulator.handle(&IncomingRequest {
        method: "POST".into(),
        path: "/".into(),
        raw_query: encode::encode_form(&params),
        headers,
        body: Vec::new(),
    })
}

fn uuid_like(date: &str, action: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!("{date}-{action}-{}", COUNTER.fetch_add(1, Ordering::SeqCst))
}

fn code(reply: &Reply) -> (u16, &str) {
    (reply.status, reply.body["Code"].as_str().unwrap_or("<success>"))
}

fn temporary(answer: &Value) -> Credentials {
    let field = |name: &str| answer["Credentials"][name].as_str().unwrap().to_owned();
    let mut credentials = Credentials::new(field("AccessKeyId"), field("AccessKeySecret"));
    credentials.security_token = Some(field("SecurityToken"));
    credentials
}

fn assume(emulator: &Emulator, clock: &ManualClock, params: &[(&str, &str)]) -> Reply {
    signed(emulator, clock, &base(), STS_VERSION, "AssumeRole", params)
}

#[test]
fn an_assumed_role_calls_ecs_as_itself_until_its_credentials_expire() {
    let (emulator, clock) = emulator(|builder| builder);
    let arn = format!("acs:ram::{ACCOUNT}:role/EcsOperator");
    let answer = assume(&emulator, &clock, &[("RoleArn", &arn), ("RoleSessionName", "exec-0123456789abcdef"), ("DurationSeconds", "900")]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["AssumedRoleUser"]["Arn"], format!("acs:ram::{ACCOUNT}:assumed-role/EcsOperator/exec-0123456789abcdef"));
    assert!(answer.body["AssumedRoleUser"]["AssumedRoleId"].as_str().unwrap().ends_with(":exec-0123456789abcdef"));
    let expected_expiry = clock.now().checked_add(jiff::SignedDuration::from_secs(900)).unwrap();
    assert_eq!(answer.body["Credentials"]["Expiration"], expected_expiry.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
    let role = temporary(&answer.body);
    assert!(role.access_key_id.starts_with("STS."));

    let described = signed(&emulator, &clock, &role, ECS_VERSION, "DescribeInstances", &[]);
    assert_eq!(described.status, 200, "{}", described.body);
    let identity = signed(&emulator, &clock, &role, STS_VERSION, "GetCallerIdentity", &[]);
    assert_eq!(identity.body["IdentityType"], "AssumedRoleUser");
    assert_eq!(identity.body["Arn"], format!("acs:ram::{ACCOUNT}:assumed-role/EcsOperator/exec-0123456789abcdef"));
    assert_eq!(identity.body["AccountId"], ACCOUNT);
    let root = signed(&emulator, &clock, &base(), STS_VERSION, "GetCallerIdentity", &[]);
    assert_eq!((root.body["IdentityType"].as_str(), root.body["Arn"].as_str()), (Some("Account"), Some(format!("acs:ram::{ACCOUNT}:root").as_str())));

    let calls = emulator.calls();
    let as_role = Caller::AssumedRole { role_arn: arn.clone(), session_name: "exec-0123456789abcdef".into(), access_key_id: role.access_key_id.clone() };
    let seen: Vec<(&str, &Caller)> = calls.iter().map(|call| (call.action.as_str(), &call.caller)).collect();
    let account = Caller::AccessKey { access_key_id: DEFAULT_ACCESS_KEY_ID.into() };
    assert_eq!(seen, [("AssumeRole", &account), ("DescribeInstances", &as_role), ("GetCallerIdentity", &as_role), ("GetCallerIdentity", &account)]);

    clock.advance(Duration::from_secs(900));
    let expired = signed(&emulator, &clock, &role, ECS_VERSION, "DescribeInstances", &[]);
    assert_eq!(code(&expired), (400, "InvalidSecurityToken.Expired"));
    assert_eq!(emulator.calls().len(), 4, "a refused signature acts as nobody and is not a call");
    clock.advance(Duration::from_secs(24 * 3600));
    assume(&emulator, &clock, &[("RoleArn", &arn), ("RoleSessionName", "later")]);
    let forgotten = signed(&emulator, &clock, &role, ECS_VERSION, "DescribeInstances", &[]);
    assert_eq!(code(&forgotten), (404, "InvalidAccessKeyId.NotFound"), "forgotten a day after it expired");
}

#[test]
fn temporary_keys_need_their_own_token() {
    let (emulator, clock) = emulator(|builder| builder);
    let arn = format!("acs:ram::{ACCOUNT}:role/R");
    let first = temporary(&assume(&emulator, &clock, &[("RoleArn", &arn), ("RoleSessionName", "one")]).body);
    let second = temporary(&assume(&emulator, &clock, &[("RoleArn", &arn), ("RoleSessionName", "two")]).body);
    let mut without = first.clone();
    without.security_token = None;
    assert_eq!(code(&signed(&emulator, &clock, &without, ECS_VERSION, "DescribeInstances", &[])), (400, "MissingSecurityToken"));
    let mut swapped = first.clone();
    swapped.security_token.clone_from(&second.security_token);
    assert_eq!(code(&signed(&emulator, &clock, &swapped, ECS_VERSION, "DescribeInstances", &[])), (400, "InvalidSecurityToken.MismatchWithAccessKey"));
    let mut base_with_token = base();
    base_with_token.security_token.clone_from(&first.security_token);
    assert_eq!(code(&signed(&emulator, &clock, &base_with_token, ECS_VERSION, "DescribeInstances", &[])), (400, "InvalidSecurityToken.MismatchWithAccessKey"));
    let mut unknown = first;
    unknown.access_key_id = "STS.unknown".into();
    assert_eq!(code(&signed(&emulator, &clock, &unknown, ECS_VERSION, "DescribeInstances", &[])), (404, "InvalidAccessKeyId.NotFound"));
}

#[test]
fn assume_role_checks_its_parameters() {
    let (emulator, clock) = emulator(|builder| builder.only_roles(["EcsOperator"]));
    let good = format!("acs:ram::{ACCOUNT}:role/EcsOperator");
    type Case<'a> = (&'a [(&'a str, &'a str)], (u16, &'a str));
    let cases: [Case; 8] = [
        (&[("RoleSessionName", "s1")], (400, "MissingParameter.RoleArn")),
        (&[("RoleArn", &good)], (400, "MissingParameter.RoleSessionName")),
        (&[("RoleArn", "arn:aws:iam::1:role/x"), ("RoleSessionName", "s1")], (400, "InvalidParameter.RoleArn")),
        (&[("RoleArn", "acs:ram::999:role/EcsOperator"), ("RoleSessionName", "s1")], (404, "EntityNotExist.Role")),
        (&[("RoleArn", &format!("acs:ram::{ACCOUNT}:role/Other")), ("RoleSessionName", "s1")], (404, "EntityNotExist.Role")),
        (&[("RoleArn", &good), ("RoleSessionName", "a")], (400, "InvalidParameter.RoleSessionName")),
        (&[("RoleArn", &good), ("RoleSessionName", "bad name")], (400, "InvalidParameter.RoleSessionName")),
        (&[("RoleArn", &good), ("RoleSessionName", "s1"), ("DurationSeconds", "899")], (400, "InvalidParameter.DurationSeconds")),
    ];
    for (params, expected) in cases {
        assert_eq!(code(&assume(&emulator, &clock, params)), expected, "{params:?}");
    }
    let long = "x".repeat(64);
    let ok = assume(&emulator, &clock, &[("RoleArn", &good), ("RoleSessionName", &long), ("DurationSeconds", "43200")]);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let too_long = format!("{long}x");
    assert_eq!(code(&assume(&emulator, &clock, &[("RoleArn", &good), ("RoleSessionName", &too_long)])), (400, "InvalidParameter.RoleSessionName"));
    assert_eq!(code(&assume(&emulator, &clock, &[("RoleArn", &good), ("RoleSessionName", "s1"), ("DurationSeconds", "43201")])), (400, "InvalidParameter.DurationSeconds"));
}

fn unsigned(emulator: &Emulator, params: &[(&str, &str)]) -> Reply {
    let mut all = vec![("Action", "AssumeRoleWithOIDC"), ("Version", STS_VERSION), ("Format", "JSON")];
    all.extend_from_slice(params);
    let form: Vec<(String, String)> = all.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    emulator.handle(&IncomingRequest {
        method: "POST".into(),
        path: "/".into(),
        raw_query: String::new(),
        headers: vec![("content-type".into(), "application/x-www-form-urlencoded".into())],
        body: encode::encode_form(&form).into_bytes(),
    })
}

#[test]
fn assume_role_with_oidc_is_anonymous() {
    let (emulator, _clock) = emulator(|builder| builder);
    let role = format!("acs:ram::{ACCOUNT}:role/Pods");
    let provider = format!("acs:ram::{ACCOUNT}:oidc-provider/ack");
    let answer = unsigned(&emulator, &[("RoleArn", &role), ("OIDCProviderArn", &provider), ("OIDCToken", "eyJhbGciOi.e30.sig"), ("RoleSessionName", "pod-1")]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["AssumedRoleUser"]["Arn"], format!("acs:ram::{ACCOUNT}:assumed-role/Pods/pod-1"));
    assert_eq!(emulator.calls()[0].caller, Caller::Anonymous);
    let other = "acs:ram::42:oidc-provider/ack";
    let cases = [
        (vec![("RoleArn", role.as_str()), ("OIDCProviderArn", provider.as_str())], (400, "MissingParameter.OIDCToken")),
        (vec![("RoleArn", &role), ("OIDCProviderArn", &provider), ("OIDCToken", "abc")], (400, "InvalidParameter.OIDCToken")),
        (vec![("RoleArn", &role), ("OIDCProviderArn", other), ("OIDCToken", "abcd")], (404, "EntityNotExist.OIDCProvider")),
        (vec![("RoleArn", &role), ("OIDCProviderArn", "nope"), ("OIDCToken", "abcd")], (400, "InvalidParameter.OIDCProviderArn")),
    ];
    for (params, expected) in cases {
        assert_eq!(code(&unsigned(&emulator, &params)), expected, "{params:?}");
    }
    let unsigned_assume = emulator.handle(&IncomingRequest {
        method: "POST".into(),
        path: "/".into(),
        raw_query: format!("Action=AssumeRole&Version={STS_VERSION}&RoleArn={role}&RoleSessionName=x1"),
        headers: Vec::new(),
        body: Vec::new(),
    });
    assert_eq!(code(&unsigned_assume), (400, "IncompleteSignature"), "only AssumeRoleWithOIDC comes unsigned");
}

#[test]
fn the_metadata_service_serves_the_instance_role() {
    let (emulator, clock) = emulator(|builder| builder.metadata_role("EcsInstanceRole"));
    let path = oos_emulator::CREDENTIALS_PATH;
    assert_eq!(emulator.metadata("GET", path, None).unwrap().body, "EcsInstanceRole");
    let token = emulator.metadata("PUT", oos_emulator::TOKEN_PATH, None).unwrap().body;
    let answer = emulator.metadata("GET", &format!("{path}EcsInstanceRole"), Some(&token)).unwrap();
    assert_eq!(answer.status, 200);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["Code"], "Success");
    let role = temporary(&serde_json::json!({"Credentials": body}));
    let identity = signed(&emulator, &clock, &role, STS_VERSION, "GetCallerIdentity", &[]);
    assert_eq!(identity.body["Arn"], format!("acs:ram::{ACCOUNT}:assumed-role/EcsInstanceRole/ecs-metadata"));
    assert_eq!(emulator.metadata("GET", &format!("{path}Other"), None).unwrap().status, 404);
    assert_eq!(emulator.metadata("GET", path, Some("forged")).unwrap().status, 401);
    let (plain, _) = self::emulator(|builder| builder);
    assert!(plain.metadata("GET", path, None).is_none(), "off unless configured");
}
