//! `oos iam user|group|role|policy|accesskey …` against a server: each command is one RAM API action
//! (Version 2015-05-01) and a way to print its answer.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Map, Value};

use super::client::{Connection, Output, Service, items, params, print_answer, print_list, print_object, read_text};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// CreateUser.
    Create {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// GetUser.
    Get { name: String },
    /// ListUsers.
    List,
    /// DeleteUser (it must have no AccessKeys, policies or groups left).
    Delete { name: String },
    /// ListGroupsForUser.
    Groups { name: String },
    /// ListPoliciesForUser.
    Policies { name: String },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// CreateGroup.
    Create {
        name: String,
        #[arg(long)]
        comments: Option<String>,
    },
    /// GetGroup.
    Get { name: String },
    /// ListGroups.
    List,
    /// DeleteGroup.
    Delete { name: String },
    /// AddUserToGroup.
    AddUser { group: String, user: String },
    /// RemoveUserFromGroup.
    RemoveUser { group: String, user: String },
    /// ListUsersForGroup.
    Users { group: String },
    /// ListPoliciesForGroup.
    Policies { group: String },
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// CreateRole.
    Create {
        name: String,
        /// Trust policy file; default: trusted by OOS executions (`oos.aliyuncs.com`).
        #[arg(long)]
        trust_policy: Option<PathBuf>,
        #[arg(long)]
        description: Option<String>,
    },
    /// GetRole.
    Get { name: String },
    /// ListRoles.
    List,
    /// DeleteRole.
    Delete { name: String },
    /// ListPoliciesForRole.
    Policies { name: String },
}

/// The policy commands that need a server (beside the offline validate, simulate and generate).
#[derive(Debug, Subcommand)]
pub enum ServerPolicyCommand {
    /// CreatePolicy from a policy document file.
    Create {
        name: String,
        #[arg(long)]
        document: PathBuf,
        #[arg(long)]
        description: Option<String>,
    },
    /// GetPolicy with its document.
    Get {
        name: String,
        #[arg(long = "type", default_value = "Custom")]
        policy_type: String,
    },
    /// ListPolicies (System, Custom or both).
    List {
        #[arg(long = "type")]
        policy_type: Option<String>,
    },
    /// DeletePolicy (it must be attached nowhere).
    Delete { name: String },
    /// AttachPolicyToUser|Group|Role.
    Attach(AttachArgs),
    /// DetachPolicyFromUser|Group|Role.
    Detach(AttachArgs),
}

/// A policy and the one user, group or role it is attached to.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["user", "group", "role"])))]
pub struct AttachArgs {
    /// The policy's name.
    name: String,
    #[arg(long)]
    user: Option<String>,
    #[arg(long)]
    group: Option<String>,
    #[arg(long)]
    role: Option<String>,
    /// System or Custom.
    #[arg(long = "type", default_value = "Custom")]
    policy_type: String,
}

#[derive(Debug, Subcommand)]
pub enum AccessKeyCommand {
    /// CreateAccessKey: prints the secret, its only clear copy.
    Create {
        /// Owner; default: the caller.
        #[arg(long)]
        user: Option<String>,
    },
    /// ListAccessKeys.
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// UpdateAccessKey to Active.
    Activate {
        id: String,
        #[arg(long)]
        user: Option<String>,
    },
    /// UpdateAccessKey to Inactive.
    Deactivate {
        id: String,
        #[arg(long)]
        user: Option<String>,
    },
    /// DeleteAccessKey.
    Delete {
        id: String,
        #[arg(long)]
        user: Option<String>,
    },
}

/// How an answer is printed.
enum Shape {
    /// The object under this key.
    Object(&'static str),
    /// The answer without its RequestId.
    Whole,
    /// `{plural: {singular: [...]}}` with these columns.
    List(&'static str, &'static str, &'static [&'static str]),
    /// A line saying what was done.
    Done(String),
}

/// One RAM action to send and how to print its answer.
pub struct Request {
    action: &'static str,
    params: Map<String, Value>,
    shape: Shape,
}

