//! Copies of the embedded store for `oos admin backup|restore`: a consistent snapshot of a data
//! directory's database taken beside a running server (`VACUUM INTO`, one read transaction), and the
//! integrity check a copy passes before it is restored.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::DATABASE_FILE;
use crate::{Result, StoreError};

/// Writes a consistent copy of the database of data directory `dir` into the new file `to`, while
/// other connections (a running server) go on writing: the copy is the database as one read
/// transaction sees it, in one file (no WAL beside it). Neither migrates nor locks the data directory.
pub async fn snapshot(dir: &Path, to: &Path) -> Result<()> {
    let file = dir.join(DATABASE_FILE);
    if !file.is_file() {
        return Err(StoreError::DataDir { path: dir.display().to_string(), message: "holds no store".into() });
    }
    let mut connection = options(&file)?.connect().await?;
    let copied = sqlx::query("VACUUM INTO ?").bind(to.display().to_string()).execute(&mut connection).await;
    connection.close().await?;
    copied?;
    Ok(())
}

/// The problems `PRAGMA integrity_check` finds in the database file `file` (none: it is intact).
pub async fn integrity(file: &Path) -> Result<Vec<String>> {
    let mut connection = options(file)?.read_only(true).connect().await?;
    let lines: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut connection).await?;
    connection.close().await?;
    Ok(lines.into_iter().filter(|line| line != "ok").collect())
}

fn options(file: &Path) -> Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str("sqlite:")?.filename(file).create_if_missing(false).busy_timeout(Duration::from_secs(10)))
}
