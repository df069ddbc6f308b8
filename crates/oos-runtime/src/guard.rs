//! The crash-loop guard of a worker. Before it steps an execution, and while the execution's calls
//! run, the store marks it *at risk*; the commit that holds its work with no call in flight clears
//! the mark. An execution taken over at risk (its worker died during the work) has crashed once
//! more, and any committed progress of it resets the count. After one crash it runs as usual: one
//! crash is what every execution a killed or restarted worker held has, so a worker taking over
//! hundreds of them (a fleet of triggers) runs them at once. From the second crash it runs alone,
//! fewest crashes first, until it has progressed or settled, so that the one that kills the process
//! is told apart from the ones that happened to run beside it; at [`Guard::max_crashes`] crashes
//! without progress it is quarantined (failed without being run again) and restarts stop looping.

use std::collections::{HashMap, HashSet};

use oos_store::StepWrite;

use oos_engine::Effect;

/// The guard's bookkeeping (what the store knows is mirrored in `marked`).
#[derive(Debug)]
pub(crate) struct Guard {
    /// Crashes after which an execution is quarantined.
    pub max_crashes: i64,
    /// Executions this worker has marked at risk in the store.
    marked: HashSet<String>,
    /// Calls launched and not yet answered, by execution.
    in_flight: HashMap<String, usize>,
    /// Executions taken over after crashes, waiting to run alone: `(crashes, id)`.
    probation: Vec<(i64, String)>,
    /// The execution on probation running now, and whether it has progressed since.
    alone: Option<(String, bool)>,
}

/// What to do with an execution claimed from the store.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Load it and re-drive what was in flight.
    Run,
    /// Wait until the executions before it on probation have settled.
    Hold,
    /// Fail it without running it: it was at risk in this many crashes.
    Quarantine(i64),
}

impl Guard {
    pub(crate) fn new(max_crashes: i64) -> Self {
        Self { max_crashes, marked: HashSet::new(), in_flight: HashMap::new(), probation: Vec::new(), alone: None }
    }

    /// Decides about an execution claimed with `crashes` crashes (see [`oos_store::CrashGuard::recover`]).
    pub(crate) fn admit(&mut self, id: &str, crashes: i64) -> Admission {
        if crashes >= self.max_crashes {
            return Admission::Quarantine(crashes);
        }
        if crashes <= 1 || self.alone.as_ref().is_some_and(|(alone, _)| alone == id) {
            return Admission::Run;
        }
        if !self.probation.iter().any(|(_, held)| held == id) {
            self.probation.push((crashes, id.to_owned()));
        }
        Admission::Hold
    }

    /// Whether `id` waits on probation (so polls do not take it over again).
    pub(crate) fn holds(&self, id: &str) -> bool {
        self.probation.iter().any(|(_, held)| held == id)
    }

    /// The executions waiting on probation (claimed, so leased to this worker, but not loaded).
    /// Whether `id` has calls in flight or is marked at risk (so it must stay with this worker).
    pub(crate) fn busy(&self, id: &str) -> bool {
        self.in_flight.contains_key(id) || self.marked.contains(id)
    }

    pub(crate) fn held(&self) -> impl Iterator<Item = &String> {
        self.probation.iter().map(|(_, id)| id)
    }

    /// The next execution to run alone, once the one running alone has settled (`settled` tells
    /// whether an execution still has work in flight).
    pub(crate) fn next_alone(&mut self, busy: impl Fn(&str) -> bool) -> Option<String> {
        if !self.alone_done(&busy) {
            return None;
        }
        self.alone = None;
        let fewest = self.probation.iter().enumerate().min_by_key(|(_, (crashes, id))| (*crashes, id.clone())).map(|(at, _)| at)?;
        let (_, id) = self.probation.swap_remove(fewest);
        self.alone = Some((id.clone(), false));
        Some(id)
    }

    /// Whether the next execution on probation may run now: one waits, and the one running alone
    /// (if any) has progressed or settled. The worker then looks at once instead of at its next
    /// poll, so taking over many executions of a dead worker takes a turn each, not a poll interval.
    pub(crate) fn next_is_due(&self, busy: impl Fn(&str) -> bool) -> bool {
        !self.probation.is_empty() && self.alone_done(&busy)
    }

