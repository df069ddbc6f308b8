//! `oos iam …`: offline work with RAM-style policies (validate documents, simulate a request against
//! policies, show what an API action is authorized as, generate an execution policy), and management of a
//! server's users, groups, roles, policies and AccessKeys through its RAM API ([`super::iam_client`]),
//! and the console's login profiles, MFA devices and own password change ([`super::iam_console`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use oos_iam::execution_policy::{RequiredApi, generate_execution_policy};
use oos_iam::oos_actions::oos_action_authz;
use oos_iam::{ArnScope, AuthzRequest, Context, Policy, PolicyType, evaluate};

use super::client::ClientArgs;
use super::iam_console::{LoginProfileCommand, MfaCommand};
use super::iam_client::{self, AccessKeyCommand, GroupCommand, RoleCommand, ServerPolicyCommand, UserCommand};

#[derive(Debug, Args)]
pub struct IamArgs {
    #[command(subcommand)]
    command: IamCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Subcommand)]
enum IamCommand {
    /// RAM users of the server.
    #[command(subcommand)]
    User(UserCommand),
    /// RAM groups of the server.
    #[command(subcommand)]
    Group(GroupCommand),
    /// RAM roles of the server (what executions act as).
    #[command(subcommand)]
    Role(RoleCommand),
    /// AccessKeys of the server's users.
    #[command(subcommand, name = "accesskey")]
    AccessKey(AccessKeyCommand),
    /// Policy documents offline (validate, simulate, generate) and the server's policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Show what an OOS API action is authorized as: `oos:<Action>` and the resource ARNs.
    Action(ActionArgs),
    /// A user's console password (login profile).
    #[command(subcommand, name = "login-profile")]
    LoginProfile(LoginProfileCommand),
    /// Virtual MFA devices of the console (TOTP).
    #[command(subcommand)]
    Mfa(MfaCommand),
    /// ChangePassword: the user whose AccessKey signs changes their own console password (the
    /// current one, then the new one twice: lines of stdin, or asked for without echo).
    ChangePassword,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    #[command(flatten)]
    Offline(OfflinePolicyCommand),
    #[command(flatten)]
    Server(ServerPolicyCommand),
}

/// The policy tools that need no server.
#[derive(Debug, Subcommand)]
enum OfflinePolicyCommand {
    /// Check policy documents (RAM JSON format); exit 1 on the first invalid one.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Evaluate one request against policy documents and print the decision as JSON; exit 1 if denied.
    Simulate(SimulateArgs),
    /// Print the minimal policy allowing the given cloud APIs (`ECS:StopInstance` ...).
    Generate {
        /// `<Service>:<API>` pairs.
        #[arg(required = true)]
        apis: Vec<String>,
    },
}

#[derive(Debug, Args)]
struct SimulateArgs {
    /// Policy document files; each is named after its file stem.
    #[arg(long = "policy", required = true)]
    policies: Vec<PathBuf>,
    /// The action, e.g. `oos:StartExecution`.
    #[arg(long)]
    action: String,
    /// Resource ARNs (all must be allowed); `*` if omitted.
    #[arg(long = "resource")]
    resources: Vec<String>,
    /// Context keys as `key=value`; repeat a key for several values.
    #[arg(long = "context", value_parser = key_value)]
    context: Vec<(String, String)>,
}

#[derive(Debug, Args)]
struct ActionArgs {
    /// The API action, e.g. `StartExecution`.
    action: String,
    /// Request parameters as `Name=value`.
    #[arg(long = "param", value_parser = key_value)]
    params: Vec<(String, String)>,
    #[arg(long, default_value = "cn-hangzhou")]
    region: String,
    #[arg(long, default_value = "*")]
    account: String,
}

fn key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected key=value, got {text:?}"))
}

pub fn run(args: IamArgs) -> anyhow::Result<ExitCode> {
    let request = match args.command {
        IamCommand::User(command) => iam_client::user(command)?,
        IamCommand::Group(command) => iam_client::group(command)?,
        IamCommand::Role(command) => iam_client::role(command)?,
        IamCommand::AccessKey(command) => iam_client::access_key(command)?,
        IamCommand::Policy(PolicyCommand::Server(command)) => iam_client::policy(command)?,
        IamCommand::Policy(PolicyCommand::Offline(command)) => return run_policy(command),
        IamCommand::Action(args) => return show_action(args),
        IamCommand::LoginProfile(command) => return super::iam_console::login_profile(&args.client.connect()?, command, args.client.output),
        IamCommand::Mfa(command) => return super::iam_console::mfa(&args.client.connect()?, command, args.client.output),
        IamCommand::ChangePassword => return super::iam_console::change_password(&args.client.connect()?),
    };
    iam_client::run(&args.client.connect()?, request, args.client.output)
}

fn run_policy(command: OfflinePolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        OfflinePolicyCommand::Validate { files } => {
            for file in &files {
                load_policy(file)?;
                println!("{}: valid", file.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        OfflinePolicyCommand::Simulate(args) => simulate(args),
        OfflinePolicyCommand::Generate { apis } => {
            let apis = apis
                .iter()
                .map(|pair| match pair.split_once(':') {
                    Some((service, api)) => Ok(RequiredApi::new(service, api)),
                    None => bail!("expected <Service>:<API>, got {pair:?}"),
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            println!("{}", generate_execution_policy(&apis));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn show_action(args: ActionArgs) -> anyhow::Result<ExitCode> {
    let params: BTreeMap<String, String> = args.params.into_iter().collect();
    let authz = oos_action_authz(&args.action, &params, &ArnScope::new(args.region, args.account))?;
    let context: BTreeMap<_, _> = authz.request_context.into_iter().collect();
    let shown = serde_json::json!({"Action": authz.action, "Resources": authz.resources, "Context": context});
    println!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(ExitCode::SUCCESS)
}

fn load_policy(file: &PathBuf) -> anyhow::Result<Policy> {
    let document = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.file_stem().map_or_else(|| "policy".to_string(), |s| s.to_string_lossy().into_owned());
    Policy::parse(&name, PolicyType::Custom, &document).with_context(|| format!("{}", file.display()))
}

fn simulate(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let policies = args.policies.iter().map(load_policy).collect::<anyhow::Result<Vec<_>>>()?;
    let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in args.context {
        grouped.entry(key).or_default().push(value);
    }
    let context = grouped.into_iter().fold(Context::new(), |context, (key, values)| context.with_values(&key, values));
    let resources = if args.resources.is_empty() { vec!["*".to_string()] } else { args.resources };
    let request = AuthzRequest { action: args.action, resources, context };
    let decision = evaluate(&policies.iter().collect::<Vec<_>>(), &request);
    println!("{}", serde_json::to_string_pretty(&decision)?);
    Ok(if decision.allowed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
