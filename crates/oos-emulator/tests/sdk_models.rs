//! Every served action answers with the fields of the official SDK models: one example request
//! per action (`sdk-models/examples.yaml`) runs over real HTTP on a freshly seeded emulator, and
//! its answer is checked recursively against the response model the SDK generator wrote
//! (`sdk-models/models.json`): no field missing, none of the wrong JSON type, none unknown.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use oos_acs::Credentials;
use oos_emulator::{
    DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, FleetSeed, served_actions,
};
use serde::Deserialize;
use serde_json::Value;

const MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sdk-models/models.json");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sdk-models/examples.yaml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Examples {
    seed: String,
    /// API version -> action -> example.
    examples: BTreeMap<String, BTreeMap<String, Example>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Example {
    #[serde(default)]
    before: Vec<Step>,
    #[serde(default)]
    params: BTreeMap<String, String>,
    /// Response path the emulator leaves out on purpose -> why.
    #[serde(default)]
    omit: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    action: String,
    version: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, String>,
}

/// One disagreement between an answer (or an example) and the SDK model.
#[derive(Debug, PartialEq)]
enum Finding {
    Missing {
        expected: String,
    },
    WrongType {
        expected: String,
        actual: &'static str,
    },
    NotInModel {
        actual: &'static str,
    },
    UnusedOmit,
    UnknownParameter,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Missing { expected } => write!(f, "missing (model: {expected})"),
            Finding::WrongType { expected, actual } => {
                write!(f, "wrong type: model {expected}, answer {actual}")
            }
            Finding::NotInModel { actual } => write!(f, "not in the SDK model (answer {actual})"),
            Finding::UnusedOmit => write!(f, "omit entry matches nothing the answer lacks"),
            Finding::UnknownParameter => {
                write!(f, "request parameter is not a wire name of the SDK model")
            }
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// How the model names a type: a scalar name, `object` or `array`.
fn model_type(model: &Value) -> String {
    match model {
        Value::String(name) => name.clone(),
        Value::Array(_) => "array".into(),
        _ => "object".into(),
    }
}

fn scalar_fits(expected: &str, actual: &Value) -> bool {
    match expected {
        "string" => actual.is_string(),
        "integer" => actual.is_i64() || actual.is_u64(),
        "number" => actual.is_number(),
        "boolean" => actual.is_boolean(),
        "map" => actual.is_object(),
        "any" => !actual.is_null(),
        other => panic!("models.json has an unknown type {other:?}"),
    }
}

/// Compares `actual` with `model` below `path`, adding every disagreement to `findings`.
fn check(model: &Value, actual: &Value, path: &str, findings: &mut Vec<(String, Finding)>) {
    let wrong = |findings: &mut Vec<(String, Finding)>| {
        findings.push((
            path.to_owned(),
            Finding::WrongType {
                expected: model_type(model),
                actual: json_type(actual),
            },
        ));
    };
    match (model, actual) {
        (Value::String(expected), _) if !scalar_fits(expected, actual) => wrong(findings),
        (Value::String(_), _) => {}
        (Value::Array(element), Value::Array(items)) => {
            for item in items {
                check(&element[0], item, &format!("{path}[]"), findings);
            }
        }
        // ESS's models come from its 2022-02-22 package, which lists bare arrays; the 2014-08-28
        // wire format the emulator serves wraps each list in an element object
        // (`ScalingGroups.ScalingGroup[]`), as every other RPC product here does
        (Value::Array(element), Value::Object(wrapper))
            if wrapper.len() == 1 && wrapper.values().all(Value::is_array) =>
        {
            let (key, items) = wrapper.iter().next().expect("one entry");
            for item in items.as_array().expect("an array") {
                check(&element[0], item, &format!("{path}.{key}[]"), findings);
            }
        }
        (Value::Object(fields), Value::Object(answer)) => {
            let at = |key: &str| {
                if path.is_empty() {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                }
            };
            for (key, field) in fields {
                match answer.get(key) {
                    Some(value) => check(field, value, &at(key), findings),
                    None => findings.push((
                        at(key),
                        Finding::Missing {
                            expected: model_type(field),
                        },
                    )),
                }
            }
            for (key, value) in answer.iter().filter(|(key, _)| !fields.contains_key(*key)) {
                findings.push((
                    at(key),
                    Finding::NotInModel {
                        actual: json_type(value),
                    },
                ));
            }
        }
        _ => wrong(findings),
    }
}

/// Drops the findings an `omit` entry covers (the path itself or anything below it) and reports
/// the entries that covered nothing.
fn apply_omits(
    findings: Vec<(String, Finding)>,
    omit: &BTreeMap<String, String>,
) -> Vec<(String, Finding)> {
    let covers = |entry: &str, path: &str| {
        path == entry
            || path
                .strip_prefix(entry)
                .is_some_and(|rest| rest.starts_with(['.', '[']))
    };
    let mut used = BTreeSet::new();
    let mut kept: Vec<_> = findings
        .into_iter()
        .filter(|(path, finding)| {
            let entry = matches!(finding, Finding::Missing { .. })
                .then(|| omit.keys().find(|entry| covers(entry, path)))
                .flatten();
            entry.inspect(|entry| {
                used.insert(entry.as_str());
            });
            entry.is_none()
        })
        .collect();
    kept.extend(
        omit.keys()
            .filter(|entry| !used.contains(entry.as_str()))
            .map(|entry| (entry.clone(), Finding::UnusedOmit)),
    );
    kept
}

/// Request parameters that are not wire names of the model (`Name.1.Key` is `Name.N.Key`).
fn unknown_parameters<'a>(
    request_model: &Value,
    params: impl Iterator<Item = &'a String>,
) -> Vec<(String, Finding)> {
    let index = regex::Regex::new(r"\.\d+(\.|$)").expect("valid regex");
    params
        .filter(|name| {
            request_model
                .get(index.replace_all(name, ".N$1").as_ref())
                .is_none()
        })
        .map(|name| (format!("request {name}"), Finding::UnknownParameter))
        .collect()
}

