//! The control-flow cases: each is a template, parameters, a mode and NotifyExecution/Cancel events,
//! with the final execution status, the task statuses in order, the execution outputs and the
//! virtual time that passed. One table, run by two tests: the engine core's in virtual time
//! (`oos-engine/tests/control_flow.rs`, no store) and the runtime's, a worker on a store of either
//! backend (`oos-runtime/tests/control_flow_store.rs`). Both include this file with `#[path]`.
//!
//! The cloud is the engine harness's responder (`support::bench`): service `Bench` with `Echo`,
//! `Fail` and `Poll` (`Pending` until the call number `ReadyAt` of the task, `Broken` at `StopAt`);
//! webhooks answer `{}`.

use oos_engine::{Event, ExecutionStatus, Mode, Notify, NotifyType};
use serde_json::{Value, json};

pub struct Case {
    pub name: &'static str,
    pub template: &'static str,
    pub parameters: Value,
    pub mode: Mode,
    /// Sent one after the other once the execution is quiescent.
    pub events: Vec<Event>,
    pub status: ExecutionStatus,
    pub tasks: &'static [&'static str],
    pub outputs: Value,
    /// Virtual seconds from start to the end (None: not checked).
    pub elapsed_s: Option<i64>,
}

impl Default for Case {
    fn default() -> Self {
        Self {
            name: "",
            template: "",
            parameters: json!({}),
            mode: Mode::Automatic,
            events: Vec::new(),
            status: ExecutionStatus::Success,
            tasks: &[],
            outputs: json!({}),
            elapsed_s: None,
        }
    }
}

