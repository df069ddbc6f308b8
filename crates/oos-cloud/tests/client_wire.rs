//! The client against a scripted, signature-verifying server: both signature schemes, ROA,
//! STS tokens, retries and back-off (recorded, not slept), error classification, paging, dates
//! read from the injected clock.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use oos_actions::{ApiCall, CloudApi, RoaRequest};
use oos_clock::{Clock, Sleep, SystemClock};
use oos_cloud::{CloudClient, CloudConfig, Credentials, RetryPolicy, SignatureScheme, simple_call};
use serde_json::{Map, Value, json};
use support::scripted::{ACCESS_KEY_ID, ACCESS_KEY_SECRET, ScriptedServer, error, ok};

/// The system time, and waits that are recorded and over at once.
#[derive(Debug, Default)]
struct RecordingSleeper(Mutex<Vec<Duration>>);

impl Clock for RecordingSleeper {
    fn now_ms(&self) -> i64 {
        SystemClock.now_ms()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        self.0.lock().unwrap().push(duration);
        Box::pin(std::future::ready(()))
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy { max_attempts: 5, base: Duration::from_millis(100), cap: Duration::from_secs(3) }
}

fn client_for(
    server: &ScriptedServer,
    scheme: SignatureScheme,
    credentials: Credentials,
) -> (CloudClient, Arc<RecordingSleeper>) {
    let mut config = CloudConfig::default().with_sandbox(server.url.clone());
    config.signature = scheme;
    config.retry = policy();
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = CloudClient::new(config, credentials).unwrap().with_clock(sleeper.clone()).with_backoff_seed(11);
    (client, sleeper)
}

fn keys() -> Credentials {
    Credentials::new(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
}

fn call(api: &str, parameters: Value) -> ApiCall {
    simple_call("ECS", api, parameters.as_object().cloned().unwrap_or_default())
}

const AWKWARD: &str = "a b*c~d+e/é:'\n";

#[tokio::test]
async fn acs3_and_v1_rpc_calls_verify_and_carry_parameters() {
    for scheme in [SignatureScheme::Acs3, SignatureScheme::V1] {
        let server = ScriptedServer::start(|_, index| ok(index)).await;
        let (client, _) = client_for(&server, scheme, keys());
        let result = client
            .call(&call(
                "DescribeInstances",
                json!({"RegionId": "cn-hangzhou", "InstanceName": AWKWARD, "InstanceIds": ["i-1"], "DryRun": false}),
            ))
            .await
            .unwrap();
        assert_eq!(result, json!({"RequestId": "R-0"}), "{scheme:?}");
        let seen = &server.seen()[0];
        assert_eq!(seen.action, "DescribeInstances");
        assert_eq!(seen.param("InstanceName"), Some(AWKWARD));
        assert_eq!(seen.param("InstanceIds"), Some(r#"["i-1"]"#));
        assert_eq!(seen.param("DryRun"), Some("false"));
        let version = seen.headers.iter().find(|(name, _)| name == "x-acs-version").map(|(_, value)| value.as_str());
        assert_eq!(version, Some("2014-05-26"));
        assert_eq!(seen.param("Action").is_some(), scheme == SignatureScheme::V1);
    }
}

#[tokio::test]
async fn sts_tokens_are_sent_and_signed_in_both_schemes() {
    for scheme in [SignatureScheme::Acs3, SignatureScheme::V1] {
        let server = ScriptedServer::start(|_, index| ok(index)).await;
        let mut credentials = keys();
        credentials.security_token = Some("sts-token-1".into());
        let (client, _) = client_for(&server, scheme, credentials);
        client.call(&call("DescribeRegions", json!({}))).await.unwrap();
        let seen = &server.seen()[0];
        let header = seen.headers.iter().any(|(name, value)| name == "x-acs-security-token" && value == "sts-token-1");
        assert!(header || seen.param("SecurityToken") == Some("sts-token-1"), "{scheme:?}: token missing");
    }
}

#[tokio::test]
async fn wrong_secret_is_rejected_and_not_retried() {
    let server = ScriptedServer::start(|_, index| ok(index)).await;
    let (client, sleeper) = client_for(&server, SignatureScheme::Acs3, Credentials::new(ACCESS_KEY_ID, "wrong"));
    let failure = client.call(&call("DescribeRegions", json!({}))).await.unwrap_err();
    assert_eq!(failure.code, "SignatureDoesNotMatch");
    assert_eq!(failure.http_status, Some(400));
    assert!(sleeper.0.lock().unwrap().is_empty());
    assert_eq!(client.stats().attempts, 1);
}

#[tokio::test]
async fn roa_calls_sign_the_real_path_and_body() {
    let server =
        ScriptedServer::start(|seen, _| (200, Vec::new(), json!({"path": seen.path, "method": seen.method}))).await;
    let (client, _) = client_for(&server, SignatureScheme::Acs3, keys());
    let mut roa_call = simple_call("CS", "ModifyCluster", Map::new());
    roa_call.parameters.insert("region".into(), json!("cn-hangzhou"));
    roa_call.roa = Some(RoaRequest {
        method: "put".into(),
        uri: "/api/v2/clusters/c 1?detail=true".into(),
        headers: json!({"x-acs-extra": "1"}).as_object().unwrap().clone(),
        body: Some(json!({"deletion_protection": true})),
    });
    let result = client.call(&roa_call).await.unwrap();
    assert_eq!(result, json!({"path": "/api/v2/clusters/c%201", "method": "PUT"}));
    let seen = &server.seen()[0];
    assert_eq!(seen.body, br#"{"deletion_protection":true}"#);
    assert_eq!(seen.param("detail"), Some("true"));
    assert_eq!(seen.param("region"), Some("cn-hangzhou"));
}

#[tokio::test]
async fn throttling_is_retried_with_bounded_jittered_back_off() {
    let server =
        ScriptedServer::start(|_, index| if index < 3 { error(400, "Throttling.User") } else { ok(index) }).await;
    let (client, sleeper) = client_for(&server, SignatureScheme::Acs3, keys());
    let result = client.call(&call("StopInstance", json!({"InstanceId": "i-1"}))).await.unwrap();
    assert_eq!(result["RequestId"], "R-3");
    let delays = sleeper.0.lock().unwrap().clone();
    assert_eq!(delays.len(), 3);
    for (retry, delay) in delays.iter().enumerate() {
        assert!(*delay <= Duration::from_millis(100 << retry), "retry {retry}: {delay:?}");
    }
    let stats = client.stats();
    assert_eq!((stats.attempts, stats.throttled_retries, stats.failed_calls), (4, 3, 0));
}

#[tokio::test]
async fn retry_after_header_sets_the_wait() {
    let server = ScriptedServer::start(|_, index| {
        if index == 0 {
            (503, vec![("x-acs-retry-after", "2".to_owned())], json!({"Code": "ServiceUnavailable", "Message": "busy"}))
        } else {
            ok(index)
        }
    })
    .await;
    let (client, sleeper) = client_for(&server, SignatureScheme::Acs3, keys());
    client.call(&call("DescribeRegions", json!({}))).await.unwrap();
    assert_eq!(*sleeper.0.lock().unwrap(), [Duration::from_secs(2)]);
    assert_eq!(client.stats().server_error_retries, 1);
}

#[tokio::test]
async fn client_errors_return_at_once_and_server_errors_exhaust_attempts() {
    let server = ScriptedServer::start(|seen, _| {
        if seen.action == "StartInstance" { error(403, "IncorrectInstanceStatus") } else { error(500, "InternalError") }
    })
    .await;
    let (client, sleeper) = client_for(&server, SignatureScheme::Acs3, keys());
    let failure = client.call(&call("StartInstance", json!({"InstanceId": "i-1"}))).await.unwrap_err();
    assert_eq!(
        (failure.code.as_str(), failure.http_status, failure.request_id.as_deref()),
        ("IncorrectInstanceStatus", Some(403), Some("E-1"))
    );
    assert_eq!(client.stats().attempts, 1);

    let failure = client.call(&call("DescribeRegions", json!({}))).await.unwrap_err();
    assert_eq!(failure.code, "InternalError");
    assert_eq!(client.stats().attempts, 1 + 5);
    assert_eq!(sleeper.0.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn connection_failures_are_retried_then_reported() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = unused.local_addr().unwrap();
    drop(unused);
    let mut config = CloudConfig::default().with_sandbox(format!("http://{address}"));
    config.retry = RetryPolicy { max_attempts: 3, ..policy() };
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = CloudClient::new(config, keys()).unwrap().with_clock(sleeper.clone());
    let failure = client.call(&call("RunInstances", json!({"ImageId": "m-1"}))).await.unwrap_err();
    assert_eq!(failure.code, "NetworkError.Connection");
    assert_eq!(client.stats().transport_retries, 2);
}

#[tokio::test]
async fn next_token_pages_are_merged_for_oos_lists() {
    let server = ScriptedServer::start(|seen, _| {
        let (items, next) = match seen.param("NextToken") {
            None => (json!([{"TemplateName": "a"}, {"TemplateName": "b"}]), "p2"),
            Some("p2") => (json!([{"TemplateName": "c"}]), ""),
            Some(other) => panic!("unexpected token {other}"),
        };
        (200, Vec::new(), json!({"RequestId": "R", "MaxResults": 2, "NextToken": next, "Templates": items}))
    })
    .await;
    let (client, _) = client_for(&server, SignatureScheme::Acs3, keys());
    let list = simple_call("OOS", "ListTemplates", json!({"MaxResults": 2}).as_object().unwrap().clone());
    let merged = client.call(&list).await.unwrap();
    assert_eq!(merged["Templates"], json!([{"TemplateName": "a"}, {"TemplateName": "b"}, {"TemplateName": "c"}]));
    assert_eq!(server.seen().len(), 2);

    let mut single = list.clone();
    single.auto_paging = false;
    let first = client.call(&single).await.unwrap();
    assert_eq!(first["Templates"].as_array().unwrap().len(), 2);
    assert_eq!(first["NextToken"], "p2");
}

#[tokio::test]
async fn client_token_is_added_to_mutating_calls_only() {
    let server = ScriptedServer::start(|_, index| ok(index)).await;
    let (client, _) = client_for(&server, SignatureScheme::Acs3, keys());
    let mut run = call("RunInstances", json!({"ImageId": "m-1"}));
    run.client_token = "exec-1-task-2-0".into();
    client.call(&run).await.unwrap();
    let mut stop = call("StopInstance", json!({"InstanceId": "i-1"}));
    stop.client_token = "exec-1-task-3-0".into();
    client.call(&stop).await.unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].param("ClientToken"), Some("exec-1-task-2-0"));
    assert_eq!(seen[1].param("ClientToken"), None);
}

#[tokio::test]
async fn long_parameters_travel_in_a_signed_form_body() {
    let content = format!("FormatVersion: OOS-2019-06-01\nDescription: '{}'\n", "long text é+*/ ".repeat(4000));
    for scheme in [SignatureScheme::Acs3, SignatureScheme::V1] {
        let server = ScriptedServer::start(|_, index| ok(index)).await;
        let (client, _) = client_for(&server, scheme, keys());
        let parameters = json!({"TemplateName": "big", "Content": content}).as_object().cloned().unwrap();
        client.call(&simple_call("OOS", "CreateTemplate", parameters)).await.unwrap();
        let seen = &server.seen()[0];
        assert_eq!(seen.param("Content"), Some(content.as_str()), "{scheme:?}");
        assert!(seen.body.len() > 60_000, "{scheme:?}: parameters should be in the body");
    }
}

#[tokio::test]
async fn ram_roles_are_assumed_once_and_their_token_is_used() {
    let server = ScriptedServer::start(|seen, index| {
        if seen.action == "AssumeRole" {
            let credentials = json!({"AccessKeyId": ACCESS_KEY_ID, "AccessKeySecret": ACCESS_KEY_SECRET,
                                     "SecurityToken": "sts-role-token", "Expiration": "2099-01-01T00:00:00Z"});
            (200, Vec::new(), json!({"RequestId": "A", "Credentials": credentials}))
        } else {
            ok(index)
        }
    })
    .await;
    let mut config = CloudConfig::default().with_sandbox(server.url.clone());
    config.assume_role = Some(oos_cloud::AssumeRoleConfig { account_id: "1234".into(), duration_secs: 900 });
    let client = CloudClient::new(config, keys()).unwrap();
    let mut describe = call("DescribeRegions", json!({}));
    describe.ram_role = Some("OOSServiceRole".into());
    describe.execution_id = "exec-42".into();
    client.call(&describe).await.unwrap();
    client.call(&describe).await.unwrap();
    let seen = server.seen();
    let actions: Vec<&str> = seen.iter().map(|request| request.action.as_str()).collect();
    assert_eq!(actions, ["AssumeRole", "DescribeRegions", "DescribeRegions"]);
    assert_eq!(seen[0].param("RoleArn"), Some("acs:ram::1234:role/OOSServiceRole"));
    assert_eq!(seen[0].param("RoleSessionName"), Some("exec-42"));
    let token = |request: &support::scripted::Seen| {
        request.headers.iter().find(|(name, _)| name == "x-acs-security-token").map(|(_, value)| value.clone())
    };
    assert_eq!(token(&seen[0]), None);
    assert_eq!(token(&seen[1]).as_deref(), Some("sts-role-token"));
}

#[tokio::test]
async fn signature_dates_and_back_off_follow_the_injected_clock() {
    const START_MS: i64 = 1_893_456_000_000; // 2030-01-01T00:00:00Z
    let server = ScriptedServer::start(|_, index| {
        if index == 0 {
            (503, vec![("x-acs-retry-after", "3600".to_owned())], json!({"Code": "ServiceUnavailable", "Message": "busy"}))
        } else {
            ok(index)
        }
    })
    .await;
    let clock = oos_clock::VirtualClock::new(START_MS);
    clock.auto_advance(Duration::from_millis(5));
    let mut config = CloudConfig::default().with_sandbox(server.url.clone());
    config.retry = RetryPolicy { cap: Duration::from_secs(7200), ..policy() };
    let client = CloudClient::new(config, keys()).unwrap().with_clock(Arc::new(clock.clone()));
    let real = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(10), client.call(&call("DescribeRegions", json!({})))).await.expect("an hour of back-off in virtual time").unwrap();
    assert!(real.elapsed() < Duration::from_secs(5));
    assert_eq!(clock.now_ms(), START_MS + 3_600_000, "the client waited the hour the server asked for, on its clock");
    let dates: Vec<String> = server.seen().iter().map(|seen| seen.headers.iter().find(|(name, _)| name == "x-acs-date").map(|(_, date)| date.clone()).unwrap_or_default()).collect();
    assert_eq!(dates, ["2030-01-01T00:00:00Z", "2030-01-01T01:00:00Z"]);
}