/// `${N/pointer}` in `value` replaced by the pointer into step N's answer.
fn substitute(value: &str, answers: &[Value]) -> String {
    let placeholder = regex::Regex::new(r"\$\{(\d+)(/[^}]*)\}").expect("valid regex");
    placeholder
        .replace_all(value, |found: &regex::Captures| {
            let step: usize = found[1].parse().expect("a step number");
            let picked = answers
                .get(step)
                .and_then(|answer| answer.pointer(&found[2]));
            match picked {
                Some(Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
                None => panic!("`{}`: step {step} answered no {}", &found[0], &found[2]),
            }
        })
        .into_owned()
}

/// Runs `example` of `action` on a fresh emulator; the successful answer's body.
async fn run(seed: &str, version: &str, action: &str, example: &Example) -> Result<Value, String> {
    let emulator = Emulator::builder()
        .seed(FleetSeed::from_yaml(seed).expect("the examples' seed is valid"))
        .transition_delay(Duration::ZERO)
        .build()
        .expect("emulator builds");
    let handle = emulator
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator listens");
    let credentials = Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET);
    let mut answers = Vec::new();
    let steps = example.before.iter().map(|step| {
        (
            step.version.as_deref().unwrap_or(version),
            step.action.as_str(),
            &step.params,
        )
    });
    let mut outcome = Ok(Value::Null);
    for (step_version, step_action, params) in steps.chain([(version, action, &example.params)]) {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(name, value)| (name.clone(), substitute(value, &answers)))
            .collect();
        let (status, body) = support::signed_http_call(
            &handle.url(),
            &credentials,
            step_version,
            step_action,
            &params,
        )
        .await;
        if status != 200 {
            outcome = Err(format!("{step_action} answered {status}: {body}"));
            break;
        }
        answers.push(body.clone());
        outcome = Ok(body);
    }
    handle.shutdown().await.expect("emulator stops");
    outcome
}

#[tokio::test]
async fn every_served_action_answers_with_the_sdk_response_fields() {
    let models: Value = serde_json::from_str(&std::fs::read_to_string(MODELS).unwrap())
        .expect("models.json parses");
    let examples: Examples = serde_saphyr::from_str(&std::fs::read_to_string(EXAMPLES).unwrap())
        .expect("examples.yaml parses");
    let served = served_actions();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for pair in served.iter().filter(|pair| !seen.insert(**pair)) {
        problems.push(format!(
            "{} {}: routed twice (the first entry shadows the second)",
            pair.0, pair.1
        ));
    }
    for (version, action) in &served {
        let Some(model) = models["actions"][version].get(*action) else {
            problems.push(format!(
                "{version} {action}: no SDK model in models.json (add its product to generate.py)"
            ));
            continue;
        };
        let Some(example) = examples
            .examples
            .get(*version)
            .and_then(|actions| actions.get(*action))
        else {
            problems.push(format!(
                "{version} {action}: no example request in examples.yaml"
            ));
            continue;
        };
        let mut findings = unknown_parameters(&model["request"], example.params.keys());
        match run(&examples.seed, version, action, example).await {
            Ok(body) => check(&model["response"], &body, "", &mut findings),
            Err(error) => problems.push(format!("{version} {action}: the example failed: {error}")),
        }
        let mut reported = BTreeSet::new();
        for (path, finding) in apply_omits(findings, &example.omit) {
            let line = format!("{version} {action}: {path}: {finding}");
            if reported.insert(line.clone()) {
                problems.push(line); // each element of an array reports the same path
            }
        }
    }
    for (version, actions) in &examples.examples {
        for action in actions
            .keys()
            .filter(|action| !served.contains(&(version.as_str(), action.as_str())))
        {
            problems.push(format!(
                "{version} {action}: has an example but is not served"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} disagreements with the SDK models ({} served actions checked):\n{}",
        problems.len(),
        served.len(),
        problems.join("\n")
    );
}

#[test]
fn the_check_reports_missing_wrong_and_unknown_fields() {
    let model = serde_json::json!({"Items": {"Item": [{"Id": "string", "Size": "integer", "Ok": "boolean"}]}, "Total": "integer"});
    let answer =
        serde_json::json!({"Items": {"Item": [{"Id": 5, "Size": 1, "Extra": "x"}]}, "Total": "3"});
    let mut findings = Vec::new();
    check(&model, &answer, "", &mut findings);
    let omit = BTreeMap::from([
        ("Items.Item[].Ok".to_owned(), "not modelled".to_owned()),
        ("Gone".to_owned(), "stale".to_owned()),
    ]);
    let findings = apply_omits(findings, &omit);
    let rendered: Vec<String> = findings
        .iter()
        .map(|(path, finding)| format!("{path}: {finding}"))
        .collect();
    assert_eq!(
        rendered,
        [
            "Items.Item[].Id: wrong type: model string, answer integer",
            "Items.Item[].Extra: not in the SDK model (answer string)",
            "Total: wrong type: model integer, answer string",
            "Gone: omit entry matches nothing the answer lacks",
        ]
    );
}
