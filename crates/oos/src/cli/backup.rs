//! `oos admin backup|restore`: an embedded installation carried in one tar file, taken while a
//! server runs on it. The archive holds `MANIFEST.json` first (format, version, each file's size
//! and SHA-256, the audit chain's head), then the database — a consistent snapshot
//! (`oos_store::sqlite::backup::snapshot`, `VACUUM INTO`) — and the data directory's key files: the
//! master key that seals secrets, the root credentials and a self-signed TLS pair when present.
//! A restore verifies everything (sizes, digests, SQLite's integrity check, the audit chain and its
//! head, the master key against the store) in a staging directory before it moves it into place.
//! No secret is printed. On PostgreSQL the backup is `pg_dump`'s ([`dump_postgres`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use oos_server::KeyFiles;
use oos_server::bootstrap::{MASTER_KEY_FILE, ROOT_CREDENTIALS_FILE};
use oos_store::postgres::{redacted_url, without_password};
use oos_store::sqlite::{DATABASE_FILE, Durability, backup};
use oos_store::{AuditStore, Close, ServerStore, SqliteStore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::run::DataDirArgs;

/// The archive's first member.
const MANIFEST: &str = "MANIFEST.json";
/// What the manifest's `format` says.
const FORMAT: &str = "openoos-backup/1";
/// The key files of a data directory a restore needs besides the database (those present are taken).
const KEY_FILES: [&str; 3] = [ROOT_CREDENTIALS_FILE, "tls-cert.pem", "tls-key.pem"];

/// `oos admin backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    data: DataDirArgs,
    /// The master key file, when it is not <data-dir>/master.key.
    #[arg(long, env = "OOS_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// Back up this PostgreSQL database (postgres://…) with pg_dump instead of the data directory's store.
    #[arg(long = "database", env = "OOS_DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    /// The backup file to write (must not exist; written with mode 0600).
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
}

/// `oos admin restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A file written by `oos admin backup`.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// The data directory to create (absent or empty).
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
}

/// What the archive says of itself.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    oos_version: String,
    created_ms: i64,
    files: Vec<Member>,
    audit: AuditHead,
}

