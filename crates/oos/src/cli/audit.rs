//! `oos audit query|verify`: the hash-chained audit trail (docs/audit.md), read straight from a store
//! (a data directory's embedded database, or a PostgreSQL database given with `--database`), or
//! through ListAuditEvents/VerifyAuditTrail of a server when one is configured (`--endpoint`,
//! `OOS_ENDPOINT` or a profile) and neither `--local` nor `--database` is given.

use std::process::ExitCode;

use anyhow::Context;
use oos_store::AuditStore;
use oos_store::audit::{AuditKind, AuditQuery, AuditRecord, Verification};
use oos_store::retention::segments::{self, SegmentsVerification};
use serde_json::{Value, json};

use super::client::{ClientArgs, Connection, Output, cell, params, print_table};
use super::store::ReadArgs;

/// Query and verify the audit trail.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
    #[command(flatten)]
    store: ReadArgs,
    #[command(flatten)]
    client: ClientArgs,
    /// Read the data directory's database even when a server is configured (implied by --database).
    #[arg(long, global = true)]
    local: bool,
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Records matching the filters, oldest first (`--output json`: one JSON object per line).
    Query(QueryArgs),
    /// Walk the hash chain; exit 1 naming the first modified, deleted or reordered record.
    Verify(VerifyArgs),
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// Also walk the audit segments retention exported to this directory, from seq 1, and check
    /// that the database's chain continues where they end (reads the store itself, as --local).
    #[arg(long)]
    segments: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
struct QueryArgs {
    /// Records at or after this time (2026-11-25T10:00:00Z).
    #[arg(long)]
    since: Option<String>,
    /// Records at or before this time.
    #[arg(long)]
    until: Option<String>,
    /// Principal ARN, role, or user name (`root`, `alice`).
    #[arg(long)]
    user: Option<String>,
    /// API action or cloud API name (`StartExecution`, `StopInstance`).
    #[arg(long)]
    action: Option<String>,
    /// Execution id.
    #[arg(long)]
    execution: Option<String>,
    /// ApiCall or CloudCall.
    #[arg(long)]
    kind: Option<String>,
    #[arg(long, default_value_t = 100)]
    limit: i64,
}

const COLUMNS: &[&str] = &["Seq", "EventTime", "Kind", "Principal", "Action", "ExecutionId", "ResultCode"];

/// The records per ListAuditEvents page.
const PAGE: i64 = 100;

pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let output = args.client.output;
    let segments = matches!(&args.command, AuditCommand::Verify(VerifyArgs { segments: Some(_) }));
    if !args.local && !segments && args.store.database.is_none() && args.client.configured_endpoint()?.is_some() {
        let connection = args.client.connect()?;
        return match args.command {
            AuditCommand::Query(query) => {
                print_events(output, &remote_query(&connection, &query)?);
                Ok(ExitCode::SUCCESS)
            }
            AuditCommand::Verify(_) => Ok(report(&connection.call("VerifyAuditTrail", Default::default())?)),
        };
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let store = args.store.open().await?;
        let code = local(store.as_ref(), args.command, output).await;
        store.close().await;
        code
    })
}

async fn local(store: &dyn AuditStore, command: AuditCommand, output: Output) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Query(query) => {
            let kind = query.kind.as_deref().map(parse_kind).transpose()?;
            let filter = AuditQuery {
                since_ms: query.since.as_deref().map(millis).transpose()?,
                until_ms: query.until.as_deref().map(millis).transpose()?,
                principal: query.user,
                action: query.action,
                execution_id: query.execution,
                kind,
                newest_first: false,
                offset: 0,
                limit: query.limit,
            };
            let records = store.audit_records(&filter).await?;
            print_events(output, &records.iter().map(event_json).collect::<Vec<_>>());
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify(VerifyArgs { segments: Some(dir) }) => Ok(report_segments(&segments::verify(store, &dir).await?)),
        AuditCommand::Verify(VerifyArgs { segments: None }) => Ok(report(&verification_json(&store.verify_audit().await?))),
    }
}

