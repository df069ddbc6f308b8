-- StartExecution's SafetyCheck as given ('' = not given: ConfirmEveryHighRiskAction), shown by ListExecutions.
ALTER TABLE api_executions ADD COLUMN safety_check TEXT NOT NULL DEFAULT '';
