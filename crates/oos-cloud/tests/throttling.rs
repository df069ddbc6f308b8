//! The throttling check: the emulator throttles at 20 requests/s per AccessKey, and a
//! 500-call workload at concurrency 25 still completes with no failed call thanks to back-off.

mod support;

use std::time::Duration;

use futures::StreamExt;
use oos_actions::CloudApi;
use oos_cloud::{RetryPolicy, SignatureScheme, simple_call};
use serde_json::json;
use support::emulated::Emulated;

const FLEET: &str = "instances:\n  - count: 500\n    region: cn-hangzhou\n";
const CONCURRENCY: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_call_loop_survives_throttling_at_20_per_second() {
    let cloud = Emulated::start(FLEET, Some(20.0)).await;
    let retry = RetryPolicy { max_attempts: 60, base: Duration::from_millis(50), cap: Duration::from_secs(2) };
    let client = cloud.client(SignatureScheme::Acs3, retry);
    let ids: Vec<String> = cloud.emulator().instances().into_iter().map(|instance| instance.instance_id).collect();
    assert_eq!(ids.len(), 500);

    let outcomes: Vec<(String, Result<serde_json::Value, oos_actions::CloudError>)> =
        futures::stream::iter(ids.clone())
            .map(|id| {
                let client = client.clone();
                async move {
                    let call = simple_call(
                        "ECS",
                        "DescribeInstances",
                        json!({"RegionId": "cn-hangzhou", "InstanceIds": [id]}).as_object().cloned().unwrap(),
                    );
                    let outcome = client.call(&call).await;
                    (id, outcome)
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;

    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|(id, outcome)| outcome.as_ref().err().map(|error| format!("{id}: {error}")))
        .collect();
    assert!(failures.is_empty(), "{} calls failed: {failures:?}", failures.len());
    for (id, outcome) in &outcomes {
        assert_eq!(outcome.as_ref().unwrap()["Instances"]["Instance"][0]["InstanceId"], id.as_str());
    }
    let stats = client.stats();
    println!(
        "500 calls at concurrency {CONCURRENCY} against 20 req/s: {} attempts, {} throttled responses retried",
        stats.attempts, stats.throttled_retries
    );
    assert_eq!(stats.calls, 500);
    assert_eq!(stats.failed_calls, 0);
    assert!(stats.throttled_retries > 0, "the workload never hit the throttle, so back-off was not exercised");
    assert_eq!(stats.attempts, stats.calls + stats.throttled_retries);
}
