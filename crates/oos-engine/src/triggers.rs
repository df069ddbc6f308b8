//! Trigger executions: a template whose first task is `ACS::TimerTrigger`, `ACS::EventTrigger` or
//! `ACS::AlarmTrigger` waits, and each firing runs the rest of the template as a child execution
//! whose trigger task is already done, with the tick, event or alarm as its result.
//!
//! A timer tick is the task's durable timer (one attempt per tick). A firing's child id is derived
//! from the trigger task execution and the firing's key (the tick, the event id, the alarm's
//! de-duplication key), so the same tick or a repeated notification starts the same child: the
//! runtime creates it once, and writes the (trigger, key) row whose unique key makes a second
//! firing of it fail its commit.

use oos_triggers::TimerSpec;
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::dispatch::child_start_of_template;
use crate::event::{Effect, Firing, FireSource, TriggerSignal};
use crate::ids;
use crate::state::Waiting;
use crate::status::{ExecutionStatus, TaskStatus};
use crate::step::{Outcome, Step};

/// Which trigger a trigger execution has; its API `Category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerKind {
    Timer,
    Event,
    Alarm,
}

impl TriggerKind {
    /// `TimerTrigger`, `EventTrigger` or `AlarmTrigger`: the execution's `Category`.
    pub fn category(self) -> &'static str {
        match self {
            TriggerKind::Timer => "TimerTrigger",
            TriggerKind::Event => "EventTrigger",
            TriggerKind::Alarm => "AlarmTrigger",
        }
    }

    /// The kind of a trigger action (`ACS::TimerTrigger` …), None for any other action.
    pub fn of_action(action: oos_template::catalog::AtomicAction) -> Option<TriggerKind> {
        use oos_template::catalog::AtomicAction;
        match action {
            AtomicAction::TimerTrigger => Some(TriggerKind::Timer),
            AtomicAction::EventTrigger => Some(TriggerKind::Event),
            AtomicAction::AlarmTrigger => Some(TriggerKind::Alarm),
            _ => None,
        }
    }

    /// The kind of a template's trigger: its first task's, when that task is a trigger.
    pub fn of_template(template: &oos_template::Template) -> Option<TriggerKind> {
        match template.tasks.first()?.action.kind {
            oos_template::ActionKind::Atomic(action) => TriggerKind::of_action(action),
            _ => None,
        }
    }
}

/// The engine state of a trigger task execution while its trigger is armed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerState {
    pub kind: TriggerKind,
    /// A TimerTrigger's schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<TimerSpec>,
    /// The next tick (TimerTrigger), None when no tick is left or the trigger is paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// Firings so far.
    #[serde(default)]
    pub fired: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<LastFiring>,
    /// When the last firing whose run succeeded was fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success_ms: Option<i64>,
    /// The keys of the latest firings (at most [`RECENT_KEYS`]): a key among them that comes again
    /// (an event delivered twice, an alarm notified again) does not fire. Older keys are caught
    /// by the runtime, which finds the firing's run already there.
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    pub recent: VecDeque<String>,
}

/// The latest firing and, once its run finished, how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastFiring {
    pub key: String,
    pub child_execution_id: String,
    pub fired_ms: i64,
    /// `Running` until the run finishes.
    pub status: ExecutionStatus,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub outputs: Map<String, Value>,
}

/// How many firing keys a trigger remembers.
pub const RECENT_KEYS: usize = 64;

/// How many missed ticks a late tick counts at most when it reports them.
const MISSED_COUNT_LIMIT: u32 = 1000;