/// Pages of ListAuditEvents until `limit` records.
fn remote_query(connection: &Connection, query: &QueryArgs) -> anyhow::Result<Vec<Value>> {
    if let Some(kind) = &query.kind {
        parse_kind(kind)?;
    }
    let text = |value: &Option<String>| value.clone().map(Value::String);
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    while (events.len() as i64) < query.limit {
        let page = PAGE.min(query.limit - events.len() as i64);
        let request = params([
            ("StartTime", text(&query.since)),
            ("EndTime", text(&query.until)),
            ("Principal", text(&query.user)),
            ("EventAction", text(&query.action)),
            ("ExecutionId", text(&query.execution)),
            ("Kind", text(&query.kind)),
            ("MaxResults", Some(Value::from(page))),
            ("NextToken", token.clone().map(Value::String)),
        ]);
        let answer = connection.first_page("ListAuditEvents", request)?;
        events.extend(answer["AuditEvents"].as_array().cloned().unwrap_or_default());
        token = answer["NextToken"].as_str().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(events)
}

fn parse_kind(text: &str) -> anyhow::Result<AuditKind> {
    AuditKind::parse(text).with_context(|| format!("InvalidParameter.Kind: {text:?} is neither ApiCall nor CloudCall"))
}

fn millis(text: &str) -> anyhow::Result<i64> {
    let time: jiff::Timestamp = text.trim().parse().with_context(|| format!("InvalidParameter.Time: {text:?} is not a time like 2026-11-25T10:00:00Z"))?;
    Ok(time.as_millisecond())
}

/// A stored record in the shape of ListAuditEvents.
fn event_json(record: &AuditRecord) -> Value {
    let time = jiff::Timestamp::from_millisecond(record.time_ms).map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default();
    json!({
        "Seq": record.seq,
        "EventTime": time,
        "EventTimeMillis": record.time_ms,
        "Kind": record.kind,
        "Event": serde_json::from_str::<Value>(&record.body).unwrap_or(Value::String(record.body.clone())),
        "PrevHash": record.prev_hash,
        "Hash": record.hash,
    })
}

/// JSON lines, or a table of the main fields.
fn print_events(output: Output, events: &[Value]) {
    match output {
        Output::Json => events.iter().for_each(|event| println!("{event}")),
        Output::Table => {
            let rows = events
                .iter()
                .map(|event| COLUMNS.iter().map(|column| cell(event.get(*column).or_else(|| event["Event"].get(*column)).unwrap_or(&Value::Null))).collect())
                .collect();
            print_table(COLUMNS, rows);
        }
    }
}

/// A verification in the shape of VerifyAuditTrail.
fn verification_json(verification: &Verification) -> Value {
    let mut answer = json!({"Valid": verification.broken.is_none(), "RecordCount": verification.records, "HeadSeq": verification.head_seq, "HeadHash": verification.head_hash, "FirstSeq": verification.first_seq});
    if let Some(broken) = &verification.broken {
        answer["BrokenSeq"] = Value::from(broken.seq);
        answer["Reason"] = Value::from(broken.reason.as_str());
        answer["Detail"] = Value::from(broken.detail.clone());
    }
    answer
}

/// Prints the outcome of a walk across segments; exit 1 naming the fault's code and place.
fn report_segments(outcome: &SegmentsVerification) -> ExitCode {
    let chain = &outcome.chain;
    match &outcome.fault {
        None => {
            println!(
                "audit trail intact: {} exported records in {} segments, then {} records in the database (seq {}..{}), head seq {} hash {}",
                outcome.exported_records, outcome.segments, chain.records, chain.first_seq, chain.head_seq, chain.head_seq, chain.head_hash
            );
            ExitCode::SUCCESS
        }
        Some(fault) => {
            println!("audit trail broken: {fault}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the outcome; exit 1 when the chain is broken.
fn report(answer: &Value) -> ExitCode {
    if answer["Valid"] == Value::Bool(true) {
        println!("audit trail intact: {} records, head seq {} hash {}", answer["RecordCount"], answer["HeadSeq"], cell(&answer["HeadHash"]));
        if answer["FirstSeq"].as_i64().is_some_and(|first| first > 1) {
            println!("it starts at seq {}: the records before it are not in the database (exported by retention, or removed): check them with --segments DIR", answer["FirstSeq"]);
        }
        return ExitCode::SUCCESS;
    }
    println!("audit trail broken at seq {}: {} ({})", answer["BrokenSeq"], cell(&answer["Reason"]), cell(&answer["Detail"]));
    println!("{} records before it are intact", answer["RecordCount"]);
    ExitCode::FAILURE
}
