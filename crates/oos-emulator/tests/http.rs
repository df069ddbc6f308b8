//! Over real HTTP: signed requests (both schemes), rejected signatures, JSON errors for
//! anything else, throttling.

use oos_acs::{Credentials, acs3, encode, v1};
use oos_emulator::{ECS_VERSION, Emulator};
use serde_json::Value;

struct Answer {
    status: u16,
    body: Value,
}

async fn send(url: &str, target: String, headers: Vec<(String, String)>) -> Answer {
    let client = reqwest::Client::new();
    let mut request = client.post(format!("{url}{target}"));
    for (name, value) in headers {
        if name != "host" {
            request = request.header(name, value);
        }
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let body = response.json().await.expect("every answer is JSON");
    Answer { status, body }
}

fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "nonce-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

async fn acs3_call(
    url: &str,
    credentials: &Credentials,
    action: &str,
    params: &[(String, String)],
) -> Answer {
    let host = url.trim_start_matches("http://");
    let date = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut headers =
        acs3::rpc_headers(host, action, ECS_VERSION, &date, &nonce(), b"", credentials);
    let authorization = acs3::sign(credentials, "POST", "/", params, &headers, b"");
    headers.push(("authorization".into(), authorization));
    send(url, format!("/?{}", encode::encode_form(params)), headers).await
}

async fn v1_call(
    url: &str,
    credentials: &Credentials,
    action: &str,
    params: &[(String, String)],
) -> Answer {
    let mut signed = vec![
        ("Action".to_string(), action.to_string()),
        ("Version".into(), ECS_VERSION.into()),
        ("Format".into(), "JSON".into()),
    ];
    signed.extend(params.iter().cloned());
    let timestamp = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    v1::sign(credentials, "POST", &mut signed, &timestamp, &nonce());
    send(
        url,
        format!("/?{}", encode::encode_form(&signed)),
        Vec::new(),
    )
    .await
}

#[tokio::test]
async fn both_schemes_are_accepted_and_bad_signatures_rejected() {
    let emulator = Emulator::builder().access_key("ak", "sk").build().unwrap();
    let handle = emulator
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let good = Credentials::new("ak", "sk");
    let params = vec![
        ("PageSize".to_string(), "50".to_string()),
        ("InstanceName".to_string(), "demo-1*".to_string()),
        ("OwnerAccount".to_string(), "a b+c/*~é&=".to_string()),
    ];
    for answer in [
        acs3_call(&handle.url(), &good, "DescribeInstances", &params).await,
        v1_call(&handle.url(), &good, "DescribeInstances", &params).await,
    ] {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["TotalCount"], 1);
        assert!(
            answer.body["RequestId"]
                .as_str()
                .is_some_and(|id| id.len() == 36)
        );
    }
    let wrong = Credentials::new("ak", "not-sk");
    for answer in [
        acs3_call(&handle.url(), &wrong, "DescribeInstances", &params).await,
        v1_call(&handle.url(), &wrong, "DescribeInstances", &params).await,
    ] {
        assert_eq!(
            (answer.status, answer.body["Code"].as_str()),
            (400, Some("SignatureDoesNotMatch"))
        );
        assert!(answer.body["Message"].as_str().unwrap().contains(':'));
        for field in ["RequestId", "HostId", "Recommend"] {
            assert!(
                answer.body[field].is_string(),
                "{field} missing in {}",
                answer.body
            );
        }
    }
    let stranger = acs3_call(
        &handle.url(),
        &Credentials::new("who", "sk"),
        "DescribeInstances",
        &params,
    )
    .await;
    assert_eq!(
        (stranger.status, stranger.body["Code"].as_str()),
        (404, Some("InvalidAccessKeyId.NotFound"))
    );
    let unsigned = send(
        &handle.url(),
        "/?Action=DescribeInstances&Version=2014-05-26".into(),
        Vec::new(),
    )
    .await;
    assert_eq!(
        (unsigned.status, unsigned.body["Code"].as_str()),
        (400, Some("IncompleteSignature"))
    );
    let unknown = acs3_call(&handle.url(), &good, "LaunchRocket", &[]).await;
    assert_eq!(
        (unknown.status, unknown.body["Code"].as_str()),
        (404, Some("InvalidAction.NotFound"))
    );
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_client_hammering_past_the_rate_is_throttled() {
    let emulator = Emulator::builder()
        .access_key("ak", "sk")
        .access_key("calm", "sk")
        .throttle_rps(5.0)
        .build()
        .unwrap();
    let handle = emulator
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let hammer = Credentials::new("ak", "sk");
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let answer = acs3_call(&handle.url(), &hammer, "DescribeRegions", &[]).await;
        statuses.push((
            answer.status,
            answer.body["Code"].as_str().unwrap_or("").to_string(),
        ));
    }
    let throttled = statuses
        .iter()
        .filter(|(status, code)| *status == 400 && code == "Throttling.User")
        .count();
    let passed = statuses.iter().filter(|(status, _)| *status == 200).count();
    assert!(throttled > 0 && passed >= 5, "{statuses:?}");
    assert_eq!(
        throttled + passed,
        statuses.len(),
        "only successes and Throttling.User: {statuses:?}"
    );
    let calm = acs3_call(
        &handle.url(),
        &Credentials::new("calm", "sk"),
        "DescribeRegions",
        &[],
    )
    .await;
    assert_eq!(calm.status, 200, "another caller has its own budget");
    handle.shutdown().await.unwrap();
}
