//! `oos template create|update|get|list|versions|delete|validate-remote` against a server: CreateTemplate, UpdateTemplate,
//! GetTemplate, ListTemplates, ListTemplateVersions, DeleteTemplate, ValidateTemplateContent.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::Value;

use super::client::{Connection, Output, items, params, print_answer, print_list, print_object, read_text};

/// The template commands that need a server.
#[derive(Debug, Subcommand)]
pub enum ServerTemplateCommand {
    /// CreateTemplate from a file (JSON or YAML).
    Create {
        name: String,
        #[arg(long)]
        file: PathBuf,
        /// Tags as a JSON object, e.g. '{"team":"ops"}'.
        #[arg(long)]
        tags: Option<String>,
        #[arg(long)]
        version_name: Option<String>,
    },
    /// UpdateTemplate: a new version from a file.
    Update {
        name: String,
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        version_name: Option<String>,
    },
    /// GetTemplate: the template's attributes (`--content`: only its content).
    Get {
        name: String,
        /// A version such as `v1`; default: the latest.
        #[arg(long)]
        template_version: Option<String>,
        /// Print the content alone.
        #[arg(long)]
        content: bool,
    },
    /// ListTemplates of the account, and the installed library (`oos library install`).
    List {
        /// Only names containing this.
        #[arg(long)]
        name: Option<String>,
        /// `Private` (the account's own) or `Public` (the library's).
        #[arg(long, value_parser = ["Private", "Public"])]
        share_type: Option<String>,
    },
    /// ListTemplateVersions of one template.
    Versions { name: String },
    /// DeleteTemplate.
    Delete { name: String },
    /// ValidateTemplateContent on the server: its tasks, parameters, outputs and RamRole.
    ValidateRemote { file: PathBuf },
}

const TEMPLATE_COLUMNS: &[&str] = &["TemplateName", "TemplateVersion", "ShareType", "Description", "CreatedBy", "UpdatedDate"];
const VERSION_COLUMNS: &[&str] = &["TemplateVersion", "VersionName", "Description", "UpdatedBy", "UpdatedDate"];

/// Runs one template command on the server behind `connection`.
pub fn run(connection: &Connection, command: ServerTemplateCommand, output: Output) -> anyhow::Result<ExitCode> {
    let text = |value: Option<String>| value.map(Value::String);
    let name = |name: String| ("TemplateName", Some(Value::String(name)));
    match command {
        ServerTemplateCommand::Create { name: template, file, tags, version_name } => {
            let request = params([name(template), ("Content", text(Some(read_text(&file)?))), ("Tags", text(tags)), ("VersionName", text(version_name))]);
            print_object(output, &connection.call("CreateTemplate", request)?["Template"]);
        }
        ServerTemplateCommand::Update { name: template, file, version_name } => {
            let request = params([name(template), ("Content", text(Some(read_text(&file)?))), ("VersionName", text(version_name))]);
            print_object(output, &connection.call("UpdateTemplate", request)?["Template"]);
        }
        ServerTemplateCommand::Get { name: template, template_version, content } => {
            let answer = connection.call("GetTemplate", params([name(template), ("TemplateVersion", text(template_version))]))?;
            if content {
                println!("{}", answer["Content"].as_str().unwrap_or_default());
            } else {
                print_object(output, &answer["Template"]);
            }
        }
        ServerTemplateCommand::List { name: contains, share_type } => {
            let answer = connection.call("ListTemplates", params([("TemplateName", text(contains)), ("ShareType", text(share_type))]))?;
            print_list(output, &items(&answer, &["Templates"]), TEMPLATE_COLUMNS);
        }
        ServerTemplateCommand::Versions { name: template } => {
            let answer = connection.call("ListTemplateVersions", params([name(template)]))?;
            print_list(output, &items(&answer, &["TemplateVersions"]), VERSION_COLUMNS);
        }
        ServerTemplateCommand::Delete { name: template } => {
            connection.call("DeleteTemplate", params([name(template.clone())]))?;
            println!("deleted template {template}");
        }
        ServerTemplateCommand::ValidateRemote { file } => {
            print_answer(output, connection.call("ValidateTemplateContent", params([("Content", text(Some(read_text(&file)?)))]))?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
