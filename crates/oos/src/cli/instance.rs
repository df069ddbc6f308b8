//! `oos instance …`: managed instances on a server — activations for `oos agent` to register with,
//! the registered hosts, and commands run on them (the server's Cloud Assistant, ECS 2014-05-26).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::client::{ClientArgs, Connection, Service, params, print_answer, print_list};

#[derive(Debug, Args)]
pub struct InstanceArgs {
    #[command(subcommand)]
    command: InstanceCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Subcommand)]
enum InstanceCommand {
    /// Make an activation: the id and code `oos agent` registers with (the code is shown once).
    Activate {
        /// How many hosts may register with it.
        #[arg(long, default_value_t = 10)]
        count: u32,
        /// How long it stays usable.
        #[arg(long, default_value_t = 4)]
        hours: u32,
        /// The name given to instances registered with it (default: their host names).
        #[arg(long)]
        name: Option<String>,
        /// Only hosts registering from this address or CIDR range.
        #[arg(long)]
        ip_range: Option<String>,
    },
    /// List activations.
    Activations,
    /// List managed instances and whether their agents are connected.
    List,
    /// Deregister a managed instance: its agent's credential stops working.
    Deregister { instance_id: String },
    /// Run a shell command on managed instances and print each one's output and exit code.
    Run {
        /// A managed instance (`mi-…`); repeatable.
        #[arg(long = "instance", required = true)]
        instances: Vec<String>,
        /// RunShellScript, RunPythonScript or RunPerlScript.
        #[arg(long = "type", default_value = "RunShellScript")]
        command_type: String,
        /// Seconds before the command is killed.
        #[arg(long, default_value_t = 60)]
        timeout: u32,
        #[arg(long)]
        working_dir: Option<String>,
        /// Run as this user (the agent must run as root).
        #[arg(long)]
        user: Option<String>,
        /// The script.
        command: String,
    },
}

pub fn run(args: InstanceArgs) -> anyhow::Result<ExitCode> {
    let output = args.client.output;
    let server = args.client.connect()?;
    let ecs = |action: &str, parameters| server.call_service(Service::Ecs, action, parameters);
    match args.command {
        InstanceCommand::Activate { count, hours, name, ip_range } => {
            let answer = ecs(
                "CreateActivation",
                params([
                    ("InstanceCount", Some(json!(count))),
                    ("TimeToLiveInHours", Some(json!(hours))),
                    ("InstanceName", name.map(Value::from)),
                    ("IpAddressRange", ip_range.map(Value::from)),
                ]),
            )?;
            print_answer(output, answer);
        }
        InstanceCommand::Activations => {
            let answer = ecs("DescribeActivations", params([("PageSize", Some(json!(50)))]))?;
            let items = answer["ActivationList"].as_array().cloned().unwrap_or_default();
            print_list(output, &items, &["ActivationId", "InstanceName", "InstanceCount", "RegisteredCount", "CreationTime", "TimeToLiveInHours"]);
        }
        InstanceCommand::List => {
            let answer = ecs("DescribeManagedInstances", params([("PageSize", Some(json!(50)))]))?;
            let items = answer["Instances"].as_array().cloned().unwrap_or_default();
            print_list(output, &items, &["InstanceId", "Hostname", "OsVersion", "IntranetIp", "AgentVersion", "Connected"]);
        }
        InstanceCommand::Deregister { instance_id } => {
            let answer = ecs("DeregisterManagedInstance", params([("InstanceId", Some(Value::from(instance_id)))]))?;
            print_answer(output, answer);
        }
        InstanceCommand::Run { instances, command_type, timeout, working_dir, user, command } => {
            return run_command(&server, output, instances, command_type, timeout, working_dir, user, command);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// RunCommand, then DescribeInvocationResults until every instance is done; exit 1 if any failed.
#[allow(clippy::too_many_arguments, reason = "the subcommand's flags, passed on once")]
fn run_command(server: &Connection, output: super::client::Output, instances: Vec<String>, command_type: String, timeout: u32, working_dir: Option<String>, user: Option<String>, command: String) -> anyhow::Result<ExitCode> {
    let started = server.call_service(
        Service::Ecs,
        "RunCommand",
        params([
            ("Type", Some(Value::from(command_type))),
            ("CommandContent", Some(Value::from(command))),
            ("InstanceId", Some(json!(instances))),
            ("Timeout", Some(json!(timeout))),
            ("WorkingDir", working_dir.map(Value::from)),
            ("Username", user.map(Value::from)),
        ]),
    )?;
    let invoke_id = started["InvokeId"].as_str().context("RunCommand answered no InvokeId")?.to_string();
    loop {
        let answer = server.call_service(Service::Ecs, "DescribeInvocationResults", params([("InvokeId", Some(Value::from(invoke_id.clone()))), ("PageSize", Some(json!(50)))]))?;
        let results = answer["Invocation"]["InvocationResults"]["InvocationResult"].as_array().cloned().unwrap_or_default();
        let running = results.iter().any(|result| matches!(result["InvocationStatus"].as_str(), Some("Pending" | "Running" | "Stopping")));
        if !running {
            let shown: Vec<Value> = results
                .iter()
                .map(|result| {
                    let text = base64::engine::general_purpose::STANDARD.decode(result["Output"].as_str().unwrap_or_default()).unwrap_or_default();
                    json!({
                        "InstanceId": result["InstanceId"], "InvocationStatus": result["InvocationStatus"], "ExitCode": result["ExitCode"],
                        "ErrorCode": result["ErrorCode"], "Output": String::from_utf8_lossy(&text),
                    })
                })
                .collect();
            print_list(output, &shown, &["InstanceId", "InvocationStatus", "ExitCode", "ErrorCode", "Output"]);
            let all_ok = results.iter().all(|result| result["InvocationStatus"] == "Success");
            return Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
