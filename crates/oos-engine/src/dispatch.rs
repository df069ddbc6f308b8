//! Starting the action of a task execution: cloud calls, webhooks, Sleep timers, Choice, Approve/Pause
//! waits and child executions (ACS::Template and product actions).

use oos_template::ActionKind;
use oos_template::catalog::AtomicAction;
use serde_json::{Map, Value, json};

use crate::approvals::ApprovalRule;
use crate::context::EvalContext;
use crate::event::{Call, CallKind, ChildStart, Effect, Firing};
use crate::ids;
use crate::risk;
use crate::state::{Execution, SafetyCheck, Waiting};
use crate::status::TaskStatus;
use crate::step::{Outcome, Step};
use crate::triggers::TriggerKind;

impl Step<'_> {
    /// Starts the action of task execution `pos`. Returns the outcome when the action finished
    /// within the step (Choice, errors), None when it runs on (a call, a timer, a wait, a child).
    pub(crate) fn start_action(&mut self, pos: usize) -> Option<Outcome> {
        let task = &self.exec.template.tasks[self.exec.tasks[pos].task];
        let kind = task.action.kind;
        if kind == ActionKind::Atomic(AtomicAction::Choice) {
            return Some(self.choose(pos));
        }
        let properties = match self.render_properties(pos) {
            Ok(properties) => properties,
            Err(message) => return Some(Outcome::Failure(message)),
        };
        self.exec.task_mut(pos, self.now).properties = Some(properties.clone());
        match kind {
            ActionKind::Atomic(action) => match action {
                AtomicAction::Approve if properties.get("WebHook").is_none() => self.await_decision(pos),
                AtomicAction::Pause => {
                    let id = self.exec.task_mut(pos, self.now).id.clone();
                    self.exec.tasks[pos].status = TaskStatus::Waiting;
                    self.wait(Waiting::Pause { task_execution_id: id });
                    None
                }
                AtomicAction::ExecuteApi if self.exec.flow.safety_check == SafetyCheck::ConfirmEveryHighRiskAction && risk::is_high(&properties) => {
                    self.confirm_first(pos, &properties)
                }
                AtomicAction::Sleep => self.sleep(pos, &properties),
                AtomicAction::Template => self.start_child(pos),
                AtomicAction::TimerTrigger | AtomicAction::EventTrigger | AtomicAction::AlarmTrigger => {
                    let kind = TriggerKind::of_action(action).expect("a trigger action");
                    self.arm_trigger(pos, kind, &properties)
                }
                AtomicAction::Loop => Some(Outcome::Failure(format!(
                    "UnsupportedAction: {} is not supported by this engine yet",
                    action.name()
                ))),
                other => match call_kind(other) {
                    Some(kind) => self.call(pos, kind),
                    None => Some(Outcome::Failure(format!("UnsupportedAction: {} is not supported here", other.name()))),
                },
            },
            ActionKind::Product => self.start_child(pos),
            ActionKind::Unknown => Some(Outcome::Failure(format!(
                "InvalidTemplate.UnknownAction: unknown action {}",
                self.exec.tasks[pos].action
            ))),
        }
    }

    /// Renders the task's properties in the context of its execution (and loop item).
    fn render_properties(&self, pos: usize) -> Result<Value, String> {
        let run = &self.exec.tasks[pos];
        let task = &self.exec.template.tasks[run.task];
        let ctx = EvalContext {
            execution: self.exec,
            now_ms: self.now,
            loop_item: run.loop_item.as_ref(),
            task_execution_id: Some(&run.id),
        };
        oos_expr::evaluate(&task.properties, &ctx)
            .map(|value| value.unwrap_or_else(|| json!({})))
            .map_err(|error| format!("Properties: {error}"))
    }

    /// Emits the next attempt's call for task execution `pos`.
    pub(crate) fn call(&mut self, pos: usize, kind: CallKind) -> Option<Outcome> {
        self.exec.task_mut(pos, self.now).state.attempt += 1;
        self.effects.push(Effect::Call(call_for(self.exec, pos, kind)));
        None
    }

    /// Arms the durable timer of task execution `pos` for `delay_ms` from now.
    pub(crate) fn arm_timer(&mut self, pos: usize, delay_ms: i64) {
        let at_ms = self.now + delay_ms;
        let execution_id = self.exec.id.clone();
        let run = self.exec.task_mut(pos, self.now);
        run.state.wake_at = Some(at_ms);
        self.effects.push(Effect::Timer {
            execution_id,
            task_execution_id: run.id.clone(),
            attempt: run.state.attempt,
            at_ms,
        });
    }

    fn sleep(&mut self, pos: usize, properties: &Value) -> Option<Outcome> {
        let duration = match properties.get("Duration") {
            Some(Value::String(text)) => oos_expr::parse_duration(text).map_err(|e| e.to_string()),
            Some(Value::Number(seconds)) => Ok(std::time::Duration::from_secs_f64(seconds.as_f64().unwrap_or(0.0))),
            _ => Err("ACS::Sleep needs a Duration".to_owned()),
        };
        match duration {
            Ok(duration) => {
                let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2);
                self.arm_timer(pos, millis);
                None
            }
            Err(message) => Some(Outcome::Failure(message)),
        }
    }

    /// Puts an Approve task (and the execution) into Waiting for Approve/Reject; fails it when its
    /// rendered `MinRequiredApprovals` exceeds its `Approvers`.
    pub(crate) fn await_decision(&mut self, pos: usize) -> Option<Outcome> {
        let rule = ApprovalRule::of(&self.exec.tasks[pos].action, self.exec.tasks[pos].properties.as_ref());
        if rule.unreachable() {
            return Some(Outcome::Failure(format!(
                "InvalidTemplate.Approvals: MinRequiredApprovals is {} but Approvers lists only {}",
                rule.required,
                rule.approvers.len()
            )));
        }
        self.wait_for_decision(pos, "waiting for approval (NotifyExecution Approve or Reject)".into());
        None
    }

    /// A high-risk call under `SafetyCheck: ConfirmEveryHighRiskAction` waits for Approve (the call
    /// is sent) or Reject (the task fails) before it leaves. A loop iteration cannot wait alone (one
    /// execution waits for one decision), nor can a child a loop iteration started (each iteration's
    /// child would stop on its own, unseen from the parent's run), so a high-risk call in a loop fails
    /// unless the execution skips the check.
    fn confirm_first(&mut self, pos: usize, properties: &Value) -> Option<Outcome> {
        let call = format!("{}.{}", properties.get("Service").and_then(Value::as_str).unwrap_or("?"), properties.get("API").and_then(Value::as_str).unwrap_or("?"));
        if self.exec.tasks[pos].parent.is_some() || self.exec.flow.in_loop {
            let place = if self.exec.flow.in_loop { "in a child that a loop iteration started" } else { "in a loop" };
            return Some(Outcome::Failure(format!(
                "SafetyCheck.LoopNotConfirmable: the high-risk call {call} runs {place}, whose iterations cannot each wait for a decision; start the execution with SafetyCheck Skip, or mark the call Risk: Normal"
            )));
        }
        self.wait_for_decision(pos, format!("waiting for confirmation of the high-risk call {call} (NotifyExecution Approve or Reject)"));
        None
    }

    fn wait_for_decision(&mut self, pos: usize, message: String) {
        let run = self.exec.task_mut(pos, self.now);
        run.status = TaskStatus::Waiting;
        run.state.awaiting_decision = true;
        let id = run.id.clone();
        self.exec.log(Some(&id), self.now, message);
        self.wait(Waiting::Approval { task_execution_id: id });
    }

    /// ACS::Choice: the first Choice whose When holds names the next task, else DefaultTask.
    fn choose(&mut self, pos: usize) -> Outcome {
        let run = &self.exec.tasks[pos];
        let task = &self.exec.template.tasks[run.task];
        let ctx = EvalContext {
            execution: self.exec,
            now_ms: self.now,
            loop_item: run.loop_item.as_ref(),
            task_execution_id: Some(&run.id),
        };
        let choices = task.properties.get("Choices").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut chosen = None;
        for (i, choice) in choices.iter().enumerate() {
            let when = choice.get("When").unwrap_or(&Value::Bool(false));
            match oos_expr::evaluate_condition(when, &ctx) {
                Ok(true) => {
                    chosen = choice.get("NextTask").and_then(Value::as_str).map(str::to_owned);
                    break;
                }
                Ok(false) => {}
                Err(error) => return Outcome::Failure(format!("Choices[{i}].When: {error}")),
            }
        }
        let chosen = chosen.or_else(|| task.properties.get("DefaultTask").and_then(Value::as_str).map(str::to_owned));
        match chosen {
            Some(next) => {
                self.exec.task_mut(pos, self.now).state.next_task = Some(next.clone());
                Outcome::Success(json!({ "NextTask": next }))
            }
            None => Outcome::Failure("no Choice matched and there is no DefaultTask".into()),
        }
    }

    fn start_child(&mut self, pos: usize) -> Option<Outcome> {
        let child = ids::child_execution_id(&self.exec.tasks[pos].id);
        self.exec.task_mut(pos, self.now).child_execution_id = Some(child);
        match child_start(self.exec, pos) {
            Ok(start) => {
                self.effects.push(Effect::StartChild(start));
                None
            }
            Err(message) => Some(Outcome::Failure(message)),
        }
    }
}

