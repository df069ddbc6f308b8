//! Actions the engine runs as effects: the action trait and in-process executors; cloud calls go through [`cloud::CloudApi`].

pub mod cloud;

pub use cloud::{ApiCall, CloudApi, CloudError, RoaRequest};
