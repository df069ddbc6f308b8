-- The parameter store: one row per parameter (latest version number, metadata, tags) and one row per
-- version (its value). `secret` separates the common parameters (0) from secret parameters (1), whose
-- values are sealed by the server before they reach the store.
CREATE TABLE parameters (
    secret             INTEGER NOT NULL,
    name               TEXT NOT NULL,
    id                 TEXT NOT NULL UNIQUE,
    type               TEXT NOT NULL,
    latest_version     INTEGER NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    constraints        TEXT NOT NULL DEFAULT '',
    key_id             TEXT NOT NULL DEFAULT '',
    tags               TEXT NOT NULL DEFAULT '{}',
    resource_group_id  TEXT NOT NULL DEFAULT '',
    created_by         TEXT NOT NULL,
    created_ms         INTEGER NOT NULL,
    updated_by         TEXT NOT NULL,
    updated_ms         INTEGER NOT NULL,
    PRIMARY KEY (secret, name)
);
CREATE INDEX parameters_created ON parameters (secret, created_ms);

CREATE TABLE parameter_versions (
    secret      INTEGER NOT NULL,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    value       TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (secret, name, version)
);
