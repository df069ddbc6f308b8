//! The agent hub: the WebSocket connections of the agents that reached this process, and the loop
//! that carries their work to them. Work is rows: a RunCommand anywhere in the cluster writes
//! pending targets, this process's loop reads the targets of the agents connected here (one query
//! for all of them) whenever it is woken ([`Assistant::wake_hub`](crate::Assistant)) and at least
//! every [`POLL`], and sends each to its agent once per connection; an agent reconnecting elsewhere
//! gets its unaccepted work there. An inventory collection is sent as `Collect`; the agent's
//! `Inventory` answer finishes every collection sent to it whose types the answer covers. The loop
//! also fails targets past their deadline, applies the scheduled state configurations that are due,
//! and has the executions whose invocations got outcomes since its last round poked (once per
//! invocation and round, however many of its targets reported).

mod session;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oos_agent_proto::{FileJob, Job, JobTrace, ServerMessage};
use oos_store::{Delivery, TargetStatus};
use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};

use crate::{Assistant, OUTPUT_LIMIT, inventory};

pub use session::{SESSION_TASK, socket_config};

/// How often the hub looks for work without being woken (work written by another process), in
/// real time.
pub const POLL: Duration = Duration::from_millis(200);

/// How often targets past their deadline are failed and scheduled state configurations applied.
const EXPIRY_EVERY: Duration = Duration::from_secs(1);

/// Messages queued for one agent before the hub waits for it.
const QUEUE: usize = 256;

/// The agents connected to this process.
#[derive(Debug, Clone)]
pub struct Hub {
    assistant: Assistant,
    sessions: Arc<Mutex<HashMap<String, Session>>>,
    /// Invocations made by an execution that got an outcome since the last round.
    reported: Arc<Mutex<HashSet<String>>>,
}

/// One connected agent, as the dispatch loop sees it.
#[derive(Debug)]
struct Session {
    /// Tells one connection from the one that replaced it.
    serial: u64,
    /// Target instance ids it answers for: its `mi-…`, and the emulated instance it is bound to.
    keys: Vec<String>,
    outbox: mpsc::Sender<ServerMessage>,
    /// What was sent on this connection: (invoke id, stop?).
    sent: HashSet<(String, bool)>,
    /// The invocations sent on this connection that an execution made (whose outcome pokes it).
    made_by_executions: HashSet<String>,
    /// Inventory collections sent on this connection and not yet answered: invoke id → types.
    collecting: HashMap<String, Vec<String>>,
}

impl Hub {
    pub fn new(assistant: Assistant) -> Self {
        Self { assistant, sessions: Arc::default(), reported: Arc::default() }
    }