const USER_COLUMNS: &[&str] = &["UserName", "UserId", "DisplayName", "CreateDate"];
const GROUP_COLUMNS: &[&str] = &["GroupName", "Comments", "CreateDate"];
const ROLE_COLUMNS: &[&str] = &["RoleName", "Arn", "Description", "CreateDate"];
const POLICY_COLUMNS: &[&str] = &["PolicyName", "PolicyType", "Description"];
const KEY_COLUMNS: &[&str] = &["AccessKeyId", "Status", "CreateDate"];

fn text(value: impl Into<String>) -> Option<Value> {
    Some(Value::String(value.into()))
}

fn request(action: &'static str, pairs: Vec<(&str, Option<Value>)>, shape: Shape) -> Request {
    Request { action, params: params(pairs), shape }
}

fn policies(key: &str, name: String, action: &'static str) -> Request {
    request(action, vec![(key, text(name))], Shape::List("Policies", "Policy", POLICY_COLUMNS))
}

pub fn user(command: UserCommand) -> anyhow::Result<Request> {
    Ok(match command {
        UserCommand::Create { name, display_name } => {
            request("CreateUser", vec![("UserName", text(name)), ("DisplayName", display_name.map(Value::String))], Shape::Object("User"))
        }
        UserCommand::Get { name } => request("GetUser", vec![("UserName", text(name))], Shape::Object("User")),
        UserCommand::List => request("ListUsers", vec![], Shape::List("Users", "User", USER_COLUMNS)),
        UserCommand::Delete { name } => request("DeleteUser", vec![("UserName", text(name.clone()))], Shape::Done(format!("deleted user {name}"))),
        UserCommand::Groups { name } => request("ListGroupsForUser", vec![("UserName", text(name))], Shape::List("Groups", "Group", GROUP_COLUMNS)),
        UserCommand::Policies { name } => policies("UserName", name, "ListPoliciesForUser"),
    })
}

pub fn group(command: GroupCommand) -> anyhow::Result<Request> {
    let membership = |action, group: String, user: String, done: String| {
        request(action, vec![("GroupName", text(group)), ("UserName", text(user))], Shape::Done(done))
    };
    Ok(match command {
        GroupCommand::Create { name, comments } => {
            request("CreateGroup", vec![("GroupName", text(name)), ("Comments", comments.map(Value::String))], Shape::Object("Group"))
        }
        GroupCommand::Get { name } => request("GetGroup", vec![("GroupName", text(name))], Shape::Object("Group")),
        GroupCommand::List => request("ListGroups", vec![], Shape::List("Groups", "Group", GROUP_COLUMNS)),
        GroupCommand::Delete { name } => request("DeleteGroup", vec![("GroupName", text(name.clone()))], Shape::Done(format!("deleted group {name}"))),
        GroupCommand::AddUser { group, user } => {
            let done = format!("added {user} to {group}");
            membership("AddUserToGroup", group, user, done)
        }
        GroupCommand::RemoveUser { group, user } => {
            let done = format!("removed {user} from {group}");
            membership("RemoveUserFromGroup", group, user, done)
        }
        GroupCommand::Users { group } => request("ListUsersForGroup", vec![("GroupName", text(group))], Shape::List("Users", "User", USER_COLUMNS)),
        GroupCommand::Policies { group } => policies("GroupName", group, "ListPoliciesForGroup"),
    })
}

pub fn role(command: RoleCommand) -> anyhow::Result<Request> {
    Ok(match command {
        RoleCommand::Create { name, trust_policy, description } => {
            let trust = match trust_policy {
                Some(file) => read_text(&file)?,
                None => oos_iam::service::oos_trust_policy(),
            };
            let pairs = vec![("RoleName", text(name)), ("AssumeRolePolicyDocument", text(trust)), ("Description", description.map(Value::String))];
            request("CreateRole", pairs, Shape::Object("Role"))
        }
        RoleCommand::Get { name } => request("GetRole", vec![("RoleName", text(name))], Shape::Object("Role")),
        RoleCommand::List => request("ListRoles", vec![], Shape::List("Roles", "Role", ROLE_COLUMNS)),
        RoleCommand::Delete { name } => request("DeleteRole", vec![("RoleName", text(name.clone()))], Shape::Done(format!("deleted role {name}"))),
        RoleCommand::Policies { name } => policies("RoleName", name, "ListPoliciesForRole"),
    })
}