/// The call of the current attempt of task execution `pos` (also used to re-drive it after a crash).
pub(crate) fn call_for(exec: &Execution, pos: usize, kind: CallKind) -> Call {
    let run = &exec.tasks[pos];
    Call {
        execution_id: exec.id.clone(),
        task_execution_id: run.id.clone(),
        task_name: run.name.clone(),
        attempt: run.state.attempt,
        kind,
        properties: run.properties.clone().unwrap_or_else(|| json!({})),
        client_token: ids::client_token(&exec.id, &run.id, run.state.attempt),
        ram_role: exec.flow.ram_role.clone(),
        executed_by: exec.flow.execute_user.clone(),
        region_id: exec.flow.region_id.clone(),
    }
}

/// The child execution of an ACS::Template or product-action task execution, from its rendered properties.
pub(crate) fn child_start(exec: &Execution, pos: usize) -> Result<ChildStart, String> {
    let run = &exec.tasks[pos];
    let properties = run.properties.clone().unwrap_or_else(|| json!({}));
    let template = &exec.template.tasks[run.task];
    let (template_name, template_version, template_content, parameters) = if template.action.kind == ActionKind::Product {
        (Some(run.action.clone()), None, None, properties.as_object().cloned().unwrap_or_default())
    } else {
        let name = properties.get("TemplateName").and_then(Value::as_str).map(str::to_owned);
        let content = properties.get("TemplateContent").map(|c| match c {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        });
        if name.is_none() && content.is_none() {
            return Err("ACS::Template needs TemplateName or TemplateContent".into());
        }
        let parameters = match properties.get("Parameters") {
            Some(Value::Object(map)) => map.clone(),
            Some(Value::String(text)) => match serde_json::from_str(text) {
                Ok(Value::Object(map)) => map,
                _ => return Err("Parameters must be a JSON object".into()),
            },
            Some(Value::Null) | None => Map::new(),
            Some(_) => return Err("Parameters must be an object".into()),
        };
        let version = properties.get("TemplateVersion").and_then(Value::as_str).map(str::to_owned);
        (name, version, content, parameters)
    };
    let child_execution_id = run.child_execution_id.clone().unwrap_or_else(|| ids::child_execution_id(&run.id));
    Ok(ChildStart { template_name, template_version, template_content, parameters, ..inherited(exec, pos, child_execution_id) })
}

