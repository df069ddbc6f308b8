//! Reading a spec file into its model: the YAML is read with positions (the template reader's), then
//! walked key by key, so every error names the line and column, the key path and a stable code.
//! Only the template and fleet files a spec names are read from disk.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use oos_emulator::FleetSeed;
use oos_template::{KeyPath, ParseOptions, Position, SourceMap, read_document};
use serde_json::{Map, Value};

use crate::cloud::{CloudAssertion, Filter, KINDS, Kind};
use crate::matcher::Matcher;
use crate::spec::{
    Case, ExecutionExpect, Expect, LetterExpect, SpecError, SpecFile, Step, TaskExpect, codes,
};

/// Largest spec file read (and largest template or fleet file it names).
pub const MAX_SPEC_BYTES: usize = 1024 * 1024;
/// Most test cases in one file, and most steps in one case.
const MAX_CASES: usize = 1000;
const MAX_STEPS: usize = 10_000;
/// The default start of a case's virtual clock: 2026-01-01T00:00:00Z.
const DEFAULT_START_MS: i64 = 1_767_225_600_000;
const DEFAULT_REGION: &str = "cn-hangzhou";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(86_400);

const TOP_KEYS: [&str; 6] = ["tests", "template", "fleet", "commands", "region", "start"];
const CASE_KEYS: [&str; 12] = [
    "name",
    "template",
    "parameters",
    "mode",
    "region",
    "fleet",
    "commands",
    "start",
    "steps",
    "timeout",
    "expect",
    "description",
];
const EXPECT_KEYS: [&str; 7] = [
    "status",
    "status_message",
    "outputs",
    "tasks",
    "runs",
    "cloud",
    "inbox",
];
const LETTER_KEYS: [&str; 5] = ["kind", "task", "method", "url", "body"];
const LETTER_KINDS: [&str; 3] = ["Notify", "Approve", "HttpRequest"];
const RUN_KEYS: [&str; 4] = ["status", "status_message", "outputs", "tasks"];
const TASK_KEYS: [&str; 5] = ["status", "status_message", "outputs", "items", "item_count"];
const STEP_KEYS: [&str; 5] = ["advance", "event", "metric", "alarm_rule", "approve"];
const ASSERTION_KEYS: [&str; 5] = ["count", "all", "any", "none", "per"];
const MODES: [&str; 3] = ["Automatic", "FailurePause", "Debug"];
/// Task statuses a spec may expect (`NotRun`: the task never ran).
const TASK_STATUSES: [&str; 9] = [
    "Success",
    "Failed",
    "Running",
    "Waiting",
    "Skipped",
    "Cancelled",
    "Queued",
    "NotRun",
    "Pending",
];

/// Reads and checks the spec file at `path`.
pub fn read_file(path: &Path) -> Result<SpecFile, SpecError> {
    let text = read_bounded(path).map_err(|message| SpecError {
        file: path.to_path_buf(),
        position: None,
        code: codes::SYNTAX,
        path: KeyPath::root(),
        message,
    })?;
    read_text(path, &text)
}

/// Reads a spec's text; `path` is where it came from (relative paths in it are relative to its
/// directory).
pub fn read_text(path: &Path, text: &str) -> Result<SpecFile, SpecError> {
    let document = read_document(
        text,
        ParseOptions {
            max_bytes: MAX_SPEC_BYTES,
        },
    )
    .map_err(|error| {
        let first = error.first;
        let position = first
            .line
            .zip(first.column)
            .map(|(line, column)| Position { line, column });
        SpecError {
            file: path.to_path_buf(),
            position,
            code: codes::SYNTAX,
            path: first.path,
            message: first.message,
        }
    })?;
    let reader = Reader {
        file: path,
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        map: &document.source_map,
    };
    reader.file(&document.value)
}

fn read_bounded(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?
        .len();
    if size > MAX_SPEC_BYTES as u64 {
        return Err(format!(
            "{} is {size} bytes; the limit is {MAX_SPEC_BYTES}",
            path.display()
        ));
    }
    std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))
}

struct Reader<'a> {
    file: &'a Path,
    dir: PathBuf,
    map: &'a SourceMap,
}

type Result2<T> = Result<T, SpecError>;

