//! Parameter checking for an execution: coercion, defaults with expressions, constraints, masking.

use oos_template::{REDACTED, check_parameters, codes, parse, redact_parameters};
use serde_json::{Map, Value, json};

/// Built-ins and parameter-store values a real execution would supply.
struct Builtins;

impl oos_expr::Context for Builtins {
    fn parameter(&self, _name: &str) -> Option<Value> {
        None
    }
    fn task_output(&self, _task: &str, _output: &str) -> Option<Value> {
        None
    }
    fn task_result(&self, _task: &str) -> Option<Value> {
        None
    }
    fn builtin(&self, name: &str) -> Option<Value> {
        match name {
            "RegionId" => Some(json!("cn-hangzhou")),
            "ExecutionId" => Some(json!("exec-0123456789abcdef")),
            _ => None,
        }
    }
    fn store_parameter(&self, name: &str, secret: bool) -> Option<Value> {
        (name == "imageFamily" && !secret).then(|| json!("acs:ubuntu_22_04"))
    }
}

const TEMPLATE: &str = r#"
FormatVersion: OOS-2019-06-01
Parameters:
  regionId:
    Type: String
    Default: '{{ ACS::RegionId }}'
  imageName:
    Type: String
    Default: 'image-{{ regionId }}-{{ ACS::ExecutionId }}'
  family:
    Type: String
    Default: '{{ oos:imageFamily }}'
  instanceId:
    Type: String
    AllowedPattern: 'i-[a-z0-9]+'
  count:
    Type: Number
    MinValue: 1
    MaxValue: 10
    Default: 2
  dryRun:
    Type: Boolean
    Default: false
  regions:
    Type: List
    AllowedValues: [cn-hangzhou, cn-beijing]
    Default: []
  size:
    Type: String
    AllowedValues: [small, large]
    Default: small
  name:
    Type: String
    MinLength: 2
    MaxLength: 5
    Default: web
  tags:
    Type: Json
    Default: {}
  password:
    Type: String
    NoEcho: true
    Default: ''
Tasks:
  - Name: wait
    Action: ACS::Sleep
    Properties:
      Duration: PT1S
"#;

fn given(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("object")
}

#[test]
fn coerces_values_and_evaluates_defaults_in_order() {
    let template = parse(TEMPLATE).expect("valid");
    let given = given(json!({"instanceId": "i-abc", "count": "7", "dryRun": "True", "regions": "[\"cn-beijing\"]", "tags": "{\"env\":\"prod\"}"}));
    let resolved = check_parameters(&template, &given, &Builtins).expect("accepted");
    assert_eq!(resolved["regionId"], json!("cn-hangzhou"));
    assert_eq!(resolved["imageName"], json!("image-cn-hangzhou-exec-0123456789abcdef"));
    assert_eq!(resolved["family"], json!("acs:ubuntu_22_04"));
    assert_eq!(resolved["count"], json!(7));
    assert_eq!(resolved["dryRun"], json!(true));
    assert_eq!(resolved["regions"], json!(["cn-beijing"]));
    assert_eq!(resolved["tags"], json!({"env": "prod"}));
    assert_eq!(resolved["size"], json!("small"));
}

#[test]
fn each_rule_is_reported_with_its_code_and_parameter() {
    let template = parse(TEMPLATE).expect("valid");
    let cases = [
        (json!({}), codes::MISSING_PARAMETER, "instanceId"),
        (json!({"instanceId": "i-1", "nope": 1}), codes::UNKNOWN_PARAMETER, "nope"),
        (json!({"instanceId": "vm-1"}), codes::ALLOWED_PATTERN, "instanceId"),
        (json!({"instanceId": "i-1x", "count": "many"}), codes::PARAMETER_VALUE_TYPE, "count"),
        (json!({"instanceId": "i-1", "count": 0}), codes::MIN_VALUE, "count"),
        (json!({"instanceId": "i-1", "count": 11}), codes::MAX_VALUE, "count"),
        (json!({"instanceId": "i-1", "dryRun": "yes please"}), codes::PARAMETER_VALUE_TYPE, "dryRun"),
        (json!({"instanceId": "i-1", "regions": ["cn-hangzhou", "us-east-1"]}), codes::ALLOWED_VALUES, "regions"),
        (json!({"instanceId": "i-1", "size": "medium"}), codes::ALLOWED_VALUES, "size"),
        (json!({"instanceId": "i-1", "name": "w"}), codes::MIN_LENGTH, "name"),
        (json!({"instanceId": "i-1", "name": "webserver"}), codes::MAX_LENGTH, "name"),
    ];
    for (given_values, code, parameter) in cases {
        let error = check_parameters(&template, &given(given_values.clone()), &Builtins).expect_err("rejected");
        assert_eq!((error.code, error.parameter.as_str()), (code, parameter), "for {given_values}: {error}");
    }
}

#[test]
fn default_expression_that_cannot_be_resolved_is_an_error() {
    let template = parse(
        "FormatVersion: OOS-2019-06-01\nParameters:\n  user:\n    Type: String\n    Default: '{{ ACS::ExecuteUser }}'\nTasks:\n  - Name: a\n    Action: ACS::Sleep\n    Properties:\n      Duration: PT1S\n",
    )
    .expect("valid");
    let error = check_parameters(&template, &Map::new(), &Builtins).expect_err("ExecuteUser is not supplied");
    assert_eq!((error.code, error.parameter.as_str()), (codes::DEFAULT_EVALUATION, "user"));
}

#[test]
fn no_echo_values_are_masked() {
    let template = parse(TEMPLATE).expect("valid");
    let resolved = check_parameters(&template, &given(json!({"instanceId": "i-1", "password": "hunter2"})), &Builtins).expect("accepted");
    let redacted = redact_parameters(&template, &resolved);
    assert_eq!(redacted["password"], json!(REDACTED));
    assert_eq!(redacted["instanceId"], json!("i-1"));
    assert!(!serde_json::to_string(&redacted).expect("json").contains("hunter2"));
}

/// ACS-ECS-UpdateImage: `targetImageName` defaults to `UpdateImage_from_{{sourceImageId}}_…`, and
/// `sourceImageId` is declared after it. A cycle of defaults is refused.
#[test]
fn a_default_may_refer_to_a_parameter_declared_after_it() {
    let template = parse(
        "FormatVersion: OOS-2019-06-01\nParameters:\n  target:\n    Type: String\n    Default: 'from_{{ middle }}'\n  middle:\n    Type: String\n    Default: '{{ source }}_copy'\n  source:\n    Type: String\nTasks:\n  - Name: a\n    Action: ACS::Sleep\n    Properties:\n      Duration: PT1S\n",
    )
    .expect("valid");
    let resolved = check_parameters(&template, &given(json!({"source": "m-1"})), &Builtins).expect("accepted");
    assert_eq!(resolved["target"], json!("from_m-1_copy"));
    assert_eq!(resolved.keys().collect::<Vec<_>>(), ["target", "middle", "source"], "declaration order");

    let cycle = parse(
        "FormatVersion: OOS-2019-06-01\nParameters:\n  a:\n    Type: String\n    Default: '{{ b }}'\n  b:\n    Type: String\n    Default: '{{ a }}'\nTasks:\n  - Name: a\n    Action: ACS::Sleep\n    Properties:\n      Duration: PT1S\n",
    )
    .expect("valid");
    let error = check_parameters(&cycle, &Map::new(), &Builtins).expect_err("a cycle");
    assert_eq!((error.code, error.parameter.as_str()), (codes::DEFAULT_EVALUATION, "a"));
}
