//! What a trigger is: the schedule of an `ACS::TimerTrigger`, the filter of an `ACS::EventTrigger`,
//! the rule of an `ACS::AlarmTrigger`, and the event and alarm formats that reach them. Pure: no
//! I/O, no clock (times come in as unix milliseconds); the engine, the server's intake and the
//! scheduler all decide with these same functions.

mod error;
mod fields;
pub mod alarms;
pub mod alertmanager;
pub mod events;
pub mod schedule;

pub use error::TriggerError;
pub use alarms::{Alarm, AlarmSpec};
pub use alertmanager::{MAX_ALERTS, from_alertmanager};
pub use events::{CloudEvent, EventSpec};
pub use schedule::{TimerKind, TimerSpec, check_time_zone};
