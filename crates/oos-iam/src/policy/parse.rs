//! Reading a RAM policy document from JSON, with errors that name the code, the statement and the field.

use serde_json::{Map, Value};

use super::condition::{self, Condition, Operator};
use super::{Effect, PatternSet, Principals, Statement};

/// RAM's limit on a custom policy document (CreatePolicy: 1 to 6,144 characters).
pub const MAX_POLICY_DOCUMENT_CHARS: usize = 6144;

/// A policy document that cannot be accepted. `code` is one of the `InvalidPolicyDocument.*` codes,
/// `path` the JSON path of the offending element (`Statement[1].Condition.IpAddress.acs:SourceIp[0]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message} (at {path})")]
pub struct PolicyError {
    pub code: &'static str,
    /// Index of the statement at fault, when the fault is inside one.
    pub statement: Option<usize>,
    pub path: String,
    pub message: String,
}

/// Identity policies forbid `Principal`; trust policies require it and may omit `Resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocumentKind {
    Identity,
    Trust,
}

const STATEMENT_ELEMENTS: &[&str] = &[
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Principal",
];

struct At {
    statement: Option<usize>,
    path: String,
}

impl At {
    fn child(&self, element: &str) -> At {
        At {
            statement: self.statement,
            path: format!("{}.{element}", self.path),
        }
    }
    fn index(&self, i: usize) -> At {
        At {
            statement: self.statement,
            path: format!("{}[{i}]", self.path),
        }
    }
    fn error(&self, code: &'static str, message: impl Into<String>) -> PolicyError {
        PolicyError {
            code,
            statement: self.statement,
            path: self.path.clone(),
            message: message.into(),
        }
    }
}

pub(crate) fn parse_document(
    document: &str,
    kind: DocumentKind,
) -> Result<Vec<Statement>, PolicyError> {
    let root = At {
        statement: None,
        path: "$".to_string(),
    };
    let length = document.chars().count();
    if length > MAX_POLICY_DOCUMENT_CHARS {
        let message = format!(
            "the document has {length} characters; at most {MAX_POLICY_DOCUMENT_CHARS} are allowed"
        );
        return Err(root.error("InvalidPolicyDocument.TooLong", message));
    }
    let value: Value = serde_json::from_str(document).map_err(|e| {
        let message = format!(
            "not valid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        );
        root.error("InvalidPolicyDocument.Malformed", message)
    })?;
    let Value::Object(object) = value else {
        return Err(root.error(
            "InvalidPolicyDocument.Malformed",
            "the document must be a JSON object",
        ));
    };
    reject_unknown(&object, &["Version", "Statement"], &root)?;
    match object.get("Version") {
        Some(Value::String(v)) if v == "1" => {}
        Some(other) => {
            return Err(root.child("Version").error(
                "InvalidPolicyDocument.Version",
                format!("Version must be \"1\", got {other}"),
            ));
        }
        None => {
            return Err(root.child("Version").error(
                "InvalidPolicyDocument.Version",
                "Version is required and must be \"1\"",
            ));
        }
    }
    let at = root.child("Statement");
    let statements = match object.get("Statement") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::Array(_)) => {
            return Err(at.error(
                "InvalidPolicyDocument.Statement",
                "Statement must not be empty",
            ));
        }
        Some(_) => {
            return Err(at.error(
                "InvalidPolicyDocument.Statement",
                "Statement must be an array of statements",
            ));
        }
        None => return Err(at.error("InvalidPolicyDocument.Statement", "Statement is required")),
    };
    statements
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = At {
                statement: Some(i),
                path: format!("$.Statement[{i}]"),
            };
            parse_statement(item, kind, &at)
        })
        .collect()
}

