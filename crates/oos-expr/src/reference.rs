//! Classification of the inside of a `{{ }}` into a [`Reference`], and the static reference scan.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::error::{Located, PathSegment};
use crate::scanner::{Segment, scan};

/// What a `{{ … }}` refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// `{{ name }}`: a template parameter; when no parameter has that name, the whole result of the
    /// task so named (validators should accept either).
    Parameter(String),
    /// `{{ task.output }}`: a declared task output; when the task declares no such output, the field
    /// `output` of the task's raw result.
    TaskOutput {
        /// Task name.
        task: String,
        /// Output name.
        output: String,
    },
    /// `{{ task.A.B[]?.C }}`: a jq path (`path`, with leading dot) over the task's raw result.
    TaskResult {
        /// Task name.
        task: String,
        /// jq path such as `.Regions.Region[]?.LocalName`; `None` for the whole result.
        path: Option<String>,
    },
    /// `{{ ACS::RegionId }}`: a built-in, by canonical name (see [`canonical_builtin`]).
    Builtin(String),
    /// `{{ oos:Name }}` / `{{ oos-secret:Name }}`, optionally at a version (`{{ oos-secret:Name:2 }}`):
    /// a parameter-store entry.
    StoreParameter {
        /// Parameter name (may contain `/`), with `:<version>` when one is given.
        name: String,
        /// `true` for `oos-secret:`.
        secret: bool,
    },
    /// Anything else: a Jinja expression (operators, literals, filters), evaluated by minijinja.
    Expression(String),
}

/// Built-ins known by canonical spelling; lookups are case-insensitive.
const BUILTINS: &[&str] = &[
    "RegionId",
    "ExecutionId",
    "AccountId",
    "TaskLoopItem",
    "CurrentUTCTime",
    "CurrentDate",
    "ExecuteUser",
    "TemplateName",
    "TemplateVersion",
    "OOSUtilVersion",
    "TaskExecutionId",
    "ParentExecutionId",
];

/// The canonical spelling of a built-in (`accountid` → `AccountId`); unknown names come back unchanged.
pub fn canonical_builtin(name: &str) -> String {
    BUILTINS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_owned(), |known| (*known).to_owned())
}

static BUILTIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^acs\s*::\s*(\w+)$").expect("valid regex"));
static STORE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^(oos|oos-secret)\s*:\s*([\w./-]+(?::\d+)?)$").expect("valid regex"));
static TASK_OUTPUT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)$").expect("valid regex"));
/// A task name followed by a jq path of `.key`, `[]`, `[n]` and `?` steps.
static TASK_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z_][\w-]*)((?:\.[A-Za-z_]\w*|\[\d*\]|\?)+)$").expect("valid regex")
});

impl Reference {
    /// Classifies the trimmed inside of a `{{ … }}`.
    pub fn parse(inner: &str) -> Self {
        let inner = inner.trim();
        if is_plain_name(inner) {
            return Self::Parameter(inner.to_owned());
        }
        if let Some(caps) = BUILTIN.captures(inner) {
            return Self::Builtin(canonical_builtin(&caps[1]));
        }
        if let Some(caps) = STORE.captures(inner) {
            return Self::StoreParameter {
                name: caps[2].to_owned(),
                secret: caps[1].eq_ignore_ascii_case("oos-secret"),
            };
        }
        if let Some(caps) = TASK_OUTPUT.captures(inner) {
            return Self::TaskOutput {
                task: caps[1].to_owned(),
                output: caps[2].to_owned(),
            };
        }
        if let Some(caps) = TASK_PATH.captures(inner) {
            let path = &caps[2];
            let path = if path.starts_with('.') {
                path.to_owned()
            } else {
                format!(".{path}")
            };
            return Self::TaskResult {
                task: caps[1].to_owned(),
                path: Some(path),
            };
        }
        Self::Expression(inner.to_owned())
    }
}

impl std::fmt::Display for Reference {
    /// The reference as a template writes it inside `{{ }}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Parameter(name) => f.write_str(name),
            Self::TaskOutput { task, output } => write!(f, "{task}.{output}"),
            Self::TaskResult { task, path } => write!(f, "{task}{}", path.as_deref().unwrap_or_default()),
            Self::Builtin(name) => write!(f, "ACS::{name}"),
            Self::StoreParameter { name, secret } => write!(f, "{}:{name}", if *secret { "oos-secret" } else { "oos" }),
            Self::Expression(source) => f.write_str(source),
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_-]*`, checked without a regex (the most common reference form).
fn is_plain_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

/// Every reference in a value tree (strings at any depth, including map keys and `Fn::` arguments),
/// each with the path of the string it occurs in, in document order.
pub fn references(value: &Value) -> Vec<Located<Reference>> {
    let mut found = Vec::new();
    collect(value, &mut Vec::new(), &mut found);
    found
}

fn collect(value: &Value, path: &mut Vec<PathSegment>, found: &mut Vec<Located<Reference>>) {
    match value {
        Value::String(text) => collect_in_text(text, path, found),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(PathSegment::Index(index));
                collect(item, path, found);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                path.push(PathSegment::Key(key.clone()));
                collect_in_text(key, path, found);
                collect(item, path, found);
                path.pop();
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn collect_in_text(text: &str, path: &[PathSegment], found: &mut Vec<Located<Reference>>) {
    for segment in scan(text) {
        if let Segment::Expr(inner) = segment {
            found.push(Located {
                path: path.to_vec(),
                value: Reference::parse(inner),
            });
        }
    }
}
