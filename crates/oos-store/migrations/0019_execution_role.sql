-- What ListExecutions shows of how an execution was started: the RAM role it acts as (resolved from
-- the template's RamRole and the parameters, '' for the starter's own permissions) and the LoopMode.
ALTER TABLE api_executions ADD COLUMN ram_role TEXT NOT NULL DEFAULT '';
ALTER TABLE api_executions ADD COLUMN loop_mode TEXT NOT NULL DEFAULT '';
