//! `/metrics` of a real `oos server --sandbox`. Without Prometheus: the page answers without
//! credentials in the Prometheus text format, names the API request just made and the store's and
//! process's gauges, is no API request itself, and counts a Notify webhook the sandbox captured. With a real Prometheus (the Debian package,
//! scraping every second, the example alert rules of `docs/prometheus/alerts.yml` loaded): the lab
//! template (`examples/lab-stop-start.json`, DoStopStart=true) and a 1,000-item StopInstance loop
//! run, and Prometheus's query API counts exactly what happened: 1,001 successful ECS StopInstance
//! calls, each execution started and finished Success once, the API requests by action and code
//! (an unauthenticated one under `(unnamed)`), every task's duration, and no work left waiting.
//! Under the sandbox's throttling, throttled attempts count as retries and the calls as successes.
//! On the embedded store, a server restarted after a SIGKILL counts the execution it takes over from
//! its dead predecessor; `--no-metrics` leaves `/metrics` 404 and the API as it is.

use std::path::{Path, PathBuf};
use std::time::Duration;

use oos_acs::Credentials;
use oos_testkit::OosProcess;
use oos_testkit::templates::stop_instances_loop;
use oos_testkit::prometheus::{Prometheus, sample};
use oos_testkit::wire::Call;
use serde_json::{Value, json};

const OOS: &str = "2019-06-01";
const ITEMS: usize = 1000;
/// How long the runs, and Prometheus's view of them, may take to settle.
const BOUND: Duration = Duration::from_secs(300);

fn node_ids() -> Vec<String> {
    (0..ITEMS).map(|index| format!("i-node{index:04}")).collect()
}

/// `oos server --sandbox` on a fleet of the lab's instance and the loop's 1,000, with `extra` flags.
fn server(dir: &Path, extra: &[&str]) -> OosProcess {
    let fleet = dir.join("fleet.yaml");
    let ids = node_ids().join(", ");
    let seed = format!("regions: [cn-hangzhou]\ninstances:\n  - ids: [i-lab]\n    name: lab\n    region: cn-hangzhou\n  - ids: [{ids}]\n    name: \"node-{{index:04}}\"\n    region: cn-hangzhou\n    status: Running\n");
    std::fs::write(&fleet, seed).unwrap();
    let data = dir.join("data");
    let mut args = vec!["server", "--sandbox", "--fleet", fleet.to_str().unwrap(), "--data-dir", data.to_str().unwrap(), "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    OosProcess::spawn_env(oos_testkit::binary_under_test(env!("CARGO_BIN_EXE_oos")), &args, &[("RUST_LOG", "warn")]).expect("oos server starts")
}

fn root(dir: &Path) -> Credentials {
    let document: Value = serde_json::from_slice(&std::fs::read(dir.join("data/root-credentials.json")).expect("root credentials")).expect("JSON");
    Credentials::new(document["AccessKeyId"].as_str().unwrap().to_string(), document["AccessKeySecret"].as_str().unwrap().to_string())
}

async fn call(server: &OosProcess, root: &Credentials, action: &str, params: &[(&str, &str)]) -> Value {
    let (status, body) = Call::new(root, OOS, action, params).send(server.addr()).await;
    assert_eq!(status, 200, "{action} {params:?}: {body}\n{}", server.output());
    body
}

async fn metrics_page(server: &OosProcess) -> (u16, String, String) {
    let response = reqwest::get(format!("http://{}/metrics", server.addr())).await.expect("the server answers");
    let status = response.status().as_u16();
    let kind = response.headers().get("content-type").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    (status, kind, response.text().await.expect("a body"))
}

#[tokio::test]
async fn metrics_answer_without_credentials_in_the_prometheus_format() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &[]);
    let root = root(dir.path());
    call(&server, &root, "ListTemplates", &[]).await;
    let (status, kind, page) = metrics_page(&server).await;
    assert_eq!(status, 200, "{page}");
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    for line in [
        "# TYPE oos_api_requests_total counter",
        "oos_api_requests_total{action=\"ListTemplates\",code=\"Success\"} 1",
        "# TYPE oos_api_request_duration_seconds histogram",
        "oos_db_pool_max_connections 4",
        "oos_queue_depth 0",
        "oos_queue_oldest_age_seconds 0",
        "oos_agents_connected 0",
        "# TYPE process_start_time_seconds gauge",
        "# TYPE oos_worker_info gauge",
    ] {
        assert!(page.lines().any(|have| have == line), "no line {line:?} in:\n{page}");
    }
    for name in ["oos_db_pool_connections{state=\"idle\"}", "process_resident_memory_bytes", "process_open_fds", "process_cpu_seconds_total", "process_threads"] {
        assert!(page.lines().any(|have| have.starts_with(&format!("{name} "))), "no {name} in:\n{page}");
    }
    let (_, _, again) = metrics_page(&server).await;
    assert!(again.lines().any(|have| have == "oos_api_requests_total{action=\"ListTemplates\",code=\"Success\"} 1"), "a scrape is no API request:\n{again}");

    // A webhook, captured by the sandbox's inbox.
    let tell = json!({"FormatVersion": "OOS-2019-06-01", "Tasks": [{"Name": "tell", "Action": "ACS::Notify",
        "Properties": {"NotifyType": "WebHook", "WebHook": {"URI": "https://hooks.example.com/send", "Content": {"text": "hello"}}}}]});
    call(&server, &root, "CreateTemplate", &[("TemplateName", "tell"), ("Content", &tell.to_string())]).await;
    let started = call(&server, &root, "StartExecution", &[("TemplateName", "tell")]).await;
    let execution = wait_for_end(&server, &root, started["Execution"]["ExecutionId"].as_str().expect("an id")).await;
    assert_eq!(execution["Status"], "Success", "{execution}");
    let (_, _, page) = metrics_page(&server).await;
    for (series, value) in [
        ("oos_outbound_requests_total{kind=\"Notify\",outcome=\"captured\"}", 1.0),
        ("oos_executions_finished_total{template=\"tell\",status=\"Success\",category=\"Other\"}", 1.0),
        ("oos_task_duration_seconds_count{action=\"ACS::Notify\",status=\"Success\"}", 1.0),
    ] {
        assert_eq!(sample(&page, series), Some(value), "{series} in:\n{page}");
    }
    server.stop().expect("the server stops");
}

