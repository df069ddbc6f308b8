-- A template's ExecutionCount (GetTemplate, ListTemplates, StartExecution's template read) counts its
-- top-level executions: index (template_name, parent) so the count reads that template's entries only,
-- not every top-level execution (10 ms at 100,000 stored executions, on every StartExecution).
DROP INDEX executions_template_created;
CREATE INDEX executions_template_top ON executions (template_name, parent_execution_id);
