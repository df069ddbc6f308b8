-- The crash-loop guard: `at_risk` is set (before a worker steps an execution, and while its calls
-- run) and cleared when the work is committed and no call is in flight; an execution found at risk
-- when it is taken over after its worker died gets one more `crashes`, which any committed progress
-- of the execution resets; at a bound it is quarantined.
ALTER TABLE executions ADD COLUMN at_risk INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
