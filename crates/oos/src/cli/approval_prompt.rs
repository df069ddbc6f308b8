//! `oos run` in a terminal: when the execution stops to wait for an approval (an `ACS::Approve`
//! task, or a high-risk call under ConfirmEveryHighRiskAction), or is held up by a child that waits
//! for one, it asks on the terminal whether to approve, reject or leave it waiting, showing the
//! Approve webhook the sandbox inbox captured. Without a terminal on stdin nothing is asked (the
//! execution stays as it is).

use std::io::{BufRead, IsTerminal, Write};

use oos_engine::{Event, ExecutionStatus, Notify, NotifyType};
use oos_runtime::Worker;
use oos_store::{InboxStore, NewInboxEvent, SandboxInboxStore, SandboxLetterQuery, SqliteStore};

/// The answer given at the prompt.
enum Answer {
    Decide(NotifyType),
    Leave,
}

/// Runs execution `id` until it settles; each time it settles waiting for an approval (its own or a
/// descendant's) and stdin is a terminal, asks for the decision and applies it to the execution that
/// waits. The status it settles at in the end.
pub async fn settle_asking(
    worker: &mut Worker,
    store: &SqliteStore,
    id: &str,
    now_ms: impl Fn() -> i64,
) -> anyhow::Result<ExecutionStatus> {
    loop {
        let status = worker.settle(id).await?;
        if !std::io::stdin().is_terminal() {
            return Ok(status);
        }
        let waiting = match status {
            ExecutionStatus::Waiting => worker
                .live(id)
                .and_then(|exec| exec.tasks.iter().find(|run| run.state.awaiting_decision))
                .map(|run| (id.to_owned(), run.name.clone())),
            ExecutionStatus::Running => worker.stalled_on(id).map(|stall| (stall.execution_id, stall.task_name)),
            _ => None,
        };
        let Some((waiting_id, task)) = waiting else {
            return Ok(status);
        };
        let letters = store
            .sandbox_letters(&SandboxLetterQuery {
                execution_id: Some(waiting_id.clone()),
                kind: Some("Approve".into()),
                limit: 1,
            })
            .await?;
        let captured = letters
            .first()
            .map(|letter| {
                format!(
                    " (its webhook is in the sandbox inbox: {} {} {})",
                    letter.id, letter.method, letter.url
                )
            })
            .unwrap_or_default();
        let whose = if waiting_id == id { String::new() } else { format!(" (run by execution {id})") };
        let Answer::Decide(decision) = ask(&format!(
            "execution {waiting_id}{whose} waits for approval at task {task}{captured}"
        ))?
        else {
            return Ok(status);
        };
        let notify = Notify {
            note: Some("decided at the `oos run` prompt".into()),
            ..Notify::of(decision)
        };
        let payload = serde_json::to_string(&Event::Notify(notify))?;
        store
            .push(NewInboxEvent {
                execution_id: waiting_id,
                payload,
                created_ms: now_ms(),
            })
            .await?;
        worker.turn().await?;
    }
}

/// Asks on stderr until the answer is approve, reject or leave (end of input: leave).
fn ask(question: &str) -> anyhow::Result<Answer> {
    let mut stderr = std::io::stderr();
    let mut line = String::new();
    loop {
        write!(
            stderr,
            "{question}\n[a]pprove, [r]eject or [l]eave it waiting? "
        )?;
        stderr.flush()?;
        line.clear();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            return Ok(Answer::Leave);
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "a" | "approve" => return Ok(Answer::Decide(NotifyType::Approve)),
            "r" | "reject" => return Ok(Answer::Decide(NotifyType::Reject)),
            "l" | "leave" | "" => return Ok(Answer::Leave),
            _ => {}
        }
    }
}
