//! Command-line surface of `oos`: one module per subcommand family.

mod admin;
mod agent;
mod api;
mod approval_prompt;
mod audit;
mod backup;
mod client;
mod emulator;
mod execution;
mod execution_client;
mod iam;
mod iam_client;
mod iam_console;
mod instance;
mod library;
mod login;
mod process;
mod run;
mod server;
mod sandbox;
mod sandbox_inbox;
mod store;
mod template;
mod template_client;
mod test;
mod trigger;
mod worker;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// OpenOOS: self-hosted, OOS-compatible operation orchestration.
#[derive(Debug, Parser)]
#[command(name = "oos", version, about)]
pub struct Cli {
    /// Format of the log lines on stderr: `text`, or `json` (one object per line). Which lines:
    /// `RUST_LOG` (default `warn,oos=info`).
    #[arg(long, global = true, value_enum, default_value = "text", env = "OOS_LOG_FORMAT")]
    log_format: process::LogFormat,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// Installs the process's log subscriber as the command line asks.
    /// A command exporting traces installs its own, inside its runtime ([`process::TraceArgs::start`]).
    pub fn init_logging(&self) {
        let exports = match &self.command {
            Command::Server(args) => args.traces.exports(),
            Command::Worker(args) => args.traces.exports(),
            Command::Agent(args) => args.traces.exports(),
            Command::Run(args) => args.traces.exports(),
            Command::Emulator(args) => args.traces.exports(),
            _ => false,
        };
        if !exports {
            process::init_logging(self.log_format);
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version and exit.
    Version,
    /// Store a server endpoint and AccessKey (flags or environment) in a profile of ~/.oos/config.json.
    Configure(login::ConfigureArgs),
    /// Check a credentials file against a server and store it as a profile: `oos login --endpoint URL --credentials-file FILE`.
    Login(login::LoginArgs),
    /// Call one Alibaba Cloud OpenAPI (or the emulator) and print the JSON answer.
    Api(api::ApiArgs),
    /// Serve a local ECS-compatible cloud (instances, disks, snapshots, images, security groups, EIPs).
    Emulator(emulator::EmulatorArgs),
    /// RAM on a server: `oos iam user|group|role|policy|accesskey|login-profile|mfa …`; offline: `oos iam policy validate|simulate|generate`, `oos iam action`.
    Iam(iam::IamArgs),
    /// Managed instances on a server: `oos instance activate|activations|list|deregister|run`.
    Instance(instance::InstanceArgs),
    /// Trigger executions on a server (schedules, events, alarms): `oos trigger list|show|fire|pause|resume`.
    Trigger(trigger::TriggerArgs),
    /// Run a template in-process on the embedded store: `oos run TEMPLATE -p Key=Value …`.
    Run(run::RunArgs),
    /// Executions on a server, or in the local data directory when no server is configured: `oos execution start|list|show|tasks|logs|cancel|notify|delete`.
    Execution(execution::ExecutionArgs),
    /// Serve the OOS-compatible API with the engine in-process: `oos server [--listen ADDR] [--data-dir DIR | --database postgres://…] [--sandbox]`.
    Server(server::ServerArgs),
    /// The sandbox's inbox of captured webhooks and HTTP requests: `oos sandbox inbox [list|show ID|clear]`.
    Sandbox(sandbox_inbox::SandboxCommandArgs),
    /// Run executions only, on a PostgreSQL database shared with `oos server` processes: `oos worker --database postgres://…`.
    Worker(worker::WorkerCommandArgs),
    /// Templates: `oos template validate FILE...` offline; `create|update|get|list|versions|delete` on a server.
    Template(template::TemplateArgs),
    /// The library of common operations shipped with OpenOOS: `oos library list|show NAME|install [NAME…|--all]`.
    Library(library::LibraryArgs),
    /// The hash-chained audit trail: `oos audit query [--since --until --user --action --execution --kind]`, `oos audit verify`.
    Audit(audit::AuditArgs),
    /// Make this host a managed instance: `oos agent --server URL [--activation-id ID --activation-code CODE]` (registers on the first start).
    Agent(agent::AgentArgs),
    /// Behaviour tests of runbooks: `oos test PATH… [--junit FILE]` runs the `*.test.yml` specs against the emulator in virtual time.
    Test(test::TestArgs),
    /// Administration: `oos admin migrate-store --data-dir DIR --to postgres://…` moves an embedded installation to PostgreSQL; `oos admin backup|restore`.
    Admin(admin::AdminArgs),
}

/// Runs one parsed command line and turns its outcome into the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Command::Api(args) => api::run(args),
        Command::Configure(args) => login::configure(args),
        Command::Login(args) => login::login(args),
        Command::Emulator(args) => emulator::run(args, cli.log_format),
        Command::Iam(args) => iam::run(args),
        Command::Instance(args) => instance::run(args),
        Command::Trigger(args) => trigger::run(args),
        Command::Run(args) => run::run(args, cli.log_format),
        Command::Execution(args) => execution::run(args),
        Command::Server(args) => server::run(args, cli.log_format),
        Command::Worker(args) => worker::run(args, cli.log_format),
        Command::Sandbox(args) => sandbox_inbox::run(args),
        Command::Template(args) => template::run(args),
        Command::Test(args) => test::run(args),
        Command::Library(args) => library::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Admin(args) => admin::run(args),
        Command::Agent(args) => agent::run(args, cli.log_format),
        Command::Version => {
            println!("oos {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
    };
    outcome.unwrap_or_else(|error| {
        eprintln!("error: {error:#}");
        ExitCode::FAILURE
    })
}
