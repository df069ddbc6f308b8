//! Emulator throughput over HTTP with signature verification: signed ACS3 requests from N
//! concurrent keep-alive clients against a 1,000-instance fleet, for DescribeInstances and
//! for StopInstance/StartInstance (instant transitions). Run: `cargo bench -p oos-emulator`.

use std::time::{Duration, Instant};

use oos_acs::{Credentials, acs3, encode};
use oos_emulator::{ECS_VERSION, Emulator, FleetSeed};

const RUN_FOR: Duration = Duration::from_secs(3);
const SEED: &str =
    "instances:\n  - count: 1000\n    name: \"bench-{index:04}\"\n    tags: {team: [a, b, c, d]}\n";

/// DescribeInstances by tag: 250 of the 1,000 instances match, a page of 10 is returned.
fn describe_params() -> Vec<(String, String)> {
    [
        ("PageSize", "10"),
        ("Tag.1.Key", "team"),
        ("Tag.1.Value", "b"),
    ]
    .iter()
    .map(|(key, value)| (key.to_string(), value.to_string()))
    .collect()
}

async fn signed_call(
    client: &reqwest::Client,
    url: &str,
    credentials: &Credentials,
    action: &str,
    params: &[(String, String)],
    nonce: &str,
) -> u16 {
    let host = url.trim_start_matches("http://");
    let date = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut headers = acs3::rpc_headers(host, action, ECS_VERSION, &date, nonce, b"", credentials);
    headers.push((
        "authorization".into(),
        acs3::sign(credentials, "POST", "/", params, &headers, b""),
    ));
    let mut request = client.post(format!("{url}/?{}", encode::encode_form(params)));
    for (name, value) in headers.into_iter().filter(|(name, _)| name != "host") {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    response.bytes().await.expect("body read");
    status
}

/// Runs `clients` loops for [`RUN_FOR`]; each loop calls `step(client index, iteration)`.
async fn measure(
    url: &str,
    clients: usize,
    workload: &'static str,
    instances: &[String],
) -> (u64, f64) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client_index in 0..clients {
        let url = url.to_string();
        let mine: Vec<String> = instances
            .iter()
            .skip(client_index)
            .step_by(clients)
            .cloned()
            .collect();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let credentials = Credentials::new("bench-ak", "bench-sk");
            let mut done = 0u64;
            let mut iteration = 0usize;
            while started.elapsed() < RUN_FOR {
                let nonce = format!("{client_index}-{iteration}");
                let status = if workload == "DescribeInstances" {
                    let params = describe_params();
                    signed_call(
                        &client,
                        &url,
                        &credentials,
                        "DescribeInstances",
                        &params,
                        &nonce,
                    )
                    .await
                } else {
                    let instance = &mine[(iteration / 2) % mine.len()];
                    let action = if iteration.is_multiple_of(2) {
                        "StopInstance"
                    } else {
                        "StartInstance"
                    };
                    signed_call(
                        &client,
                        &url,
                        &credentials,
                        action,
                        &[("InstanceId".to_string(), instance.clone())],
                        &nonce,
                    )
                    .await
                };
                assert_eq!(status, 200, "{workload} failed");
                done += 1;
                iteration += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("client finished");
    }
    (total, total as f64 / started.elapsed().as_secs_f64())
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let emulator = Emulator::builder()
            .access_key("bench-ak", "bench-sk")
            .seed(FleetSeed::from_yaml(SEED).expect("seed"))
            .build()
            .expect("emulator");
        let instances: Vec<String> = emulator
            .instances()
            .into_iter()
            .map(|instance| instance.instance_id)
            .collect();
        let handle = emulator
            .spawn("127.0.0.1:0".parse().expect("address"))
            .await
            .expect("spawn");
        println!("| workload | clients | requests | requests/s |");
        println!("| --- | ---: | ---: | ---: |");
        for workload in ["DescribeInstances", "StopInstance+StartInstance"] {
            for clients in [1, 8, 32] {
                emulator.with_cloud(|cloud| {
                    cloud
                        .instances
                        .values_mut()
                        .for_each(|instance| instance.status = "Running".into())
                });
                let (requests, rate) = measure(&handle.url(), clients, workload, &instances).await;
                println!("| {workload} | {clients} | {requests} | {rate:.0} |");
            }
        }
        let request = oos_acs::RpcRequest::new("DescribeInstances", ECS_VERSION, describe_params());
        let started = Instant::now();
        let mut calls = 0u64;
        while started.elapsed() < RUN_FOR {
            emulator.call(&request).expect("DescribeInstances");
            calls += 1;
        }
        println!(
            "\nin-process DescribeInstances (no HTTP, no signature): {calls} calls, {:.0} calls/s",
            calls as f64 / started.elapsed().as_secs_f64()
        );
        handle.shutdown().await.expect("shutdown");
    });
}
