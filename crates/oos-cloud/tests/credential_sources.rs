//! The client's own credentials from each source against the emulator — `ram_role_arn` (an
//! AccessKey assuming a role), `ecs_ram_role` (the emulator's metadata service), `oidc_role_arn`
//! (unsigned AssumeRoleWithOIDC with a token file) — renewed before they expire on the injected
//! clock, their failures named by source, their secrets never in Debug output.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use oos_actions::CloudApi;
use oos_clock::{Clock, VirtualClock};
use oos_cloud::{
    AssumeRoleConfig, CloudClient, CloudConfig, CredentialProvider, CredentialSource, Credentials, RetryPolicy, RoleToAssume,
    simple_call,
};
use oos_emulator::{Caller, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, EmulatorBuilder, EmulatorHandle};

const START_MS: i64 = 1_893_456_000_000; // 2030-01-01T00:00:00Z

async fn emulator(clock: &VirtualClock, configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder) -> EmulatorHandle {
    let time = clock.clone();
    let builder = Emulator::builder().journal(true).clock(move || time.timestamp());
    configure(builder).build().unwrap().spawn("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn config(handle: &EmulatorHandle) -> CloudConfig {
    let mut config = CloudConfig::default().with_sandbox(handle.url());
    config.retry = RetryPolicy { max_attempts: 1, ..RetryPolicy::default() };
    config
}

fn client(handle: &EmulatorHandle, clock: &VirtualClock, provider: CredentialProvider) -> CloudClient {
    CloudClient::with_provider(config(handle), provider, CredentialSource::Configuration).unwrap().with_clock(Arc::new(clock.clone()))
}

fn role(handle: &EmulatorHandle, name: &str, session: &str, duration_secs: u64) -> RoleToAssume {
    RoleToAssume { role_arn: arn(handle, name), session_name: session.into(), duration_secs }
}

fn arn(handle: &EmulatorHandle, name: &str) -> String {
    format!("acs:ram::{}:role/{name}", handle.emulator().account_id())
}

async fn describe(client: &CloudClient) -> Result<serde_json::Value, oos_actions::CloudError> {
    client.call(&simple_call("ECS", "DescribeRegions", serde_json::Map::new())).await
}

/// (action, caller) of every call the emulator saw.
fn seen(handle: &EmulatorHandle) -> Vec<(String, Caller)> {
    handle.emulator().calls().into_iter().map(|call| (call.action, call.caller)).collect()
}

/// The role ARN and session name a caller acted as (None for an AccessKey or anonymous).
type Session<'a> = (Option<&'a str>, Option<&'a str>);

fn as_session(caller: &Caller) -> Session<'_> {
    (caller.role_arn(), caller.session_name())
}

fn sessions(calls: &[(String, Caller)]) -> Vec<(&str, Session<'_>)> {
    calls.iter().map(|(action, caller)| (action.as_str(), as_session(caller))).collect()
}

fn base() -> Credentials {
    Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
}

#[tokio::test]
async fn ram_role_arn_assumes_with_the_access_key_and_renews_before_expiry() {
    let clock = VirtualClock::new(START_MS);
    let handle = emulator(&clock, |builder| builder).await;
    let provider = CredentialProvider::RamRoleArn { access_key: base(), role: role(&handle, "Ops", "openoos-test", 900) };
    let client = client(&handle, &clock, provider);
    describe(&client).await.unwrap();
    clock.advance(Duration::from_secs(599));
    describe(&client).await.unwrap();
    clock.advance(Duration::from_secs(2));
    describe(&client).await.unwrap();
    let calls = seen(&handle);
    let actions: Vec<&str> = calls.iter().map(|(action, _)| action.as_str()).collect();
    assert_eq!(actions, ["AssumeRole", "DescribeRegions", "DescribeRegions", "AssumeRole", "DescribeRegions"]);
    assert_eq!(calls[0].1, Caller::AccessKey { access_key_id: DEFAULT_ACCESS_KEY_ID.into() });
    let ops = arn(&handle, "Ops");
    for (_, caller) in calls.iter().filter(|(action, _)| action == "DescribeRegions") {
        assert_eq!(as_session(caller), (Some(ops.as_str()), Some("openoos-test")));
    }
    let fresh = self::client(&handle, &clock, CredentialProvider::RamRoleArn { access_key: base(), role: role(&handle, "Ops", "batch", 900) });
    futures::future::join_all((0..6).map(|_| describe(&fresh))).await;
    let renewals = seen(&handle).iter().filter(|(action, caller)| action == "AssumeRole" && caller.session_name().is_none()).count();
    assert_eq!(renewals, 3, "concurrent calls wait for one renewal");
    let shown = format!("{client:?}");
    assert!(!shown.contains(DEFAULT_ACCESS_KEY_SECRET) && !shown.contains("CAIS"), "{shown}");
}