impl Step<'_> {
    /// Arms the trigger of task execution `pos` (the template's first task) from its rendered
    /// properties; the execution waits from now on. Returns the outcome when it cannot be armed.
    pub(crate) fn arm_trigger(&mut self, pos: usize, kind: TriggerKind, properties: &Value) -> Option<Outcome> {
        if self.exec.tasks[pos].task != 0 || self.exec.tasks[pos].parent.is_some() {
            return Some(Outcome::Failure(format!(
                "InvalidTemplate.TriggerPosition: {} must be the template's first task",
                self.exec.tasks[pos].action
            )));
        }
        let timer = match kind {
            TriggerKind::Timer => match TimerSpec::from_properties(properties, &self.config.default_time_zone, self.now) {
                Ok(spec) => Some(spec),
                Err(error) => return Some(Outcome::Failure(error.to_string())),
            },
            TriggerKind::Event => match oos_triggers::EventSpec::from_properties(properties) {
                Ok(_) => None,
                Err(error) => return Some(Outcome::Failure(error.to_string())),
            },
            TriggerKind::Alarm => match oos_triggers::AlarmSpec::from_properties(properties) {
                Ok(_) => None,
                Err(error) => return Some(Outcome::Failure(error.to_string())),
            },
        };
        let id = self.exec.tasks[pos].id.clone();
        self.exec.task_mut(pos, self.now).state.trigger =
            Some(TriggerState { kind, timer, next_ms: None, paused: false, fired: 0, last: None, last_success_ms: None, recent: VecDeque::new() });
        self.wait(Waiting::Trigger { task_execution_id: id.clone() });
        self.exec.log(Some(&id), self.now, format!("{} armed", kind.category()));
        if kind == TriggerKind::Timer {
            return self.schedule_after(pos, self.now);
        }
        None
    }

    /// Arms the timer for the first tick after `after_ms`; ends the trigger when none is left.
    fn schedule_after(&mut self, pos: usize, after_ms: i64) -> Option<Outcome> {
        let state = self.exec.tasks[pos].state.trigger.as_ref()?;
        let next = state.timer.as_ref().and_then(|timer| timer.next_after(after_ms));
        match next {
            Some(at_ms) => {
                let run = self.exec.task_mut(pos, self.now);
                run.state.attempt += 1;
                if let Some(state) = run.state.trigger.as_mut() {
                    state.next_ms = Some(at_ms);
                }
                self.arm_timer(pos, at_ms - self.now);
                None
            }
            None => {
                self.end_trigger(pos, "the schedule has no tick left (EndDate passed or a one-time trigger fired)");
                None
            }
        }
    }

    /// The trigger is over: its task succeeds and the execution ends, without running the rest of
    /// the template (each firing ran it already).
    fn end_trigger(&mut self, pos: usize, why: &str) {
        let run = self.exec.task_mut(pos, self.now);
        run.status = TaskStatus::Success;
        run.status_message = why.to_owned();
        run.end_ms = Some(self.now);
        run.state.wake_at = None;
        if let Some(state) = run.state.trigger.as_mut() {
            state.next_ms = None;
        }
        self.exec.flow.current = None;
        self.finish(ExecutionStatus::Success, why.to_owned());
    }

    /// A timer tick of trigger task execution `pos` came due (its timer is already disarmed).
    ///
    /// Missed-firing policy: a tick that comes due more than `trigger_misfire_ms` late (every
    /// worker was down, or none could take the execution) fires once, now, for all the ticks
    /// missed since; later ticks are counted from now. A tick less late fires as itself, and the
    /// next one follows it (so a worker taking over a dead worker's triggers catches every tick up).
    pub(crate) fn timer_tick(&mut self, pos: usize) {
        let Some(state) = self.exec.tasks[pos].state.trigger.clone() else { return };
        let Some(tick) = state.next_ms else { return };
        let late = self.now - tick;
        let id = self.exec.tasks[pos].id.clone();
        if state.paused {
            self.schedule_after(pos, self.now);
            return;
        }
        let resume_after = if late > self.config.trigger_misfire_ms {
            let missed = count_ticks(state.timer.as_ref(), tick, self.now);
            let count = if missed >= MISSED_COUNT_LIMIT { format!("{MISSED_COUNT_LIMIT} or more") } else { missed.to_string() };
            self.exec.log(
                Some(&id),
                self.now,
                format!("{count} ticks since {} were missed (no worker could run this trigger in time); firing once now", iso(tick)),
            );
            self.now
        } else {
            tick
        };
        let payload = json!({ "triggerTime": iso(tick), "scheduledTime": tick, "firedTime": iso(self.now) });
        self.fire(pos, tick.to_string(), FireSource::Timer, payload);
        self.schedule_after(pos, resume_after);
    }

    /// An event, alarm or TriggerExecution for this execution's trigger.
    pub(crate) fn trigger_signal(&mut self, signal: TriggerSignal) {
        let Some(pos) = self.armed_trigger() else { return };
        match signal {
            TriggerSignal::Fire { key, source, payload } => {
                let paused = self.exec.tasks[pos].state.trigger.as_ref().is_some_and(|state| state.paused);
                let id = self.exec.tasks[pos].id.clone();
                if paused {
                    self.exec.log(Some(&id), self.now, format!("{source:?} firing {key} ignored: the trigger is paused"));
                    return;
                }
                self.fire(pos, key, source, payload);
            }
            TriggerSignal::Pause => self.set_paused(pos, true),
            TriggerSignal::Resume => self.set_paused(pos, false),
        }
    }

    fn set_paused(&mut self, pos: usize, paused: bool) {
        let Some(state) = self.exec.tasks[pos].state.trigger.as_ref() else { return };
        if state.paused == paused {
            return;
        }
        let timer = state.timer.is_some();
        let id = self.exec.tasks[pos].id.clone();
        let run = self.exec.task_mut(pos, self.now);
        if let Some(state) = run.state.trigger.as_mut() {
            state.paused = paused;
        }
        self.exec.touch(self.now);
        self.exec.log(Some(&id), self.now, if paused { "trigger paused".into() } else { "trigger resumed".to_owned() });
        if timer {
            if paused {
                let run = self.exec.task_mut(pos, self.now);
                run.state.wake_at = None;
                run.state.attempt += 1;
                if let Some(state) = run.state.trigger.as_mut() {
                    state.next_ms = None;
                }
            } else {
                self.schedule_after(pos, self.now);
            }
        }
    }

    /// The armed trigger task execution of this execution, if any.
    pub(crate) fn armed_trigger(&self) -> Option<usize> {
        self.exec.tasks.iter().position(|run| run.status == TaskStatus::Running && run.state.trigger.is_some())
    }

    /// Starts the run of one firing: a child execution of this template whose trigger task is done.
    fn fire(&mut self, pos: usize, key: String, source: FireSource, result: Value) {
        let run = &self.exec.tasks[pos];
        if run.state.trigger.as_ref().is_some_and(|state| state.recent.contains(&key)) {
            let id = run.id.clone();
            self.exec.log(Some(&id), self.now, format!("{source:?} firing {key} ignored: it fired already"));
            return;
        }
        let child = ids::firing_execution_id(&run.id, &key);
        let id = run.id.clone();
        let start = child_start_of_template(self.exec, pos, child.clone(), Firing { key: key.clone(), source, fired_ms: self.now, result });
        self.effects.push(Effect::StartChild(start));
        let now = self.now;
        let run = self.exec.task_mut(pos, now);
        if let Some(state) = run.state.trigger.as_mut() {
            state.fired += 1;
            state.recent.push_back(key.clone());
            if state.recent.len() > RECENT_KEYS {
                state.recent.pop_front();
            }
            state.last = Some(LastFiring { key: key.clone(), child_execution_id: child.clone(), fired_ms: now, status: ExecutionStatus::Running, outputs: Map::new() });
        }
        self.exec.touch(now);
        self.exec.log(Some(&id), now, format!("{source:?} firing {key}: execution {child} started"));
    }

    /// A firing's run ended: recorded as the last one when it is the latest firing.
    pub(crate) fn firing_finished(&mut self, pos: usize, child: Option<&str>, status: ExecutionStatus, outputs: Map<String, Value>) {
        let now = self.now;
        let Some(state) = self.exec.tasks[pos].state.trigger.as_ref() else { return };
        let Some(last) = state.last.as_ref() else { return };
        if child.is_some_and(|child| child != last.child_execution_id) {
            return;
        }
        let fired_ms = last.fired_ms;
        let run = self.exec.task_mut(pos, now);
        if let Some(state) = run.state.trigger.as_mut() {
            if status == ExecutionStatus::Success {
                state.last_success_ms = Some(fired_ms);
            }
            if let Some(last) = state.last.as_mut() {
                last.status = status;
                last.outputs = outputs;
            }
        }
        self.exec.touch(now);
    }
}

/// How many ticks fall in `[first, now]` (at most [`MISSED_COUNT_LIMIT`]).
fn count_ticks(timer: Option<&TimerSpec>, first: i64, now: i64) -> u32 {
    let Some(timer) = timer else { return 1 };
    let mut count = 1;
    let mut at = first;
    while count < MISSED_COUNT_LIMIT {
        match timer.next_after(at) {
            Some(next) if next <= now => {
                count += 1;
                at = next;
            }
            _ => break,
        }
    }
    count
}

/// Unix ms as ISO 8601 UTC (`2026-12-05T08:00:00Z`).
pub(crate) fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}
