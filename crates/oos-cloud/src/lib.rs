//! Outbound Alibaba Cloud OpenAPI client for ACS::ExecuteAPI/WaitFor/CheckFor/SelectTargets:
//! RPC (ACS3-HMAC-SHA256 or HMAC-SHA1 v1) and ROA calls, parameter serialization, AutoPaging,
//! retries with back-off, ClientToken idempotency, endpoints and credentials.
//!
//! Entry point: [`CloudClient`], which implements [`oos_actions::CloudApi`].

pub mod api_names;
pub mod assume_role;
mod client;
pub mod client_token;
pub mod credential_provider;
pub mod credentials;
mod ecs_metadata;
pub mod endpoints;
mod error;
mod metrics;
pub mod paging;
pub mod params;
pub mod retry;
pub mod select_targets;
mod transport;

pub use assume_role::AssumeRoleConfig;
pub use client::{CallStats, CloudClient, CloudConfig, simple_call};
pub use credential_provider::{CredentialProvider, RoleToAssume};
pub use credentials::{CredentialChain, CredentialError, CredentialSource, Credentials, ResolvedCredentials};
pub use endpoints::{EndpointConfig, Target};
pub use metrics::{CLOUD_CALLS, CLOUD_RETRIES, describe_metrics};
pub use retry::{Backoff, RetryPolicy};
pub use select_targets::select_targets;
pub use transport::SignatureScheme;
