-- Retention walks finished top-level executions in the order they ended (src/retention/).
CREATE INDEX executions_ended ON executions (end_ms, id) WHERE parent_execution_id IS NULL AND end_ms IS NOT NULL;
