//! The tables of a store as the transfer sees them: one list of every table, its key and its
//! columns with their types, from which every statement of the copy and of the verification is
//! built. [`super::schema`] checks it against both databases, so a migration that adds a column
//! or a table fails the transfer until the list follows.

/// What a column holds; the SQL type differs per backend (SQLite has no BOOLEAN nor BIGINT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    /// SQLite `INTEGER`, PostgreSQL `BIGINT`.
    Int,
    /// SQLite `INTEGER` 0/1, PostgreSQL `BOOLEAN`.
    Bool,
}

impl Kind {
    /// The declared type in the SQLite schema.
    pub(crate) fn sqlite_type(self) -> &'static str {
        match self {
            Kind::Text => "TEXT",
            Kind::Int | Kind::Bool => "INTEGER",
        }
    }

    /// The type in the PostgreSQL schema (as `information_schema.columns.data_type` names it) and
    /// the array type its batches are bound as.
    pub(crate) fn postgres_type(self) -> (&'static str, &'static str) {
        match self {
            Kind::Text => ("text", "TEXT[]"),
            Kind::Int => ("bigint", "BIGINT[]"),
            Kind::Bool => ("boolean", "BOOLEAN[]"),
        }
    }
}

/// What the copy writes into a column instead of the source's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reset {
    Null,
    Zero,
}

/// One column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    /// Written as this value instead of the source's (leases: nobody holds an execution after the move).
    pub reset: Option<Reset>,
}

/// How the rows of a table reach the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fill {
    /// Copied row by row.
    Copied,
    /// Copied with the ids of its identity column `id`; the target's sequence then continues after them.
    Identity,
    /// Written on the target by a trigger of the table copied before it: compared, not copied.
    Trigger,
}

/// One table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table {
    pub name: &'static str,
    /// The primary key: rows are read and digested in this order.
    pub key: &'static [&'static str],
    pub columns: &'static [Column],
    pub fill: Fill,
}

impl Table {
    /// The column called `name`.
    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }
}

const fn col(name: &'static str, kind: Kind, nullable: bool) -> Column {
    Column { name, kind, nullable, reset: None }
}
const fn text(name: &'static str) -> Column {
    col(name, Kind::Text, false)
}
const fn text_or_null(name: &'static str) -> Column {
    col(name, Kind::Text, true)
}
const fn int(name: &'static str) -> Column {
    col(name, Kind::Int, false)
}
const fn int_or_null(name: &'static str) -> Column {
    col(name, Kind::Int, true)
}
const fn boolean(name: &'static str) -> Column {
    col(name, Kind::Bool, false)
}
const fn reset(column: Column, to: Reset) -> Column {
    Column { reset: Some(to), ..column }
}

