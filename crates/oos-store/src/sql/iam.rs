//! The IAM records' statements: JSON documents (`body`) by kind and key in `iam_records`.

use super::Dialect;

/// Inserts record `$3` as kind `$1`, key `$2`, unless that key exists.
pub(crate) const INSERT: &str = "INSERT INTO iam_records (kind, key, body) VALUES ($1, $2, $3) ON CONFLICT (kind, key) DO NOTHING";
/// Replaces the body of record kind `$1`, key `$2` with `$3`.
pub(crate) const UPDATE: &str = "UPDATE iam_records SET body = $3 WHERE kind = $1 AND key = $2";
/// The body of record kind `$1`, key `$2`.
pub(crate) const BODY: &str = "SELECT body FROM iam_records WHERE kind = $1 AND key = $2";
pub(crate) const DELETE: &str = "DELETE FROM iam_records WHERE kind = $1 AND key = $2";

/// Every record body of kind `$1`, ordered by key.
pub(crate) fn bodies<DB: Dialect>() -> String {
    format!("SELECT body FROM iam_records WHERE kind = $1 ORDER BY {}", DB::bytewise("key"))
}