    /// How many agents are connected here.
    pub fn connected(&self) -> usize {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Carries work to the connected agents until `stop` turns true.
    pub async fn dispatch(self, mut stop: watch::Receiver<bool>) {
        let work = self.assistant.work().clone();
        let mut last_expiry = self.assistant.now_ms();
        loop {
            tokio::select! {
                _ = work.notified() => {}
                // Real time, not the injected clock: a virtual clock skipping ahead to the next
                // sleeper must not be held to this poll's pace.
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
            let now = self.assistant.now_ms();
            if now - last_expiry >= EXPIRY_EVERY.as_millis() as i64 {
                last_expiry = now;
                if let Err(error) = self.assistant.store().expire_targets(now).await {
                    tracing::warn!(%error, "failing overdue invocations");
                }
                if let Err(error) = self.assistant.apply_due().await {
                    tracing::warn!(%error, "applying scheduled state configurations");
                }
            }
            if let Err(error) = self.deliver().await {
                tracing::warn!(%error, "reading work for connected agents");
            }
            let reported: Vec<String> = self.reported.lock().unwrap_or_else(|e| e.into_inner()).drain().collect();
            for invoke_id in reported {
                self.assistant.poke_creator(&invoke_id).await;
            }
        }
    }

    /// Notes that `instance_id` reported the outcome of `invoke_id`: when an execution made it (as
    /// known from sending it on this connection), the next round pokes that execution. An invocation
    /// made through the API costs nothing here; an outcome re-sent on a later connection pokes
    /// nothing, and the execution's WaitFor sees it at its next poll.
    fn reported(&self, instance_id: &str, invoke_id: &str) {
        let made_by_execution = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
            sessions.get_mut(instance_id).is_some_and(|session| session.made_by_executions.remove(invoke_id))
        };
        if made_by_execution {
            self.reported.lock().unwrap_or_else(|e| e.into_inner()).insert(invoke_id.to_string());
            self.assistant.wake_hub();
        }
    }

    /// One round: every pending or stopping target of a connected agent, sent once per connection.
    async fn deliver(&self) -> Result<(), oos_store::StoreError> {
        let keys: Vec<String> = {
            let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
            sessions.values().flat_map(|session| session.keys.clone()).collect()
        };
        if keys.is_empty() {
            return Ok(());
        }
        let deliveries = self.assistant.store().deliveries(&keys).await?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let offered: HashSet<(String, bool)> = deliveries.iter().map(|delivery| (delivery.invocation.invoke_id.clone(), delivery.target.status == TargetStatus::STOPPING)).collect();
        for session in sessions.values_mut() {
            session.sent.retain(|key| offered.contains(key));
            session.collecting.retain(|invoke_id, _| offered.contains(&(invoke_id.clone(), false)));
        }
        for delivery in deliveries {
            let Some(session) = sessions.values_mut().find(|session| session.keys.contains(&delivery.target.instance_id)) else { continue };
            let stop = delivery.target.status == TargetStatus::STOPPING;
            let key = (delivery.invocation.invoke_id.clone(), stop);
            if session.sent.contains(&key) {
                continue;
            }
            // A full queue: the agent is slow; the next round offers it again.
            if session.outbox.try_send(message(&self.assistant, &delivery, stop)).is_ok() {
                if delivery.invocation.creator.starts_with("exec-") {
                    session.made_by_executions.insert(delivery.invocation.invoke_id.clone());
                }
                if delivery.invocation.kind == inventory::KIND {
                    session.collecting.insert(delivery.invocation.invoke_id.clone(), inventory::types_of(&delivery.invocation));
                }
                session.sent.insert(key);
            }
        }
        Ok(())
    }

    /// Adds a connection for `keys` (replacing an older one of the same agent); returns its serial
    /// and the queue of messages for it.
    fn join(&self, keys: Vec<String>) -> (u64, mpsc::Receiver<ServerMessage>) {
        static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (outbox, inbox) = mpsc::channel(QUEUE);
        let instance = keys[0].clone();
        let session = Session { serial, keys, outbox, sent: HashSet::new(), made_by_executions: HashSet::new(), collecting: HashMap::new() };
        self.sessions.lock().unwrap_or_else(|e| e.into_inner()).insert(instance, session);
        self.assistant.wake_hub();
        (serial, inbox)
    }

    /// The inventory collections sent to agent `instance_id` that `answered` (type → items) covers:
    /// each asked type is in it. They are no longer awaited; their ids and types.
    fn answered(&self, instance_id: &str, answered: &Map<String, Value>) -> Vec<(String, Vec<String>)> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let Some(session) = sessions.get_mut(instance_id) else { return Vec::new() };
        let covered: Vec<String> = session.collecting.iter().filter(|(_, types)| types.iter().all(|kind| answered.contains_key(kind))).map(|(id, _)| id.clone()).collect();
        covered.into_iter().filter_map(|id| session.collecting.remove_entry(&id)).collect()
    }

    /// Removes the connection `serial` of `instance_id`, unless a newer one replaced it; whether it did.
    fn leave(&self, instance_id: &str, serial: u64) -> bool {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if sessions.get(instance_id).is_some_and(|session| session.serial == serial) {
            sessions.remove(instance_id);
            return true;
        }
        false
    }
}

/// What an agent is sent for `delivery`.
fn message(assistant: &Assistant, delivery: &Delivery, stop: bool) -> ServerMessage {
    let invocation = &delivery.invocation;
    if stop {
        return ServerMessage::Stop { invoke_id: invocation.invoke_id.clone() };
    }
    if invocation.kind == inventory::KIND {
        return ServerMessage::Collect { types: inventory::types_of(invocation) };
    }
    if invocation.kind == "File" {
        let file: Map<String, Value> = serde_json::from_str(&invocation.file).unwrap_or_default();
        let field = |name: &str| file.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
        return ServerMessage::SendFile(FileJob {
            invoke_id: invocation.invoke_id.clone(),
            target_dir: field("TargetDir"),
            name: field("Name"),
            content_base64: invocation.content_base64.clone(),
            file_mode: field("FileMode"),
            owner: field("FileOwner"),
            group: field("FileGroup"),
            overwrite: file.get("Overwrite").and_then(Value::as_bool).unwrap_or(false),
        });
    }
    ServerMessage::Run(Job {
        invoke_id: invocation.invoke_id.clone(),
        command_type: invocation.command_type.clone(),
        content: String::from_utf8_lossy(&crate::content::decode(&invocation.content_base64)).into_owned(),
        working_dir: invocation.working_dir.clone(),
        timeout_secs: u64::try_from(invocation.timeout_secs).unwrap_or(60),
        username: invocation.username.clone(),
        enable_parameter: invocation.enable_parameter,
        parameters: assistant.open_parameters(&invocation.parameters, &invocation.invoke_id),
        output_limit: OUTPUT_LIMIT,
        trace: invocation.traceparent.clone().map(|traceparent| JobTrace {
            traceparent,
            execution_id: invocation.creator.starts_with("exec-").then(|| invocation.creator.clone()),
        }),
    })
}
