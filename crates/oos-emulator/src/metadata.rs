//! The ECS instance metadata service's RAM-role part (opt-in, for tests of `EcsRamRole`
//! credentials): `PUT /latest/api/token` hands out a metadata token (the hardened, IMDSv2-style
//! mode), `GET /latest/meta-data/ram/security-credentials/` names the instance's role, and
//! `GET …/security-credentials/<role>` answers that role's temporary credentials.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::state::utc_time;
use crate::sts::KeyStore;

/// Where the credentials of the instance's role are served.
pub const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";
/// Where a metadata token is handed out.
pub const TOKEN_PATH: &str = "/latest/api/token";
/// The header carrying a metadata token.
pub const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";

/// Lifetime of the role credentials the service hands out (ECS: six hours).
const CREDENTIALS_LIFETIME: SignedDuration = SignedDuration::from_hours(6);

/// The instance's role and the metadata tokens handed out so far.
#[derive(Debug)]
pub(crate) struct Metadata {
    role: String,
    tokens: Mutex<HashSet<String>>,
}

/// A plain-text or JSON answer of the metadata service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataReply {
    pub status: u16,
    pub body: String,
}

fn reply(status: u16, body: impl Into<String>) -> MetadataReply {
    MetadataReply { status, body: body.into() }
}

impl Metadata {
    pub(crate) fn new(role: String) -> Self {
        Self { role, tokens: Mutex::default() }
    }

    /// Answers one request; `token` is the metadata token header, if sent (an unknown one is refused).
    pub(crate) fn serve(&self, keys: &KeyStore, method: &str, path: &str, token: Option<&str>, now: Timestamp) -> MetadataReply {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        if method == "PUT" && path == TOKEN_PATH {
            let issued = crate::sts::random_text(56);
            tokens.insert(issued.clone());
            return reply(200, issued);
        }
        if token.is_some_and(|token| !tokens.contains(token)) {
            return reply(401, "the metadata token is not valid");
        }
        drop(tokens);
        match (method, path.strip_prefix(CREDENTIALS_PATH)) {
            ("GET", Some("")) => reply(200, self.role.clone()),
            ("GET", Some(role)) if role == self.role => {
                let arn = format!("acs:ram::{}:role/{role}", keys.account_id);
                let (credentials, expires) = keys.issue(&arn, "ecs-metadata", CREDENTIALS_LIFETIME, now);
                let body = json!({
                    "Code": "Success",
                    "AccessKeyId": credentials.access_key_id,
                    "AccessKeySecret": credentials.access_key_secret,
                    "SecurityToken": credentials.security_token,
                    "Expiration": utc_time(expires),
                    "LastUpdated": utc_time(now),
                });
                reply(200, body.to_string())
            }
            _ => reply(404, "not found"),
        }
    }
}