#[tokio::test]
async fn throttled_attempts_are_counted_as_retries_and_the_calls_as_successes() {
    let dir = tempfile::tempdir().unwrap();
    // A bucket of 20 requests a second (and a burst of 20) against 25 calls at once: some are throttled.
    let server = server(dir.path(), &["--throttle-rps", "20"]);
    let root = root(dir.path());
    let loop_template = stop_instances_loop(25);
    call(&server, &root, "CreateTemplate", &[("TemplateName", "stop-some"), ("Content", &loop_template)]).await;
    let some: Vec<String> = node_ids().into_iter().take(100).collect();
    let parameters = json!({"instanceIds": some}).to_string();
    let started = call(&server, &root, "StartExecution", &[("TemplateName", "stop-some"), ("Parameters", &parameters)]).await;
    let execution = wait_for_end(&server, &root, started["Execution"]["ExecutionId"].as_str().expect("an id")).await;
    assert_eq!(execution["Status"], "Success", "{execution}");
    let (_, _, page) = metrics_page(&server).await;
    assert_eq!(sample(&page, "oos_cloud_calls_total{service=\"ECS\",api=\"StopInstance\",outcome=\"success\"}"), Some(100.0), "{page}");
    let throttled = sample(&page, "oos_cloud_retries_total{service=\"ECS\",api=\"StopInstance\",reason=\"throttled\"}");
    assert!(throttled.is_some_and(|retries| retries >= 1.0), "25 calls at once through a burst of 20: {throttled:?}\n{page}");
    assert!(!page.contains("outcome=\"throttled\""), "every throttled call succeeded on a retry:\n{page}");
    server.stop().expect("the server stops");
}

