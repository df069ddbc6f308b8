//! What every request handler may use: the [`Api`] (store, IAM, starter, region, outbound client),
//! the [`Fields`] of a successful answer and the [`Reply`] sent. The request pipeline and the actions
//! both depend on this module; it depends on neither.

use std::sync::Arc;

use oos_acs::RpcRequest;
use oos_clock::Clock;
use oos_iam::Iam;
use oos_store::ServerStore;
use serde_json::{Map, Value};

use oos_runtime::Starter;

use crate::auth::Authenticator;
use crate::identity::RecordIdentityStore;

/// The API version served.
pub const OOS_VERSION: &str = "2019-06-01";

/// An HTTP answer: status, JSON body and the request id it carries.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub request_id: String,
}

/// A successful action's fields (the pipeline adds `RequestId`).
pub type Fields = Map<String, Value>;

/// Everything a request handler may use.
#[derive(Debug)]
pub struct Api {
    pub store: Arc<dyn ServerStore>,
    /// Shared with the engine's [`crate::authorized_actions::AuthorizedActions`].
    pub iam: Arc<Iam<RecordIdentityStore>>,
    /// Creates executions (any worker on the store runs them).
    pub starter: Starter,
    /// The worker's clock: every time the API records, and the time requests are checked at.
    pub clock: Arc<dyn Clock>,
    /// Region of requests without `RegionId`.
    pub region: String,
    /// `HostId` of error bodies.
    pub host_id: String,
    pub(crate) authenticator: Authenticator,
    /// The bounds on console sign-ins.
    pub(crate) console: crate::console::ConsoleGuard,
    /// The HTTP client of TemplateURL fetches, under the server's address policy.
    pub(crate) outbound: oos_actions::Outbound,
    /// The Cloud Assistant of managed instances (the ECS API's part served here).
    pub assistant: oos_assistant::Assistant,
    /// The cloud the server's workers use, for the reads forwarded to it.
    pub(crate) cloud: crate::actions::cloud_reads::ForwardedCloud,
}

impl Api {
    /// The request's `RegionId`, else the server's region.
    pub fn region_of<'a>(&'a self, rpc: &'a RpcRequest) -> &'a str {
        rpc.get("RegionId").unwrap_or(&self.region)
    }
}
