//! Rows as typed cells: how each backend's rows are read (in key order, text keys bytewise on both),
//! and the digest over a table's rows that the verification compares.

use sha2::{Digest as _, Sha256};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::TransferError;
use super::spec::{Kind, Reset, Table, column_list, quoted};
use crate::sql::Dialect;

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
}

/// `SELECT` of every row of `table` in key order, the same order on every backend.
pub(crate) fn select<DB: Dialect>(table: &Table) -> String {
    let order = table
        .key
        .iter()
        .map(|key| match table.column(key).map(|column| column.kind) {
            Some(Kind::Text) => DB::bytewise(&quoted(key)),
            _ => quoted(key),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("SELECT {} FROM {} ORDER BY {order}", column_list(table), quoted(table.name))
}

/// A source row as the target must hold it: booleans checked to be 0 or 1, reset columns reset.
pub(crate) fn source_row(table: &Table, row: &SqliteRow) -> Result<Vec<Cell>, TransferError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(at, column)| {
            let invalid = |detail: String| TransferError::Value { table: table.name, column: column.name, detail };
            let cell = match column.kind {
                Kind::Text => row.try_get::<Option<String>, _>(at).map(|v| v.map_or(Cell::Null, Cell::Text)),
                Kind::Int => row.try_get::<Option<i64>, _>(at).map(|v| v.map_or(Cell::Null, Cell::Int)),
                Kind::Bool => match row.try_get::<Option<i64>, _>(at) {
                    Ok(None) => Ok(Cell::Null),
                    Ok(Some(0)) => Ok(Cell::Bool(false)),
                    Ok(Some(1)) => Ok(Cell::Bool(true)),
                    Ok(Some(other)) => return Err(invalid(format!("{other} is not a boolean (0 or 1)"))),
                    Err(error) => Err(error),
                },
            }
            .map_err(|error| invalid(error.to_string()))?;
            Ok(match column.reset {
                Some(Reset::Null) => Cell::Null,
                Some(Reset::Zero) => Cell::Int(0),
                None => cell,
            })
        })
        .collect()
}

/// A target row.
pub(crate) fn target_row(table: &Table, row: &PgRow) -> Result<Vec<Cell>, TransferError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(at, column)| {
            match column.kind {
                Kind::Text => row.try_get::<Option<String>, _>(at).map(|v| v.map_or(Cell::Null, Cell::Text)),
                Kind::Int => row.try_get::<Option<i64>, _>(at).map(|v| v.map_or(Cell::Null, Cell::Int)),
                Kind::Bool => row.try_get::<Option<bool>, _>(at).map(|v| v.map_or(Cell::Null, Cell::Bool)),
            }
            .map_err(|error| TransferError::Value { table: table.name, column: column.name, detail: error.to_string() })
        })
        .collect()
}

/// A table's row count and SHA-256 over its rows in key order. Each value is tagged, and text
/// length-prefixed, so NULL differs from '' and no two row sequences hash alike; booleans hash as
/// the integers 0 and 1.
#[derive(Debug, Default)]
pub(crate) struct Digest {
    hasher: Sha256,
    rows: i64,
}

impl Digest {
    pub(crate) fn add(&mut self, row: &[Cell]) {
        for cell in row {
            match cell {
                Cell::Null => self.hasher.update([0]),
                Cell::Int(value) => self.int(*value),
                Cell::Bool(value) => self.int(i64::from(*value)),
                Cell::Text(text) => {
                    self.hasher.update([2]);
                    self.hasher.update((text.len() as u64).to_be_bytes());
                    self.hasher.update(text.as_bytes());
                }
            }
        }
        self.rows += 1;
    }

    fn int(&mut self, value: i64) {
        self.hasher.update([1]);
        self.hasher.update(value.to_be_bytes());
    }

    /// The row count and the digest in lower-case hex.
    pub(crate) fn finish(self) -> (i64, String) {
        (self.rows, hex::encode(self.hasher.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::{Cell, Digest};

    fn digest(rows: &[Vec<Cell>]) -> String {
        let mut digest = Digest::default();
        rows.iter().for_each(|row| digest.add(row));
        digest.finish().1
    }

    #[test]
    fn null_empty_text_and_boundaries_hash_apart_and_booleans_hash_as_integers() {
        let text = |s: &str| Cell::Text(s.into());
        assert_ne!(digest(&[vec![Cell::Null]]), digest(&[vec![text("")]]));
        assert_ne!(digest(&[vec![text("ab"), text("")]]), digest(&[vec![text("a"), text("b")]]));
        assert_ne!(digest(&[vec![Cell::Int(1)]]), digest(&[vec![text("1")]]));
        assert_eq!(digest(&[vec![Cell::Bool(true), Cell::Bool(false)]]), digest(&[vec![Cell::Int(1), Cell::Int(0)]]));
    }
}
