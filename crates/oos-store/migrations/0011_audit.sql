-- The hash-chained audit trail (docs/audit.md): one row per API request or outbound cloud call.
-- hash = SHA-256(prev_hash || seq "\n" time_ms "\n" kind "\n" body). The filter columns are derived
-- from the hashed body (generated, not stored), so they cannot be changed without changing the body.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    time_ms       INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    body          TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    principal     TEXT GENERATED ALWAYS AS (json_extract(body, '$.Principal')) VIRTUAL,
    user_name     TEXT GENERATED ALWAYS AS (json_extract(body, '$.User')) VIRTUAL,
    action        TEXT GENERATED ALWAYS AS (json_extract(body, '$.Action')) VIRTUAL,
    execution_id  TEXT GENERATED ALWAYS AS (json_extract(body, '$.ExecutionId')) VIRTUAL
);
CREATE INDEX audit_log_time ON audit_log (time_ms);
CREATE INDEX audit_log_execution ON audit_log (execution_id);
