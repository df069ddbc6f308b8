//! Command-line surface of `oos`: one module per subcommand family.

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
}

/// Runs one parsed command line and turns its outcome into the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Version => {
            println!("oos {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
    }
}