#[derive(Debug, Serialize, Deserialize)]
struct Member {
    name: String,
    bytes: u64,
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct AuditHead {
    records: i64,
    head_seq: i64,
    head_hash: String,
}

pub fn backup(args: &BackupArgs) -> anyhow::Result<ExitCode> {
    if args.to.exists() {
        bail!("Backup.TargetExists: {} exists; name a new file", args.to.display());
    }
    if let Some(url) = &args.database {
        return dump_postgres(url, &args.to);
    }
    let dir = args.data.data_dir.as_path();
    if !SqliteStore::exists(dir) {
        bail!("Backup.DataDirMissing: {} holds no store; give the installation's --data-dir", dir.display());
    }
    let master_key = args.master_key_file.clone().unwrap_or_else(|| dir.join(MASTER_KEY_FILE));
    if !master_key.is_file() {
        bail!("Backup.MasterKeyMissing: no master key at {}; name it with --master-key-file (a backup without it cannot open the secrets)", master_key.display());
    }
    let staging = Staging::create(&sibling(&args.to, "partial"), "Backup.Failed")?;
    let runtime = runtime()?;
    let manifest = runtime.block_on(async {
        backup::snapshot(dir, &staging.0.join(DATABASE_FILE)).await.map_err(|e| anyhow!("Backup.Failed: snapshot of {}: {e}", dir.display()))?;
        let audit = audit_head(&staging.0, "Backup.Failed").await?;
        let mut files = vec![(DATABASE_FILE, staging.0.join(DATABASE_FILE)), (MASTER_KEY_FILE, master_key.clone())];
        files.extend(KEY_FILES.iter().map(|name| (*name, dir.join(name))).filter(|(_, path)| path.is_file()));
        let files = files.into_iter().map(|(name, path)| member(name, &path)).collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::Ok(Manifest { format: FORMAT.into(), oos_version: env!("CARGO_PKG_VERSION").into(), created_ms: now_ms(), files, audit })
    })?;
    let partial = sibling(&args.to, "tmp");
    let written = write_archive(&partial, &manifest, |name| if name == MASTER_KEY_FILE { master_key.clone() } else if name == DATABASE_FILE { staging.0.join(name) } else { dir.join(name) });
    if let Err(error) = written.and_then(|()| fs::rename(&partial, &args.to).context("moving the archive into place")) {
        let _ = fs::remove_file(&partial);
        bail!("Backup.Failed: writing {}: {error:#}", args.to.display());
    }
    println!("backed up {} to {}", dir.display(), args.to.display());
    for file in &manifest.files {
        println!("  {:<22} {:>12} bytes", file.name, file.bytes);
    }
    let audit = &manifest.audit;
    println!("audit trail intact: {} records, head seq {} hash {}", audit.records, audit.head_seq, audit.head_hash);
    println!("note: the file holds the master key and the root AccessKey (mode 0600): keep it as safe as they are");
    Ok(ExitCode::SUCCESS)
}

pub fn restore(args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    let target = args.data_dir.as_path();
    if target.exists() && fs::read_dir(target).map(|mut entries| entries.next().is_some()).unwrap_or(true) {
        bail!("Restore.TargetNotEmpty: {} exists and is not an empty directory; restore into a new one", target.display());
    }
    let archive = File::open(&args.from).with_context(|| format!("Restore.NotABackup: opening {}", args.from.display()))?;
    let staging = Staging::create(&sibling(target, "restoring"), "Restore.Failed")?;
    let manifest = extract(archive, &staging.0)?;
    let problems = runtime()?.block_on(backup::integrity(&staging.0.join(DATABASE_FILE))).map_err(|e| anyhow!("Restore.Corrupt: {DATABASE_FILE}: {e}"))?;
    if !problems.is_empty() {
        bail!("Restore.Corrupt: {DATABASE_FILE} fails SQLite's integrity check: {}", problems.join("; "));
    }
    runtime()?.block_on(async {
        let audit = audit_head(&staging.0, "Restore.Corrupt").await?;
        if audit != manifest.audit {
            bail!("Restore.AuditMismatch: the restored audit trail ends at seq {} hash {}, the backup's at seq {} hash {}", audit.head_seq, audit.head_hash, manifest.audit.head_seq, manifest.audit.head_hash);
        }
        check_master_key(&staging.0).await
    })?;
    if target.exists() {
        fs::remove_dir(target).with_context(|| format!("Restore.Failed: replacing the empty {}", target.display()))?;
    }
    fs::rename(&staging.0, target).with_context(|| format!("Restore.Failed: moving the restored files to {}", target.display()))?;
    println!("restored {} into {} (taken by oos {} at unix ms {})", args.from.display(), target.display(), manifest.oos_version, manifest.created_ms);
    let audit = &manifest.audit;
    println!("audit trail intact: {} records, head seq {} hash {}", audit.records, audit.head_seq, audit.head_hash);
    println!("next: oos server --data-dir {} (executions the backup shows unfinished go on from where it was taken)", target.display());
    Ok(ExitCode::SUCCESS)
}

/// `pg_dump --format=custom` of `url` into `to` (the password goes in the environment, not the
/// command line). The master key is a file outside the database: back it up on its own.
fn dump_postgres(url: &str, to: &Path) -> anyhow::Result<ExitCode> {
    let (url_alone, password) = without_password(url);
    let mut command = Command::new("pg_dump");
    command.args(["--format=custom", "--no-owner", "--file"]).arg(to).arg("--dbname").arg(&url_alone);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let status = match command.status() {
        Ok(status) => status,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!("Backup.PgDumpMissing: pg_dump is not on the PATH; install PostgreSQL's client tools (docs/operations.md, \"Backup and restore\")"),
        Err(error) => bail!("Backup.PgDumpFailed: running pg_dump: {error}"),
    };
    if !status.success() {
        let _ = fs::remove_file(to);
        bail!("Backup.PgDumpFailed: pg_dump of {} ended with {status}", redacted_url(url));
    }
    println!("dumped {} to {} (pg_dump custom format; restore with pg_restore)", redacted_url(url), to.display());
    println!("note: the master key file is not in the database: back it up apart (docs/operations.md, \"The master key\")");
    Ok(ExitCode::SUCCESS)
}

/// Reads the archive into `dir`, checking every member against the manifest.
fn extract(archive: File, dir: &Path) -> anyhow::Result<Manifest> {
    let mut archive = tar::Archive::new(archive);
    let mut entries = archive.entries().context("Restore.NotABackup: reading the archive")?;
    let mut first = entries.next().ok_or_else(|| anyhow!("Restore.NotABackup: the file is empty"))?.context("Restore.NotABackup: reading the archive")?;
    let named = first.path().ok().is_some_and(|path| path.as_os_str() == MANIFEST);
    let mut text = String::new();
    if !named || first.read_to_string(&mut text).is_err() {
        bail!("Restore.NotABackup: the file does not start with an OpenOOS backup's {MANIFEST}");
    }
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| anyhow!("Restore.NotABackup: {MANIFEST}: {e}"))?;
    if manifest.format != FORMAT {
        bail!("Restore.NotABackup: format {:?}, this oos reads {FORMAT}", manifest.format);
    }
    let allowed = |name: &str| name == DATABASE_FILE || name == MASTER_KEY_FILE || KEY_FILES.contains(&name);
    let mut restored = Vec::new();
    for entry in entries {
        let mut entry = entry.context("Restore.Corrupt: reading the archive")?;
        let name = entry.path().ok().and_then(|path| path.to_str().map(str::to_owned)).unwrap_or_default();
        let Some(expected) = manifest.files.iter().find(|file| file.name == name && allowed(&name)) else {
            bail!("Restore.Corrupt: the archive holds {name:?}, which its manifest does not list");
        };
        if restored.contains(&name) {
            bail!("Restore.Corrupt: the archive holds {name} twice");
        }
        let (bytes, sha256) = copy_hashing(&mut entry, &dir.join(&name)).with_context(|| format!("Restore.Failed: writing {name}"))?;
        if bytes != expected.bytes || sha256 != expected.sha256 {
            bail!("Restore.Corrupt: {name} has {bytes} bytes with SHA-256 {sha256}; the manifest says {} bytes with {}", expected.bytes, expected.sha256);
        }
        restored.push(name);
    }
    if let Some(missing) = manifest.files.iter().find(|file| !restored.contains(&file.name)) {
        bail!("Restore.Corrupt: the archive ends without {}", missing.name);
    }
    if !restored.iter().any(|name| name == DATABASE_FILE) || !restored.iter().any(|name| name == MASTER_KEY_FILE) {
        bail!("Restore.Corrupt: the archive lacks {DATABASE_FILE} or {MASTER_KEY_FILE}");
    }
    Ok(manifest)
}