pub fn policy(command: ServerPolicyCommand) -> anyhow::Result<Request> {
    Ok(match command {
        ServerPolicyCommand::Create { name, document, description } => {
            let pairs = vec![("PolicyName", text(name)), ("PolicyDocument", text(read_text(&document)?)), ("Description", description.map(Value::String))];
            request("CreatePolicy", pairs, Shape::Object("Policy"))
        }
        ServerPolicyCommand::Get { name, policy_type } => request("GetPolicy", vec![("PolicyName", text(name)), ("PolicyType", text(policy_type))], Shape::Whole),
        ServerPolicyCommand::List { policy_type } => {
            request("ListPolicies", vec![("PolicyType", policy_type.map(Value::String))], Shape::List("Policies", "Policy", POLICY_COLUMNS))
        }
        ServerPolicyCommand::Delete { name } => request("DeletePolicy", vec![("PolicyName", text(name.clone()))], Shape::Done(format!("deleted policy {name}"))),
        ServerPolicyCommand::Attach(args) => attachment(args, true),
        ServerPolicyCommand::Detach(args) => attachment(args, false),
    })
}

fn attachment(args: AttachArgs, attach: bool) -> Request {
    let (action, key, target) = match (args.user, args.group, args.role, attach) {
        (Some(user), _, _, true) => ("AttachPolicyToUser", "UserName", user),
        (Some(user), _, _, false) => ("DetachPolicyFromUser", "UserName", user),
        (_, Some(group), _, true) => ("AttachPolicyToGroup", "GroupName", group),
        (_, Some(group), _, false) => ("DetachPolicyFromGroup", "GroupName", group),
        (_, _, role, true) => ("AttachPolicyToRole", "RoleName", role.unwrap_or_default()),
        (_, _, role, false) => ("DetachPolicyFromRole", "RoleName", role.unwrap_or_default()),
    };
    let done = format!("{} policy {} {} {target}", if attach { "attached" } else { "detached" }, args.name, if attach { "to" } else { "from" });
    request(action, vec![("PolicyName", text(args.name)), ("PolicyType", text(args.policy_type)), (key, text(target))], Shape::Done(done))
}

pub fn access_key(command: AccessKeyCommand) -> anyhow::Result<Request> {
    let owner = |user: Option<String>| ("UserName", user.map(Value::String));
    let status = |id: String, user, status: &str| {
        let done = format!("AccessKey {id} is {status}");
        request("UpdateAccessKey", vec![("UserAccessKeyId", text(id)), ("Status", text(status)), owner(user)], Shape::Done(done))
    };
    Ok(match command {
        AccessKeyCommand::Create { user } => request("CreateAccessKey", vec![owner(user)], Shape::Object("AccessKey")),
        AccessKeyCommand::List { user } => request("ListAccessKeys", vec![owner(user)], Shape::List("AccessKeys", "AccessKey", KEY_COLUMNS)),
        AccessKeyCommand::Activate { id, user } => status(id, user, "Active"),
        AccessKeyCommand::Deactivate { id, user } => status(id, user, "Inactive"),
        AccessKeyCommand::Delete { id, user } => {
            let done = format!("deleted AccessKey {id}");
            request("DeleteAccessKey", vec![("UserAccessKeyId", text(id)), owner(user)], Shape::Done(done))
        }
    })
}

/// Sends `request` and prints the answer.
pub fn run(connection: &Connection, request: Request, output: Output) -> anyhow::Result<ExitCode> {
    let answer = connection.call_service(Service::Ram, request.action, request.params)?;
    match request.shape {
        Shape::Object(key) => print_object(output, &answer[key]),
        Shape::Whole => print_answer(output, answer),
        Shape::List(plural, singular, columns) => print_list(output, &items(&answer, &[plural, singular]), columns),
        Shape::Done(line) => println!("{line}"),
    }
    Ok(ExitCode::SUCCESS)
}
