//! Command-line surface of `oos`: one module per subcommand family.

mod api;
mod emulator;
mod execution;
mod iam;
mod run;
mod server;
mod sandbox;
mod template;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// OpenOOS: self-hosted, OOS-compatible operation orchestration.
#[derive(Debug, Parser)]
#[command(name = "oos", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version and exit.
    Version,
    /// Call one Alibaba Cloud OpenAPI (or the emulator) and print the JSON answer.
    Api(api::ApiArgs),
    /// Serve a local ECS-compatible cloud (instances, disks, snapshots, images, security groups, EIPs).
    Emulator(emulator::EmulatorArgs),
    /// Offline RAM-style policy tools: `oos iam policy validate|simulate|generate`, `oos iam action`.
    Iam(iam::IamArgs),
    /// Run a template in-process on the embedded store: `oos run TEMPLATE -p Key=Value …`.
    Run(run::RunArgs),
    /// Inspect and steer executions: `oos execution list|show|tasks|logs|cancel|notify`.
    Execution(execution::ExecutionArgs),
    /// Serve the OOS-compatible API with the engine in-process: `oos server [--listen ADDR] [--data-dir DIR] [--sandbox]`.
    Server(server::ServerArgs),
    /// Work with template files: `oos template validate FILE...`.
    Template(template::TemplateArgs),
}

/// Runs one parsed command line and turns its outcome into the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Api(args) => api::run(args).unwrap_or_else(|error| {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }),
        Command::Emulator(args) => emulator::run(args).unwrap_or_else(|error| {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }),
        Command::Iam(args) => iam::run(args).unwrap_or_else(|error| {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }),
        Command::Run(args) => run::run(args).unwrap_or_else(|error| {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }),
        Command::Execution(args) => execution::run(args).unwrap_or_else(|error| {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }),
        Command::Server(args) => server::run(args).unwrap_or_else(|error| {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }),
        Command::Template(args) => template::run(args).unwrap_or_else(|error| {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }),
        Command::Version => {
            println!("oos {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
    }
}