#[tokio::test]
async fn a_restarted_server_counts_the_takeover_of_its_dead_predecessors_execution() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &[]);
    let root = root(dir.path());
    let pause = json!({"FormatVersion": "OOS-2019-06-01", "Tasks": [{"Name": "pause", "Action": "ACS::Sleep", "Properties": {"Duration": "PT4S"}}]});
    call(&server, &root, "CreateTemplate", &[("TemplateName", "pause"), ("Content", &pause.to_string())]).await;
    let started = call(&server, &root, "StartExecution", &[("TemplateName", "pause")]).await;
    let id = started["Execution"]["ExecutionId"].as_str().expect("an id").to_owned();
    let deadline = tokio::time::Instant::now() + BOUND;
    while call(&server, &root, "ListExecutions", &[("ExecutionId", &id)]).await["Executions"][0]["Status"] != "Running" {
        assert!(tokio::time::Instant::now() < deadline, "{id} did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill();
    let server = self::server(dir.path(), &[]);
    let execution = wait_for_end(&server, &root, &id).await;
    assert_eq!(execution["Status"], "Success", "{execution}");
    let (_, _, page) = metrics_page(&server).await;
    assert_eq!(sample(&page, "oos_lease_takeovers_total"), Some(1.0), "{page}");
    server.stop().expect("the server stops");
}

#[tokio::test]
async fn without_metrics_the_page_is_404_and_the_api_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &["--no-metrics"]);
    let root = root(dir.path());
    call(&server, &root, "ListTemplates", &[]).await;
    let (status, _, page) = metrics_page(&server).await;
    assert_eq!(status, 404, "{page}");
    assert!(page.contains("InvalidPath.NotFound"), "{page}");
    let health = reqwest::get(format!("http://{}/healthz", server.addr())).await.expect("an answer");
    assert_eq!(health.status().as_u16(), 200);
    server.stop().expect("the server stops");
}

struct Scraped<'a> {
    prometheus: &'a Prometheus,
    server: &'a OosProcess,
}

