//! `oos execution …` against a server: StartExecution, ListExecutions, ListTaskExecutions,
//! ListExecutionLogs, CancelExecution, NotifyExecution (notify, approve, reject), DeleteExecutions.

use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::Value;

use super::client::{Connection, Output, items, params, print_list, print_object};
use super::execution::{EXECUTION_COLUMNS, ExecutionCommand, LOG_COLUMNS, TASK_COLUMNS};

/// Runs one execution command on the server behind `connection`.
pub(super) fn run(connection: &Connection, command: ExecutionCommand, output: Output) -> anyhow::Result<ExitCode> {
    let text = |value: Option<String>| value.map(Value::String);
    match command {
        ExecutionCommand::Start { template, parameters, mode, template_version } => {
            let parameters = Value::Object(super::run::parse_parameters(&parameters)?).to_string();
            let request = params([
                ("TemplateName", Some(Value::String(template))),
                ("Parameters", Some(Value::String(parameters))),
                ("Mode", text(mode)),
                ("TemplateVersion", text(template_version)),
            ]);
            let answer = connection.call("StartExecution", request)?;
            print_object(output, &answer["Execution"]);
        }
        ExecutionCommand::List { status, template, all, limit } => {
            let request = params([
                ("Status", text(status)),
                ("TemplateName", text(template)),
                ("IncludeChildExecution", all.then_some(Value::Bool(true))),
                ("MaxResults", Some(Value::from(limit.clamp(1, 100)))),
            ]);
            let answer = connection.first_page("ListExecutions", request)?;
            print_list(output, &items(&answer, &["Executions"]), EXECUTION_COLUMNS);
        }
        ExecutionCommand::Show { id } => print_object(output, &execution(connection, &id)?),
        ExecutionCommand::Tasks { id } => {
            let answer = connection.call("ListTaskExecutions", params([("ExecutionId", Some(Value::String(id)))]))?;
            print_list(output, &items(&answer, &["TaskExecutions"]), TASK_COLUMNS);
        }
        ExecutionCommand::Logs { id, task_execution_id } => {
            let request = params([("ExecutionId", Some(Value::String(id))), ("TaskExecutionId", text(task_execution_id))]);
            let answer = connection.call("ListExecutionLogs", request)?;
            print_list(output, &items(&answer, &["ExecutionLogs"]), LOG_COLUMNS);
        }
        ExecutionCommand::Cancel { id, .. } => {
            connection.call("CancelExecution", params([("ExecutionId", Some(Value::String(id.clone())))]))?;
            println!("ExecutionId: {id} cancel requested");
        }
        ExecutionCommand::Notify { id, notify_type, task, status, note, .. } => notify(connection, &id, &notify_type, [("TaskName", text(task)), ("ExecutionStatus", text(status)), ("NotifyNote", text(note))])?,
        ExecutionCommand::Approve(decision) => notify(connection, &decision.id, "Approve", [("NotifyNote", text(decision.comment))])?,
        ExecutionCommand::Reject(decision) => notify(connection, &decision.id, "Reject", [("NotifyNote", text(decision.comment))])?,
        ExecutionCommand::Delete { ids } => {
            let request = params([("ExecutionIds", Some(Value::String(Value::from(ids.clone()).to_string())))]);
            connection.call("DeleteExecutions", request)?;
            println!("deleted {}", ids.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// NotifyExecution of `notify_type` with the `extra` request fields that are given.
fn notify<const N: usize>(connection: &Connection, id: &str, notify_type: &str, extra: [(&str, Option<Value>); N]) -> anyhow::Result<()> {
    let fixed = [("ExecutionId", Some(Value::String(id.to_owned()))), ("NotifyType", Some(Value::String(notify_type.to_owned())))];
    connection.call("NotifyExecution", params(fixed.into_iter().chain(extra)))?;
    println!("ExecutionId: {id} notified ({notify_type})");
    Ok(())
}

/// One execution by id (ListExecutions filtered on it).
fn execution(connection: &Connection, id: &str) -> anyhow::Result<Value> {
    let answer = connection.call("ListExecutions", params([("ExecutionId", Some(Value::String(id.to_owned())))]))?;
    items(&answer, &["Executions"]).into_iter().next().with_context(|| format!("EntityNotExists.Execution: execution {id} does not exist"))
}
