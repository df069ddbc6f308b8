//! Bench binary: signed calls per second from `CloudClient` to the in-process emulator
//! (`cargo bench -p oos-cloud --bench cloud_calls`); prints a Markdown table for docs/benchmarks.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use oos_actions::CloudApi;
use oos_cloud::{CloudClient, CloudConfig, Credentials, SignatureScheme, simple_call};
use oos_emulator::{Emulator, FleetSeed};
use serde_json::json;

const FLEET: &str = "instances:\n  - count: 1000\n    region: cn-hangzhou\n";

struct Workload {
    name: &'static str,
    scheme: SignatureScheme,
    concurrency: usize,
    calls: usize,
    paged: bool,
}

async fn run(client: &Arc<CloudClient>, ids: &[String], workload: &Workload) -> (Duration, u64) {
    let before = client.stats().attempts;
    let started = Instant::now();
    let failures = futures::stream::iter(0..workload.calls)
        .map(|index| {
            let client = client.clone();
            let parameters = if workload.paged {
                json!({"RegionId": "cn-hangzhou", "PageSize": 100})
            } else {
                json!({"RegionId": "cn-hangzhou", "InstanceIds": [ids[index % ids.len()]]})
            };
            async move {
                let call = simple_call("ECS", "DescribeInstances", parameters.as_object().cloned().unwrap());
                client.call(&call).await.is_err()
            }
        })
        .buffer_unordered(workload.concurrency)
        .filter(|failed| std::future::ready(*failed))
        .count()
        .await;
    assert_eq!(failures, 0, "{}: {failures} calls failed", workload.name);
    (started.elapsed(), client.stats().attempts - before)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let emulator = Emulator::builder()
            .access_key("bench-ak", "bench-sk")
            .transition_delay(Duration::ZERO)
            .seed(FleetSeed::from_yaml(FLEET).unwrap())
            .build()
            .unwrap();
        let handle = emulator.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let ids: Vec<String> = emulator.instances().into_iter().map(|instance| instance.instance_id).collect();
        let workloads = [
            Workload {
                name: "DescribeInstances by id, ACS3",
                scheme: SignatureScheme::Acs3,
                concurrency: 1,
                calls: 2000,
                paged: false,
            },
            Workload {
                name: "DescribeInstances by id, ACS3",
                scheme: SignatureScheme::Acs3,
                concurrency: 50,
                calls: 10000,
                paged: false,
            },
            Workload {
                name: "DescribeInstances by id, HMAC-SHA1 v1",
                scheme: SignatureScheme::V1,
                concurrency: 50,
                calls: 10000,
                paged: false,
            },
            Workload {
                name: "DescribeInstances 1,000 instances AutoPaging (10 pages of 100)",
                scheme: SignatureScheme::Acs3,
                concurrency: 10,
                calls: 100,
                paged: true,
            },
        ];
        println!(
            "| workload | concurrency | template-level calls | HTTP requests | wall time | calls/s | HTTP requests/s |"
        );
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for workload in &workloads {
            let mut config = CloudConfig::default().with_sandbox(handle.url());
            config.signature = workload.scheme;
            let client = Arc::new(CloudClient::new(config, Credentials::new("bench-ak", "bench-sk")).unwrap());
            run(&client, &ids, &Workload { calls: workload.calls / 10, ..*workload }).await;
            let (elapsed, requests) = run(&client, &ids, workload).await;
            let seconds = elapsed.as_secs_f64();
            println!(
                "| {} | {} | {} | {} | {:.2} s | {:.0} | {:.0} |",
                workload.name,
                workload.concurrency,
                workload.calls,
                requests,
                seconds,
                workload.calls as f64 / seconds,
                requests as f64 / seconds
            );
        }
        handle.shutdown().await.unwrap();
    });
}
