-- Trigger executions (TimerTrigger, EventTrigger, AlarmTrigger): each one's trigger, upserted with
-- every commit that changes the execution, and the log of its firings. (execution_id, fire_key) is
-- unique, so a tick, an event or an alarm notification fires a trigger once whatever the number of
-- workers: a second commit of the same firing fails. Times are Unix milliseconds; JSON columns hold
-- their text.
CREATE TABLE triggers (
    execution_id             TEXT NOT NULL PRIMARY KEY,
    kind                     TEXT NOT NULL,
    status                   TEXT NOT NULL,
    properties               TEXT NOT NULL DEFAULT '{}',
    next_ms                  BIGINT,
    fired                    BIGINT NOT NULL DEFAULT 0,
    last_ms                  BIGINT,
    last_status              TEXT,
    last_outputs             TEXT,
    last_child_execution_id  TEXT,
    last_success_ms          BIGINT,
    updated_ms               BIGINT NOT NULL
);
CREATE INDEX triggers_kind_status ON triggers (kind, status);

CREATE TABLE trigger_firings (
    execution_id        TEXT NOT NULL,
    fire_key            TEXT NOT NULL,
    source              TEXT NOT NULL,
    child_execution_id  TEXT NOT NULL,
    fired_ms            BIGINT NOT NULL,
    PRIMARY KEY (execution_id, fire_key)
);
CREATE INDEX trigger_firings_newest ON trigger_firings (execution_id, fired_ms, fire_key);
