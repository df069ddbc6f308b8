//! `oos sandbox inbox [list|show ID|clear]`: the webhooks and HTTP requests a sandbox (`oos run
//! --sandbox`, `oos server --sandbox`) captured instead of sending. Against a server when one is
//! configured (ListSandboxInbox, ClearSandboxInbox), else in the store of a data directory.

use std::process::ExitCode;

use anyhow::{Context, bail};
use oos_store::{Close, SandboxInboxStore, SandboxLetterQuery};
use serde_json::Value;

use super::client::{ClientArgs, Connection, Output, items, params, print_list, print_object};
use super::run::{DataDirArgs, open_store};

/// The local emulated cloud's side tools.
#[derive(Debug, clap::Args)]
pub struct SandboxCommandArgs {
    #[command(subcommand)]
    command: SandboxCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SandboxCommand {
    /// Requests a sandbox captured instead of sending: `oos sandbox inbox [list|show ID|clear]`.
    Inbox(InboxArgs),
}

/// `oos sandbox inbox`.
#[derive(Debug, clap::Args)]
struct InboxArgs {
    #[command(subcommand)]
    command: Option<InboxCommand>,
    #[command(flatten)]
    data: DataDirArgs,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Clone, clap::Subcommand)]
enum InboxCommand {
    /// The captured requests, newest first (the default).
    List {
        /// Only those sent by this execution.
        #[arg(long)]
        execution: Option<String>,
        /// Only Notify, Approve or HttpRequest.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=1000))]
        limit: i64,
    },
    /// One captured request with its headers and body.
    Show { id: String },
    /// Delete every captured request.
    Clear,
}

/// The columns of the list.
const COLUMNS: &[&str] = &[
    "LetterId",
    "CaptureTime",
    "Kind",
    "ExecutionId",
    "TaskName",
    "Method",
    "URL",
];

pub fn run(args: SandboxCommandArgs) -> anyhow::Result<ExitCode> {
    let SandboxCommand::Inbox(inbox) = args.command;
    let command = inbox.command.unwrap_or(InboxCommand::List {
        execution: None,
        kind: None,
        limit: 50,
    });
    let output = inbox.client.output;
    if inbox.client.configured_endpoint()?.is_some() {
        return remote(&inbox.client.connect()?, command, output);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let store = open_store(&inbox.data).await?;
        let outcome = local(&store, command, output).await;
        store.close().await;
        outcome
    })
}

async fn local(
    store: &impl SandboxInboxStore,
    command: InboxCommand,
    output: Output,
) -> anyhow::Result<ExitCode> {
    match command {
        InboxCommand::List {
            execution,
            kind,
            limit,
        } => {
            let letters = store
                .sandbox_letters(&SandboxLetterQuery {
                    execution_id: execution,
                    kind,
                    limit,
                })
                .await?;
            print_list(
                output,
                &letters
                    .iter()
                    .map(oos_server::letter_json)
                    .collect::<Vec<_>>(),
                COLUMNS,
            );
        }
        InboxCommand::Show { id } => {
            let letter = store
                .sandbox_letter(&id)
                .await?
                .with_context(|| not_found(&id))?;
            print_object(output, &oos_server::letter_json(&letter));
        }
        InboxCommand::Clear => println!(
            "cleared {} captured requests",
            store.clear_sandbox_inbox().await?
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn remote(
    connection: &Connection,
    command: InboxCommand,
    output: Output,
) -> anyhow::Result<ExitCode> {
    let text = |value: Option<String>| value.map(Value::String);
    match command {
        InboxCommand::List {
            execution,
            kind,
            limit,
        } => {
            let request = params([
                ("ExecutionId", text(execution)),
                ("Kind", text(kind)),
                ("MaxResults", Some(Value::from(limit))),
            ]);
            let answer = connection.call("ListSandboxInbox", request)?;
            print_list(output, &items(&answer, &["Letters"]), COLUMNS);
        }
        InboxCommand::Show { id } => {
            let answer = connection.call(
                "ListSandboxInbox",
                params([("LetterId", Some(Value::String(id.clone())))]),
            )?;
            let Some(letter) = items(&answer, &["Letters"]).into_iter().next() else {
                bail!(not_found(&id))
            };
            print_object(output, &letter);
        }
        InboxCommand::Clear => {
            let answer = connection.call("ClearSandboxInbox", Default::default())?;
            println!("cleared {} captured requests", answer["Cleared"]);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn not_found(id: &str) -> String {
    format!("EntityNotExists.SandboxLetter: the sandbox inbox holds no request {id}")
}
