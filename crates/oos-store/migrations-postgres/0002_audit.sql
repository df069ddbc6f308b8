-- The hash-chained audit trail (docs/audit.md), one chain for every process writing to the database.
-- hash = SHA-256(prev_hash || seq "\n" time_ms "\n" kind "\n" body). The filter columns are derived
-- from the hashed body, so they cannot be changed without changing the body.
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    time_ms       BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    body          TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    principal     TEXT GENERATED ALWAYS AS ((body::jsonb) ->> 'Principal') STORED,
    user_name     TEXT GENERATED ALWAYS AS ((body::jsonb) ->> 'User') STORED,
    action        TEXT GENERATED ALWAYS AS ((body::jsonb) ->> 'Action') STORED,
    execution_id  TEXT GENERATED ALWAYS AS ((body::jsonb) ->> 'ExecutionId') STORED
);
CREATE INDEX audit_log_time ON audit_log (time_ms);
CREATE INDEX audit_log_execution ON audit_log (execution_id);
CREATE INDEX audit_log_hash ON audit_log (hash);

-- The chain head: appenders lock this one row (at the end of their transaction), so the records of
-- concurrent transactions link one after the other whichever process writes them.
CREATE TABLE audit_head (
    one   BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (seq, hash) VALUES (0, '0000000000000000000000000000000000000000000000000000000000000000');
