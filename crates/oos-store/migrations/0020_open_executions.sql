-- Unfinished executions by template, for the running-execution quotas (per account and per template):
-- the index holds only executions that are not Success, Failed or Cancelled, so counting them
-- does not read the finished ones.
CREATE INDEX executions_open ON executions (template_name) WHERE status NOT IN ('Success', 'Failed', 'Cancelled');
