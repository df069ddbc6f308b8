//! `ecs_ram_role` credentials from the ECS metadata service: a metadata token first (`PUT
//! /latest/api/token`, the hardened mode; without one when the service does not hand it out), the
//! instance's role name when not configured, then `GET
//! /latest/meta-data/ram/security-credentials/<role>`.

use jiff::Timestamp;
use oos_actions::CloudError;
use serde::Deserialize;

use crate::credentials::Credentials;
use crate::error::client_error;

const TOKEN_PATH: &str = "/latest/api/token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";
/// Seconds a metadata token is asked to last (the credentials library's six hours).
const TOKEN_TTL_SECS: &str = "21600";

/// The answer of `…/security-credentials/<role>`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleCredentials {
    code: String,
    access_key_id: String,
    access_key_secret: String,
    security_token: String,
    expiration: String,
}

fn failure(url: &str, reason: impl std::fmt::Display) -> CloudError {
    client_error("InvalidCredentials.EcsMetadata", format!("ecs_ram_role: the ECS metadata service at {url}: {reason}"))
}

/// The instance role's temporary credentials and their expiry, from the service at `base_url`.
pub async fn role_credentials(
    http: &reqwest::Client,
    base_url: &str,
    role_name: Option<&str>,
) -> Result<(Credentials, Timestamp), CloudError> {
    let base_url = base_url.trim_end_matches('/');
    let token = http
        .put(format!("{base_url}{TOKEN_PATH}"))
        .header("X-aliyun-ecs-metadata-token-ttl-seconds", TOKEN_TTL_SECS)
        .send()
        .await
        .ok()
        .filter(|response| response.status().is_success());
    let token = match token {
        Some(response) => Some(response.text().await.map_err(|error| failure(base_url, error))?),
        None => None,
    };
    let get = |path: String| {
        let mut request = http.get(format!("{base_url}{path}"));
        if let Some(token) = &token {
            request = request.header("X-aliyun-ecs-metadata-token", token.as_str());
        }
        async move {
            let response = request.send().await.map_err(|error| failure(base_url, error))?;
            let status = response.status();
            let body = response.text().await.map_err(|error| failure(base_url, error))?;
            if status.is_success() { Ok(body) } else { Err(failure(base_url, format!("GET {path} answered {status}"))) }
        }
    };
    let role = match role_name {
        Some(name) => name.to_owned(),
        None => get(CREDENTIALS_PATH.to_owned()).await?.trim().to_owned(),
    };
    if role.is_empty() {
        return Err(failure(base_url, "the instance has no RAM role"));
    }
    let body = get(format!("{CREDENTIALS_PATH}{role}")).await?;
    let answer: RoleCredentials = serde_json::from_str(&body)
        .map_err(|error| failure(base_url, format!("the credentials of role {role} are not readable: {error}")))?;
    if answer.code != "Success" {
        return Err(failure(base_url, format!("the credentials of role {role} answered Code {}", answer.code)));
    }
    let expires: Timestamp = answer
        .expiration
        .parse()
        .map_err(|_| failure(base_url, format!("the credentials of role {role} have no valid Expiration")))?;
    let mut credentials = Credentials::new(answer.access_key_id, answer.access_key_secret);
    credentials.security_token = Some(answer.security_token);
    Ok((credentials, expires))
}
