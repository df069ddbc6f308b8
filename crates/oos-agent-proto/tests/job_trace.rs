//! The trace context of a [`Job`] is optional both ways: a message without it (an older server)
//! parses, one with it carries it, and fields a reader does not know (what an older agent sees of
//! `trace`, or a newer server's additions) are skipped rather than refused.

use oos_agent_proto::{Job, JobTrace, ServerMessage};
use serde_json::{Value, json};

fn run(extra: &[(&str, Value)]) -> Value {
    let mut message = json!({"type": "run", "invoke_id": "t-1", "command_type": "RunShellScript", "content": "true", "timeout_secs": 60, "output_limit": 1024});
    for (key, value) in extra {
        message[*key] = value.clone();
    }
    message
}

fn job(message: Value) -> Job {
    match serde_json::from_value(message).expect("a server message") {
        ServerMessage::Run(job) => job,
        other => panic!("not a run: {other:?}"),
    }
}

#[test]
fn a_run_without_trace_context_parses_and_is_sent_without_one() {
    let parsed = job(run(&[]));
    assert_eq!(parsed.trace, None);
    let sent = serde_json::to_value(ServerMessage::Run(parsed)).unwrap();
    assert!(sent.get("trace").is_none(), "{sent}");
}

#[test]
fn a_run_carries_its_trace_context() {
    let trace = JobTrace { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into(), execution_id: Some("exec-1".into()) };
    let message = run(&[("trace", serde_json::to_value(&trace).unwrap())]);
    assert_eq!(job(message.clone()).trace, Some(trace));
    assert_eq!(serde_json::to_value(ServerMessage::Run(job(message.clone()))).unwrap()["trace"], message["trace"]);
}

#[test]
fn unknown_fields_are_skipped_as_an_older_agent_skips_trace() {
    let parsed = job(run(&[("trace_v2", json!({"baggage": "x"})), ("priority", json!(3))]));
    assert_eq!((parsed.invoke_id.as_str(), parsed.trace), ("t-1", None));
    let no_execution = job(run(&[("trace", json!({"traceparent": "garbage"}))]));
    assert_eq!(no_execution.trace, Some(JobTrace { traceparent: "garbage".into(), execution_id: None }));
}
