//! OpenOOS's library of common operations: the `OpenOOS-*` runbook templates of the repository's
//! `library/` directory (one per use case, each with its `oos test` spec beside it), embedded in
//! the binary so that `oos library list|show|install` and the server work with no files around.
//!
//! Library templates are public: on a server they are listed with `ShareType` `Public`, and only
//! their exact embedded content can be stored under their names ([`is_library_name`], [`find`]).

/// One library runbook: its template name, its YAML text and its `oos test` spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LibraryTemplate {
    /// The template name, e.g. `OpenOOS-ECS-ScheduledStartStopByTag`.
    pub name: &'static str,
    /// The template (YAML, `FormatVersion: OOS-2019-06-01`).
    pub content: &'static str,
    /// Its behaviour tests (`<name>.test.yml`, docs/runbook-tests.md).
    pub spec: &'static str,
}

/// The prefix every library template name starts with, reserved for the library on a server.
pub const PREFIX: &str = "OpenOOS-";

/// Embeds `library/<Name>.yml` and `library/<Name>.test.yml` for each name.
macro_rules! library {
    ($($name:literal),* $(,)?) => {
        &[$(LibraryTemplate {
            name: $name,
            content: include_str!(concat!("../../../library/", $name, ".yml")),
            spec: include_str!(concat!("../../../library/", $name, ".test.yml")),
        }),*]
    };
}

static LIBRARY: &[LibraryTemplate] = library![
    "OpenOOS-ECS-ScheduledStartStopByTag",
    "OpenOOS-SLB-RollingRestart",
    "OpenOOS-SLB-RestartOneBackend",
    "OpenOOS-ECS-TemporarySecurityGroupRule",
    "OpenOOS-ECS-PreMigrationReadinessCheck",
    "OpenOOS-ECS-SnapshotBeforeChange",
    "OpenOOS-ECS-AlertRemediation",
    "OpenOOS-ECS-TagComplianceWithNotification",
    "OpenOOS-ECS-PostDeployHardening",
    "OpenOOS-ECS-MaintenanceWindowPatchRun",
    "OpenOOS-ECS-FleetDiagnosticsCollection",
    "OpenOOS-ECS-EnvironmentTeardown",
    "OpenOOS-ECS-SelfServiceOperation",
];

/// Every library template, in the order of the use cases.
pub fn templates() -> &'static [LibraryTemplate] {
    LIBRARY
}

/// The library template named exactly `name`.
pub fn find(name: &str) -> Option<&'static LibraryTemplate> {
    LIBRARY.iter().find(|template| template.name == name)
}

/// Whether `name` is in the library's reserved namespace (`OpenOOS-…`, any case), whether or not
/// a template of that name exists.
pub fn is_library_name(name: &str) -> bool {
    name.get(..PREFIX.len())
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(PREFIX))
}

/// The first sentence of the template's English description (for listings).
pub fn summary(template: &LibraryTemplate) -> String {
    let parsed = oos_template::parse(template.content).ok();
    let description = parsed
        .as_ref()
        .and_then(|parsed| parsed.description.as_ref())
        .and_then(|description| description.english())
        .unwrap_or_default();
    // A sentence ends at a full stop followed by a capital (so "e.g. a" does not end one).
    let end = description
        .match_indices(". ")
        .map(|(at, _)| at)
        .find(|&at| description[at + 2..].starts_with(|c: char| c.is_ascii_uppercase()));
    end.map_or(description, |at| &description[..=at])
        .trim()
        .to_owned()
}
