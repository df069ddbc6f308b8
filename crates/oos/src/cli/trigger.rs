//! `oos trigger …`: trigger executions on a server (templates whose first task is a TimerTrigger,
//! EventTrigger or AlarmTrigger) — list them, show one with its recent firings, fire one by hand,
//! pause and resume its firings. Cancelling one is `oos execution cancel`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::client::{ClientArgs, params, print_list, print_object};

#[derive(Debug, Args)]
pub struct TriggerArgs {
    #[command(subcommand)]
    command: TriggerCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Subcommand)]
enum TriggerCommand {
    /// List trigger executions: kind, trigger status, firings, last and next firing.
    List {
        /// TimerTrigger, EventTrigger or AlarmTrigger (default: all three).
        #[arg(long)]
        category: Option<String>,
        /// Most rows.
        #[arg(long, default_value_t = 50)]
        max: u32,
    },
    /// Show a trigger execution and the runs of its latest firings.
    Show {
        execution_id: String,
        /// Most firings shown.
        #[arg(long, default_value_t = 20)]
        firings: u32,
    },
    /// Fire a trigger now (TriggerExecution): its template runs once with CONTENT as the trigger's result.
    Fire {
        execution_id: String,
        /// Timer, Event or Alarm: the execution's kind of trigger.
        #[arg(long = "type")]
        kind: String,
        /// A JSON object (an event or an alarm in the intake's shape; `id` names the firing).
        #[arg(long, default_value = "{}")]
        content: String,
    },
    /// Stop firing until resumed (ticks falling due meanwhile are skipped, events ignored).
    Pause { execution_id: String },
    /// Fire again; a TimerTrigger's next tick is counted from now.
    Resume { execution_id: String },
}

const COLUMNS: [&str; 8] = ["ExecutionId", "TemplateName", "Category", "TriggerStatus", "TriggerCount", "LastTriggerTime", "LastTriggerStatus", "NextScheduleTime"];

pub fn run(args: TriggerArgs) -> anyhow::Result<ExitCode> {
    let output = args.client.output;
    let server = args.client.connect()?;
    match args.command {
        TriggerCommand::List { category, max } => {
            let categories = match category {
                Some(one) => vec![one],
                None => vec!["TimerTrigger".to_owned(), "EventTrigger".to_owned(), "AlarmTrigger".to_owned()],
            };
            let mut rows = Vec::new();
            for category in categories {
                let answer = server.first_page("ListExecutions", params([("Category", Some(Value::from(category))), ("MaxResults", Some(json!(max)))]))?;
                rows.extend(answer["Executions"].as_array().cloned().unwrap_or_default());
            }
            print_list(output, &rows, &COLUMNS);
        }
        TriggerCommand::Show { execution_id, firings } => {
            let answer = server.first_page("ListExecutions", params([("ExecutionId", Some(Value::from(execution_id.clone())))]))?;
            let execution = answer["Executions"].get(0).cloned().ok_or_else(|| anyhow::anyhow!("execution {execution_id} does not exist"))?;
            print_object(output, &execution);
            let runs = server.first_page("ListExecutions", params([("ParentExecutionId", Some(Value::from(execution_id))), ("MaxResults", Some(json!(firings)))]))?;
            let runs = runs["Executions"].as_array().cloned().unwrap_or_default();
            print_list(output, &runs, &["ExecutionId", "Status", "StartDate", "EndDate", "StatusMessage"]);
        }
        TriggerCommand::Fire { execution_id, kind, content } => {
            let content: Value = serde_json::from_str(&content).map_err(|e| anyhow::anyhow!("--content is not JSON: {e}"))?;
            server.call("TriggerExecution", params([("ExecutionId", Some(Value::from(execution_id.clone()))), ("Type", Some(Value::from(kind))), ("Content", Some(Value::from(content.to_string())))]))?;
            println!("ExecutionId: {execution_id} fired (its run shows in `oos trigger show {execution_id}`)");
        }
        TriggerCommand::Pause { execution_id } => {
            server.call("PauseTrigger", params([("ExecutionId", Some(Value::from(execution_id.clone())))]))?;
            println!("ExecutionId: {execution_id} pause requested");
        }
        TriggerCommand::Resume { execution_id } => {
            server.call("ResumeTrigger", params([("ExecutionId", Some(Value::from(execution_id.clone())))]))?;
            println!("ExecutionId: {execution_id} resume requested");
        }
    }
    Ok(ExitCode::SUCCESS)
}
