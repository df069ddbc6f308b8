-- The sandbox inbox: Notify and Approve webhooks and ExecuteHttpRequest calls that a sandbox
-- captured instead of sending (`oos sandbox inbox`, ListSandboxInbox). Credential header values are
-- redacted before they are written; a body is cut at a bound with a marker (body_bytes: its size
-- as sent). A capture deletes the oldest rows beyond the store's bound. Times are Unix milliseconds;
-- headers is a JSON array of [name, value] pairs.
CREATE TABLE sandbox_inbox (
    id            TEXT NOT NULL PRIMARY KEY,
    captured_ms   INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    execution_id  TEXT NOT NULL,
    task_name     TEXT NOT NULL,
    method        TEXT NOT NULL,
    url           TEXT NOT NULL,
    headers       TEXT NOT NULL,
    body          TEXT NOT NULL,
    body_bytes    INTEGER NOT NULL
);
CREATE INDEX sandbox_inbox_newest ON sandbox_inbox (captured_ms, id);
CREATE INDEX sandbox_inbox_execution ON sandbox_inbox (execution_id, captured_ms);
