//! The timers of the executions a worker holds: Sleep, WaitFor back-off and retry delays, each
//! due at a time, fired by the worker loop itself (no task per timer). The durable copy is the
//! task's engine state and the execution's `wake_ms`, which any worker fires after a hand-back or a
//! crash. A worker also keeps here when a handed-back execution of its own falls due, to claim it
//! on time instead of at its next poll.

use std::collections::BTreeMap;

/// What falls due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Due {
    /// A held execution's timer: feed it `TimerFired`.
    Fire { execution_id: String, task_execution_id: String, attempt: u32 },
    /// A handed-back execution is due: look for claimable work.
    Poll,
}

/// Due times in order (ties in insertion order).
#[derive(Debug, Default)]
pub(crate) struct Timers {
    due: BTreeMap<(i64, u64), Due>,
    next: u64,
}

impl Timers {
    pub(crate) fn add(&mut self, at_ms: i64, due: Due) {
        self.next += 1;
        self.due.insert((at_ms, self.next), due);
    }

    /// When the first one falls due.
    pub(crate) fn next_due(&self) -> Option<i64> {
        self.due.keys().next().map(|(at_ms, _)| *at_ms)
    }

    /// Takes every one due at `now_ms`, in order; each execution timer's lag is recorded
    /// ([`crate::metrics::TIMER_LAG_SECONDS`]).
    pub(crate) fn take_due(&mut self, now_ms: i64) -> Vec<Due> {
        let later = self.due.split_off(&(now_ms + 1, 0));
        let due = std::mem::replace(&mut self.due, later);
        due.into_iter()
            .map(|((at_ms, _), due)| {
                if matches!(due, Due::Fire { .. }) {
                    crate::metrics::timer_fired(at_ms, now_ms);
                }
                due
            })
            .collect()
    }

    /// Drops the timers of an execution this worker no longer holds.
    pub(crate) fn forget(&mut self, execution_id: &str) {
        self.due.retain(|_, due| !matches!(due, Due::Fire { execution_id: of, .. } if of == execution_id));
    }

    /// Drops every timer (a stopping worker: the next one re-derives them from the store).
    pub(crate) fn clear(&mut self) {
        self.due.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fire(id: &str) -> Due {
        Due::Fire { execution_id: id.into(), task_execution_id: format!("{id}-t"), attempt: 1 }
    }

    #[test]
    fn due_ones_come_out_in_time_order_and_forgotten_ones_never() {
        let mut timers = Timers::default();
        timers.add(30, fire("c"));
        timers.add(10, fire("a"));
        timers.add(10, Due::Poll);
        timers.add(20, fire("b"));
        timers.add(25, fire("b"));
        assert_eq!(timers.next_due(), Some(10));
        assert_eq!(timers.take_due(9), vec![]);
        assert_eq!(timers.take_due(10), vec![fire("a"), Due::Poll]);
        timers.forget("b");
        assert_eq!(timers.take_due(100), vec![fire("c")]);
        assert_eq!(timers.next_due(), None);
    }
}