impl Reader<'_> {
    fn error(&self, code: &'static str, path: &KeyPath, message: impl Into<String>) -> SpecError {
        SpecError {
            file: self.file.to_path_buf(),
            position: self.map.position_of(path),
            code,
            path: path.clone(),
            message: message.into(),
        }
    }

    /// A mapping with only `known` keys.
    fn object<'v>(
        &self,
        value: &'v Value,
        path: &KeyPath,
        known: &[&str],
    ) -> Result2<&'v Map<String, Value>> {
        let map = value.as_object().ok_or_else(|| {
            self.error(
                codes::VALUE,
                path,
                format!("expected a mapping, found {}", kind_of(value)),
            )
        })?;
        if let Some(unknown) = map.keys().find(|key| !known.contains(&key.as_str())) {
            return Err(self.error(
                codes::UNKNOWN_FIELD,
                &path.key(unknown),
                format!(
                    "unknown field `{unknown}` (expected one of {})",
                    known.join(", ")
                ),
            ));
        }
        Ok(map)
    }

    fn string(&self, value: &Value, path: &KeyPath) -> Result2<String> {
        value.as_str().map(str::to_owned).ok_or_else(|| {
            self.error(
                codes::VALUE,
                path,
                format!("expected a string, found {}", kind_of(value)),
            )
        })
    }

    fn list<'v>(&self, value: &'v Value, path: &KeyPath) -> Result2<&'v Vec<Value>> {
        value.as_array().ok_or_else(|| {
            self.error(
                codes::VALUE,
                path,
                format!("expected a list, found {}", kind_of(value)),
            )
        })
    }

    fn matcher(&self, value: &Value, path: &KeyPath) -> Result2<Matcher> {
        Matcher::parse(value).map_err(|message| self.error(codes::VALUE, path, message))
    }

    fn duration(&self, value: &Value, path: &KeyPath) -> Result2<Duration> {
        let text = match value {
            Value::String(text) => text.clone(),
            other => {
                return Err(self.error(
                    codes::VALUE,
                    path,
                    format!(
                        "expected a duration like 10m or PT10M, found {}",
                        kind_of(other)
                    ),
                ));
            }
        };
        oos_expr::parse_duration(&text).map_err(|_| {
            self.error(
                codes::VALUE,
                path,
                format!("{text:?} is not a duration like 90s, 10m, 2h, 1d or PT10M"),
            )
        })
    }

    fn file(&self, value: &Value) -> Result2<SpecFile> {
        let root = KeyPath::root();
        let top = self.object(value, &root, &TOP_KEYS)?;
        let tests_path = root.key("tests");
        let tests = top.get("tests").ok_or_else(|| {
            self.error(
                codes::MISSING_FIELD,
                &root,
                "missing field `tests` (a list of test cases)",
            )
        })?;
        let tests = self.list(tests, &tests_path)?;
        if tests.is_empty() || tests.len() > MAX_CASES {
            return Err(self.error(
                codes::VALUE,
                &tests_path,
                format!(
                    "expected 1 to {MAX_CASES} test cases, found {}",
                    tests.len()
                ),
            ));
        }
        let mut names = HashSet::new();
        let mut cases = Vec::with_capacity(tests.len());
        for (index, case) in tests.iter().enumerate() {
            let path = tests_path.index(index);
            let case = self.case(top, case, &path)?;
            if !names.insert(case.name.clone()) {
                return Err(self.error(
                    codes::VALUE,
                    &path.key("name"),
                    format!("another test case is named {:?}", case.name),
                ));
            }
            cases.push(case);
        }
        Ok(SpecFile {
            path: self.file.to_path_buf(),
            cases,
        })
    }

    /// A case's value of `key`, else the file's default, with the path it was found at.
    fn setting<'v>(
        &self,
        top: &'v Map<String, Value>,
        case: &'v Map<String, Value>,
        path: &KeyPath,
        key: &str,
    ) -> Option<(&'v Value, KeyPath)> {
        case.get(key)
            .map(|value| (value, path.key(key)))
            .or_else(|| top.get(key).map(|value| (value, KeyPath::root().key(key))))
    }

    fn case(&self, top: &Map<String, Value>, value: &Value, path: &KeyPath) -> Result2<Case> {
        let case = self.object(value, path, &CASE_KEYS)?;
        let name = case
            .get("name")
            .ok_or_else(|| self.error(codes::MISSING_FIELD, path, "missing field `name`"))?;
        let name = self.string(name, &path.key("name"))?;
        let (template_name, template) = match self.setting(top, case, path, "template") {
            Some((value, at)) => self.template(value, &at)?,
            None => {
                return Err(self.error(
                    codes::MISSING_FIELD,
                    path,
                    "missing field `template` (here or at the top of the file)",
                ));
            }
        };
        let parameters = match case.get("parameters") {
            Some(value) => value.as_object().cloned().ok_or_else(|| {
                self.error(
                    codes::VALUE,
                    &path.key("parameters"),
                    "expected a mapping of parameter names to values",
                )
            })?,
            None => Map::new(),
        };
        let mode = match case.get("mode") {
            Some(value) => {
                let mode = self.string(value, &path.key("mode"))?;
                MODES
                    .iter()
                    .find(|known| known.eq_ignore_ascii_case(&mode))
                    .map(|known| (*known).to_owned())
                    .ok_or_else(|| {
                        self.error(
                            codes::VALUE,
                            &path.key("mode"),
                            format!(
                                "unknown mode {mode:?} (expected one of {})",
                                MODES.join(", ")
                            ),
                        )
                    })?
            }
            None => MODES[0].to_owned(),
        };
        let region = match self.setting(top, case, path, "region") {
            Some((value, at)) => self.string(value, &at)?,
            None => DEFAULT_REGION.to_owned(),
        };
        let fleet = self.fleet(top, case, path)?;
        let start_ms = match self.setting(top, case, path, "start") {
            Some((value, at)) => {
                let text = self.string(value, &at)?;
                text.parse::<jiff::Timestamp>().map_err(|error| self.error(codes::VALUE, &at, format!("{text:?} is not an RFC 3339 time like 2026-01-05T07:55:00Z: {error}")))?.as_millisecond()
            }
            None => DEFAULT_START_MS,
        };
        let steps = match case.get("steps") {
            Some(value) => self.steps(value, &path.key("steps"))?,
            None => Vec::new(),
        };
        let timeout = match case.get("timeout") {
            Some(value) => self.duration(value, &path.key("timeout"))?,
            None => DEFAULT_TIMEOUT,
        };
        let expect = case
            .get("expect")
            .ok_or_else(|| self.error(codes::MISSING_FIELD, path, "missing field `expect`"))?;
        let expect = self.expect(expect, &path.key("expect"))?;
        Ok(Case {
            name,
            template_name,
            template,
            parameters,
            mode,
            region,
            fleet,
            start_ms,
            steps,
            timeout,
            expect,
            library: self.dir.clone(),
        })
    }

    /// The template: a path relative to the spec, or inline. Checked as `oos template validate` would.
    fn template(&self, value: &Value, path: &KeyPath) -> Result2<(String, String)> {
        let (name, text) = match value {
            Value::String(relative) => {
                let file = self.dir.join(relative);
                let text = read_bounded(&file)
                    .map_err(|message| self.error(codes::TEMPLATE, path, message))?;
                let name = file
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .unwrap_or("template")
                    .to_owned();
                (name, text)
            }
            Value::Object(_) => ("inline".to_owned(), value.to_string()),
            other => {
                return Err(self.error(
                    codes::VALUE,
                    path,
                    format!(
                        "expected a template file name or an inline template, found {}",
                        kind_of(other)
                    ),
                ));
            }
        };
        oos_template::parse(&text)
            .map_err(|error| self.error(codes::TEMPLATE, path, error.to_string()))?;
        Ok((name, text))
    }

    /// The fleet seed (inline or a file) with the `commands` of the case and of the file added.
    fn fleet(
        &self,
        top: &Map<String, Value>,
        case: &Map<String, Value>,
        path: &KeyPath,
    ) -> Result2<FleetSeed> {
        let (mut seed, at) = match self.setting(top, case, path, "fleet") {
            Some((Value::String(relative), at)) => {
                let file = self.dir.join(relative);
                let text = read_bounded(&file)
                    .map_err(|message| self.error(codes::FLEET, &at, message))?;
                let value: Value = read_document(
                    &text,
                    ParseOptions {
                        max_bytes: MAX_SPEC_BYTES,
                    },
                )
                .map_err(|error| {
                    self.error(codes::FLEET, &at, format!("{}: {error}", file.display()))
                })?
                .value;
                (value, at)
            }
            Some((value @ Value::Object(_), at)) => (value.clone(), at),
            Some((other, at)) => {
                return Err(self.error(
                    codes::VALUE,
                    &at,
                    format!(
                        "expected a fleet seed (a mapping) or a seed file name, found {}",
                        kind_of(other)
                    ),
                ));
            }
            None => (Value::Object(Map::new()), path.clone()),
        };
        let mut commands = Vec::new();
        for (value, at) in [
            (case.get("commands"), path.key("commands")),
            (top.get("commands"), KeyPath::root().key("commands")),
        ] {
            if let Some(value) = value {
                commands.extend(self.list(value, &at)?.iter().cloned());
            }
        }
        if !commands.is_empty()
            && let Value::Object(map) = &mut seed
        {
            let listed = map
                .entry("commands")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(existing) = listed {
                commands.append(existing);
                *existing = commands;
            }
        }
        serde_json::from_value(seed)
            .map_err(|error| self.error(codes::FLEET, &at, format!("invalid fleet seed: {error}")))
    }

    fn steps(&self, value: &Value, path: &KeyPath) -> Result2<Vec<Step>> {
        let list = self.list(value, path)?;
        if list.len() > MAX_STEPS {
            return Err(self.error(codes::VALUE, path, format!("at most {MAX_STEPS} steps")));
        }
        list.iter()
            .enumerate()
            .map(|(index, step)| self.step(step, &path.index(index)))
            .collect()
    }

    fn step(&self, value: &Value, path: &KeyPath) -> Result2<Step> {
        let map = self.object(value, path, &STEP_KEYS)?;
        let mut entries = map.iter();
        let (Some((key, argument)), None) = (entries.next(), entries.next()) else {
            return Err(self.error(
                codes::VALUE,
                path,
                format!("a step is one of {}, alone", STEP_KEYS.join(", ")),
            ));
        };
        let at = path.key(key);
        let one_or_many = |argument: &Value| match argument {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        Ok(match key.as_str() {
            "advance" => Step::Advance(self.duration(argument, &at)?),
            "event" => {
                let event = self.object(
                    argument,
                    &at,
                    &[
                        "id",
                        "product",
                        "name",
                        "level",
                        "regionId",
                        "resourceId",
                        "time",
                        "tags",
                        "content",
                    ],
                )?;
                for required in ["product", "name"] {
                    if !event.get(required).is_some_and(Value::is_string) {
                        return Err(self.error(
                            codes::VALUE,
                            &at,
                            format!("an event needs a string `{required}`"),
                        ));
                    }
                }
                let mut event = event.clone();
                event.entry("level").or_insert_with(|| Value::from("INFO"));
                Step::Event(Value::Object(event))
            }
            "metric" => {
                Step::Metrics(self.typed_list(&one_or_many(argument), &at, "metric value")?)
            }
            "alarm_rule" => {
                Step::AlarmRules(self.typed_list(&one_or_many(argument), &at, "alarm rule")?)
            }
            _ => Step::Approve(argument.as_bool().ok_or_else(|| {
                self.error(
                    codes::VALUE,
                    &at,
                    "expected true (approve) or false (reject)",
                )
            })?),
        })
    }

    fn typed_list<T: serde::de::DeserializeOwned>(
        &self,
        items: &[Value],
        path: &KeyPath,
        what: &str,
    ) -> Result2<Vec<T>> {
        items
            .iter()
            .map(|item| {
                serde_json::from_value(item.clone()).map_err(|error| {
                    self.error(codes::VALUE, path, format!("invalid {what}: {error}"))
                })
            })
            .collect()
    }

    fn expect(&self, value: &Value, path: &KeyPath) -> Result2<Expect> {
        let map = self.object(value, path, &EXPECT_KEYS)?;
        let execution = self.execution(map, path)?;
        let runs = match map.get("runs") {
            Some(value) => {
                let at = path.key("runs");
                let list = self.list(value, &at)?;
                Some(
                    list.iter()
                        .enumerate()
                        .map(|(index, run)| {
                            let at = at.index(index);
                            self.execution(self.object(run, &at, &RUN_KEYS)?, &at)
                        })
                        .collect::<Result2<Vec<_>>>()?,
                )
            }
            None => None,
        };
        let cloud = match map.get("cloud") {
            Some(value) => {
                let at = path.key("cloud");
                self.list(value, &at)?
                    .iter()
                    .enumerate()
                    .map(|(index, entry)| self.assertion(entry, &at.index(index)))
                    .collect::<Result2<Vec<_>>>()?
            }
            None => Vec::new(),
        };
        let inbox = match map.get("inbox") {
            Some(value) => {
                let at = path.key("inbox");
                Some(
                    self.list(value, &at)?
                        .iter()
                        .enumerate()
                        .map(|(index, letter)| self.letter(letter, &at.index(index)))
                        .collect::<Result2<Vec<_>>>()?,
                )
            }
            None => None,
        };
        Ok(Expect {
            execution,
            runs,
            cloud,
            inbox,
        })
    }

    fn letter(&self, value: &Value, path: &KeyPath) -> Result2<LetterExpect> {
        let map = self.object(value, path, &LETTER_KEYS)?;
        let mut letter = LetterExpect::default();
        for (key, expected) in map {
            let at = path.key(key);
            if key == "kind" {
                let kind = self.string(expected, &at)?;
                let known = LETTER_KINDS
                    .iter()
                    .find(|known| known.eq_ignore_ascii_case(&kind))
                    .ok_or_else(|| {
                        self.error(
                            codes::VALUE,
                            &at,
                            format!(
                                "unknown kind {kind:?} (expected one of {})",
                                LETTER_KINDS.join(", ")
                            ),
                        )
                    })?;
                letter.kind = Some((*known).to_owned());
            } else {
                letter
                    .fields
                    .push((key.clone(), self.matcher(expected, &at)?));
            }
        }
        Ok(letter)
    }

    fn execution(&self, map: &Map<String, Value>, path: &KeyPath) -> Result2<ExecutionExpect> {
        let status = match map.get("status") {
            Some(value) => {
                let at = path.key("status");
                let text = self.string(value, &at)?;
                Some(
                    oos_engine::ExecutionStatus::parse(&text)
                        .map(|status| status.to_string())
                        .ok_or_else(|| {
                            self.error(
                                codes::VALUE,
                                &at,
                                format!("unknown execution status {text:?}"),
                            )
                        })?,
                )
            }
            None => None,
        };
        let tasks = match map.get("tasks") {
            Some(value) => {
                let at = path.key("tasks");
                let tasks = value.as_object().ok_or_else(|| {
                    self.error(
                        codes::VALUE,
                        &at,
                        "expected a mapping of task names to statuses or expectations",
                    )
                })?;
                tasks
                    .iter()
                    .map(|(name, expected)| Ok((name.clone(), self.task(expected, &at.key(name))?)))
                    .collect::<Result2<Vec<_>>>()?
            }
            None => Vec::new(),
        };
        Ok(ExecutionExpect {
            status,
            status_message: map
                .get("status_message")
                .map(|value| self.matcher(value, &path.key("status_message")))
                .transpose()?,
            outputs: self.outputs(map.get("outputs"), &path.key("outputs"))?,
            tasks,
        })
    }

    fn outputs(&self, value: Option<&Value>, path: &KeyPath) -> Result2<Vec<(String, Matcher)>> {
        let Some(value) = value else {
            return Ok(Vec::new());
        };
        let map = value.as_object().ok_or_else(|| {
            self.error(
                codes::VALUE,
                path,
                "expected a mapping of output names to expected values",
            )
        })?;
        map.iter()
            .map(|(name, expected)| Ok((name.clone(), self.matcher(expected, &path.key(name))?)))
            .collect()
    }

    fn task_status(&self, value: &Value, path: &KeyPath) -> Result2<String> {
        let text = self.string(value, path)?;
        TASK_STATUSES
            .iter()
            .find(|known| known.eq_ignore_ascii_case(&text))
            .map(|known| (*known).to_owned())
            .ok_or_else(|| {
                self.error(
                    codes::VALUE,
                    path,
                    format!(
                        "unknown task status {text:?} (expected one of {})",
                        TASK_STATUSES.join(", ")
                    ),
                )
            })
    }

    fn task(&self, value: &Value, path: &KeyPath) -> Result2<TaskExpect> {
        if value.is_string() {
            return Ok(TaskExpect {
                status: Some(self.task_status(value, path)?),
                ..TaskExpect::default()
            });
        }
        let map = self.object(value, path, &TASK_KEYS)?;
        let items = match map.get("items") {
            Some(value) => {
                let at = path.key("items");
                let items = value.as_object().ok_or_else(|| {
                    self.error(
                        codes::VALUE,
                        &at,
                        "expected a mapping of loop items to statuses",
                    )
                })?;
                items
                    .iter()
                    .map(|(item, status)| {
                        Ok((item.clone(), self.task_status(status, &at.key(item))?))
                    })
                    .collect::<Result2<Vec<_>>>()?
            }
            None => Vec::new(),
        };
        Ok(TaskExpect {
            status: map
                .get("status")
                .map(|value| self.task_status(value, &path.key("status")))
                .transpose()?,
            status_message: map
                .get("status_message")
                .map(|value| self.matcher(value, &path.key("status_message")))
                .transpose()?,
            outputs: self.outputs(map.get("outputs"), &path.key("outputs"))?,
            items,
            item_count: map
                .get("item_count")
                .map(|value| self.matcher(value, &path.key("item_count")))
                .transpose()?,
        })
    }

    fn kind(&self, name: &str, path: &KeyPath) -> Result2<Kind> {
        Kind::named(name).ok_or_else(|| {
            let known: Vec<&str> = KINDS.iter().map(|kind| kind.name).collect();
            self.error(
                codes::VALUE,
                path,
                format!(
                    "unknown resource kind `{name}` (expected one of {})",
                    known.join(", ")
                ),
            )
        })
    }

    fn assertion(&self, value: &Value, path: &KeyPath) -> Result2<CloudAssertion> {
        let map = value.as_object().ok_or_else(|| {
            self.error(
                codes::VALUE,
                path,
                format!(
                    "expected a mapping like `instances: {{tags: {{env: dev}}}}`, found {}",
                    kind_of(value)
                ),
            )
        })?;
        let kinds: Vec<&String> = map
            .keys()
            .filter(|key| !ASSERTION_KEYS.contains(&key.as_str()))
            .collect();
        let [kind_key] = kinds.as_slice() else {
            let known: Vec<&str> = KINDS.iter().map(|kind| kind.name).collect();
            return Err(self.error(
                codes::VALUE,
                path,
                format!(
                    "an assertion names exactly one resource kind ({}) besides {}; found {}",
                    known.join(", "),
                    ASSERTION_KEYS.join(", "),
                    kinds.len()
                ),
            ));
        };
        let kind = self.kind(kind_key, &path.key(kind_key))?;
        let filter = |key: &str| {
            map.get(key)
                .map(|value| self.filter(value, &path.key(key)))
                .transpose()
        };
        let per = match map.get("per") {
            None => None,
            Some(Value::String(name)) => {
                Some((self.kind(name, &path.key("per"))?, Filter::default()))
            }
            Some(Value::Object(per)) if per.len() == 1 => {
                let (name, owner_filter) = per
                    .iter()
                    .next()
                    .map(|(name, value)| (name.clone(), value))
                    .unwrap_or_default();
                let at = path.key("per");
                Some((
                    self.kind(&name, &at.key(&name))?,
                    self.filter(owner_filter, &at.key(&name))?,
                ))
            }
            Some(_) => return Err(self.error(
                codes::VALUE,
                &path.key("per"),
                "expected a kind (`per: disks`) or one kind with a filter (`per: {disks: {…}}`)",
            )),
        };
        if let Some((owner, _)) = &per
            && kind.link_to(owner).is_none()
        {
            return Err(self.error(
                codes::VALUE,
                &path.key("per"),
                format!(
                    "{} do not belong to {} (links: snapshots → disks, disks → instances)",
                    kind.name, owner.name
                ),
            ));
        }
        Ok(CloudAssertion {
            kind,
            filter: self.filter(&map[kind_key.as_str()], &path.key(kind_key))?,
            count: map
                .get("count")
                .map(|value| self.matcher(value, &path.key("count")))
                .transpose()?,
            all: filter("all")?,
            any: filter("any")?,
            none: filter("none")?,
            per,
        })
    }

    fn filter(&self, value: &Value, path: &KeyPath) -> Result2<Filter> {
        if value.is_null() {
            return Ok(Filter::default());
        }
        let map = value.as_object().ok_or_else(|| {
            self.error(
                codes::VALUE,
                path,
                format!(
                    "expected a mapping of fields to expected values, found {}",
                    kind_of(value)
                ),
            )
        })?;
        let mut filter = Filter::default();
        for (field, expected) in map {
            let at = path.key(field);
            if field == "tags" {
                let tags = expected.as_object().ok_or_else(|| {
                    self.error(
                        codes::VALUE,
                        &at,
                        "expected a mapping of tag keys to values",
                    )
                })?;
                for (key, value) in tags {
                    filter
                        .tags
                        .push((key.clone(), self.matcher(value, &at.key(key))?));
                }
            } else {
                filter
                    .fields
                    .push((field.clone(), self.matcher(expected, &at)?));
            }
        }
        Ok(filter)
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests;