#[tokio::test]
async fn execution_roles_are_assumed_with_temporary_base_credentials() {
    let clock = VirtualClock::new(START_MS);
    let handle = emulator(&clock, |builder| builder).await;
    let provider = CredentialProvider::RamRoleArn { access_key: base(), role: role(&handle, "OOSService", "openoos", 3600) };
    let mut config = config(&handle);
    config.assume_role = Some(AssumeRoleConfig { account_id: handle.emulator().account_id().into(), duration_secs: 900 });
    let client = CloudClient::with_provider(config, provider, CredentialSource::Configuration).unwrap().with_clock(Arc::new(clock.clone()));
    let mut call = simple_call("ECS", "DescribeRegions", serde_json::Map::new());
    call.execution_id = "exec-00000000000000c3".into();
    call.ram_role = Some("EcsOperator".into());
    client.call(&call).await.unwrap();
    let calls = seen(&handle);
    let service = arn(&handle, "OOSService");
    let operator = arn(&handle, "EcsOperator");
    let expected = [
        ("AssumeRole", (None, None)),
        ("AssumeRole", (Some(service.as_str()), Some("openoos"))),
        ("DescribeRegions", (Some(operator.as_str()), Some("exec-00000000000000c3"))),
    ];
    let got = sessions(&calls);
    assert_eq!(got, expected);
}

#[tokio::test]
async fn ecs_ram_role_reads_the_metadata_service_and_renews_before_expiry() {
    let clock = VirtualClock::new(START_MS);
    let handle = emulator(&clock, |builder| builder.metadata_role("EcsInstanceRole")).await;
    let client = client(&handle, &clock, CredentialProvider::EcsRamRole { role_name: None, metadata_url: handle.url() });
    describe(&client).await.unwrap();
    clock.advance(Duration::from_secs(6 * 3600 - 301));
    describe(&client).await.unwrap();
    clock.advance(Duration::from_secs(2));
    describe(&client).await.unwrap();
    let calls = seen(&handle);
    let role = arn(&handle, "EcsInstanceRole");
    assert!(calls.iter().all(|(_, caller)| as_session(caller) == (Some(role.as_str()), Some("ecs-metadata"))), "{calls:?}");
    let keys: Vec<&str> = calls
        .iter()
        .map(|(_, caller)| match caller {
            Caller::AssumedRole { access_key_id, .. } => access_key_id.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(keys[0], keys[1], "reused within the lifetime");
    assert_ne!(keys[1], keys[2], "renewed within the last five minutes");

    let named = client_of(&handle, &clock, "Other");
    let error = describe(&named).await.unwrap_err();
    assert_eq!(error.code, "InvalidCredentials.EcsMetadata");
    assert!(error.message.contains("ecs_ram_role credentials from the configuration") && error.message.contains(&handle.url()), "{error:?}");
    let closed = crate::client(&handle, &clock, CredentialProvider::EcsRamRole { role_name: None, metadata_url: "http://127.0.0.1:9".into() });
    assert_eq!(describe(&closed).await.unwrap_err().code, "InvalidCredentials.EcsMetadata");
}

fn client_of(handle: &EmulatorHandle, clock: &VirtualClock, role: &str) -> CloudClient {
    client(handle, clock, CredentialProvider::EcsRamRole { role_name: Some(role.into()), metadata_url: handle.url() })
}

fn oidc(handle: &EmulatorHandle, token_file: PathBuf) -> CredentialProvider {
    CredentialProvider::OidcRoleArn {
        role: role(handle, "Pods", "pod-1", 3600),
        oidc_provider_arn: format!("acs:ram::{}:oidc-provider/ack", handle.emulator().account_id()),
        oidc_token_file: token_file,
    }
}

#[tokio::test]
async fn oidc_role_arn_exchanges_the_token_file_unsigned_and_renews_before_expiry() {
    let clock = VirtualClock::new(START_MS);
    let handle = emulator(&clock, |builder| builder).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.e30.signature\n").unwrap();
    let client = client(&handle, &clock, oidc(&handle, token_file.clone()));
    describe(&client).await.unwrap();
    clock.advance(Duration::from_secs(3600 - 299));
    describe(&client).await.unwrap();
    let calls = seen(&handle);
    let pods = arn(&handle, "Pods");
    let got = sessions(&calls);
    let as_pod = (Some(pods.as_str()), Some("pod-1"));
    assert_eq!(got, [("AssumeRoleWithOIDC", (None, None)), ("DescribeRegions", as_pod), ("AssumeRoleWithOIDC", (None, None)), ("DescribeRegions", as_pod)]);
    assert_eq!(calls[0].1, Caller::Anonymous);

    std::fs::write(&token_file, "abc").unwrap();
    let refused = first_error(&handle, &clock, oidc(&handle, token_file)).await;
    assert_eq!(refused.code, "InvalidParameter.OIDCToken", "{refused:?}");
    assert!(refused.message.starts_with("oidc_role_arn credentials from the configuration"), "{refused:?}");
    let missing = dir.path().join("missing");
    let refused = first_error(&handle, &clock, oidc(&handle, missing.clone())).await;
    assert_eq!(refused.code, "InvalidCredentials.OidcTokenFile");
    assert!(refused.message.contains(&missing.display().to_string()), "{refused:?}");
}

/// The error of a fresh client's first call.
async fn first_error(handle: &EmulatorHandle, clock: &VirtualClock, provider: CredentialProvider) -> oos_actions::CloudError {
    describe(&client(handle, clock, provider)).await.unwrap_err()
}
