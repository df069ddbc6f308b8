//! Registration: one `POST {server}/agent/v1/register` with the activation, answered by the
//! agent's identity or an OOS error (`{"Code", "Message"}`).

use std::sync::Arc;

use oos_agent_proto::{REGISTER_PATH, Registered, Registration};
use serde::Deserialize;
use tokio_rustls::rustls::ClientConfig;

use crate::AgentError;

/// An OOS error body.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// A server URL without its trailing `/`, checked to be `http://` or `https://`.
pub fn base_url(server: &str) -> Result<&str, AgentError> {
    let trimmed = server.trim_end_matches('/');
    if trimmed.starts_with("https://") || trimmed.starts_with("http://") {
        Ok(trimmed)
    } else {
        Err(AgentError::InvalidServer(server.to_owned()))
    }
}

/// Registers with the first server that answers (a refusal is final: the servers of a cluster
/// share their activations).
pub async fn register(
    servers: &[String],
    tls: &Arc<ClientConfig>,
    registration: &Registration,
) -> Result<Registered, AgentError> {
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(ClientConfig::clone(tls))
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|error| AgentError::RegistrationFailed(error.to_string()))?;
    let mut last = AgentError::NoServer;
    for server in servers {
        match register_with(&client, base_url(server)?, registration).await {
            Err(AgentError::RegistrationFailed(reason)) => {
                tracing::warn!(server = %server, %reason, "registration failed; trying the next server");
                last = AgentError::RegistrationFailed(format!("{server}: {reason}"));
            }
            answer => return answer,
        }
    }
    Err(last)
}

async fn register_with(client: &reqwest::Client, base: &str, registration: &Registration) -> Result<Registered, AgentError> {
    let failed = |error: reqwest::Error| AgentError::RegistrationFailed(error.to_string());
    let response = client.post(format!("{base}{REGISTER_PATH}")).json(registration).send().await.map_err(failed)?;
    let status = response.status();
    let body = response.bytes().await.map_err(failed)?;
    if status.is_success() {
        return serde_json::from_slice(&body)
            .map_err(|error| AgentError::RegistrationFailed(format!("unexpected answer ({error})")));
    }
    match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(refusal) => Err(AgentError::RegistrationRefused { code: refusal.code, message: refusal.message }),
        Err(_) => Err(AgentError::RegistrationFailed(format!("HTTP {status}"))),
    }
}
