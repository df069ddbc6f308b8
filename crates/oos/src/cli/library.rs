//! `oos library list|show|install`: the embedded library of common operations (`oos-library`):
//! list and show read it offline; install creates its templates on a server through the API
//! (CreateTemplate, or UpdateTemplate when the server's copy differs; an unchanged one is left alone).

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use oos_library::LibraryTemplate;
use serde_json::{Value, json};

use super::client::{ApiError, ClientArgs, Connection, params, print_list};

#[derive(Debug, Args)]
pub struct LibraryArgs {
    #[command(subcommand)]
    command: LibraryCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Subcommand)]
enum LibraryCommand {
    /// The library's templates: name and what each does.
    List,
    /// One template's YAML (`--spec`: its `oos test` spec instead).
    Show {
        name: String,
        #[arg(long)]
        spec: bool,
    },
    /// Create the templates on the server (all with `--all`); an unchanged template is left as
    /// it is, a changed one gets a new version.
    Install {
        names: Vec<String>,
        #[arg(long, conflicts_with = "names")]
        all: bool,
    },
}

pub fn run(args: LibraryArgs) -> anyhow::Result<ExitCode> {
    let output = args.client.output;
    match args.command {
        LibraryCommand::List => {
            let rows: Vec<Value> = oos_library::templates()
                .iter()
                .map(|template| json!({"TemplateName": template.name, "Description": oos_library::summary(template)}))
                .collect();
            print_list(output, &rows, &["TemplateName", "Description"]);
        }
        LibraryCommand::Show { name, spec } => {
            let template = named(&name)?;
            print!(
                "{}",
                if spec {
                    template.spec
                } else {
                    template.content
                }
            );
        }
        LibraryCommand::Install { names, all } => {
            let chosen: Vec<&LibraryTemplate> = match (all, names.is_empty()) {
                (true, _) => oos_library::templates().iter().collect(),
                (false, true) => bail!(
                    "InvalidParameter.TemplateName: name the templates to install, or pass --all"
                ),
                (false, false) => names
                    .iter()
                    .map(|name| named(name))
                    .collect::<anyhow::Result<_>>()?,
            };
            let connection = args.client.connect()?;
            let rows = chosen
                .into_iter()
                .map(|template| install(&connection, template))
                .collect::<anyhow::Result<Vec<_>>>()?;
            print_list(
                output,
                &rows,
                &["TemplateName", "TemplateVersion", "Result"],
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The library template `name` (exact name).
fn named(name: &str) -> anyhow::Result<&'static LibraryTemplate> {
    oos_library::find(name).ok_or_else(|| anyhow::anyhow!("EntityNotExists.Template: the library has no template {name:?} (see `oos library list`)"))
}

/// Creates `template` on the server, or updates it when the server's latest content differs.
fn install(connection: &Connection, template: &LibraryTemplate) -> anyhow::Result<Value> {
    let name = || ("TemplateName", Some(Value::from(template.name)));
    let content = || ("Content", Some(Value::from(template.content)));
    let (action, result) = match connection.call("GetTemplate", params([name()])) {
        Ok(current) if current["Content"].as_str() == Some(template.content) => {
            return Ok(row(template, &current, "unchanged"));
        }
        Ok(_) => ("UpdateTemplate", "updated"),
        Err(error)
            if error
                .downcast_ref::<ApiError>()
                .is_some_and(|error| error.code == "EntityNotExists.Template") =>
        {
            ("CreateTemplate", "installed")
        }
        Err(error) => return Err(error),
    };
    let answer = connection.call(action, params([name(), content()]))?;
    Ok(row(template, &answer, result))
}

fn row(template: &LibraryTemplate, answer: &Value, result: &str) -> Value {
    json!({"TemplateName": template.name, "TemplateVersion": answer["Template"]["TemplateVersion"], "Result": result})
}
