//! What expressions of an execution can see: parameters, task outputs and results, `ACS::` built-ins,
//! the parameter-store snapshot.

use jiff::Timestamp;
use serde_json::Value;

use crate::state::Execution;

/// The expression context of one execution at one moment (and, inside a loop, one item).
pub struct EvalContext<'a> {
    pub execution: &'a Execution,
    pub now_ms: i64,
    pub loop_item: Option<&'a Value>,
    pub task_execution_id: Option<&'a str>,
}

impl<'a> EvalContext<'a> {
    pub fn new(execution: &'a Execution, now_ms: i64) -> Self {
        Self { execution, now_ms, loop_item: None, task_execution_id: None }
    }

    fn finished_run(&self, task: &str) -> Option<&crate::state::TaskRun> {
        let run = self.execution.latest_run(task).or_else(|| {
            let name = self.execution.template.tasks.iter().find(|t| t.name.eq_ignore_ascii_case(task))?;
            self.execution.latest_run(&name.name)
        })?;
        run.status.is_final().then_some(run)
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.now_ms).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

impl oos_expr::Context for EvalContext<'_> {
    /// Exact name first, then ignoring case: published templates write `{{ RegionID }}` for `regionId`.
    fn parameter(&self, name: &str) -> Option<Value> {
        let parameters = &self.execution.parameters;
        parameters
            .get(name)
            .or_else(|| parameters.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
            .cloned()
    }

    fn task_output(&self, task: &str, output: &str) -> Option<Value> {
        let outputs = self.finished_run(task)?.outputs.as_ref()?;
        outputs
            .get(output)
            .or_else(|| outputs.iter().find(|(k, _)| k.eq_ignore_ascii_case(output)).map(|(_, v)| v))
            .cloned()
    }

    fn task_result(&self, task: &str) -> Option<Value> {
        self.finished_run(task)?.state.result.clone()
    }

    fn builtin(&self, name: &str) -> Option<Value> {
        let e = self.execution;
        let text = match name {
            "RegionId" => e.flow.region_id.clone(),
            "ExecutionId" => e.id.clone(),
            "AccountId" => e.flow.account_id.clone(),
            "ExecuteUser" => e.flow.execute_user.clone(),
            "TemplateName" => e.template_name.clone(),
            "ParentExecutionId" => e.parent_execution_id.clone()?,
            "TaskExecutionId" => self.task_execution_id?.to_owned(),
            "TaskLoopItem" => return self.loop_item.cloned(),
            "CurrentUTCTime" => self.now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "CurrentDate" => self.now().strftime("%Y-%m-%d").to_string(),
            "OOSUtilVersion" => "1.0.0".to_owned(),
            _ => return None,
        };
        Some(Value::String(text))
    }

    /// `{{ oos:Name }}` and `{{ oos-secret:Name[:Version] }}` from the snapshot taken at creation.
    fn store_parameter(&self, name: &str, secret: bool) -> Option<Value> {
        let snapshot = if secret { &self.execution.flow.secret_parameters } else { &self.execution.flow.store_parameters };
        snapshot.get(name).cloned()
    }
}
