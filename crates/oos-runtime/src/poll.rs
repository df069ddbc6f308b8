//! How a worker finds its work: it waits for a call's answer, a due timer, a wakeup from the store
//! (new executions, inbox events, released leases — from any process) or its poll interval; a poll
//! renews its leases (every third of their lifetime), claims due or inboxed executions, loads them
//! and queues the inbox events of the executions it holds — a fixed number of queries however many
//! it holds. After a turn it hands back the executions that only wait, and after a failed commit it
//! loads the turn's executions again from the store.

use std::collections::HashSet;
use std::time::Duration;

use oos_engine::{Effect, Event, Wake};
use oos_store::{Claimed, StepWrite, StoreError};

use crate::guard::Admission;
use crate::timers::Due;
use crate::{Delivery, RuntimeError, Worker, load, persist};

/// Most executions one poll claims.
const CLAIM_BATCH: i64 = 256;

impl Worker {
    /// Waits for at least one event (or a wakeup, a due timer, the poll interval), then takes what is ready.
    pub(crate) async fn gather(&mut self) -> Result<(), RuntimeError> {
        self.fire_due_timers();
        if self.queue.is_empty() && self.children.is_empty() && !self.poll_now && !self.poll_due() {
            let now = self.clock.now_ms();
            let next_poll = self.last_poll.map_or(now, |at| at.saturating_add(millis(self.config.poll_interval)));
            let until = self.timers.next_due().map_or(next_poll, |timer| timer.min(next_poll));
            let due = self.clock.sleep_until(until);
            let woken = self.wake.clone();
            let wakeups = &mut self.wakeups;
            let event = tokio::select! {
                event = self.rx.recv() => Some(event),
                () = woken.notified() => None,
                Ok(()) = wakeups.changed() => None,
                () = due => Some(None),
            };
            match event {
                Some(Some(delivery)) => self.receive(delivery),
                Some(None) => {}
                // Woken: something was written that this worker may have to do; look now.
                None => self.poll_now = true,
            }
            self.fire_due_timers();
        }
        while self.queue.len() < self.config.max_batch {
            match self.rx.try_recv() {
                Ok(delivery) => self.receive(delivery),
                Err(_) => break,
            }
        }
        if self.poll_now || self.poll_due() {
            self.poll().await?;
        }
        Ok(())
    }

    fn poll_due(&self) -> bool {
        self.last_poll.is_none_or(|at| elapsed(at, self.clock.now_ms()) >= self.config.poll_interval)
    }

    /// Queues the `TimerFired` of every due timer of a held execution.
    fn fire_due_timers(&mut self) {
        for due in self.timers.take_due(self.clock.now_ms()) {
            match due {
                Due::Fire { execution_id, task_execution_id, attempt } => {
                    self.queue.push_back((execution_id, Event::TimerFired { task_execution_id, attempt }, None));
                }
                Due::Poll => self.poll_now = true,
            }
        }
    }

    /// Queues the event of a finished call.
    pub(crate) fn receive(&mut self, (id, event, audit): Delivery) {
        if matches!(event, Event::ActionDone { .. }) {
            self.guard.answered(&id);
        }
        self.queue.push_back((id, event, None));
        self.audit.extend(audit);
    }

    /// Renews the leases when a third of their lifetime has passed, claims executions that need a
    /// worker, loads them (re-driving their in-flight work), and queues the inbox events of the held ones.
    async fn poll(&mut self) -> Result<(), RuntimeError> {
        let polled = self.poll_store().await;
        if polled.is_ok() {
            self.beat.beat(self.clock.now_ms());
        } else {
            // A claim may have committed without its answer, or its executions not been loaded.
            self.reload = true;
        }
        polled
    }

    async fn poll_store(&mut self) -> Result<(), RuntimeError> {
        self.poll_now = false;
        let now = self.clock.now_ms();
        self.last_poll = Some(now);
        let ttl = i64::try_from(self.config.lease_ttl.as_millis()).unwrap_or(30_000);
        if self.last_renew.is_none_or(|at| elapsed(at, now) >= self.config.lease_ttl / 3) {
            self.store.renew(&self.config.worker_id, now, ttl).await?;
            self.last_renew = Some(now);
        }
        if self.reload {
            self.reload_leased().await?;
        }
        let claimed = self.store.claim(&self.config.worker_id, now, ttl, CLAIM_BATCH).await?;
        if claimed.len() as i64 == CLAIM_BATCH {
            // More may be waiting: look again right after this turn.
            self.poll_now = true;
        }
        for Claimed { id, taken_from } in claimed {
            if let Some(previous) = taken_from {
                tracing::info!(execution = %id, previous = %previous, "took over an execution whose lease expired under another worker");
                crate::metrics::taken_over();
            }
            if self.live.contains_key(&id) || self.guard.holds(&id) {
                continue;
            }
            let crashes = self.store.recover(&id).await?;
            match self.guard.admit(&id, crashes) {
                Admission::Run => self.adopt(&id).await?,
                Admission::Hold => continue,
                Admission::Quarantine(crashes) => self.quarantine(&id, crashes).await?,
            }
        }
        let queued: HashSet<&str> = self.queue.iter().map(|(id, _, _)| id.as_str()).collect();
        if let Some(id) = self.guard.next_alone(|id| queued.contains(id)) {
            self.adopt(&id).await?;
        }
        let queued: HashSet<i64> = self.queue.iter().filter_map(|(_, _, inbox)| *inbox).collect();
        // Events of held executions that are not loaded (on probation) wait until they are.
        for row in self.store.held_inbox(&self.config.worker_id).await? {
            if queued.contains(&row.id) || !self.live.contains_key(&row.execution_id) {
                continue;
            }
            let event = persist::inbox_event(&row.payload, &row.execution_id, self.sealer.as_deref())?;
            self.queue.push_back((row.execution_id, event, Some(row.id)));
        }
        Ok(())
    }