/// Every case of the table, group after group.
#[allow(dead_code, reason = "the engine's test runs the groups one by one")]
pub fn all() -> Vec<Case> {
    [
        sequential_tasks_pass_outputs_along(),
        jumps_when_and_failure_handling(),
        timers_and_polling_run_in_virtual_time(),
        approvals_pauses_and_cancel(),
        modes_failure_pause_and_debug(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn notify(kind: NotifyType) -> Event {
    Event::Notify(Notify::of(kind))
}

pub const ECHO_CHAIN: &str = r"
FormatVersion: OOS-2019-06-01
Parameters:
  start: {Type: Number, Default: 1}
Tasks:
- Name: first
  Action: ACS::ExecuteAPI
  Properties: {Service: Bench, API: Echo, Parameters: {Value: '{{ start }}'}}
  Outputs: {value: {Type: Number, ValueSelector: .Value}}
- Name: second
  Action: ACS::ExecuteApi
  Properties: {Service: Bench, API: Echo, Parameters: {Value: '{{ first.value }}', Text: 'v={{ first.value }}'}}
  Outputs:
    text: {Type: String, ValueSelector: Text}
Outputs:
  final: {Type: String, Value: '{{ second.text }}'}
";

pub fn sequential_tasks_pass_outputs_along() -> Vec<Case> {
    vec![Case {
        name: "chain",
        template: ECHO_CHAIN,
        parameters: json!({"start": "7"}),
        tasks: &["first=Success", "second=Success"],
        outputs: json!({"final": "v=7"}),
        ..Case::default()
    }]
}

pub fn jumps_when_and_failure_handling() -> Vec<Case> {
    vec![
        Case {
            name: "When false skips and continues with the next task",
            template: r"
FormatVersion: OOS-2019-06-01
Parameters: {run: {Type: Boolean, Default: false}}
Tasks:
- {Name: a, Action: ACS::ExecuteAPI, When: '{{ run }}', Properties: {Service: Bench, API: Echo}}
- {Name: b, Action: ACS::ExecuteAPI, When: {'Fn::Not': '{{ run }}'}, Properties: {Service: Bench, API: Echo}}
",
            tasks: &["a=Skipped", "b=Success"],
            ..Case::default()
        },
        Case {
            name: "OnSuccess jumps to a task, ACS::END ends",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: a, Action: ACS::ExecuteAPI, OnSuccess: c, Properties: {Service: Bench, API: Echo}}
- {Name: b, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
- {Name: c, Action: ACS::ExecuteAPI, OnSuccess: ACS::END, Properties: {Service: Bench, API: Echo}}
- {Name: d, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
",
            tasks: &["a=Success", "c=Success"],
            ..Case::default()
        },
        Case {
            name: "a failure ends the execution Failed by default",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: a, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Fail}}
- {Name: b, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
",
            status: ExecutionStatus::Failed,
            tasks: &["a=Failed"],
            ..Case::default()
        },
        Case {
            name: "OnError to a cleanup task runs it and still ends Failed",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: a, Action: ACS::ExecuteAPI, OnError: cleanup, Properties: {Service: Bench, API: Fail}}
- {Name: b, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
- {Name: cleanup, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
",
            status: ExecutionStatus::Failed,
            tasks: &["a=Failed", "cleanup=Success"],
            ..Case::default()
        },
        Case {
            name: "OnError ACS::NEXT (and legacy CONTINUE) forgives the failure",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: a, Action: ACS::ExecuteAPI, OnError: ACS::NEXT, Properties: {Service: Bench, API: Fail}}
- {Name: b, Action: ACS::ExecuteAPI, OnError: CONTINUE, Properties: {Service: Bench, API: Fail}}
- {Name: c, Action: ACS::ExecuteAPI, OnSuccess: END, Properties: {Service: Bench, API: Echo}}
- {Name: d, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
",
            tasks: &["a=Failed", "b=Failed", "c=Success"],
            ..Case::default()
        },
        Case {
            name: "Choice picks the first matching branch, else DefaultTask",
            template: r"
FormatVersion: OOS-2019-06-01
Parameters: {kind: {Type: String, Default: b}}
Tasks:
- Name: choose
  Action: ACS::Choice
  Properties:
    DefaultTask: other
    Choices:
    - {When: {'Fn::Equals': [a, '{{ kind }}']}, NextTask: forA}
    - {When: {'Fn::Equals': [b, '{{ kind }}']}, NextTask: forB}
- {Name: forA, Action: ACS::ExecuteAPI, OnSuccess: ACS::END, Properties: {Service: Bench, API: Echo}}
- {Name: forB, Action: ACS::ExecuteAPI, OnSuccess: ACS::END, Properties: {Service: Bench, API: Echo}}
- {Name: other, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
",
            tasks: &["choose=Success", "forB=Success"],
            ..Case::default()
        },
        Case {
            name: "Choice NextTask ACS::END ends the execution",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: choose
  Action: ACS::Choice
  Properties: {DefaultTask: ACS::END, Choices: [{When: false, NextTask: never}]}
- {Name: never, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
",
            tasks: &["choose=Success"],
            ..Case::default()
        },
        Case {
            name: "a property error fails the task and names the property",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: a, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {X: '{{ missing.output }}'}}}
",
            status: ExecutionStatus::Failed,
            tasks: &["a=Failed"],
            ..Case::default()
        },
    ]
}

pub fn timers_and_polling_run_in_virtual_time() -> Vec<Case> {
    vec![
        Case {
            name: "Sleep two hours",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: nap, Action: ACS::Sleep, Properties: {Duration: PT2H}}
- {Name: after, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
",
            tasks: &["nap=Success", "after=Success"],
            elapsed_s: Some(7200),
            ..Case::default()
        },
        Case {
            name: "WaitFor with constant delay polls for two hours until Ready",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: wait
  Action: ACS::WaitFor
  Retries: 300
  DelayType: Constant
  Delay: 60
  Properties: {Service: Bench, API: Poll, Parameters: {ReadyAt: 121}, PropertySelector: Status, DesiredValues: [Ready]}
  Outputs: {status: {Type: String, ValueSelector: .Status}}
Outputs:
  status: {Type: String, Value: '{{ wait.status }}'}
",
            tasks: &["wait=Success"],
            outputs: json!({"status": "Ready"}),
            elapsed_s: Some(7200),
            ..Case::default()
        },
        Case {
            name: "WaitFor exponential back-off is capped by MaxRetryInterval",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: wait
  Action: ACS::WaitFor
  MaxRetryInterval: 10
  Properties: {Service: Bench, API: Poll, Parameters: {ReadyAt: 6}, PropertySelector: Status, DesiredValues: [Ready]}
",
            tasks: &["wait=Success"],
            // 2 + 4 + 8 + 10 + 10 seconds between the six calls.
            elapsed_s: Some(34),
            ..Case::default()
        },
        Case {
            name: "WaitFor linear back-off",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: wait
  Action: ACS::WaitFor
  DelayType: Linear
  Delay: 5
  BackOff: 3
  Properties: {Service: Bench, API: Poll, Parameters: {ReadyAt: 3}, PropertySelector: Status, NotDesiredValues: [Pending]}
",
            tasks: &["wait=Success"],
            // 5+3*1, 5+3*2
            elapsed_s: Some(19),
            ..Case::default()
        },
        Case {
            name: "WaitFor fails when Retries are exhausted",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: wait
  Action: ACS::WaitFor
  Retries: 2
  DelayType: Constant
  Delay: 1
  Properties: {Service: Bench, API: Poll, Parameters: {ReadyAt: 10}, PropertySelector: Status, DesiredValues: [Ready]}
",
            status: ExecutionStatus::Failed,
            tasks: &["wait=Failed"],
            elapsed_s: Some(2),
            ..Case::default()
        },
        Case {
            name: "WaitFor stops at once on StopRetryValues",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: wait
  Action: ACS::WaitFor
  DelayType: Constant
  Delay: 5
  Properties: {Service: Bench, API: Poll, Parameters: {ReadyAt: 10, StopAt: 2}, PropertySelector: Status, DesiredValues: [Ready], StopRetryValues: [Broken]}
",
            status: ExecutionStatus::Failed,
            tasks: &["wait=Failed"],
            elapsed_s: Some(5),
            ..Case::default()
        },
        Case {
            name: "CheckFor checks once",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: ok
  Action: ACS::CheckFor
  OnError: ACS::NEXT
  Properties: {Service: Bench, API: Poll, Parameters: {ReadyAt: 2}, PropertySelector: Status, DesiredValues: [Ready]}
- Name: ok2
  Action: ACS::CheckFor
  Properties: {Service: Bench, API: Poll, Parameters: {ReadyAt: 1}, PropertySelector: Status, DesiredValues: [Ready]}
",
            tasks: &["ok=Failed", "ok2=Success"],
            elapsed_s: Some(0),
            ..Case::default()
        },
    ]
}

pub fn approvals_pauses_and_cancel() -> Vec<Case> {
    const APPROVE: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: approve, Action: ACS::Approve, Properties: {Approvers: [ops]}}
- {Name: after, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
";
    vec![
        Case { name: "Approve waits", template: APPROVE, status: ExecutionStatus::Waiting, tasks: &["approve=Waiting"], ..Case::default() },
        Case {
            name: "Approve then continue",
            template: APPROVE,
            events: vec![notify(NotifyType::Approve)],
            tasks: &["approve=Success", "after=Success"],
            ..Case::default()
        },
        Case {
            name: "Reject fails",
            template: APPROVE,
            events: vec![notify(NotifyType::Reject)],
            status: ExecutionStatus::Failed,
            tasks: &["approve=Failed"],
            ..Case::default()
        },
        Case {
            name: "Approve with a webhook sends it, then waits",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: approve
  Action: ACS::Approve
  Properties: {NotifyType: WebHook, WebHook: {URI: 'http://127.0.0.1:9/hook', Headers: {}, Content: {msgtype: text}}}
",
            events: vec![notify(NotifyType::Approve)],
            tasks: &["approve=Success"],
            ..Case::default()
        },
        Case {
            name: "Pause waits for Resume",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: pause, Action: ACS::Pause}
- {Name: after, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
",
            events: vec![notify(NotifyType::Resume)],
            tasks: &["pause=Success", "after=Success"],
            ..Case::default()
        },
        Case {
            name: "Cancel while sleeping cancels the task",
            template: r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: pause, Action: ACS::Pause}
",
            events: vec![Event::Cancel],
            status: ExecutionStatus::Cancelled,
            tasks: &["pause=Cancelled"],
            ..Case::default()
        },
        Case {
            name: "Approve when nothing waits is ignored",
            template: ECHO_CHAIN,
            events: vec![notify(NotifyType::Approve)],
            tasks: &["first=Success", "second=Success"],
            outputs: json!({"final": "v=1"}),
            ..Case::default()
        },
    ]
}

pub fn modes_failure_pause_and_debug() -> Vec<Case> {
    const FLAKY: &str = r"
FormatVersion: OOS-2019-06-01
Parameters: {api: {Type: String, Default: Fail}}
Tasks:
- {Name: a, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: '{{ api }}'}}
- {Name: b, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo}}
";
    vec![
        Case {
            name: "FailurePause waits on the failed task",
            template: FLAKY,
            mode: Mode::FailurePause,
            status: ExecutionStatus::Waiting,
            tasks: &["a=Failed"],
            ..Case::default()
        },
        Case {
            name: "FailurePause SkipTask continues",
            template: FLAKY,
            mode: Mode::FailurePause,
            events: vec![notify(NotifyType::SkipTask)],
            tasks: &["a=Failed", "b=Success"],
            ..Case::default()
        },
        Case {
            name: "FailurePause RetryTask reruns the task",
            template: FLAKY,
            mode: Mode::FailurePause,
            events: vec![notify(NotifyType::RetryTask)],
            status: ExecutionStatus::Waiting,
            tasks: &["a=Failed", "a=Failed"],
            ..Case::default()
        },
        Case {
            name: "FailurePause CompleteExecution Failed",
            template: FLAKY,
            mode: Mode::FailurePause,
            events: vec![Event::Notify(Notify {
                execution_status: Some(ExecutionStatus::Failed),
                ..Notify::of(NotifyType::CompleteExecution)
            })],
            status: ExecutionStatus::Failed,
            tasks: &["a=Failed"],
            ..Case::default()
        },
        Case {
            name: "Debug waits before the first task",
            template: ECHO_CHAIN,
            mode: Mode::Debug,
            status: ExecutionStatus::Waiting,
            ..Case::default()
        },
        Case {
            name: "Debug runs one task per ExecuteTask",
            template: ECHO_CHAIN,
            mode: Mode::Debug,
            events: vec![notify(NotifyType::ExecuteTask)],
            status: ExecutionStatus::Waiting,
            tasks: &["first=Success"],
            ..Case::default()
        },
        Case {
            name: "Debug ExecuteTask by name, then to the end",
            template: ECHO_CHAIN,
            mode: Mode::Debug,
            events: vec![
                notify(NotifyType::ExecuteTask),
                Event::Notify(Notify { task_name: Some("first".into()), ..Notify::of(NotifyType::ExecuteTask) }),
                notify(NotifyType::ExecuteTask),
                notify(NotifyType::ExecuteTask),
            ],
            tasks: &["first=Success", "first=Success", "second=Success"],
            outputs: json!({"final": "v=1"}),
            ..Case::default()
        },
        Case {
            name: "Debug SkipTask skips the next task and waits again (at the end too)",
            template: ECHO_CHAIN,
            mode: Mode::Debug,
            events: vec![notify(NotifyType::ExecuteTask), notify(NotifyType::SkipTask), notify(NotifyType::SkipTask)],
            status: ExecutionStatus::Waiting,
            tasks: &["first=Success", "second=Skipped"],
            ..Case::default()
        },
    ]
}
