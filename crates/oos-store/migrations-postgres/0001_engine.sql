-- The engine's tables on PostgreSQL: executions, task executions, logs, the per-execution inbox of
-- external events and the template library. Timestamps are unix milliseconds (BIGINT); JSON documents
-- are TEXT, exactly as the engine wrote them (the audit chain hashes text, not a normalised form).
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
    -- Needs a worker without an external event: now, or from wake_ms on (its only work is timers).
    runnable                  BOOLEAN NOT NULL,
    wake_ms                   BIGINT,
    lease_owner               TEXT,
    lease_expires_ms          BIGINT NOT NULL DEFAULT 0,
    -- The crash-loop guard (see the SQLite migration 0021).
    at_risk                   BIGINT NOT NULL DEFAULT 0,
    crashes                   BIGINT NOT NULL DEFAULT 0,
    created_ms                BIGINT NOT NULL,
    updated_ms                BIGINT NOT NULL,
    start_ms                  BIGINT,
    end_ms                    BIGINT
);
-- Claims read the runnable executions only, oldest first.
CREATE INDEX executions_claimable ON executions (created_ms) WHERE runnable;
-- Renewals touch a worker's unfinished executions only.
CREATE INDEX executions_live_lease ON executions (lease_owner) WHERE end_ms IS NULL;
-- The running-execution quotas count unfinished executions only.
CREATE INDEX executions_open ON executions (template_name) WHERE status NOT IN ('Success', 'Failed', 'Cancelled');
CREATE INDEX executions_parent ON executions (parent_execution_id);
-- ListExecutions (src/sql/executions.rs) reads a page by index in each of its orders, which tie-break on
-- the id bytewise (COLLATE "C", as SQLite orders) and put a NULL end date first ascending: top-level
-- executions by start date (carrying the template name, so a TemplateName filter reads the index alone
-- until the page is found), with children, of one status by start date, by status, and by end date.
-- TotalCount reads indexes only: with a TemplateName filter the template index, with a Tags or
-- ExecutedBy filter the ids of top-level executions merged with the tag or caller index. A template's
-- ExecutionCount counts its top-level executions by name.
CREATE INDEX executions_top_listed ON executions (created_ms, id COLLATE "C") INCLUDE (template_name)
    WHERE parent_execution_id IS NULL;
CREATE INDEX executions_listed ON executions (created_ms, id COLLATE "C");
CREATE INDEX executions_status_top ON executions (status, created_ms, id COLLATE "C") WHERE parent_execution_id IS NULL;
CREATE INDEX executions_top_by_status ON executions (status COLLATE "C", id COLLATE "C") WHERE parent_execution_id IS NULL;
CREATE INDEX executions_top_end ON executions (end_ms NULLS FIRST, id COLLATE "C") WHERE parent_execution_id IS NULL;
CREATE INDEX executions_top_ids ON executions (id) WHERE parent_execution_id IS NULL;
CREATE INDEX executions_template_top ON executions (template_name) WHERE parent_execution_id IS NULL;

CREATE TABLE task_executions (
    id                        TEXT PRIMARY KEY,
    execution_id              TEXT NOT NULL,
    seq                       BIGINT NOT NULL,
    task_name                 TEXT NOT NULL,
    task_action               TEXT NOT NULL,
    status                    TEXT NOT NULL,
    status_message            TEXT NOT NULL DEFAULT '',
    properties                TEXT,
    outputs                   TEXT,
    loop_item                 TEXT,
    loop_batch_number         BIGINT,
    parent_task_execution_id  TEXT,
    child_execution_id        TEXT,
    engine_state              TEXT NOT NULL,
    created_ms                BIGINT NOT NULL,
    updated_ms                BIGINT NOT NULL,
    start_ms                  BIGINT,
    end_ms                    BIGINT
);
CREATE INDEX task_executions_by_execution ON task_executions (execution_id, seq);

CREATE TABLE execution_logs (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    execution_id       TEXT NOT NULL,
    task_execution_id  TEXT,
    ts_ms              BIGINT NOT NULL,
    log_type           TEXT NOT NULL,
    message            TEXT NOT NULL
);
CREATE INDEX execution_logs_by_execution ON execution_logs (execution_id, id);

CREATE TABLE inbox (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    execution_id  TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_ms    BIGINT NOT NULL
);
CREATE INDEX inbox_by_execution ON inbox (execution_id, id);

CREATE TABLE library_templates (
    name        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    content     TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);
