//! OpenOOS's own product-action templates (`ACS::ECS::StopInstance`, …), written for this project
//! and embedded in the binary, so that templates calling product actions run with no template
//! library configured.
//!
//! Entry points: [`builtin_templates`] (the embedded table), [`find_builtin`] (by name),
//! [`ProductActions`] and [`AfterLibrary`] (`oos_template::TemplateLibrary`s, for validation) and [`WithBuiltins`]
//! (an engine `TemplateSource` that falls back to these templates after another source).

mod library;
mod source;

pub use library::{AfterLibrary, ProductActions};
pub use source::WithBuiltins;

/// One embedded template: its action name and its YAML text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinTemplate {
    /// The action name, e.g. `ACS::ECS::StopInstance`.
    pub name: &'static str,
    /// The template text (YAML, `FormatVersion: OOS-2019-06-01`).
    pub content: &'static str,
}

/// Embeds `templates/ECS/ACS-ECS-<Name>.yml` under the name `ACS::ECS::<Name>`.
macro_rules! ecs_templates {
    ($($name:literal),* $(,)?) => {
        &[$(BuiltinTemplate {
            name: concat!("ACS::ECS::", $name),
            content: include_str!(concat!("../templates/ECS/ACS-ECS-", $name, ".yml")),
        }),*]
    };
}

static BUILTIN: &[BuiltinTemplate] = ecs_templates![
    "StartInstance",
    "StopInstance",
    "RebootInstance",
    "DeleteInstance",
    "RunInstances",
    "ModifyInstanceAttribute",
    "CreateSnapshot",
    "CreateImage",
    "CopyImage",
    "DeleteImage",
    "AttachDisk",
    "DetachDisk",
    "RunCommand",
    "InvokeCommand",
    "SendFile",
];

/// Every embedded template, in a stable order.
pub fn builtin_templates() -> &'static [BuiltinTemplate] {
    BUILTIN
}

/// The embedded template named `name` (ASCII case-insensitive, surrounding blanks ignored).
pub fn find_builtin(name: &str) -> Option<&'static BuiltinTemplate> {
    let name = name.trim();
    BUILTIN.iter().find(|template| template.name.eq_ignore_ascii_case(name))
}