impl Scraped<'_> {
    /// The value of `expr` once Prometheus shows `expected` (at most [`BOUND`]), else the last seen.
    async fn settled(&self, expr: &str, expected: f64) -> Option<f64> {
        let deadline = tokio::time::Instant::now() + BOUND;
        loop {
            let value = self.prometheus.value(expr).unwrap_or_else(|error| panic!("{error}\n{}", self.prometheus.output()));
            if value == Some(expected) || tokio::time::Instant::now() > deadline {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn expect(&self, expr: &str, expected: f64) {
        let value = self.settled(expr, expected).await;
        assert_eq!(value, Some(expected), "{expr}\nserver:\n{}\nmetrics:\n{}", self.server.output(), metrics_page(self.server).await.2);
    }
}

async fn wait_for_end(server: &OosProcess, root: &Credentials, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let execution = call(server, root, "ListExecutions", &[("ExecutionId", id)]).await["Executions"][0].clone();
        if ["Success", "Failed", "Cancelled"].contains(&execution["Status"].as_str().unwrap_or_default()) {
            return execution;
        }
        assert!(tokio::time::Instant::now() < deadline, "{id} did not end: {execution}\n{}", server.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn alert_rules() -> PathBuf {
    oos_testkit::repo_root().join("docs/prometheus/alerts.yml")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_counts_the_lab_and_a_1000_item_loop() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &[]);
    let root = root(dir.path());
    let rules = alert_rules();
    let prometheus = Prometheus::start(&[server.addr()], &[&rules]).expect("Prometheus starts");
    let scraped = Scraped { prometheus: &prometheus, server: &server };
    scraped.expect("up{job=\"oos\"}", 1.0).await;

    let lab = std::fs::read_to_string(oos_testkit::repo_root().join("examples/lab-stop-start.json")).unwrap();
    call(&server, &root, "CreateTemplate", &[("TemplateName", "lab"), ("Content", &lab)]).await;
    call(&server, &root, "CreateTemplate", &[("TemplateName", "stop-all"), ("Content", &stop_instances_loop(20))]).await;
    let lab_parameters = json!({"RegionId": "cn-hangzhou", "InstanceId": "i-lab", "DoStopStart": true}).to_string();
    let started = call(&server, &root, "StartExecution", &[("TemplateName", "lab"), ("Parameters", &lab_parameters)]).await;
    let lab_id = started["Execution"]["ExecutionId"].as_str().expect("an id").to_owned();
    let loop_parameters = json!({"instanceIds": node_ids()}).to_string();
    let started = call(&server, &root, "StartExecution", &[("TemplateName", "stop-all"), ("Parameters", &loop_parameters)]).await;
    let loop_id = started["Execution"]["ExecutionId"].as_str().expect("an id").to_owned();
    for id in [&lab_id, &loop_id] {
        let execution = wait_for_end(&server, &root, id).await;
        assert_eq!(execution["Status"], "Success", "{execution}");
    }
    let unsigned = reqwest::get(format!("http://{}/?Action=StartExecution&Version={OOS}", server.addr())).await.expect("an answer");
    assert_ne!(unsigned.status().as_u16(), 200, "an unsigned request is refused");

    // The lab stops its instance once, the loop each of its 1,000.
    scraped.expect("sum(oos_cloud_calls_total{service=\"ECS\",api=\"StopInstance\",outcome=\"success\"})", (ITEMS + 1) as f64).await;
    scraped.expect("sum(oos_cloud_calls_total{api=\"StopInstance\",outcome!=\"success\"}) or vector(0)", 0.0).await;
    scraped.expect("sum(oos_cloud_calls_total{service=\"ECS\",api=\"StartInstance\",outcome=\"success\"})", 1.0).await;
    scraped.expect("sum(oos_cloud_calls_total{service=\"ECS\",api=\"DescribeInstances\",outcome=\"success\"})", 2.0).await;
    for template in ["lab", "stop-all"] {
        scraped.expect(&format!("sum(oos_executions_started_total{{template=\"{template}\",category=\"Other\"}})"), 1.0).await;
        scraped.expect(&format!("sum(oos_executions_finished_total{{template=\"{template}\",status=\"Success\",category=\"Other\"}})"), 1.0).await;
    }
    scraped.expect("sum(oos_executions_finished_total{status!=\"Success\"}) or vector(0)", 0.0).await;
    // Four lab tasks, the loop task and its 1,000 iterations, all ExecuteAPI and Success.
    scraped.expect("sum(oos_task_duration_seconds_count{action=\"ACS::ExecuteAPI\",status=\"Success\"})", (4 + 1 + ITEMS) as f64).await;
    scraped.expect("sum(oos_api_requests_total{action=\"CreateTemplate\",code=\"Success\"})", 2.0).await;
    scraped.expect("sum(oos_api_requests_total{action=\"StartExecution\",code=\"Success\"})", 2.0).await;
    scraped.expect("sum(oos_api_requests_total{action=\"(unnamed)\"})", 1.0).await;
    scraped.expect("sum(oos_api_requests_total{action=\"StartExecution\",code!=\"Success\"}) or vector(0)", 0.0).await;
    scraped.expect("oos_queue_depth", 0.0).await;
    scraped.expect("oos_db_pool_max_connections", 4.0).await;
    scraped.expect("count(process_resident_memory_bytes > 0)", 1.0).await;

    // The example rules load, and none fires on this healthy run.
    let groups = prometheus.rule_groups().expect("the rules");
    let alerts: Vec<&str> = groups.as_array().into_iter().flatten().flat_map(|group| group["rules"].as_array().into_iter().flatten()).filter_map(|rule| rule["name"].as_str()).collect();
    for name in ["OpenOOSExecutionsFailing", "OpenOOSQueueStuck", "OpenOOSTimerLag", "OpenOOSDown"] {
        assert!(alerts.contains(&name), "alert {name} not loaded: {groups}");
    }
    assert_eq!(prometheus.query("ALERTS{alertstate=\"firing\"}").expect("a query"), json!([]), "no alert fires");
    server.stop().expect("the server stops");
}
