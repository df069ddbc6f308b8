//! A virtual-time driver for the engine core: runs executions to quiescence, answering calls with a
//! scripted responder, firing timers by jumping the clock, and starting children from a library.
#![allow(dead_code, reason = "shared by several test crates, each using a part")]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use oos_engine::{ActionError, Call, EngineConfig, Effect, Event, Execution, Mode, NewExecution, create, step};
use serde_json::{Map, Value};

/// Answers one call; `n` counts the calls made for the same task execution (1-based).
pub type Responder = fn(&Call, u32) -> Result<Value, ActionError>;

pub struct Harness {
    pub executions: HashMap<String, Execution>,
    pub library: HashMap<String, String>,
    pub now: i64,
    pub calls: Vec<Call>,
    pub config: EngineConfig,
    /// Most loop iterations running at once, seen after any step.
    pub max_running: usize,
    queue: VecDeque<(String, Event)>,
    timers: BTreeMap<(i64, u64), (String, Event)>,
    timer_seq: u64,
    responder: Responder,
}

pub const T0: i64 = 1_700_000_000_000;

/// The standard responder: service `Bench` with `Echo` (returns the parameters), `Fail` (an error),
/// and `Poll` (`{"Status": "Pending"}` until the call number given by `ReadyAt`, then `"Ready"`).
pub fn bench(call: &Call, n: u32) -> Result<Value, ActionError> {
    if call.kind != oos_engine::CallKind::CloudApi {
        return Ok(serde_json::json!({}));
    }
    let params = call.properties.get("Parameters").cloned().unwrap_or(Value::Object(Map::new()));
    match call.properties.get("API").and_then(Value::as_str).unwrap_or("") {
        "Echo" => Ok(params),
        "Fail" => Err(ActionError::new("Bench.Failed", "asked to fail")),
        "Poll" => {
            let ready_at = params.get("ReadyAt").and_then(Value::as_u64).unwrap_or(1);
            let status = if u64::from(n) >= ready_at { "Ready" } else { "Pending" };
            let status = if params.get("StopAt").and_then(Value::as_u64) == Some(u64::from(n)) { "Broken" } else { status };
            Ok(serde_json::json!({ "Status": status }))
        }
        other => Err(ActionError::new("Bench.UnknownApi", other)),
    }
}

/// The request the harness starts a top-level execution `id` of `template` with.
pub fn new_execution(id: &str, template: &str, parameters: Value, mode: Mode) -> NewExecution {
    NewExecution {
        id: id.to_owned(),
        template: Arc::new(oos_template::parse(template).expect("template parses")),
        template_name: "test".into(),
        template_version: None,
        parameters: parameters.as_object().cloned().unwrap_or_default(),
        mode,
        parent_execution_id: None,
        parent_task_execution_id: None,
        description: String::new(),
        region_id: None,
        store_parameters: Default::default(),
        secret_parameters: Default::default(),
        execute_user: None,
        firing: None,
    }
}

impl Harness {
    pub fn new(responder: Responder) -> Self {
        Self {
            executions: HashMap::new(),
            library: HashMap::new(),
            now: T0,
            calls: Vec::new(),
            config: EngineConfig::default(),
            max_running: 0,
            queue: VecDeque::new(),
            timers: BTreeMap::new(),
            timer_seq: 0,
            responder,
        }
    }

    /// Creates and starts an execution of `template` (YAML/JSON text).
    pub fn start(&mut self, template: &str, parameters: Value, mode: Mode) -> String {
        self.start_until(template, parameters, mode, i64::MAX)
    }

    /// Creates and starts an execution, running until `until_ms` (what never ends on its own: a
    /// trigger's schedule).
    pub fn start_until(&mut self, template: &str, parameters: Value, mode: Mode, until_ms: i64) -> String {
        let id = format!("exec-{:016x}", self.executions.len() + 1);
        self.start_with(new_execution(&id, template, parameters, mode)).expect("execution created");
        self.run_until(until_ms);
        id
    }

    pub fn start_with(&mut self, request: NewExecution) -> Result<(), oos_engine::CreateError> {
        let id = request.id.clone();
        let execution = create(request, self.now, &self.config)?;
        self.executions.insert(id.clone(), execution);
        self.queue.push_back((id, Event::Start));
        Ok(())
    }

    pub fn send(&mut self, id: &str, event: Event) {
        self.queue.push_back((id.to_owned(), event));
        self.run();
    }

