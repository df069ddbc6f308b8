//! StartExecution idempotency under concurrency: requests racing with one ClientToken all answer with
//! the same execution (never a 500, never a twin), and ListExecutions shows it once with its
//! `Counters` and `CurrentTasks`.

mod support;

use std::time::Duration;

use support::{exchange, now, signed, start};

const SLEEP: &str = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"pause","Action":"ACS::Sleep","Properties":{"Duration":"PT0S"}}]}"#;

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(key, value)| ((*key).to_string(), (*value).to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_with_one_client_token_share_one_execution() {
    let (server, credentials, _dir) = start().await;
    let addr = server.addr();
    let start_params = params(&[("TemplateContent", SLEEP), ("TemplateName", "pause"), ("ClientToken", "one-token")]);
    let racers: Vec<_> = (0..12)
        .map(|racer| {
            let request = signed(addr, &credentials, "StartExecution", &start_params, &now(), &format!("racer-{racer}"));
            tokio::spawn(async move { exchange(addr, &request).await })
        })
        .collect();
    let mut ids = Vec::new();
    for racer in racers {
        let (status, body) = racer.await.unwrap();
        assert_eq!(status, 200, "{body}");
        ids.push(body["Execution"]["ExecutionId"].as_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one execution for one ClientToken: {ids:?}");

    let list = || signed(addr, &credentials, "ListExecutions", &[], &now(), &uuid::Uuid::new_v4().to_string());
    let mut listed = serde_json::Value::Null;
    for _ in 0..200 {
        let (status, body) = exchange(addr, &list()).await;
        assert_eq!(status, 200, "{body}");
        listed = body;
        if listed["Executions"][0]["Status"] == "Success" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(listed["TotalCount"], 1, "{listed}");
    let execution = &listed["Executions"][0];
    assert_eq!((execution["ExecutionId"].as_str(), execution["Status"].as_str()), (Some(ids[0].as_str()), Some("Success")), "{listed}");
    assert_eq!(execution["Counters"], serde_json::json!({"Success": 1, "Total": 1}), "{listed}");
    assert_eq!(execution["CurrentTasks"], serde_json::json!([]), "{listed}");
    server.stop();
}
