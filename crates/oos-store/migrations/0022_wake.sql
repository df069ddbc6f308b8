-- Timers as rows: an execution whose only outstanding work is timers is runnable from `wake_ms` on,
-- so a worker may hand it back and any worker takes it when it is due. NULL: runnable now.
ALTER TABLE executions ADD COLUMN wake_ms INTEGER;
DROP INDEX executions_runnable;
CREATE INDEX executions_claimable ON executions (created_ms) WHERE runnable = 1;
