-- Execution tags as rows, so ListExecutions' Tags filter (page and TotalCount) reads an index instead of
-- parsing every execution's JSON `tags`. Triggers keep the rows equal to `api_executions.tags` on every
-- write path (StartExecution metadata, TagResources, UntagResources); values are compared as text.
CREATE TABLE api_execution_tags (
    execution_id  TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (execution_id, key)
) WITHOUT ROWID;
CREATE INDEX api_execution_tags_lookup ON api_execution_tags (key, value, execution_id);

INSERT INTO api_execution_tags (execution_id, key, value)
    SELECT m.execution_id, j.key, CAST(j.value AS TEXT) FROM api_executions m, json_each(m.tags) j WHERE json_valid(m.tags);

CREATE TRIGGER api_execution_tags_insert AFTER INSERT ON api_executions WHEN json_valid(NEW.tags) BEGIN
    INSERT INTO api_execution_tags (execution_id, key, value)
        SELECT NEW.execution_id, j.key, CAST(j.value AS TEXT) FROM json_each(NEW.tags) j;
END;

CREATE TRIGGER api_execution_tags_update AFTER UPDATE OF tags, execution_id ON api_executions BEGIN
    DELETE FROM api_execution_tags WHERE execution_id = OLD.execution_id;
    INSERT INTO api_execution_tags (execution_id, key, value)
        SELECT NEW.execution_id, j.key, CAST(j.value AS TEXT) FROM json_each(NEW.tags) j WHERE json_valid(NEW.tags);
END;

CREATE TRIGGER api_execution_tags_delete AFTER DELETE ON api_executions BEGIN
    DELETE FROM api_execution_tags WHERE execution_id = OLD.execution_id;
END;
