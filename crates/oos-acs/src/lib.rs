//! Alibaba Cloud RPC wire protocol, both directions: RFC 3986 encoding, ACS3-HMAC-SHA256 and
//! legacy HMAC-SHA1 v1.0 signing and verification, request parameter parsing, and the
//! `{RequestId, HostId, Code, Message, Recommend}` error body; and the signature of webhook
//! deliveries (`webhook`).
//!
//! Everything works on plain values (method, path, query, headers, body), so HTTP clients
//! and servers of any framework can use it.

pub mod acs3;
mod credentials;
pub mod encode;
mod error;
mod replay;
mod request;
pub mod v1;
mod verify;
pub mod webhook;

pub use credentials::{Credentials, SecretStore};
pub use error::{AcsError, ErrorBody, ErrorCode, new_request_id};
pub use request::{IncomingRequest, REPEATED_PARAMETER, RpcRequest, unknown_action, unsupported_version};
pub use replay::{MAX_NONCE_BYTES, NONCE_CACHE_FULL, ReplayGuard};
pub use verify::{Scheme, Verified, Verifier, detect_scheme};
pub use webhook::{sign_webhook, verify_webhook};
