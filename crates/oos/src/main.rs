//! The `oos` binary: parses the command line and hands each subcommand to its module. Started as
//! `oos __isolate`, it is instead an isolated evaluator of template expressions (see `oos-isolate`),
//! which every other command uses for jq programs and Jinja expressions.

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
    match oos_isolate::Pool::of_current_exe() {
        Ok(pool) => {
            oos_expr::isolation::install(Arc::new(pool));
        }
        Err(error) => eprintln!("warning: template expressions run in-process (no isolated evaluator: {error})"),
    }
    cli::run(cli::Cli::parse())
}
