//! `oos agent`, the host side of managed instances: it registers once with an activation
//! ([`register`]), keeps its identity and a ledger of invocations in a state directory ([`state`],
//! [`ledger`]), holds one WebSocket to the agent hub of `oos server` ([`connection`]), and runs
//! what the hub sends — scripts ([`runner`]), files ([`files`]), inventory ([`inventory`]) — each
//! invocation at most once, as `oos-agent-proto` describes.

pub mod agent;
mod backoff;
pub mod codes;
pub mod connection;
mod error;
pub mod files;
pub mod inventory;
pub mod ledger;
pub mod register;
pub mod runner;
mod span;
pub mod state;
pub mod tls;

pub use agent::{Activation, Agent, AgentConfig};
pub use error::AgentError;

/// Milliseconds since the Unix epoch, as the protocol's times are.
pub fn now_ms() -> i64 {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}
