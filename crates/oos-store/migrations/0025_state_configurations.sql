-- State configurations (CreateStateConfiguration): a state template's name and version, its
-- parameters and targets, how and when it is applied, and the inventory types applying it collects.
-- Each application is an invocation of kind 'Inventory' (created in the same transaction); a
-- scheduled configuration is applied again when next_apply_ms is due (NULL: applied once).
CREATE TABLE state_configurations (
    state_configuration_id  TEXT NOT NULL PRIMARY KEY,
    region_id               TEXT NOT NULL,
    template_name           TEXT NOT NULL,
    template_version        TEXT NOT NULL,
    template_id             TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    parameters              TEXT NOT NULL DEFAULT '{}',
    targets                 TEXT NOT NULL,
    configure_mode          TEXT NOT NULL,
    schedule_type           TEXT NOT NULL DEFAULT '',
    schedule_expression     TEXT NOT NULL DEFAULT '',
    resource_group_id       TEXT NOT NULL DEFAULT '',
    tags                    TEXT NOT NULL DEFAULT '{}',
    inventory_types         TEXT NOT NULL DEFAULT '[]',
    next_apply_ms           INTEGER,
    client_token            TEXT UNIQUE,
    created_ms              INTEGER NOT NULL,
    updated_ms              INTEGER NOT NULL
);
CREATE INDEX state_configurations_created ON state_configurations (created_ms, state_configuration_id);
CREATE INDEX state_configurations_template ON state_configurations (template_name);
CREATE INDEX state_configurations_due ON state_configurations (next_apply_ms) WHERE next_apply_ms IS NOT NULL;
