-- The API server's own tables: template catalogue (metadata beside the engine's library_templates
-- content), per-execution API metadata (caller, tags, idempotency token) and IAM identity records.
CREATE TABLE api_templates (
    name               TEXT PRIMARY KEY,
    template_id        TEXT NOT NULL UNIQUE,
    latest_version     INTEGER NOT NULL,
    tags               TEXT NOT NULL DEFAULT '{}',
    resource_group_id  TEXT NOT NULL DEFAULT '',
    created_by         TEXT NOT NULL,
    created_ms         INTEGER NOT NULL,
    updated_by         TEXT NOT NULL,
    updated_ms         INTEGER NOT NULL
);
CREATE INDEX api_templates_created ON api_templates (created_ms);

CREATE TABLE api_template_versions (
    name          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    version_name  TEXT NOT NULL DEFAULT '',
    format        TEXT NOT NULL,
    hash          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE api_executions (
    execution_id       TEXT PRIMARY KEY,
    executed_by        TEXT NOT NULL,
    tags               TEXT NOT NULL DEFAULT '{}',
    resource_group_id  TEXT NOT NULL DEFAULT '',
    template_id        TEXT NOT NULL DEFAULT '',
    client_token       TEXT UNIQUE
);

CREATE TABLE iam_records (
    kind  TEXT NOT NULL,
    key   TEXT NOT NULL,
    body  TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
