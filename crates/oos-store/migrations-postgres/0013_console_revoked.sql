-- A revoked console session (its user's password changed, its login profile or MFA device went):
-- kept until it ends so that its next request is told so (Console.SessionRevoked), then swept.
ALTER TABLE console_sessions ADD COLUMN revoked BOOLEAN NOT NULL DEFAULT FALSE;
