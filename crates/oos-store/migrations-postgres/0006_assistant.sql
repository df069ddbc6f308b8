-- The Cloud Assistant for managed instances: activations (an agent registers with one, its code kept
-- as a SHA-256), the registered hosts, saved commands, and invocations with one target row per
-- instance. Times are Unix milliseconds; JSON columns hold their text.
CREATE TABLE activations (
    activation_id       TEXT NOT NULL PRIMARY KEY,
    region_id           TEXT NOT NULL,
    code_hash           TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    instance_name       TEXT NOT NULL DEFAULT '',
    ip_address_range    TEXT NOT NULL DEFAULT '',
    usage_limit         BIGINT NOT NULL,
    usage_count         BIGINT NOT NULL DEFAULT 0,
    deregistered_count  BIGINT NOT NULL DEFAULT 0,
    created_ms          BIGINT NOT NULL,
    expires_ms          BIGINT NOT NULL,
    tags                TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX activations_created ON activations (created_ms);

CREATE TABLE managed_instances (
    instance_id       TEXT NOT NULL PRIMARY KEY,
    region_id         TEXT NOT NULL,
    activation_id     TEXT NOT NULL,
    secret_hash       TEXT NOT NULL,
    instance_name     TEXT NOT NULL DEFAULT '',
    hostname          TEXT NOT NULL DEFAULT '',
    os_type           TEXT NOT NULL DEFAULT '',
    os_name           TEXT NOT NULL DEFAULT '',
    agent_version     TEXT NOT NULL DEFAULT '',
    ip_address        TEXT NOT NULL DEFAULT '',
    inventory         TEXT NOT NULL DEFAULT '{}',
    collected         TEXT NOT NULL DEFAULT '{}',
    registered_ms     BIGINT NOT NULL,
    last_seen_ms      BIGINT NOT NULL,
    connected         BOOLEAN NOT NULL DEFAULT FALSE,
    sandbox_instance  TEXT,
    tags              TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX managed_instances_activation ON managed_instances (activation_id);
CREATE INDEX managed_instances_sandbox ON managed_instances (sandbox_instance) WHERE sandbox_instance IS NOT NULL;

CREATE TABLE assistant_commands (
    command_id        TEXT NOT NULL PRIMARY KEY,
    region_id         TEXT NOT NULL,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    command_type      TEXT NOT NULL,
    content_base64    TEXT NOT NULL,
    working_dir       TEXT NOT NULL DEFAULT '',
    timeout_secs      BIGINT NOT NULL,
    enable_parameter  BOOLEAN NOT NULL DEFAULT FALSE,
    parameter_names   TEXT NOT NULL DEFAULT '[]',
    created_ms        BIGINT NOT NULL,
    tags              TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX assistant_commands_created ON assistant_commands (created_ms);

-- `client_token` is UNIQUE; invocations without one (NULL) never conflict.
CREATE TABLE invocations (
    invoke_id         TEXT NOT NULL PRIMARY KEY,
    region_id         TEXT NOT NULL,
    kind              TEXT NOT NULL,
    command_id        TEXT,
    command_name      TEXT NOT NULL DEFAULT '',
    command_type      TEXT NOT NULL,
    content_base64    TEXT NOT NULL,
    working_dir       TEXT NOT NULL DEFAULT '',
    timeout_secs      BIGINT NOT NULL,
    username          TEXT NOT NULL DEFAULT '',
    enable_parameter  BOOLEAN NOT NULL DEFAULT FALSE,
    parameters        TEXT NOT NULL DEFAULT '{}',
    file              TEXT NOT NULL DEFAULT '{}',
    created_ms        BIGINT NOT NULL,
    creator           TEXT NOT NULL DEFAULT '',
    client_token      TEXT UNIQUE,
    tags              TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX invocations_created ON invocations (created_ms, invoke_id);
CREATE INDEX invocations_command ON invocations (command_id) WHERE command_id IS NOT NULL;

-- One row per instance an invocation runs on. The hub's delivery query reads by (instance, status);
-- the expiry reads the deadlines of the unfinished ones.
CREATE TABLE invocation_targets (
    invoke_id    TEXT NOT NULL,
    instance_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    exit_code    BIGINT,
    output       TEXT NOT NULL DEFAULT '',
    dropped      BIGINT NOT NULL DEFAULT 0,
    error_code   TEXT NOT NULL DEFAULT '',
    error_info   TEXT NOT NULL DEFAULT '',
    start_ms     BIGINT,
    finish_ms    BIGINT,
    deadline_ms  BIGINT NOT NULL,
    PRIMARY KEY (invoke_id, instance_id)
);
CREATE INDEX invocation_targets_delivery ON invocation_targets (instance_id, status);
CREATE INDEX invocation_targets_deadline ON invocation_targets (deadline_ms) WHERE status IN ('Pending', 'Running', 'Stopping');