    fn alone_done(&self, busy: &impl Fn(&str) -> bool) -> bool {
        !matches!(&self.alone, Some((alone, false)) if self.marked.contains(alone) || busy(alone))
    }

    /// The executions to mark before a turn steps `stepped` (those not marked already).
    pub(crate) fn to_mark<'a>(&mut self, stepped: impl IntoIterator<Item = &'a String>) -> Vec<String> {
        let mut new = Vec::new();
        for id in stepped {
            if self.marked.insert(id.clone()) {
                new.push(id.clone());
            }
        }
        new
    }

    /// A call of `id` is launched.
    pub(crate) fn launched(&mut self, id: &str) {
        *self.in_flight.entry(id.to_owned()).or_insert(0) += 1;
    }

    /// A call of `id` was answered.
    pub(crate) fn answered(&mut self, id: &str) {
        if let Some(count) = self.in_flight.get_mut(id) {
            *count -= 1;
            if *count == 0 {
                self.in_flight.remove(id);
            }
        }
    }

    /// Completes a turn's write: executions whose calls start after it are marked at risk; marked
    /// executions with no call in flight (counting `launches`) settle.
    pub(crate) fn finish_turn(&mut self, write: &mut StepWrite, launches: &[Effect]) {
        if let Some((alone, progressed)) = &mut self.alone
            && write.executions.iter().any(|execution| execution.id == *alone)
        {
            *progressed = true;
        }
        let mut calling: HashSet<&str> = HashSet::new();
        for effect in launches {
            if let Effect::Call(call) = effect {
                calling.insert(&call.execution_id);
            }
        }
        for id in &calling {
            if self.marked.insert((*id).to_owned()) {
                write.at_risk.push((*id).to_owned());
            }
        }
        let settled: Vec<String> = self.marked.iter().filter(|id| !calling.contains(id.as_str()) && !self.in_flight.contains_key(*id)).cloned().collect();
        for id in settled {
            self.marked.remove(&id);
            write.settled.push(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executions_with_crashes_run_alone_fewest_first_and_are_quarantined_at_the_bound() {
        let mut guard = Guard::new(3);
        assert_eq!(guard.admit("fresh", 0), Admission::Run);
        assert_eq!(guard.admit("taken-over", 1), Admission::Run, "one crash: the worker was killed, not proof of poison");
        assert_eq!(guard.admit("poison", 2), Admission::Hold);
        assert_eq!(guard.admit("bystander", 2), Admission::Hold);
        assert!(guard.holds("poison"));
        assert_eq!(guard.next_alone(|_| false).as_deref(), Some("bystander"));
        assert_eq!(guard.admit("bystander", 2), Admission::Run);
        // While the bystander has work in flight, the poison one waits.
        guard.to_mark([&"bystander".to_owned()]);
        assert!(!guard.next_is_due(|_| false));
        assert_eq!(guard.next_alone(|_| false), None);
        let mut write = StepWrite::default();
        guard.finish_turn(&mut write, &[]);
        assert_eq!(write.settled, ["bystander"]);
        assert!(guard.next_is_due(|_| false), "settled: the next may run at once");
        assert!(!guard.next_is_due(|id| id == "bystander"), "not while it has events queued");
        assert_eq!(guard.next_alone(|_| false).as_deref(), Some("poison"));
        assert!(!guard.next_is_due(|_| false), "nothing else waits");
        assert_eq!(guard.admit("again", 3), Admission::Quarantine(3));
    }

    #[test]
    fn calls_keep_an_execution_at_risk_until_they_are_answered() {
        let mut guard = Guard::new(3);
        guard.launched("e");
        let mut write = StepWrite::default();
        guard.to_mark([&"e".to_owned()]);
        guard.finish_turn(&mut write, &[]);
        assert!(write.settled.is_empty(), "a call is in flight");
        guard.answered("e");
        let mut write = StepWrite::default();
        guard.finish_turn(&mut write, &[]);
        assert_eq!(write.settled, ["e"]);
    }
}