    /// Loads a claimed execution and re-drives what was in flight.
    pub(crate) async fn adopt(&mut self, id: &str) -> Result<(), RuntimeError> {
        let Some(record) = self.store.execution(id).await? else { return Ok(()) };
        let tasks = self.store.tasks(id).await?;
        let exec = load(record, tasks, self.sealer.as_deref())?;
        if exec.status.is_final() {
            return Ok(());
        }
        let (events, effects) = oos_engine::resume(&exec);
        if effects.iter().any(|effect| matches!(effect, Effect::Call(_))) {
            let marks = self.guard.to_mark([&id.to_owned()]);
            self.store.mark_at_risk(&self.config.worker_id, &marks).await?;
        }
        self.live.insert(id.to_owned(), exec);
        for event in events {
            self.queue.push_back((id.to_owned(), event, None));
        }
        for effect in effects {
            match effect {
                Effect::StartChild(start) => self.children.push((start, true)),
                other => self.launch(other),
            }
        }
        Ok(())
    }

    /// Loads an execution that was at risk in too many crashes and fails it without re-driving anything.
    async fn quarantine(&mut self, id: &str, crashes: i64) -> Result<(), RuntimeError> {
        let Some(record) = self.store.execution(id).await? else { return Ok(()) };
        let exec = load(record, self.store.tasks(id).await?, self.sealer.as_deref())?;
        if exec.status.is_final() {
            return Ok(());
        }
        tracing::error!(execution = id, crashes, "quarantining an execution that was running when the process stopped {crashes} times");
        self.live.insert(id.to_owned(), exec);
        self.queue.push_back((id.to_owned(), Event::Quarantine { crashes }, None));
        Ok(())
    }

    /// After a failed commit the turn's changes are not in the store, while its executions moved on
    /// in memory: they are dropped (their timers too; late answers of their calls find nothing to
    /// apply to) and loaded again from the store at the next poll — unless the lease is lost, when
    /// another worker has them.
    pub(crate) fn forget_turn(&mut self, write: &StepWrite, error: &StoreError) {
        self.forget(write.executions.iter().map(|record| &record.id));
        tracing::warn!(%error, executions = write.executions.len(), "a turn's commit failed; its executions are loaded again from the store");
    }

    /// Drops executions from memory (their timers too; late answers of their calls find nothing to
    /// apply to); the next poll loads every execution still leased to this worker again.
    pub(crate) fn forget<'a>(&mut self, ids: impl Iterator<Item = &'a String>) {
        for id in ids {
            self.live.remove(id);
            self.timers.forget(id);
        }
        self.reload = true;
    }

    /// After a failed commit or poll: loads every execution leased to this worker that it has not
    /// loaded (those of the failed turn, and of a claim that failed before its executions were
    /// loaded, or whose answer was lost). One another worker has taken over is no longer leased to it.
    async fn reload_leased(&mut self) -> Result<(), RuntimeError> {
        for id in self.store.leased(&self.config.worker_id).await? {
            if !self.live.contains_key(&id) && !self.guard.holds(&id) {
                self.adopt(&id).await?;
            }
        }
        self.reload = false;
        Ok(())
    }

    /// Hands back the held executions that only wait for an event, or for timers due later than
    /// [`crate::RuntimeConfig::park_after`]: their leases are released, and a worker takes each when
    /// its wakeup comes (this one too: it keeps their due times to look then).
    pub(crate) async fn park(&mut self) {
        let Some(after) = self.config.park_after else { return };
        let now = self.clock.now_ms();
        let horizon = now + i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 2);
        let queued: HashSet<&str> = self.queue.iter().map(|(id, _, _)| id.as_str()).collect();
        let parked: Vec<(String, Option<i64>)> = self
            .live
            .iter()
            .filter(|(id, _)| !queued.contains(id.as_str()) && !self.guard.busy(id))
            .filter_map(|(id, exec)| match oos_engine::wake(exec) {
                Wake::Event => Some((id.clone(), None)),
                Wake::At(at_ms) if at_ms > horizon => Some((id.clone(), Some(at_ms))),
                Wake::At(_) | Wake::Now => None,
            })
            .collect();
        if parked.is_empty() || !self.children.is_empty() {
            return;
        }
        let ids: Vec<String> = parked.iter().map(|(id, _)| id.clone()).collect();
        if let Err(error) = self.store.release(&self.config.worker_id, &ids).await {
            tracing::warn!(%error, "could not hand back waiting executions; keeping them");
            return;
        }
        for (id, wake_at) in parked {
            self.live.remove(&id);
            self.timers.forget(&id);
            if let Some(at_ms) = wake_at {
                self.timers.add(at_ms, Due::Poll);
            }
        }
    }
}

/// `duration` in whole milliseconds, saturated.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The time from `at_ms` to `now_ms`; a clock set back since counts as long ago (what waits for it
/// is done now rather than after the clock catches up).
fn elapsed(at_ms: i64, now_ms: i64) -> Duration {
    match u64::try_from(now_ms - at_ms) {
        Ok(ms) => Duration::from_millis(ms),
        Err(_) => Duration::MAX,
    }
}
