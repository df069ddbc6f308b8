-- The API server's tables: the template catalogue (metadata beside the engine's library_templates
-- content), per-execution API metadata (caller, tags, idempotency token, role), IAM identity records
-- and the parameter store.
CREATE TABLE api_templates (
    name               TEXT PRIMARY KEY,
    template_id        TEXT NOT NULL UNIQUE,
    latest_version     BIGINT NOT NULL,
    tags               TEXT NOT NULL DEFAULT '{}',
    resource_group_id  TEXT NOT NULL DEFAULT '',
    created_by         TEXT NOT NULL,
    created_ms         BIGINT NOT NULL,
    updated_by         TEXT NOT NULL,
    updated_ms         BIGINT NOT NULL,
    is_favorite        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX api_templates_created ON api_templates (created_ms);

CREATE TABLE api_template_versions (
    name          TEXT NOT NULL,
    version       BIGINT NOT NULL,
    version_name  TEXT NOT NULL DEFAULT '',
    format        TEXT NOT NULL,
    hash          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);

-- ClientToken is UNIQUE: a second start with the same token never creates a second execution.
CREATE TABLE api_executions (
    execution_id       TEXT PRIMARY KEY,
    executed_by        TEXT NOT NULL,
    tags               TEXT NOT NULL DEFAULT '{}',
    resource_group_id  TEXT NOT NULL DEFAULT '',
    template_id        TEXT NOT NULL DEFAULT '',
    client_token       TEXT UNIQUE,
    ram_role           TEXT NOT NULL DEFAULT '',
    loop_mode          TEXT NOT NULL DEFAULT ''
);
-- ListExecutions' ExecutedBy filter: the ids of one caller's executions, in id order, from the index alone.
CREATE INDEX api_executions_executed_by ON api_executions (executed_by, execution_id);

-- Execution tags as rows, so ListExecutions' Tags filter (page and TotalCount) reads an index instead of
-- parsing every execution's JSON `tags`. A trigger keeps the rows equal to `api_executions.tags` on every
-- write path (StartExecution metadata, TagResources, UntagResources, DeleteExecutions), in the writing
-- transaction; values are compared as text.
CREATE TABLE api_execution_tags (
    execution_id  TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (execution_id, key)
);
CREATE INDEX api_execution_tags_lookup ON api_execution_tags (key, value, execution_id);

CREATE FUNCTION api_execution_tags_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM api_execution_tags WHERE execution_id = OLD.execution_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO api_execution_tags (execution_id, key, value)
            SELECT NEW.execution_id, j.key, j.value FROM jsonb_each_text(NEW.tags::jsonb) j;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_execution_tags_follow AFTER INSERT OR DELETE OR UPDATE OF tags, execution_id ON api_executions
    FOR EACH ROW EXECUTE FUNCTION api_execution_tags_follow();

CREATE TABLE iam_records (
    kind  TEXT NOT NULL,
    key   TEXT NOT NULL,
    body  TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);

-- The parameter store: `secret` separates common from secret parameters (sealed values).
CREATE TABLE parameters (
    secret             BOOLEAN NOT NULL,
    name               TEXT NOT NULL,
    id                 TEXT NOT NULL UNIQUE,
    type               TEXT NOT NULL,
    latest_version     BIGINT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    constraints        TEXT NOT NULL DEFAULT '',
    key_id             TEXT NOT NULL DEFAULT '',
    tags               TEXT NOT NULL DEFAULT '{}',
    resource_group_id  TEXT NOT NULL DEFAULT '',
    created_by         TEXT NOT NULL,
    created_ms         BIGINT NOT NULL,
    updated_by         TEXT NOT NULL,
    updated_ms         BIGINT NOT NULL,
    PRIMARY KEY (secret, name)
);
CREATE INDEX parameters_created ON parameters (secret, created_ms);

CREATE TABLE parameter_versions (
    secret      BOOLEAN NOT NULL,
    name        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    value       TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_ms  BIGINT NOT NULL,
    PRIMARY KEY (secret, name, version)
);
