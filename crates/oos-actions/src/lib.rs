//! Actions the engine runs as effects: the [`Actions`] trait, the product's [`Executors`], and the
//! outbound cloud seam [`CloudApi`] that ExecuteAPI/WaitFor/CheckFor/SelectTargets go through.

mod api_call;
pub mod cloud;
mod executors;
mod request;

pub use api_call::api_call;
pub use cloud::{ApiCall, CloudApi, CloudError, RoaRequest};
pub use executors::Executors;
pub use request::{ActionError, ActionRequest, Actions, CallKind};
