//! What `console_live` measures with: `browser.mjs` run under node, CPU time from `/proc`, and
//! the delays between a task's end and its sight in the page.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use oos_testkit::browser::CHROMIUM;
use oos_testkit::repo_root;
use serde_json::Value;

/// `browser.mjs <mode>` with `env`, its standard input and output piped.
pub fn browser(playwright: &Path, mode: &str, env: &[(&str, &str)]) -> Child {
    Command::new("node")
        .arg(repo_root().join("crates/oos/benches/console_live/browser.mjs"))
        .arg(mode)
        .env("PLAYWRIGHT_DIR", playwright)
        .env("CHROMIUM", CHROMIUM)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs")
}

/// The next JSON line `node` printed (lib.mjs prints `ok …` lines too); panics when it exits first.
pub fn json_line(stdout: &mut BufReader<ChildStdout>) -> Value {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stdout.read_line(&mut line).expect("node's output") > 0, "the browser script ended without a result");
        if line.starts_with('{') {
            return serde_json::from_str(&line).expect("a JSON line");
        }
    }
}

/// Runs `browser.mjs <mode>` to its end; its JSON result.
pub fn browser_result(playwright: &Path, mode: &str, env: &[(&str, &str)]) -> Value {
    let mut child = browser(playwright, mode, env);
    let result = json_line(&mut BufReader::new(child.stdout.take().expect("piped")));
    assert!(child.wait().expect("node ends").success(), "browser.mjs {mode} failed");
    result
}

/// Of a `latency` result: for each task of `names` whose end in `ended` (name → unix ms) came
/// after the view was drawn, the ms from its end to its sight in `field` ("seen": the page's DOM,
/// "graph": Prefect's graph data); and how many such tasks were never seen there.
pub fn delays(result: &Value, names: &[String], ended: &BTreeMap<String, i64>, field: &str) -> (Vec<i64>, usize) {
    let ready = result["ready"].as_i64().expect("ready");
    let after: Vec<(&String, &i64)> = names.iter().filter_map(|name| ended.get_key_value(name)).filter(|(_, end)| **end > ready).collect();
    let seen: Vec<i64> = after.iter().filter_map(|(name, end)| Some(result[field][name.as_str()].as_i64()? - **end)).collect();
    let missing = after.len() - seen.len();
    (seen, missing)
}

/// The value at `fraction` (0–1) of sorted `samples`, nearest rank.
pub fn percentile(sorted: &[i64], fraction: f64) -> i64 {
    let rank = ((fraction * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// `| samples | p50 | p95 | max |` cells of `samples` (sorted here), or dashes when empty.
pub fn latency_cells(samples: &mut [i64]) -> String {
    samples.sort_unstable();
    match samples {
        [] => "0 | — | — | —".to_owned(),
        sorted => format!("{} | {} ms | {} ms | {} ms", sorted.len(), percentile(sorted, 0.5), percentile(sorted, 0.95), sorted[sorted.len() - 1]),
    }
}

/// CPU seconds (user + system) process `pid` has used; `None` once it has gone.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After "pid (comm) ": the state is field 3 of proc(5), utime and stime are 14 and 15.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / clock_ticks())
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        let output = Command::new("getconf").arg("CLK_TCK").output().expect("getconf runs");
        String::from_utf8_lossy(&output.stdout).trim().parse().expect("CLK_TCK")
    })
}

/// The parent of `pid`, while it runs.
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].split(' ').nth(1)?.parse().ok()
}

/// CPU seconds of `root` and every process under it that runs now.
pub fn tree_cpu_seconds(root: u32) -> f64 {
    let pids: Vec<u32> = std::fs::read_dir("/proc").expect("/proc").filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok()).collect();
    let under = |pid: u32| std::iter::successors(Some(pid), |&at| parent(at).filter(|&up| up > 1)).any(|at| at == root);
    pids.into_iter().filter(|&pid| under(pid)).filter_map(cpu_seconds).sum()
}

/// % of one core the server process tree under `server` used over `window`, and the tree under
/// `browser` when given.
pub async fn cpu_percent(server: u32, browser: Option<u32>, window: Duration) -> (f64, Option<f64>) {
    let started = Instant::now();
    let (server_before, browser_before) = (tree_cpu_seconds(server), browser.map(tree_cpu_seconds));
    tokio::time::sleep(window).await;
    let (server_after, browser_after) = (tree_cpu_seconds(server), browser.map(tree_cpu_seconds));
    let percent = |before: f64, after: f64| 100.0 * (after - before) / started.elapsed().as_secs_f64();
    (percent(server_before, server_after), browser_before.zip(browser_after).map(|(before, after)| percent(before, after)))
}

/// The server's CPU over `window` with no view open, then with one browser context per URL of
/// `urls` open (each drawn: `ready_selector`) and `settle` passed; and the browser's CPU then.
pub async fn idle_cpu(server: u32, playwright: &Path, urls: &[String], ready_selector: &str, sign_in: &[(&str, &str)], settle: Duration, window: Duration) -> [f64; 3] {
    tokio::time::sleep(settle).await;
    let (none, _) = cpu_percent(server, None, window).await;
    let joined = urls.join("\n");
    let env: Vec<(&str, &str)> = [("URLS", joined.as_str()), ("READY_SELECTOR", ready_selector)].into_iter().chain(sign_in.iter().copied()).collect();
    let mut node = browser(playwright, "idle", &env);
    let opened = json_line(&mut BufReader::new(node.stdout.take().expect("piped")));
    assert_eq!(opened["ready"], Value::from(urls.len()), "every view drawn: {opened}");
    tokio::time::sleep(settle).await;
    let (open, chromium) = cpu_percent(server, Some(node.id()), window).await;
    drop(node.stdin.take());
    assert!(node.wait().expect("node ends").success(), "browser.mjs idle failed");
    [none, open, chromium.expect("the browser's CPU")]
}
