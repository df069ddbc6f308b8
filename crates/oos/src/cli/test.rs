//! `oos test PATH…`: runs the runbook test specs (`*.test.yml|yaml`) found in the files and
//! directories given, prints one line per case (with a diff for each failure) and, with `--junit`,
//! writes a JUnit XML report. Exit code 0 when every case passed, 1 when one failed, 2 when a spec
//! file could not be read.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use oos_runbook_test::report;

/// Run behaviour tests of runbooks (docs/runbook-tests.md).
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Spec files, or directories searched (recursively) for `*.test.yml` and `*.test.yaml`.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Also write a JUnit XML report to this file, for CI systems.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Run only the test cases whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
}

/// Runs `oos test`.
pub fn run(args: TestArgs) -> anyhow::Result<ExitCode> {
    let files = oos_runbook_test::discover(&args.paths).map_err(anyhow::Error::msg)?;
    if files.is_empty() {
        anyhow::bail!(
            "no spec files (*.test.yml, *.test.yaml) in {}",
            args.paths
                .iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let results = runtime.block_on(async {
        let mut results = Vec::with_capacity(files.len());
        for file in &files {
            let result = oos_runbook_test::run_file(file, args.only.as_deref()).await;
            print!("{}", report::text(&result));
            results.push(result);
        }
        results
    });
    let totals = report::totals(&results);
    println!("{}", report::summary(totals));
    if let Some(path) = &args.junit {
        std::fs::write(path, report::junit(&results))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(match totals {
        report::Totals { invalid: 1.., .. } => ExitCode::from(2),
        report::Totals { failed: 1.., .. } => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    })
}
