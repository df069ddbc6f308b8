-- ListExecutions reads one page with one query: indexes for its default order (top-level executions by
-- start date), its sort fields and its common filters, so a page at 100k executions reads ~MaxResults rows.
CREATE INDEX executions_top_created ON executions (parent_execution_id, created_ms, id);
CREATE INDEX executions_status_created ON executions (status, created_ms, id);
CREATE INDEX executions_end ON executions (end_ms, id);
CREATE INDEX executions_template_created ON executions (template_name, created_ms);
CREATE INDEX api_executions_executed_by ON api_executions (executed_by);