fn reject_unknown(object: &Map<String, Value>, known: &[&str], at: &At) -> Result<(), PolicyError> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(at.child(unknown).error(
            "InvalidPolicyDocument.UnknownElement",
            format!(
                "unknown element {unknown:?}; expected one of {}",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn parse_statement(item: &Value, kind: DocumentKind, at: &At) -> Result<Statement, PolicyError> {
    let Value::Object(object) = item else {
        return Err(at.error(
            "InvalidPolicyDocument.Statement",
            "a statement must be a JSON object",
        ));
    };
    reject_unknown(object, STATEMENT_ELEMENTS, at)?;
    let effect = match object.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(at.child("Effect").error(
                "InvalidPolicyDocument.Effect",
                format!("Effect must be \"Allow\" or \"Deny\", got {other}"),
            ));
        }
        None => {
            return Err(at
                .child("Effect")
                .error("InvalidPolicyDocument.Effect", "Effect is required"));
        }
    };
    let actions = pattern_set(
        object,
        ("Action", "NotAction"),
        "InvalidPolicyDocument.Action",
        at,
        true,
        check_action,
    )?
    .map(|set| set.map(|action| action.to_lowercase()))
    .unwrap_or_else(|| PatternSet::Include(Vec::new()));
    let resources = pattern_set(
        object,
        ("Resource", "NotResource"),
        "InvalidPolicyDocument.Resource",
        at,
        kind == DocumentKind::Identity,
        check_resource,
    )?
    .unwrap_or_else(|| PatternSet::Include(vec!["*".to_string()]));
    let conditions = match object.get("Condition") {
        Some(value) => parse_conditions(value, &at.child("Condition"))?,
        None => Vec::new(),
    };
    let principals = match (kind, object.get("Principal")) {
        (DocumentKind::Identity, Some(_)) => {
            return Err(at.child("Principal").error(
                "InvalidPolicyDocument.Principal",
                "Principal is only allowed in a role's trust policy",
            ));
        }
        (DocumentKind::Identity, None) => None,
        (DocumentKind::Trust, Some(value)) => {
            Some(parse_principals(value, &at.child("Principal"))?)
        }
        (DocumentKind::Trust, None) => {
            return Err(at.child("Principal").error(
                "InvalidPolicyDocument.Principal",
                "a trust policy statement needs Principal",
            ));
        }
    };
    Ok(Statement {
        effect,
        actions,
        resources,
        conditions,
        principals,
    })
}

type MakeSet = fn(Vec<String>) -> PatternSet;

/// Reads `Action`/`NotAction` (or the Resource pair): exactly one of the two, a string or a non-empty array.
fn pattern_set(
    object: &Map<String, Value>,
    (include, exclude): (&str, &str),
    code: &'static str,
    at: &At,
    required: bool,
    check: fn(&str) -> Result<(), String>,
) -> Result<Option<PatternSet>, PolicyError> {
    let (name, value, make): (&str, &Value, MakeSet) =
        match (object.get(include), object.get(exclude)) {
            (Some(_), Some(_)) => {
                return Err(at.child(exclude).error(
                    code,
                    format!("{include} and {exclude} cannot both be present"),
                ));
            }
            (Some(v), None) => (include, v, PatternSet::Include),
            (None, Some(v)) => (exclude, v, PatternSet::Exclude),
            (None, None) if required => {
                return Err(at
                    .child(include)
                    .error(code, format!("{include} or {exclude} is required")));
            }
            (None, None) => return Ok(None),
        };
    let at = at.child(name);
    let patterns = string_list(value, code, &at)?;
    for (i, pattern) in patterns.iter().enumerate() {
        check(pattern).map_err(|message| at.index(i).error(code, message))?;
    }
    Ok(Some(make(patterns)))
}

fn string_list(value: &Value, code: &'static str, at: &At) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if items.is_empty() => {
            Err(at.error(code, "the list must not be empty"))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(at
                    .index(i)
                    .error(code, format!("expected a string, got {other}"))),
            })
            .collect(),
        other => Err(at.error(
            code,
            format!("expected a string or an array of strings, got {other}"),
        )),
    }
}

