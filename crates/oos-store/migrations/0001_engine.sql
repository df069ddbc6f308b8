-- Executions, task executions, logs and the per-execution inbox of external events.
-- Timestamps are unix milliseconds; JSON documents are TEXT.
CREATE TABLE executions (
    id                        TEXT PRIMARY KEY,
    template_name             TEXT NOT NULL,
    template_version          TEXT,
    template_content          TEXT NOT NULL,
    parameters                TEXT NOT NULL,
    mode                      TEXT NOT NULL,
    status                    TEXT NOT NULL,
    status_message            TEXT NOT NULL DEFAULT '',
    outputs                   TEXT,
    parent_execution_id       TEXT,
    parent_task_execution_id  TEXT,
    description               TEXT NOT NULL DEFAULT '',
    engine_state              TEXT NOT NULL,
    runnable                  INTEGER NOT NULL,
    lease_owner               TEXT,
    lease_expires_ms          INTEGER NOT NULL DEFAULT 0,
    created_ms                INTEGER NOT NULL,
    updated_ms                INTEGER NOT NULL,
    start_ms                  INTEGER,
    end_ms                    INTEGER
);
CREATE INDEX executions_runnable ON executions (runnable, lease_expires_ms) WHERE runnable = 1;
CREATE INDEX executions_created ON executions (created_ms);
CREATE INDEX executions_parent ON executions (parent_execution_id);

CREATE TABLE task_executions (
    id                        TEXT PRIMARY KEY,
    execution_id              TEXT NOT NULL,
    seq                       INTEGER NOT NULL,
    task_name                 TEXT NOT NULL,
    task_action               TEXT NOT NULL,
    status                    TEXT NOT NULL,
    status_message            TEXT NOT NULL DEFAULT '',
    properties                TEXT,
    outputs                   TEXT,
    loop_item                 TEXT,
    loop_batch_number         INTEGER,
    parent_task_execution_id  TEXT,
    child_execution_id        TEXT,
    engine_state              TEXT NOT NULL,
    created_ms                INTEGER NOT NULL,
    updated_ms                INTEGER NOT NULL,
    start_ms                  INTEGER,
    end_ms                    INTEGER
);
CREATE INDEX task_executions_by_execution ON task_executions (execution_id, seq);

CREATE TABLE execution_logs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id       TEXT NOT NULL,
    task_execution_id  TEXT,
    ts_ms              INTEGER NOT NULL,
    log_type           TEXT NOT NULL,
    message            TEXT NOT NULL
);
CREATE INDEX execution_logs_by_execution ON execution_logs (execution_id, id);

CREATE TABLE inbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id  TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_ms    INTEGER NOT NULL
);
CREATE INDEX inbox_by_execution ON inbox (execution_id, id);

CREATE TABLE library_templates (
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    content     TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (name, version)
);
