//! oos-iam: RAM-style access control for OpenOOS: policy documents and their evaluation, the mapping of
//! OOS API actions and outbound cloud calls to (action, resource), identities behind a storage trait,
//! AccessKeys with secrets sealed at rest, and GenerateExecutionPolicy.

pub mod access_key;
pub mod arn;
pub mod cloud_calls;
pub mod console;
pub mod envelope;
pub mod error;
pub mod evaluate;
pub mod execution_policy;
pub mod identity;
pub mod oos_actions;
pub mod policy;
pub mod ram_actions;
pub mod secret;
pub mod service;
pub mod system_policies;

pub use arn::ArnScope;
pub use envelope::MasterKey;
pub use error::{EntityKind, IamError, StoreError};
pub use evaluate::{AuthzRequest, Context, Decision, DecisionReason, MatchedStatement, evaluate};
pub use execution_policy::{RequiredApi, generate_execution_policy};
pub use identity::{IdentityStore, MemoryIdentityStore, Principal};
pub use policy::{Policy, PolicyError, PolicyType, TrustPolicy};
pub use secret::SecretString;
pub use service::Iam;
pub use service::policies_api::{AttachTarget, PolicySummary};
