//! One agent's connection: its messages written to the store as they arrive (acceptance, output,
//! outcome, inventory, liveness), the hub's messages for it sent in order, and its end — the
//! agent closed, went silent for three heartbeats, or the process stops.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use oos_agent_proto::{AgentMessage, HEARTBEAT_SECS, Outcome, ServerMessage};
use oos_store::{ManagedInstanceRow, TargetChange};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::Hub;
use crate::{OUTPUT_LIMIT, inventory};

/// The task kind of an agent connection.
pub const SESSION_TASK: &str = "agent-session";

/// An agent silent this long is gone.
const SILENCE: Duration = Duration::from_secs(3 * HEARTBEAT_SECS);

/// Buffers kept small: thousands of idle agents stay cheap.
pub fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0).max_message_size(Some(1 << 20)).max_frame_size(Some(1 << 20))
}

impl Hub {
    /// Serves `socket` for the authenticated `instance` until it ends or `stop` turns true.
    pub async fn serve<S>(self, mut socket: WebSocketStream<S>, instance: ManagedInstanceRow, mut stop: watch::Receiver<bool>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let mut keys = vec![instance.instance_id.clone()];
        keys.extend(instance.sandbox_instance.clone());
        let (serial, mut outbox) = self.join(keys.clone());
        let id = instance.instance_id.as_str();
        self.seen(id, true, None).await;
        tracing::info!(instance = id, "agent connected");
        loop {
            tokio::select! {
                message = tokio::time::timeout(SILENCE, socket.next()) => match message {
                    Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str::<AgentMessage>(&text) {
                        Ok(message) => match self.handle(&keys, message).await {
                            Some(Answer::Send(text)) => {
                                if socket.send(Message::text(text)).await.is_err() {
                                    break;
                                }
                            }
                            Some(Answer::Close) => {
                                tracing::warn!(instance = id, "the agent's instance is deregistered; closing its connection");
                                break;
                            }
                            None => {}
                        },
                        Err(error) => {
                            tracing::warn!(instance = id, %error, "an agent sent a message this hub does not understand");
                            break;
                        }
                    },
                    Ok(Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)))) => {
                        self.seen(id, true, None).await;
                    }
                    Ok(Some(Ok(Message::Binary(_)))) => break,
                    Ok(Some(Ok(Message::Close(_))) | Some(Err(_)) | None) => break,
                    Err(_) => {
                        tracing::warn!(instance = id, "agent silent for {} s; closing its connection", SILENCE.as_secs());
                        break;
                    }
                },
                queued = outbox.recv() => match queued {
                    Some(message) => {
                        let text = serde_json::to_string(&message).unwrap_or_default();
                        if socket.send(Message::text(text)).await.is_err() {
                            break;
                        }
                    }
                    None => break,
                },
                _ = stop.changed() => break,
            }
        }
        let _ = socket.close(None).await;
        if self.leave(id, serial) {
            self.seen(id, false, None).await;
        }
        tracing::info!(instance = id, "agent disconnected");
    }

    /// Records one message of the agent answering for `keys`; what to answer, if anything.
    async fn handle(&self, keys: &[String], message: AgentMessage) -> Option<Answer> {
        let store = self.assistant.store();
        let id = &keys[0];
        match message {
            AgentMessage::Hello { inventory } => {
                let inventory = serde_json::to_string(&inventory).unwrap_or_default();
                self.seen(id, true, Some(&inventory)).await;
            }
            AgentMessage::Heartbeat => {
                // A deregistered agent's connection ends at its next heartbeat.
                if !self.seen(id, true, None).await {
                    return Some(Answer::Close);
                }
            }
            AgentMessage::Accepted { invoke_id, start_ms } => {
                self.update(keys, &invoke_id, &TargetChange::Accepted { start_ms }).await;
            }
            AgentMessage::Output { invoke_id, data } => {
                self.update(keys, &invoke_id, &TargetChange::Output { data, limit: OUTPUT_LIMIT as i64 }).await;
            }
            AgentMessage::Finished(outcome) => {
                let invoke_id = outcome.invoke_id.clone();
                let change = finished(outcome);
                if let Some(key) = self.update(keys, &invoke_id, &change).await
                    && let TargetChange::Finished { status, exit_code, output, dropped, error_code, .. } = &change
                {
                    self.assistant.audit_outcome(&key, &invoke_id, status, *exit_code, error_code, output, *dropped).await;
                    self.reported(id, &invoke_id);
                }
                return serde_json::to_string(&ServerMessage::Recorded { invoke_id }).ok().map(Answer::Send);
            }
            AgentMessage::Inventory { data } => {
                let now = self.assistant.now_ms();
                if let Err(error) = store.record_inventory(id, &inventory::recorded(&data, now)).await {
                    tracing::warn!(instance = %id, %error, "recording an agent's inventory");
                    return None;
                }
                for (invoke_id, types) in self.answered(id, &data) {
                    self.update(keys, &invoke_id, &inventory::finished(&data, &types, now)).await;
                }
            }
        }
        None
    }

    /// Applies `change` to the agent's own target of `invoke_id` (under whichever of its keys the
    /// invocation named it); another agent's invocation is never touched. The key it applied under.
    async fn update(&self, keys: &[String], invoke_id: &str, change: &TargetChange) -> Option<String> {
        for key in keys {
            match self.assistant.store().update_target(invoke_id, key, change).await {
                Ok(true) => return Some(key.clone()),
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(instance = %keys[0], invoke_id, %error, "recording an agent's report");
                    return None;
                }
            }
        }
        None
    }

    /// Records that the agent was seen; `false` only when its instance no longer exists.
    async fn seen(&self, instance_id: &str, connected: bool, inventory: Option<&str>) -> bool {
        match self.assistant.store().instance_seen(instance_id, self.assistant.now_ms(), connected, inventory).await {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(instance = instance_id, %error, "recording that an agent was seen");
                true
            }
        }
    }
}

/// What the hub does after an agent's message.
enum Answer {
    Send(String),
    Close,
}

/// The store's change for an agent's outcome (its output was streamed; the outcome's is the whole).
fn finished(outcome: Outcome) -> TargetChange {
    let status = match outcome.status {
        oos_agent_proto::FinishStatus::Success => "Success",
        oos_agent_proto::FinishStatus::Failed => "Failed",
        oos_agent_proto::FinishStatus::Timeout => "Timeout",
        oos_agent_proto::FinishStatus::Stopped => "Stopped",
    };
    TargetChange::Finished {
        status: status.to_string(),
        exit_code: outcome.exit_code.map(i64::from),
        output: outcome.output,
        dropped: i64::try_from(outcome.dropped).unwrap_or(i64::MAX),
        error_code: outcome.error_code.unwrap_or_default(),
        error_info: outcome.error_info.unwrap_or_default(),
        start_ms: Some(outcome.start_ms),
        finish_ms: outcome.finish_ms,
    }
}