/// The child execution of a trigger's firing: the execution's own template and parameters, run
/// after its trigger task (task execution `pos`).
pub(crate) fn child_start_of_template(exec: &Execution, pos: usize, child_execution_id: String, firing: Firing) -> ChildStart {
    ChildStart {
        template_name: Some(exec.template_name.clone()),
        template_version: exec.template_version.clone(),
        parameters: exec.parameters.clone(),
        firing: Some(firing),
        ..inherited(exec, pos, child_execution_id)
    }
}

/// What every child of task execution `pos` takes from its parent: where and as whom it runs, its
/// `SafetyCheck` (and whether a loop iteration started it), its depth and the parent's secrets; the
/// caller names its template and parameters.
fn inherited(exec: &Execution, pos: usize, child_execution_id: String) -> ChildStart {
    ChildStart {
        child_execution_id,
        parent_execution_id: exec.id.clone(),
        parent_task_execution_id: exec.tasks[pos].id.clone(),
        template_name: None,
        template_version: None,
        template_content: None,
        parameters: Map::new(),
        region_id: exec.flow.region_id.clone(),
        executed_by: exec.flow.execute_user.clone(),
        ram_role: exec.flow.ram_role.clone(),
        safety_check: exec.flow.safety_check,
        in_loop: exec.flow.in_loop || exec.tasks[pos].parent.is_some(),
        depth: exec.flow.depth + 1,
        secrets: crate::secrets::secret_texts(exec),
        firing: None,
    }
}

/// The executor kind of an atomic action that runs as a call.
pub(crate) fn call_kind(action: AtomicAction) -> Option<CallKind> {
    match action {
        AtomicAction::ExecuteApi | AtomicAction::WaitFor | AtomicAction::CheckFor => Some(CallKind::CloudApi),
        AtomicAction::SelectTargets => Some(CallKind::SelectTargets),
        AtomicAction::ExecuteHttpRequest => Some(CallKind::HttpRequest),
        AtomicAction::Notify | AtomicAction::Approve => Some(CallKind::Webhook),
        _ => None,
    }
}
