//! [`VirtualClock`]: time that moves only when told to — by [`VirtualClock::advance`], or by the
//! auto-advance task, which jumps to the earliest due sleeper once nothing changed on the clock
//! (no sleep started, ended or was dropped) for a short real-time quiet period.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::{Clock, Sleep, ceil_ms};

/// A clock for tests. Clones share one time.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    now_ms: i64,
    /// Sleepers by due time (ties by id), with the waker of their last poll.
    sleepers: BTreeMap<(i64, u64), Option<Waker>>,
    next_id: u64,
    /// Bumped whenever a sleep starts, ends or is dropped, and when time moves: the auto-advance
    /// task jumps only when this stood still for its quiet period.
    changes: u64,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Sets the time to `to_ms` (never backwards) and wakes every sleeper due by then.
    fn move_to(&mut self, to_ms: i64) {
        self.now_ms = self.now_ms.max(to_ms);
        self.changes += 1;
        let later = self.sleepers.split_off(&(self.now_ms.saturating_add(1), 0));
        for waker in std::mem::replace(&mut self.sleepers, later).into_values().flatten() {
            waker.wake();
        }
    }
}

impl VirtualClock {
    /// A clock that reads `start_ms` (unix milliseconds) until moved.
    pub fn new(start_ms: i64) -> Self {
        let clock = Self { shared: Arc::default() };
        clock.shared.state().now_ms = start_ms;
        clock
    }

    /// Moves the time forward by `by` and wakes every sleeper whose time came.
    pub fn advance(&self, by: Duration) {
        let mut state = self.shared.state();
        let to = state.now_ms.saturating_add(ceil_ms(by));
        state.move_to(to);
    }

    /// Moves the time to the earliest due sleeper and wakes it (and any due with it). Returns the
    /// new time, or None (and stays) when nothing sleeps.
    pub fn skip(&self) -> Option<i64> {
        let mut state = self.shared.state();
        let (&(due, _), _) = state.sleepers.first_key_value()?;
        state.move_to(due);
        Some(state.now_ms)
    }

    /// How many sleeps are waiting.
    pub fn sleepers(&self) -> usize {
        self.shared.state().sleepers.len()
    }

    /// When the earliest waiting sleep is due (unix milliseconds), None when nothing sleeps.
    pub fn next_due(&self) -> Option<i64> {
        self.shared.state().sleepers.first_key_value().map(|(&(due, _), _)| due)
    }

    /// A count that moves whenever a sleep starts, ends or is dropped, and when time moves: a driver
    /// that sees it stand still for a while knows everything on this clock is waiting.
    pub fn changes(&self) -> u64 {
        self.shared.state().changes
    }

    /// Starts a task (on the current tokio runtime) that [`skip`](Self::skip)s whenever sleepers
    /// wait and nothing changed on the clock for `quiet` of real time: everything that runs on this
    /// clock is waiting, so the earliest wait may as well be over. The task ends with the clock's
    /// last handle.
    ///
    /// Work that waits on something other than this clock (a database, a socket) is not seen: give
    /// `quiet` room for it, and make tests assert what is done, not how many jumps it took.
    pub fn auto_advance(&self, quiet: Duration) {
        let shared: Weak<Shared> = Arc::downgrade(&self.shared);
        tokio::spawn(async move {
            let mut seen = None;
            loop {
                tokio::time::sleep(quiet).await;
                let Some(shared) = shared.upgrade() else { return };
                let mut state = shared.state();
                if seen == Some(state.changes)
                    && let Some((&(due, _), _)) = state.sleepers.first_key_value()
                {
                    state.move_to(due);
                }
                seen = Some(state.changes);
            }
        });
    }
}

impl Clock for VirtualClock {
    fn now_ms(&self) -> i64 {
        self.shared.state().now_ms
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let mut state = self.shared.state();
        let due = state.now_ms.saturating_add(ceil_ms(duration));
        state.next_id += 1;
        let key = (due, state.next_id);
        if due > state.now_ms {
            state.sleepers.insert(key, None);
            state.changes += 1;
        }
        Box::pin(VirtualSleep { shared: self.shared.clone(), key })
    }
}

/// A sleeper of a [`VirtualClock`]; leaves the clock's list when it ends or is dropped.
struct VirtualSleep {
    shared: Arc<Shared>,
    key: (i64, u64),
}

impl Future for VirtualSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.shared.state();
        if state.now_ms >= self.key.0 {
            if state.sleepers.remove(&self.key).is_some() {
                state.changes += 1;
            }
            return Poll::Ready(());
        }
        state.sleepers.insert(self.key, Some(cx.waker().clone()));
        Poll::Pending
    }
}

impl Drop for VirtualSleep {
    fn drop(&mut self) {
        let mut state = self.shared.state();
        if state.sleepers.remove(&self.key).is_some() {
            state.changes += 1;
        }
    }
}

#[cfg(test)]
mod tests;
