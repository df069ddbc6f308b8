-- Audit records committed with the writes they describe but not yet linked into the chain: writers
-- of every process insert here without touching the chain head, and a sealer moves them into
-- audit_log, in intake order, in one transaction that locks audit_head (src/postgres/audit.rs).
CREATE TABLE audit_intake (
    id       BIGSERIAL PRIMARY KEY,
    time_ms  BIGINT NOT NULL,
    kind     TEXT NOT NULL,
    body     TEXT NOT NULL
);