/// The tar file at `path` (mode 0600): the manifest, then each member read from `source(name)`.
fn write_archive(path: &Path, manifest: &Manifest, source: impl Fn(&str) -> PathBuf) -> anyhow::Result<()> {
    let file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    let mut builder = tar::Builder::new(file);
    let text = serde_json::to_vec_pretty(manifest)?;
    builder.append_data(&mut header(text.len() as u64), MANIFEST, text.as_slice())?;
    for member in &manifest.files {
        let mut file = File::open(source(&member.name)).with_context(|| format!("reading {}", member.name))?;
        builder.append_data(&mut header(member.bytes), &member.name, (&mut file).take(member.bytes))?;
    }
    builder.into_inner()?.sync_all()?;
    Ok(())
}

fn header(bytes: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes);
    header.set_mode(0o600);
    header.set_mtime(u64::try_from(now_ms() / 1000).unwrap_or(0));
    header
}

/// A member's size and SHA-256 as the archive will hold it.
fn member(name: &str, path: &Path) -> anyhow::Result<Member> {
    let mut file = File::open(path).with_context(|| format!("Backup.Failed: reading {}", path.display()))?;
    let mut hashing = Hashing::new(io::sink());
    io::copy(&mut file, &mut hashing).with_context(|| format!("Backup.Failed: reading {}", path.display()))?;
    let (bytes, sha256) = hashing.finish();
    Ok(Member { name: name.into(), bytes, sha256 })
}

/// Copies `from` into the new file `to` (mode 0600), returning the bytes and their SHA-256.
fn copy_hashing(from: &mut impl Read, to: &Path) -> anyhow::Result<(u64, String)> {
    let mut hashing = Hashing::new(OpenOptions::new().write(true).create_new(true).mode(0o600).open(to)?);
    io::copy(from, &mut hashing)?;
    hashing.inner.sync_all()?;
    Ok(hashing.finish())
}

/// A writer that counts and hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Self { inner, hasher: Sha256::new(), bytes: 0 }
    }

    fn finish(self) -> (u64, String) {
        (self.bytes, hex::encode(self.hasher.finalize()))
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buffer)?;
        self.hasher.update(&buffer[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Walks the audit chain of the store in `dir`; `code` names a failure.
async fn audit_head(dir: &Path, code: &str) -> anyhow::Result<AuditHead> {
    let store = SqliteStore::open(dir, Durability::Normal).await.map_err(|e| anyhow!("{code}: opening the copied store: {e}"))?;
    let verified = store.verify_audit().await;
    store.close().await;
    let verified = verified.map_err(|e| anyhow!("{code}: reading the audit trail: {e}"))?;
    if let Some(broken) = verified.broken {
        bail!("{code}: the audit trail is broken at seq {}: {} ({})", broken.seq, broken.reason.as_str(), broken.detail);
    }
    Ok(AuditHead { records: verified.records, head_seq: verified.head_seq, head_hash: verified.head_hash })
}

/// The restored master key opens the restored store's check value (`MasterKey.Mismatch` otherwise).
async fn check_master_key(dir: &Path) -> anyhow::Result<()> {
    let store: Arc<dyn ServerStore> = Arc::new(SqliteStore::open(dir, Durability::Normal).await.map_err(|e| anyhow!("Restore.Corrupt: {e}"))?);
    let opened = oos_server::bootstrap::open_iam(&store, &KeyFiles::in_dir(dir), Arc::new(oos_clock::SystemClock)).await;
    store.close().await;
    opened.map(drop).map_err(|e| anyhow!("{e}"))
}

/// A directory of work files, removed with what it holds unless it was moved away.
struct Staging(PathBuf);

impl Staging {
    /// Creates `path` (mode 0700); `code` names a failure.
    fn create(path: &Path, code: &str) -> anyhow::Result<Self> {
        fs::DirBuilder::new().mode(0o700).create(path).with_context(|| format!("{code}: creating {}", path.display()))?;
        Ok(Self(path.to_path_buf()))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `path` with `.<what>-<pid>` appended (a work file beside it, on the same file system).
fn sibling(path: &Path, what: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{what}-{}", std::process::id()));
    path.with_file_name(name)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
}
