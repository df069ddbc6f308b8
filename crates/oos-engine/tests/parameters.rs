//! Creating an execution checks parameters with the template's own rules (constraints, defaults,
//! case-insensitive references) before anything runs.

use std::sync::Arc;

use oos_engine::{EngineConfig, Mode, NewExecution, create};
use serde_json::{Value, json};

const TEMPLATE: &str = r#"
FormatVersion: OOS-2019-06-01
Parameters:
  regionId:
    Type: String
    Default: '{{ ACS::RegionId }}'
  size:
    Type: String
    AllowedValues: [small, large]
    Default: small
  count:
    Type: Number
    MinValue: 1
    MaxValue: 10
    Default: 2
  name:
    Type: String
    AllowedPattern: '[a-z]+'
Tasks:
  - Name: nap
    Action: ACS::Sleep
    Properties:
      Duration: PT1S
"#;

fn try_create(parameters: Value) -> Result<serde_json::Map<String, Value>, (String, String)> {
    let template = oos_template::parse(TEMPLATE).expect("test template parses");
    let request = NewExecution {
        id: "exec-0123456789abcdef".into(),
        template: Arc::new(template),
        template_name: "params".into(),
        template_version: None,
        parameters: parameters.as_object().cloned().unwrap_or_default(),
        mode: Mode::Automatic,
        parent_execution_id: None,
        parent_task_execution_id: None,
        description: String::new(),
        region_id: Some("cn-beijing".into()),
        store_parameters: Default::default(),
        secret_parameters: Default::default(),
        execute_user: None,
        firing: None,
    };
    create(request, 0, &EngineConfig::default())
        .map(|execution| execution.parameters)
        .map_err(|error| (error.code.to_owned(), error.message))
}

#[test]
fn constraints_are_enforced_and_defaults_evaluated() {
    let ok = try_create(json!({"name": "web", "count": "5"})).expect("valid parameters");
    assert_eq!(ok["regionId"], json!("cn-beijing"), "default expression sees ACS::RegionId");
    assert_eq!(ok["count"], json!(5), "a number given as a string is coerced");
    assert_eq!(ok["size"], json!("small"));

    let cases = [
        (json!({"name": "web", "size": "medium"}), "InvalidParameter.AllowedValues", "size"),
        (json!({"name": "web", "count": 11}), "InvalidParameter.MaxValue", "count"),
        (json!({"name": "Web1"}), "InvalidParameter.AllowedPattern", "name"),
        (json!({}), "MissingParameter", "name"),
        (json!({"name": "web", "colour": "red"}), "InvalidParameter.Unknown", "colour"),
    ];
    for (given, code, parameter) in cases {
        let (got_code, message) = try_create(given.clone()).expect_err(&format!("{given} must be refused"));
        assert_eq!(got_code, code, "{given}");
        assert!(message.contains(parameter), "{given}: message `{message}` names {parameter}");
    }
}
