//! `oos admin migrate-store`: moves an embedded installation (the store of a data directory) into an
//! empty PostgreSQL database (`backup` and `restore` are [`super::backup`]'s). The copy and its verification are `oos_store::transfer`; this module
//! holds the data directory's worker lock (no server may run on it meanwhile), shows the progress on
//! stderr and prints the verified report, never the URL's password.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use oos_server::bootstrap::MASTER_KEY_FILE;
use oos_store::postgres::{PgSettings, redacted_url};
use oos_store::sqlite::Durability;
use oos_store::transfer::{self, Progress, TransferReport};
use oos_store::{Close, PgStore, SqliteStore, StoreError};

use super::client::print_table;
use super::run::DataDirArgs;

/// Administration of an installation.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AdminCommand {
    /// Copy the data directory's store into an empty PostgreSQL database and verify the copy (stop
    /// `oos server` first): `oos admin migrate-store --data-dir DIR --to postgres://USER:PASSWORD@HOST/DB`.
    MigrateStore(MigrateStoreArgs),
    /// Write a consistent backup of an installation while its server runs: `oos admin backup
    /// --data-dir DIR --to FILE` (one tar file: the store and its key files), or `--database
    /// postgres://…` (pg_dump).
    Backup(super::backup::BackupArgs),
    /// Restore a backup into a new data directory after verifying it: `oos admin restore --from FILE --data-dir NEWDIR`.
    Restore(super::backup::RestoreArgs),
}

#[derive(Debug, clap::Args)]
struct MigrateStoreArgs {
    #[command(flatten)]
    data: DataDirArgs,
    /// The PostgreSQL database to fill, `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (created when
    /// missing; it must hold no rows). Prefer the environment variable: arguments are visible to other users.
    #[arg(long, value_name = "URL", env = "OOS_DATABASE_URL", hide_env_values = true)]
    to: String,
}

pub fn run(args: AdminArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AdminCommand::MigrateStore(args) => migrate_store(&args),
        AdminCommand::Backup(args) => super::backup::backup(&args),
        AdminCommand::Restore(args) => super::backup::restore(&args),
    }
}

fn migrate_store(args: &MigrateStoreArgs) -> anyhow::Result<ExitCode> {
    let dir = args.data.data_dir.as_path();
    // Opening a directory without a store would create an empty one, and migrate nothing.
    if !SqliteStore::exists(dir) {
        bail!("MigrateStore.DataDirMissing: {} holds no store; give the installation's --data-dir", dir.display());
    }
    let target_name = redacted_url(&args.to);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let source = SqliteStore::open(dir, Durability::Normal).await.map_err(|e| anyhow!("MigrateStore.DataDir: {e}"))?;
        let lock = match source.try_worker_lock() {
            Ok(lock) => lock,
            Err(StoreError::Busy(_)) => {
                bail!("MigrateStore.DataDirBusy: {} is in use by another oos process; stop `oos server` (or `oos run`) on it first", dir.display())
            }
            Err(error) => bail!("MigrateStore.DataDir: {error}"),
        };
        let target = PgStore::open(&args.to, &PgSettings::default()).await.map_err(|e| anyhow!("MigrateStore.Database: {target_name}: {e}"))?;
        eprintln!("migrating {} to {target_name}", dir.display());
        let mut shown = Shown::default();
        let outcome = transfer::migrate(&source, &lock, &target, &mut |event| shown.show(event)).await;
        target.close().await;
        source.close().await;
        let report = outcome.map_err(|error| anyhow!("{}: {error}", error.code()))?;
        print_report(&report, dir, &target_name);
        Ok(ExitCode::SUCCESS)
    })
}

/// The progress on stderr: a bar per table while it is copied (on a terminal), a line when it is done.
#[derive(Default)]
struct Shown {
    bar: Option<ProgressBar>,
    verifying: bool,
}

impl Shown {
    fn show(&mut self, event: Progress) {
        match event {
            Progress::Copying { table, rows } => {
                let style = ProgressStyle::with_template("{msg:>22} {bar:40} {pos}/{len} rows").unwrap_or_else(|_| ProgressStyle::default_bar());
                self.bar = Some(ProgressBar::new(rows.unsigned_abs()).with_style(style).with_message(table));
                if rows == 0 {
                    self.copied(table, 0);
                }
            }
            Progress::Copied { table, done, rows } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(done.unsigned_abs());
                }
                if done >= rows {
                    self.copied(table, done);
                }
            }
            Progress::Committing => eprintln!("committing"),
            Progress::Verifying { .. } if !self.verifying => {
                self.verifying = true;
                eprintln!("verifying: every table read back on both sides");
            }
            Progress::Verifying { .. } => {}
            Progress::VerifyingAudit => eprintln!("verifying: the audit chain"),
        }
    }

    fn copied(&mut self, table: &str, rows: i64) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!("copied {table}: {rows} rows");
    }
}

/// The verified tables, the audit head, and what the operator must do next.
fn print_report(report: &TransferReport, dir: &Path, target_name: &str) {
    println!("migrated {} to {target_name}: verified", dir.display());
    let rows = report
        .tables
        .iter()
        .map(|table| {
            let how = if table.copied { "copied" } else { "written by the target's trigger" };
            vec![table.table.to_owned(), table.rows.to_string(), table.digest.clone(), how.to_owned()]
        })
        .collect();
    print_table(&["Table", "Rows", "SHA-256 (both sides)", "How"], rows);
    let audit = &report.audit;
    println!("audit trail intact: {} records, head seq {} hash {}", audit.records, audit.head_seq, audit.head_hash);
    let key = dir.join(MASTER_KEY_FILE);
    if key.is_file() {
        println!(
            "next: give every `oos server` and `oos worker` on this database the master key {} (copy it, mode 0600, into its \
             --data-dir, or name it with --master-key-file): secret parameters and IAM AccessKey secrets are sealed with it",
            key.display()
        );
    } else {
        println!("note: {} has no {MASTER_KEY_FILE}, so nothing in the store is sealed", dir.display());
    }
}
