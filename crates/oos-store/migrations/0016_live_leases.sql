-- A worker renews the leases of its unfinished executions every poll: index just those, so a renewal
-- touches the live executions and not every execution the worker ever finished.
CREATE INDEX executions_live_lease ON executions (lease_owner) WHERE end_ms IS NULL;
