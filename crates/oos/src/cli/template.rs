//! `oos template …`: `validate` checks template files offline (located diagnostics); create, update, get,
//! list, versions and delete work on a server's templates (see [`super::template_client`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use oos_template::{DirectoryLibrary, ParseOptions, TemplateLibrary, ValidateOptions, Validation, validate};

use super::client::{ClientArgs, Output};
use super::template_client::ServerTemplateCommand;

#[derive(Debug, Args)]
pub struct TemplateArgs {
    #[command(subcommand)]
    command: TemplateCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Subcommand)]
enum TemplateCommand {
    /// Validate template files (JSON or YAML) like ValidateTemplateContent; exit 1 on any error.
    /// `--output table` (or `text`): `file:line:col: error[Code]: message (at Key.Path)`; `--output json`:
    /// per file its diagnostics, Parameters, Outputs and RamRole.
    Validate(ValidateArgs),
    #[command(flatten)]
    Server(ServerTemplateCommand),
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// Template files to validate.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Directories of templates for product actions and ACS::Template (`ACS::<Product>::<Name>`
    /// as `ACS::<Product>::<Name>.yml` or `ACS-<Product>-<Name>.json`…), found by the same rules
    /// as `oos run --library` (docs/cli.md); OpenOOS's own product actions come after them.
    #[arg(long = "library", env = "OOS_TEMPLATE_LIBRARY")]
    libraries: Vec<PathBuf>,
    /// Content size limit in bytes.
    #[arg(long, default_value_t = oos_template::DEFAULT_MAX_BYTES)]
    max_bytes: usize,
}

pub fn run(args: TemplateArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        TemplateCommand::Validate(validate) => run_validate(&validate, args.client.output),
        TemplateCommand::Server(command) => super::template_client::run(&args.client.connect()?, command, args.client.output),
    }
}

fn run_validate(args: &ValidateArgs, output: Output) -> anyhow::Result<ExitCode> {
    let directories = DirectoryLibrary::load_all(&args.libraries).with_context(|| format!("reading the template library {:?}", args.libraries))?;
    let library = oos_product_actions::AfterLibrary::new(directories);
    let options = ValidateOptions { parse: ParseOptions { max_bytes: args.max_bytes }, library: Some(&library as &dyn TemplateLibrary) };
    let mut failed = false;
    let mut reports = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let validation = validate(&text, &options);
        failed |= validation.has_errors();
        match output {
            Output::Table => print_text(file, &validation),
            Output::Json => reports.push(json_report(file, &validation)),
        }
    }
    if output == Output::Json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn print_text(file: &Path, validation: &Validation) {
    for diagnostic in &validation.diagnostics {
        match (diagnostic.line, diagnostic.column) {
            (Some(_), Some(_)) => println!("{}:{diagnostic}", file.display()),
            _ => println!("{}: {diagnostic}", file.display()),
        }
    }
    let errors = validation.errors().count();
    let warnings = validation.warnings().count();
    let verdict = if errors == 0 { "valid" } else { "invalid" };
    println!("{}: {verdict} ({errors} errors, {warnings} warnings)", file.display());
}

fn json_report(file: &Path, validation: &Validation) -> serde_json::Value {
    let mut report = serde_json::to_value(validation).unwrap_or_default();
    if let Some(map) = report.as_object_mut() {
        map.insert("File".to_owned(), file.display().to_string().into());
        map.insert("Valid".to_owned(), (!validation.has_errors()).into());
    }
    report
}
