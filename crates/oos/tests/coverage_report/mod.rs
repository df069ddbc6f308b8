//! What the sandbox coverage run makes of its runs: why a run did not succeed (the deepest failed
//! task, its error code, a missing emulator API or product, a wait), and `docs/sandbox-coverage.md`
//! for the ECS templates (the ESS section is `coverage_ess`'s).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use crate::sandbox_support::RunOutcome;
use crate::{APPROVAL_SHOWN, CONFIRMATION, GIVEN, Row, SLEEPERS, TIME_LIMIT};

/// Why a run did not succeed: `family: specifics` and the detail.
pub fn diagnose(outcome: &RunOutcome, limit: Duration) -> (String, String) {
    if outcome.execution_id.is_empty() {
        let reason = outcome
            .stderr
            .lines()
            .last()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_owned();
        let code = reason.split(':').next().unwrap_or_default().to_owned();
        return (
            format!("rejected before it started: {code}"),
            first_line(&reason),
        );
    }
    let status = outcome.execution()["Status"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if outcome.timed_out || status == "Waiting" {
        let tasks = outcome.tasks();
        let stuck = tasks
            .iter()
            .find(|t| matches!(t["Status"].as_str(), Some("Running" | "Waiting")));
        let field = |key: &str| {
            stuck
                .and_then(|t| t[key].as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let (task, action) = (field("TaskName"), field("TaskAction"));
        let category = match action.as_str() {
            "ACS::Approve" if outcome.inbox_approval().is_some() => {
                format!("{APPROVAL_SHOWN}: {task}")
            }
            "ACS::Approve" => "waits for an approval the sandbox inbox does not show".to_owned(),
            "ACS::ExecuteAPI" if status == "Waiting" => format!("{CONFIRMATION}: {task}"),
            _ => format!(
                "still {} after {} s: {action}",
                if outcome.timed_out {
                    "Running"
                } else {
                    &status
                },
                limit.as_secs()
            ),
        };
        return (category, format!("task `{task}` ({action})"));
    }
    let Some(failed) = root_failure(outcome, &outcome.execution_id) else {
        let message = outcome.execution()["StatusMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        return (
            format!("failed: {}", error_code(&message)),
            first_line(&message),
        );
    };
    let message = failed["StatusMessage"].as_str().unwrap_or_default();
    let action = failed["TaskAction"].as_str().unwrap_or_default();
    let (service, api) = called(&failed);
    let category = if message.contains("InvalidAction.NotFound") {
        format!("emulator lacks API: {service}.{api}")
    } else if message.contains("InvalidVersion") || message.contains("InvalidService") {
        format!("product not served by the sandbox: {service}")
    } else if message.contains("UnsupportedAction") && action.ends_with("Trigger") {
        format!("trigger not supported by the engine yet: {action}")
    } else if message.contains("Http.") {
        "calls an external webhook/URL".into()
    } else {
        format!("failed: {}", error_code(message))
    };
    let task = failed["TaskName"].as_str().unwrap_or_default();
    (
        category,
        format!("task `{task}` ({action}): {}", first_line(message)),
    )
}

/// The deepest failed task: a failed loop iteration before its parent, and inside a failed
/// product action or child template, the child execution's own failure.
fn root_failure(outcome: &RunOutcome, execution_id: &str) -> Option<Value> {
    let tasks = outcome.tasks_of(execution_id)?;
    let mut failed: Vec<&Value> = tasks.iter().filter(|t| t["Status"] == "Failed").collect();
    failed.sort_by_key(|t| t["LoopItem"].is_null());
    for task in &failed {
        if let Some(child) = task["ChildExecutionId"]
            .as_str()
            .filter(|id| !id.is_empty())
            && let Some(deeper) = root_failure(outcome, child)
        {
            return Some(deeper);
        }
    }
    failed.first().map(|task| (*task).clone())
}

/// The `Service` and `API` of a task's properties (stored as a JSON object or JSON text).
fn called(task: &Value) -> (String, String) {
    let properties = match &task["Properties"] {
        Value::String(text) => serde_json::from_str(text).unwrap_or_default(),
        other => other.clone(),
    };
    let text = |key: &str| properties[key].as_str().unwrap_or("?").to_owned();
    (text("Service"), text("API"))
}

/// The OOS-style code at the start of a message (`InvalidParameter.X: …`), else `other`.
fn error_code(message: &str) -> String {
    let first = message.split(':').next().unwrap_or_default();
    if first.chars().next().is_some_and(char::is_uppercase) && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
        return first.to_owned();
    }
    message
        .split([':', ' '])
        .find(|word| word.contains('.') && word.chars().next().is_some_and(char::is_uppercase))
        .unwrap_or("other")
        .to_owned()
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().replace('|', "\\|");
    if line.chars().count() > 160 {
        format!("{}…", line.chars().take(160).collect::<String>())
    } else {
        line
    }
}

pub fn report(rows: &[Row]) -> String {
    let succeeded = rows.iter().filter(|row| row.success).count();
    let waiting = rows
        .iter()
        .filter(|row| row.category.starts_with(APPROVAL_SHOWN))
        .count();
    let triggers = rows.iter().filter(|row| row.trigger.is_some()).count();
    let mut text = String::from("# Sandbox coverage of the ECS public templates\n\n");
    let _ = writeln!(
        text,
        "Every `PublicTemplates/YAML/ACS-ECS-*` template of the corpus, unmodified, run with `oos run --sandbox` \
         (in-process ECS emulator, instant transitions, the fleet of `FLEET` in the test: three pay-as-you-go \
         instances with a data disk, a snapshot of it and a key pair, a subscription instance, one with a RAM role, a \
         burstable one, two with public IPs, three EIPs (one in a bandwidth package), an auto-snapshot policy, an \
         inquired system event, a scaling group, a custom image, a security group and an SLB with a VServer group; the corpus's \
         `CloudProductActions` and public templates as library) with generated parameters for those without a \
         default, or the values a user would give (below), {}s per run at most (the {} that sleep on purpose for a minute or more get up \
         to four minutes). The {triggers} trigger templates (a first task \
         `ACS::TimerTrigger`, `ACS::EventTrigger` or `ACS::AlarmTrigger`, docs/triggers.md) are armed on an \
         `oos server --sandbox` with the same fleet and library instead, fired once by hand (TriggerExecution: a \
         tick, an event about `i-cov-1`, or a firing alarm on it), and judged by the run that firing started. \
         Generated by `cargo test -p oos --test sandbox_coverage -- --ignored --nocapture` (`OOS_UNDER_TEST` \
         names the `oos` binary to run).\n",
        TIME_LIMIT.as_secs(),
        SLEEPERS.len()
    );
    let percent = succeeded * 100 / rows.len().max(1);
    let _ = writeln!(
        text,
        "**{succeeded} of {} ({percent} %) run to Success ({}) or wait at an approval that the sandbox inbox \
         shows ({waiting}).**\n",
        rows.len(),
        succeeded - waiting
    );
    causes_table(&mut text, rows);
    let _ = writeln!(text, "\n## Parameters a user would give
\n| template | parameter | value |\n| --- | --- | --- |");
    for (template, parameter, value) in GIVEN {
        let _ = writeln!(text, "| {template} | `{parameter}` | `{value}` |");
    }
    commands_section(&mut text, rows);
    let _ = writeln!(
        text,
        "\n## Per template\n\n| template | result | detail |\n| --- | --- | --- |"
    );
    for row in rows {
        let _ = writeln!(
            text,
            "| {} | {} | {} |",
            row.template, row.category, row.detail
        );
    }
    text
}

/// Why the rows that do not succeed do not (by cause family), and the emulator APIs they miss.
pub fn causes_table(text: &mut String, rows: &[Row]) {
    let mut by_category: BTreeMap<&str, usize> = BTreeMap::new();
    for row in rows.iter().filter(|row| !row.success) {
        *by_category
            .entry(category_family(&row.category))
            .or_default() += 1;
    }
    let _ = writeln!(text, "| why the others do not | templates |\n| --- | --- |");
    let mut families: Vec<_> = by_category.into_iter().collect();
    families.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (family, count) in families {
        let _ = writeln!(text, "| {family} | {count} |");
    }
    let mut missing: BTreeMap<&str, usize> = BTreeMap::new();
    for row in rows {
        if let Some(api) = row.category.strip_prefix("emulator lacks API: ") {
            *missing.entry(api).or_default() += 1;
        }
    }
    let mut missing: Vec<_> = missing.into_iter().collect();
    missing.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let listed: Vec<String> = missing
        .iter()
        .map(|(api, n)| format!("{api} ({n})"))
        .collect();
    if listed.is_empty() {
        let _ = writeln!(text, "\nNo template stops at an API the emulator lacks.");
    } else {
        let _ = writeln!(
            text,
            "\nMissing emulator APIs, by the number of templates they stop: {}.",
            listed.join(", ")
        );
    }
}

/// The templates that run Cloud Assistant commands: how many run, and what the others need.
fn commands_section(text: &mut String, rows: &[Row]) {
    let commands: Vec<&Row> = rows.iter().filter(|row| row.runs_commands).collect();
    let succeeded = commands.iter().filter(|row| row.success).count();
    let _ = writeln!(
        text,
        "\n## Templates that run commands\n\nThe emulator's Cloud Assistant answers RunCommand, InvokeCommand \
         and the Describe calls with scripted results (here the default: exit code 0, no output), so a \
         template that runs commands is held back only by something else. **{succeeded} of {} run to \
         Success.**\n",
        commands.len()
    );
    let _ = writeln!(text, "| template | result |\n| --- | --- |");
    for row in commands {
        let result = if row.success { "Success".to_owned() } else { format!("needs more: {} — {}", row.category, row.detail) };
        let _ = writeln!(text, "| {} | {result} |", row.template);
    }
}

/// The category without its specifics (`emulator lacks API: ECS.X` → `emulator lacks API`).
fn category_family(category: &str) -> &str {
    category.split(':').next().unwrap_or(category)
}
