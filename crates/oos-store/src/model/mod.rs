//! Row types, writes and queries of the API's storage, shared by every backend.

mod assistant;
mod console;
mod executions;
mod parameters;
mod sandbox_inbox;
mod tags;
mod templates;
mod triggers;

pub use assistant::*;
pub use executions::*;
pub use parameters::*;
pub use console::*;
pub use sandbox_inbox::*;
pub use tags::*;
pub use templates::*;
pub use triggers::*;