    /// Applies `event` and what follows from it now, without moving the clock.
    pub fn send_now(&mut self, id: &str, event: Event) {
        self.queue.push_back((id.to_owned(), event));
        self.run_until(self.now);
    }

    /// Runs until no event is queued and no timer is pending.
    pub fn run(&mut self) {
        self.run_until(i64::MAX);
    }

    /// Runs until no event is queued and no timer is due at or before `until_ms` (the clock then
    /// stands at `until_ms`, or at the last timer fired when that is the largest).
    pub fn run_until(&mut self, until_ms: i64) {
        loop {
            while let Some((id, event)) = self.queue.pop_front() {
                let Some(execution) = self.executions.get_mut(&id) else { continue };
                let effects = step(execution, event, self.now, &self.config);
                execution.take_changes();
                let running = execution.tasks.iter().filter(|t| t.parent.is_some() && t.status == oos_engine::TaskStatus::Running).count();
                self.max_running = self.max_running.max(running);
                for effect in effects {
                    self.apply(&id, effect);
                }
            }
            let Some((&key, _)) = self.timers.iter().next().filter(|(key, _)| key.0 <= until_ms) else {
                if until_ms != i64::MAX {
                    self.now = self.now.max(until_ms);
                }
                return;
            };
            let (id, event) = self.timers.remove(&key).unwrap();
            self.now = self.now.max(key.0);
            self.queue.push_back((id, event));
        }
    }

    fn apply(&mut self, id: &str, effect: Effect) {
        match effect {
            Effect::Call(call) => {
                let n = self.calls.iter().filter(|c| c.task_execution_id == call.task_execution_id).count() as u32 + 1;
                let outcome = (self.responder)(&call, n);
                self.queue.push_back((
                    id.to_owned(),
                    Event::ActionDone { task_execution_id: call.task_execution_id.clone(), attempt: call.attempt, outcome },
                ));
                self.calls.push(call);
            }
            Effect::Timer { task_execution_id, attempt, at_ms, .. } => {
                self.timer_seq += 1;
                self.timers.insert((at_ms, self.timer_seq), (id.to_owned(), Event::TimerFired { task_execution_id, attempt }));
            }
            Effect::StartChild(start) => {
                let name = start.template_name.clone().unwrap_or_default();
                // A trigger's firing runs its trigger execution's own template.
                let own = start.firing.as_ref().map(|_| self.executions[&start.parent_execution_id].template.text.clone());
                let Some(text) = own.or_else(|| self.library.get(&name).cloned()) else {
                    self.queue.push_back((
                        id.to_owned(),
                        Event::ChildNotStarted {
                            task_execution_id: start.parent_task_execution_id,
                            code: "EntityNotExists.Template".into(),
                            message: name,
                        },
                    ));
                    return;
                };
                let request = NewExecution {
                    id: start.child_execution_id,
                    template: Arc::new(oos_template::parse(&text).expect("library template parses")),
                    template_name: name,
                    template_version: None,
                    parameters: start.parameters,
                    mode: Mode::Automatic,
                    parent_execution_id: Some(start.parent_execution_id),
                    parent_task_execution_id: Some(start.parent_task_execution_id.clone()),
                    description: String::new(),
                    region_id: Some(start.region_id),
                    store_parameters: Default::default(),
        secret_parameters: Default::default(),
                    execute_user: None,
                    firing: start.firing,
                };
                let child_id = request.id.clone();
                let started = self.start_with(request);
                if let Some(child) = self.executions.get_mut(&child_id) {
                    // What the runtime hands on from the parent.
                    child.flow.safety_check = start.safety_check;
                    child.flow.in_loop = start.in_loop;
                }
                if let Err(error) = started {
                    self.queue.push_back((
                        id.to_owned(),
                        Event::ChildNotStarted {
                            task_execution_id: start.parent_task_execution_id,
                            code: error.code.into(),
                            message: error.message,
                        },
                    ));
                }
            }
            Effect::ToExecution { execution_id, event } => self.queue.push_back((execution_id, event)),
        }
    }

    pub fn execution(&self, id: &str) -> &Execution {
        &self.executions[id]
    }

    /// `name=Status` for every top-level task execution, in order.
    pub fn task_statuses(&self, id: &str) -> Vec<String> {
        self.execution(id)
            .tasks
            .iter()
            .filter(|t| t.parent.is_none())
            .map(|t| format!("{}={}", t.name, t.status))
            .collect()
    }
}