/// Every table of a store, in copy order (`api_execution_tags` after the `api_executions` whose
/// trigger writes it). The audit chain's head row (`audit_head`, PostgreSQL only) is not a table
/// here: the copy sets it to the last record.
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "executions",
        key: &["id"],
        columns: &[
            text("id"),
            text("template_name"),
            text_or_null("template_version"),
            text("template_content"),
            text("parameters"),
            text("mode"),
            text("status"),
            text("status_message"),
            text_or_null("outputs"),
            text_or_null("parent_execution_id"),
            text_or_null("parent_task_execution_id"),
            text("description"),
            text("engine_state"),
            boolean("runnable"),
            int_or_null("wake_ms"),
            reset(text_or_null("lease_owner"), Reset::Null),
            reset(int("lease_expires_ms"), Reset::Zero),
            int("at_risk"),
            int("crashes"),
            int("created_ms"),
            int("updated_ms"),
            int_or_null("start_ms"),
            int_or_null("end_ms"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "task_executions",
        key: &["id"],
        columns: &[
            text("id"),
            text("execution_id"),
            int("seq"),
            text("task_name"),
            text("task_action"),
            text("status"),
            text("status_message"),
            text_or_null("properties"),
            text_or_null("outputs"),
            text_or_null("loop_item"),
            int_or_null("loop_batch_number"),
            text_or_null("parent_task_execution_id"),
            text_or_null("child_execution_id"),
            text("engine_state"),
            int("created_ms"),
            int("updated_ms"),
            int_or_null("start_ms"),
            int_or_null("end_ms"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "execution_logs",
        key: &["id"],
        columns: &[int("id"), text("execution_id"), text_or_null("task_execution_id"), int("ts_ms"), text("log_type"), text("message")],
        fill: Fill::Identity,
    },
    Table {
        name: "inbox",
        key: &["id"],
        columns: &[int("id"), text("execution_id"), text("payload"), int("created_ms")],
        fill: Fill::Identity,
    },
    Table {
        name: "library_templates",
        key: &["name", "version"],
        columns: &[text("name"), int("version"), text("content"), int("created_ms")],
        fill: Fill::Copied,
    },
    Table {
        name: "api_templates",
        key: &["name"],
        columns: &[
            text("name"),
            text("template_id"),
            int("latest_version"),
            text("tags"),
            text("resource_group_id"),
            text("created_by"),
            int("created_ms"),
            text("updated_by"),
            int("updated_ms"),
            boolean("is_favorite"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "api_template_versions",
        key: &["name", "version"],
        columns: &[
            text("name"),
            int("version"),
            text("version_name"),
            text("format"),
            text("hash"),
            text("description"),
            text("created_by"),
            int("created_ms"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "api_executions",
        key: &["execution_id"],
        columns: &[
            text("execution_id"),
            text("executed_by"),
            text("tags"),
            text("resource_group_id"),
            text("template_id"),
            text_or_null("client_token"),
            text("ram_role"),
            text("loop_mode"),
            text("safety_check"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "api_execution_tags",
        key: &["execution_id", "key"],
        columns: &[text("execution_id"), text("key"), text("value")],
        fill: Fill::Trigger,
    },
    Table {
        name: "iam_records",
        key: &["kind", "key"],
        columns: &[text("kind"), text("key"), text("body")],
        fill: Fill::Copied,
    },
    Table {
        name: "parameters",
        key: &["secret", "name"],
        columns: &[
            boolean("secret"),
            text("name"),
            text("id"),
            text("type"),
            int("latest_version"),
            text("description"),
            text("constraints"),
            text("key_id"),
            text("tags"),
            text("resource_group_id"),
            text("created_by"),
            int("created_ms"),
            text("updated_by"),
            int("updated_ms"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "parameter_versions",
        key: &["secret", "name", "version"],
        columns: &[boolean("secret"), text("name"), int("version"), text("value"), text("updated_by"), int("updated_ms")],
        fill: Fill::Copied,
    },
    Table {
        name: "activations",
        key: &["activation_id"],
        columns: &[
            text("activation_id"),
            text("region_id"),
            text("code_hash"),
            text("description"),
            text("instance_name"),
            text("ip_address_range"),
            int("usage_limit"),
            int("usage_count"),
            int("deregistered_count"),
            int("created_ms"),
            int("expires_ms"),
            text("tags"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "managed_instances",
        key: &["instance_id"],
        columns: &[
            text("instance_id"),
            text("region_id"),
            text("activation_id"),
            text("secret_hash"),
            text("instance_name"),
            text("hostname"),
            text("os_type"),
            text("os_name"),
            text("agent_version"),
            text("ip_address"),
            text("inventory"),
            text("collected"),
            int("registered_ms"),
            int("last_seen_ms"),
            boolean("connected"),
            text_or_null("sandbox_instance"),
            text("tags"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "assistant_commands",
        key: &["command_id"],
        columns: &[
            text("command_id"),
            text("region_id"),
            text("name"),
            text("description"),
            text("command_type"),
            text("content_base64"),
            text("working_dir"),
            int("timeout_secs"),
            boolean("enable_parameter"),
            text("parameter_names"),
            int("created_ms"),
            text("tags"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "invocations",
        key: &["invoke_id"],
        columns: &[
            text("invoke_id"),
            text("region_id"),
            text("kind"),
            text_or_null("command_id"),
            text("command_name"),
            text("command_type"),
            text("content_base64"),
            text("working_dir"),
            int("timeout_secs"),
            text("username"),
            boolean("enable_parameter"),
            text("parameters"),
            text("file"),
            int("created_ms"),
            text("creator"),
            text_or_null("client_token"),
            text("tags"),
            text_or_null("traceparent"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "invocation_targets",
        key: &["invoke_id", "instance_id"],
        columns: &[
            text("invoke_id"),
            text("instance_id"),
            text("status"),
            int_or_null("exit_code"),
            text("output"),
            int("dropped"),
            text("error_code"),
            text("error_info"),
            int_or_null("start_ms"),
            int_or_null("finish_ms"),
            int("deadline_ms"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "state_configurations",
        key: &["state_configuration_id"],
        columns: &[
            text("state_configuration_id"),
            text("region_id"),
            text("template_name"),
            text("template_version"),
            text("template_id"),
            text("description"),
            text("parameters"),
            text("targets"),
            text("configure_mode"),
            text("schedule_type"),
            text("schedule_expression"),
            text("resource_group_id"),
            text("tags"),
            text("inventory_types"),
            int_or_null("next_apply_ms"),
            text_or_null("client_token"),
            int("created_ms"),
            int("updated_ms"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "triggers",
        key: &["execution_id"],
        columns: &[
            text("execution_id"),
            text("kind"),
            text("status"),
            text("properties"),
            int_or_null("next_ms"),
            int("fired"),
            int_or_null("last_ms"),
            text_or_null("last_status"),
            text_or_null("last_outputs"),
            text_or_null("last_child_execution_id"),
            int_or_null("last_success_ms"),
            int("updated_ms"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "trigger_firings",
        key: &["execution_id", "fire_key"],
        columns: &[text("execution_id"), text("fire_key"), text("source"), text("child_execution_id"), int("fired_ms")],
        fill: Fill::Copied,
    },
    Table {
        name: "sandbox_inbox",
        key: &["id"],
        columns: &[
            text("id"),
            int("captured_ms"),
            text("kind"),
            text("execution_id"),
            text("task_name"),
            text("method"),
            text("url"),
            text("headers"),
            text("body"),
            int("body_bytes"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "console_sessions",
        key: &["token_hash"],
        columns: &[
            text("token_hash"),
            text("short_id"),
            text("user_name"),
            boolean("mfa_present"),
            text("csrf_hash"),
            int("created_ms"),
            int("last_seen_ms"),
            int("idle_expires_ms"),
            int("expires_ms"),
            boolean("revoked"),
        ],
        fill: Fill::Copied,
    },
    Table {
        name: "console_sign_in_failures",
        key: &["user_name"],
        columns: &[text("user_name"), int("failures"), int("window_start_ms"), int("locked_until_ms")],
        fill: Fill::Copied,
    },
    Table {
        name: "audit_log",
        key: &["seq"],
        columns: &[int("seq"), int("time_ms"), text("kind"), text("body"), text("prev_hash"), text("hash")],
        fill: Fill::Copied,
    },
];

/// A name quoted as an SQL identifier (`key` and `type` are column names here).
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

/// The table's columns, quoted and comma-separated, in spec order.
pub(crate) fn column_list(table: &Table) -> String {
    table.columns.iter().map(|column| quoted(column.name)).collect::<Vec<_>>().join(", ")
}
