//! The `oos` binary: parses the command line and hands each subcommand to its module.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::run(cli::Cli::parse())
}
