-- ListExecutions' COUNT for TotalCount reads only indexes: top-level executions carry template name and
-- status in their index (a TemplateName substring or Status count scans no table rows), and the Status
-- index leads with (status, parent) so a status page of top-level executions comes in start-date order.
DROP INDEX executions_top_created;
DROP INDEX executions_status_created;
CREATE INDEX executions_top_listed ON executions (parent_execution_id, created_ms, id, template_name, status);
CREATE INDEX executions_status_top ON executions (status, parent_execution_id, created_ms, id);
