//! Actions the engine runs as effects: the [`Actions`] trait, the product's [`Executors`], the
//! outbound cloud seam [`CloudApi`] that ExecuteAPI/WaitFor/CheckFor/SelectTargets go through, and
//! the [`Outbound`] client that every plain HTTP request goes through.

mod api_call;
pub mod cloud;
mod executors;
pub mod outbound;
mod request;

pub use api_call::api_call;
pub use cloud::{ApiCall, CloudApi, CloudError, RoaRequest};
pub use executors::{Executors, OUTBOUND_REQUESTS, describe_metrics};
pub use outbound::{AddressPolicy, Outbound};
pub use request::{ActionError, ActionRequest, Actions, CallKind};
