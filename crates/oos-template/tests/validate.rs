//! Validation of sound templates: the ValidateTemplateContent result, warnings, model details.

use oos_template::{
    ActionKind, Jump, Severity, TasksForm, TemplateFormat, ValidateOptions, catalog::AtomicAction, codes, parse,
    validate,
};
use serde_json::json;

const SOUND: &str = r#"FormatVersion: OOS-2019-06-01
Description:
  en: Stop instances
  zh-cn: 停止实例
Parameters:
  instanceIds:
    Type: List
  OOSAssumeRole:
    Type: String
    Default: ''
RamRole: '{{ OOSAssumeRole }}'
Tasks:
  - Name: describe
    Action: ACS::ExecuteApi
    Properties:
      Service: ECS
      API: DescribeInstances
      Parameters:
        InstanceIds: '{{ instanceIds }}'
    Outputs:
      ids:
        Type: List
        ValueSelector: Instances.Instance[].InstanceId
  - Name: stop
    Action: ACS::ExecuteAPI
    OnError: ACS::END
    Properties:
      Service: ECS
      API: StopInstance
      Parameters:
        InstanceId: '{{ ACS::TaskLoopItem }}'
    Loop:
      Items: '{{ describe.ids }}'
      RateControl:
        Mode: Concurrency
        Concurrency: 10%
        MaxErrors: 0
Outputs:
  ids:
    Type: List
    Value: '{{ describe.ids }}'
"#;

#[test]
fn sound_template_validates_clean_and_reports_content() {
    let validation = validate(SOUND, &ValidateOptions::default());
    assert!(validation.diagnostics.is_empty(), "{:#?}", validation.diagnostics);
    assert_eq!(validation.parameters["instanceIds"], json!({"Type": "List"}));
    assert_eq!(validation.outputs["ids"]["Value"], json!("{{ describe.ids }}"));
    assert_eq!(validation.ram_role, Some(json!("{{ OOSAssumeRole }}")));
    let serialized = serde_json::to_value(&validation).expect("json");
    assert!(serialized.get("Parameters").is_some() && serialized.get("RamRole").is_some());
}

#[test]
fn model_keeps_canonical_actions_jumps_and_text() {
    let template = parse(SOUND).expect("valid");
    assert_eq!(template.format, TemplateFormat::Yaml);
    assert_eq!(template.text, SOUND);
    assert_eq!(template.tasks[0].action.canonical, "ACS::ExecuteAPI");
    assert_eq!(template.tasks[0].action.written, "ACS::ExecuteApi");
    assert_eq!(template.tasks[0].action.kind, ActionKind::Atomic(AtomicAction::ExecuteApi));
    assert_eq!(template.tasks[1].on_error, Some(Jump::End));
    assert_eq!(template.tasks[0].on_success_or_default(), Jump::Next);
    assert!(template.parameters["instanceIds"].is_required());
    assert_eq!(template.description.as_ref().and_then(|d| d.english()), Some("Stop instances"));
}

#[test]
fn json_map_form_and_legacy_jumps_are_accepted() {
    let text = r#"{
  "FormatVersion": "OOS-2019-06-01",
  "Tasks": {
    "first": {"Action": "ACS::Sleep", "OnSuccess": "third", "OnError": "CONTINUE", "Properties": {"Duration": "10s"}},
    "second": {"Action": "acs::sleep", "Properties": {"Duration": "PT1M"}},
    "third": {"Action": "ACS::Sleep", "OnSuccess": "END", "Properties": {"Duration": "1m"}}
  }
}"#;
    let template = parse(text).expect("valid");
    assert_eq!(template.format, TemplateFormat::Json);
    assert_eq!(template.tasks_form, TasksForm::Map);
    let names: Vec<&str> = template.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["first", "second", "third"]);
    assert_eq!(template.tasks[0].on_error, Some(Jump::Next));
    assert_eq!(template.tasks[2].on_success, Some(Jump::End));
    assert!(!validate(text, &ValidateOptions::default()).has_errors());
}

#[test]
fn unknown_keys_case_mismatches_and_unreachable_references_are_warnings() {
    let text = r#"FormatVersion: OOS-2019-06-01
Conditions: {}
Parameters:
  instanceId:
    Type: String
Tasks:
  - Name: first
    Action: ACS::ExecuteAPI
    OnSuccess: ACS::END
    Properties:
      Service: ECS
      API: DescribeInstances
      Parameters:
        InstanceId: '{{ InstanceId }}'
        Name: '{{ later.name }}'
  - Name: later
    Action: ACS::ExecuteAPI
    Properties:
      Service: ECS
      API: DescribeInstances
    Outputs:
      name:
        ValueSelector: .Name
"#;
    let validation = validate(text, &ValidateOptions::default());
    assert!(!validation.has_errors(), "{:#?}", validation.diagnostics);
    let warnings: Vec<(&str, Option<u32>)> = validation.warnings().map(|d| (d.code, d.line)).collect();
    assert_eq!(
        warnings,
        [(codes::UNKNOWN_KEY, Some(2)), (codes::REFERENCE_CASE, Some(14)), (codes::REFERENCE_ORDER, Some(15))]
    );
    assert!(validation.diagnostics.iter().all(|d| d.severity == Severity::Warning));
}

#[test]
fn jump_backwards_makes_a_later_task_reachable() {
    let text = r#"FormatVersion: OOS-2019-06-01
Tasks:
  - Name: check
    Action: ACS::ExecuteAPI
    Properties:
      Service: ECS
      API: DescribeInstances
      Parameters:
        Previous: '{{ retry.marker }}'
  - Name: retry
    Action: ACS::ExecuteAPI
    OnSuccess: check
    Properties:
      Service: ECS
      API: DescribeInstances
    Outputs:
      marker:
        ValueSelector: .NextToken
"#;
    let validation = validate(text, &ValidateOptions::default());
    assert!(validation.diagnostics.is_empty(), "{:#?}", validation.diagnostics);
}

#[test]
fn yaml_one_one_booleans_and_aliases_read_like_pyyaml() {
    let text = r#"FormatVersion: OOS-2019-06-01
Parameters:
  dryRun:
    Type: Boolean
    Default: yes
  region: &region cn-hangzhou
Tasks:
  - Name: a
    Action: ACS::Sleep
    Properties:
      Duration: PT1S
"#;
    let validation = validate(text, &ValidateOptions::default());
    let template = validation.template.expect("model");
    assert_eq!(template.parameters["dryRun"].default, Some(json!(true)));
    // `region: cn-hangzhou` is not a mapping: a located shape error, not a panic.
    let errors: Vec<(&str, Option<u32>)> = validation.diagnostics.iter().filter(|d| d.is_error()).map(|d| (d.code, d.line)).collect();
    assert_eq!(errors, [(codes::WRONG_TYPE, Some(6))]);
}
