//! Execution and task statuses and execution modes, spelled exactly as OOS spells them.

use serde::{Deserialize, Serialize};

macro_rules! spelled_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// The OOS spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => stringify!($variant)),+ }
            }

            /// Parses the OOS spelling, case-insensitively.
            pub fn parse(text: &str) -> Option<Self> {
                [$(Self::$variant),+].into_iter().find(|v| v.as_str().eq_ignore_ascii_case(text.trim()))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

spelled_enum!(
    /// Status of an execution.
    ExecutionStatus { Started, Queued, Running, Waiting, Success, Failed, Cancelled }
);

spelled_enum!(
    /// Status of a task execution.
    TaskStatus { Pending, Running, Waiting, Success, Failed, Skipped, Cancelled }
);

spelled_enum!(
    /// How an execution proceeds: on its own, pausing on failures, or one task at a time.
    Mode { Automatic, FailurePause, Debug }
);

impl ExecutionStatus {
    /// Success, Failed and Cancelled are final.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Success | Self::Failed | Self::Cancelled)
    }
}

impl TaskStatus {
    /// Success, Failed, Skipped and Cancelled are final.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Success | Self::Failed | Self::Skipped | Self::Cancelled)
    }
}