fn check_action(action: &str) -> Result<(), String> {
    if action == "*" {
        return Ok(());
    }
    let Some((service, name)) = action.split_once(':') else {
        return Err(format!(
            "action {action:?} must be \"*\" or \"<service>:<action>\" (e.g. \"oos:StartExecution\")"
        ));
    };
    let valid_service = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-*?".contains(c));
    if !valid_service || name.is_empty() || name.contains(':') {
        return Err(format!(
            "action {action:?} must be \"<service>:<action>\" with a service code of letters, digits and '-'"
        ));
    }
    Ok(())
}

fn check_resource(resource: &str) -> Result<(), String> {
    if resource == "*" || (resource.starts_with("acs:") && resource.splitn(5, ':').count() == 5) {
        return Ok(());
    }
    Err(format!(
        "resource {resource:?} must be \"*\" or an ARN \"acs:<service>:<region>:<account>:<relative-id>\""
    ))
}

fn parse_conditions(value: &Value, at: &At) -> Result<Vec<Condition>, PolicyError> {
    const CODE: &str = "InvalidPolicyDocument.Condition";
    let Value::Object(operators) = value else {
        return Err(at.error(
            CODE,
            "Condition must be an object {Operator: {Key: value or [values]}}",
        ));
    };
    let mut conditions = Vec::new();
    for (operator_name, block) in operators {
        let at = at.child(operator_name);
        let operator = Operator::from_name(operator_name).ok_or_else(|| {
            let known: Vec<&str> = condition::OPERATORS.iter().map(|(n, _, _)| *n).collect();
            at.error(
                CODE,
                format!(
                    "unknown condition operator {operator_name:?}; known: {}",
                    known.join(", ")
                ),
            )
        })?;
        let Value::Object(keys) = block else {
            return Err(at.error(CODE, "an operator must map condition keys to values"));
        };
        if keys.is_empty() {
            return Err(at.error(CODE, "an operator needs at least one condition key"));
        }
        for (key, raw) in keys {
            let at = at.child(key);
            if key.trim().is_empty() {
                return Err(at.error(CODE, "a condition key must not be empty"));
            }
            let raw_values = condition_values(raw, &at)?;
            let values = condition::convert_values(operator.family, &raw_values).map_err(
                |(i, expected)| {
                    at.index(i).error(
                        CODE,
                        format!(
                            "{} needs {expected}, got {:?}",
                            operator.name(),
                            raw_values[i]
                        ),
                    )
                },
            )?;
            conditions.push(Condition {
                operator,
                key: key.to_lowercase(),
                values,
            });
        }
    }
    Ok(conditions)
}

/// Condition values may be strings, numbers or booleans, alone or in a non-empty array.
fn condition_values(value: &Value, at: &At) -> Result<Vec<String>, PolicyError> {
    const CODE: &str = "InvalidPolicyDocument.Condition";
    let scalar = |v: &Value, at: &At| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(at.error(
            CODE,
            format!("a condition value must be a string, number or boolean, got {other}"),
        )),
    };
    match value {
        Value::Array(items) if items.is_empty() => {
            Err(at.error(CODE, "the list of values must not be empty"))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| scalar(v, &at.index(i)))
            .collect(),
        other => Ok(vec![scalar(other, at)?]),
    }
}

fn parse_principals(value: &Value, at: &At) -> Result<Principals, PolicyError> {
    const CODE: &str = "InvalidPolicyDocument.Principal";
    let Value::Object(object) = value else {
        return Err(at.error(
            CODE,
            "Principal must be an object {\"RAM\": [...], \"Service\": [...]}",
        ));
    };
    reject_unknown(object, &["RAM", "Service"], at)?;
    let list = |name: &str| {
        object
            .get(name)
            .map(|v| string_list(v, CODE, &at.child(name)))
            .transpose()
    };
    let principals = Principals {
        ram: list("RAM")?.unwrap_or_default(),
        service: list("Service")?.unwrap_or_default(),
    };
    if principals.ram.is_empty() && principals.service.is_empty() {
        return Err(at.error(
            CODE,
            "Principal must name at least one RAM or Service principal",
        ));
    }
    Ok(principals)
}
