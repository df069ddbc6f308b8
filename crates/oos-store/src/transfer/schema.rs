//! Both databases against the table list: every table the source holds is one the transfer knows,
//! and on each side every table has exactly the listed columns (generated columns aside), of the
//! listed types and nullability. A store of another version is refused before anything is written.

use sqlx::{PgPool, SqlitePool};

use super::TransferError;
use super::spec::{Kind, TABLES, Table};

/// A column as a database declares it: name, type, whether it may be NULL.
type Declared = (String, String, bool);

const SOURCE: &str = "source (SQLite)";
const TARGET: &str = "target (PostgreSQL)";

/// Checks both schemas against [`TABLES`].
pub(crate) async fn check(source: &SqlitePool, target: &PgPool) -> Result<(), TransferError> {
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> '_sqlx_migrations'")
            .fetch_all(source)
            .await?;
    if let Some(unknown) = tables.iter().find(|name| !TABLES.iter().any(|table| table.name == name.as_str())) {
        return Err(TransferError::Schema { side: SOURCE, detail: format!("table {unknown} is not one the transfer copies") });
    }
    for table in TABLES {
        let declared: Vec<(String, String, i64, i64)> =
            sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_xinfo(?1) WHERE hidden = 0").bind(table.name).fetch_all(source).await?;
        // A primary key column is never NULL, whatever SQLite declares.
        let declared = declared.into_iter().map(|(name, kind, not_null, pk)| (name, kind, not_null == 0 && pk == 0)).collect();
        compare(SOURCE, table, declared, Kind::sqlite_type)?;

        let declared: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT column_name::TEXT, data_type::TEXT, is_nullable::TEXT FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'",
        )
        .bind(table.name)
        .fetch_all(target)
        .await?;
        let declared = declared.into_iter().map(|(name, kind, nullable)| (name, kind, nullable == "YES")).collect();
        compare(TARGET, table, declared, |kind| kind.postgres_type().0)?;
    }
    Ok(())
}

/// The declared columns of `table` against its listed ones.
fn compare(side: &'static str, table: &Table, declared: Vec<Declared>, type_name: fn(Kind) -> &'static str) -> Result<(), TransferError> {
    let differs = |detail: String| TransferError::Schema { side, detail: format!("table {}: {detail}", table.name) };
    if declared.is_empty() {
        return Err(differs("missing".into()));
    }
    for (name, kind, nullable) in &declared {
        let Some(listed) = table.column(name) else {
            return Err(differs(format!("column {name} is not one the transfer copies")));
        };
        if !kind.eq_ignore_ascii_case(type_name(listed.kind)) || *nullable != listed.nullable {
            let null = |nullable: bool| if nullable { "NULL" } else { "NOT NULL" };
            return Err(differs(format!("column {name} is {kind} {}, expected {} {}", null(*nullable), type_name(listed.kind), null(listed.nullable))));
        }
    }
    match table.columns.iter().find(|listed| !declared.iter().any(|(name, _, _)| name == listed.name)) {
        Some(missing) => Err(differs(format!("column {} is missing", missing.name))),
        None => Ok(()),
    }
}
