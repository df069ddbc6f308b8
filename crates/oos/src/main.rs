//! The `oos` binary: parses the command line and hands each subcommand to its module. Started as
//! `oos __isolate`, it is instead an isolated evaluator of template expressions (see `oos-isolate`),
//! which every other command uses for jq programs and Jinja expressions. Every other command logs
//! (tracing) to stderr, see `cli/process.rs`.

mod cli;

use std::sync::Arc;

use clap::Parser;

fn main() -> std::process::ExitCode {
    if std::env::args().nth(1).as_deref() == Some(oos_isolate::ARGUMENT) {
        return match oos_isolate::serve() {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(_) => std::process::ExitCode::FAILURE,
        };
    }
    let cli = cli::Cli::parse();
    // Not for the isolated evaluator above: its stdout carries its protocol, and it logs nothing.
    cli.init_logging();
    match oos_isolate::Pool::of_current_exe() {
        Ok(pool) => {
            oos_expr::isolation::install(Arc::new(pool));
        }
        Err(error) => tracing::warn!(%error, "template expressions run in-process: no isolated evaluator"),
    }
    cli::run(cli)
}
