//! Scripted results: the fleet seed's `commands` section says what a command "prints" and with
//! which exit code, so runbooks that run commands can be tried without executing anything
//! anywhere. The first entry whose pattern matches the command (after its parameters are filled
//! in) and whose `instances` include the target decides; without a match a command exits 0 with
//! no output.

use regex::Regex;
use serde::{Deserialize, Serialize};

/// One scripted result (a seed's `commands[]` item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedResult {
    /// The command must contain this text.
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// Or: the command must match this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// What the command prints; `{instance_id}` and `{instance_name}` are replaced per instance.
    #[serde(default)]
    pub output: String,
    #[serde(default)]
    pub exit_code: i64,
    /// Only these instances (default: every instance).
    #[serde(default)]
    pub instances: Vec<String>,
    /// How long the command runs on the emulator's clock (`2s`, `500ms`, `1m`); default one
    /// transition step. Longer than the invocation's `Timeout` ⇒ the command times out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// What a command does on one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scripted {
    pub output: String,
    pub exit_code: i64,
    /// Run time in ms, when scripted.
    pub duration_ms: Option<i64>,
}

impl ScriptedResult {
    /// Checks the entry: exactly one of `match`/`regex`, a valid regex and duration.
    pub fn validate(&self) -> Result<(), String> {
        match (&self.contains, &self.regex) {
            (Some(_), Some(_)) | (None, None) => {
                return Err("give exactly one of `match` (a substring) and `regex`".into());
            }
            (None, Some(pattern)) => {
                Regex::new(pattern).map_err(|error| format!("regex {pattern:?}: {error}"))?;
            }
            (Some(_), None) => {}
        }
        self.duration_ms().map(|_| ())
    }

    fn duration_ms(&self) -> Result<Option<i64>, String> {
        let Some(text) = &self.duration else {
            return Ok(None);
        };
        let duration: jiff::SignedDuration = text
            .parse()
            .map_err(|error| format!("duration {text:?}: {error} (write e.g. 2s, 500ms, 1m)"))?;
        if duration.is_negative() {
            return Err(format!("duration {text:?} is negative"));
        }
        Ok(Some(
            i64::try_from(duration.as_millis()).unwrap_or(i64::MAX),
        ))
    }

    fn matches(&self, command: &str, instance_id: &str) -> bool {
        let for_instance =
            self.instances.is_empty() || self.instances.iter().any(|id| id == instance_id);
        let text_matches = match (&self.contains, &self.regex) {
            (Some(needle), _) => command.contains(needle.as_str()),
            (None, Some(pattern)) => Regex::new(pattern).is_ok_and(|regex| regex.is_match(command)),
            (None, None) => false,
        };
        for_instance && text_matches
    }
}

/// The result of `command` on instance `instance_id` (named `instance_name`).
pub fn script_for(
    scripts: &[ScriptedResult],
    command: &str,
    instance_id: &str,
    instance_name: &str,
) -> Scripted {
    scripts
        .iter()
        .find(|script| script.matches(command, instance_id))
        .map_or(
            Scripted {
                output: String::new(),
                exit_code: 0,
                duration_ms: None,
            },
            |script| Scripted {
                output: script
                    .output
                    .replace("{instance_id}", instance_id)
                    .replace("{instance_name}", instance_name),
                exit_code: script.exit_code,
                duration_ms: script.duration_ms().ok().flatten(),
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(yaml: &str) -> ScriptedResult {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn the_first_matching_entry_decides() {
        let scripts = vec![
            entry("{match: uname, output: 'Linux {instance_id}', instances: [i-a]}"),
            entry("{regex: '^df\\b', output: full, exit_code: 3, duration: 500ms}"),
            entry("{match: uname, output: other}"),
        ];
        assert_eq!(
            script_for(&scripts, "uname -a", "i-a", "a").output,
            "Linux i-a"
        );
        assert_eq!(script_for(&scripts, "uname -a", "i-b", "b").output, "other");
        let df = script_for(&scripts, "df -h", "i-b", "b");
        assert_eq!((df.exit_code, df.duration_ms), (3, Some(500)));
        assert_eq!(
            script_for(&scripts, "ls", "i-b", "b"),
            Scripted {
                output: String::new(),
                exit_code: 0,
                duration_ms: None
            }
        );
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(entry("{output: x}").validate().is_err());
        assert!(entry("{match: a, regex: b}").validate().is_err());
        assert!(entry("{regex: '('}").validate().is_err());
        assert!(entry("{match: a, duration: soon}").validate().is_err());
        assert!(entry("{match: a, duration: 2s}").validate().is_ok());
    }
}
