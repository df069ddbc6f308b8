//! `oos iam login-profile …`, `oos iam mfa …` and `oos iam change-password`: a user's console
//! password (RAM's login profile), virtual MFA device and own password change. A password is read from stdin (a pipe) or asked for without echo, never
//! taken as an argument (it would stay in the shell's history); an MFA device's seed is printed
//! once, with its `otpauth://` URI, and bound with two consecutive codes read the same way.

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context as _, bail};
use clap::Subcommand;
use serde_json::Value;
use zeroize::Zeroizing;

use super::client::{Connection, Output, Service, items, params, print_list, print_object};

#[derive(Debug, Subcommand)]
pub enum LoginProfileCommand {
    /// CreateLoginProfile: the user's console password (read from stdin or asked for).
    Create {
        user: String,
        /// The user must change the password (shown to the console).
        #[arg(long)]
        password_reset_required: bool,
        /// The user must have an MFA device bound to sign in.
        #[arg(long)]
        mfa_bind_required: bool,
    },
    /// GetLoginProfile.
    Get { user: String },
    /// UpdateLoginProfile: a new password (with `--password`, read from stdin or asked for) and the flags given.
    Update {
        user: String,
        /// Set a new password.
        #[arg(long)]
        password: bool,
        #[arg(long)]
        password_reset_required: Option<bool>,
        #[arg(long)]
        mfa_bind_required: Option<bool>,
    },
    /// DeleteLoginProfile: the user can no longer sign in to the console.
    Delete { user: String },
}

#[derive(Debug, Subcommand)]
pub enum MfaCommand {
    /// CreateVirtualMFADevice and BindMFADevice: prints the seed once, then binds the device to
    /// the user with two consecutive codes of the authenticator (read from stdin or asked for).
    Create {
        /// The device's name (`acs:ram::<account>:mfa/<name>`).
        name: String,
        #[arg(long)]
        user: String,
    },
    /// GetUserMFAInfo.
    Get { user: String },
    /// ListVirtualMFADevices.
    List,
    /// UnbindMFADevice.
    Unbind { user: String },
    /// DeleteVirtualMFADevice (an unbound one).
    Delete { serial_number: String },
}

const MFA_COLUMNS: &[&str] = &["SerialNumber", "ActivateDate"];

fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

pub fn login_profile(connection: &Connection, command: LoginProfileCommand, output: Output) -> anyhow::Result<ExitCode> {
    let ram = |action: &str, pairs: &[(&str, Value)]| connection.call_service(Service::Ram, action, params(pairs.iter().map(|(name, value)| (*name, Some(value.clone())))));
    match command {
        LoginProfileCommand::Create { user, password_reset_required, mfa_bind_required } => {
            let password = read_secret(&format!("Console password for {user}: "))?;
            let flags = [("PasswordResetRequired", Value::Bool(password_reset_required)), ("MFABindRequired", Value::Bool(mfa_bind_required))];
            let answer = ram("CreateLoginProfile", &[&[("UserName", text(&user)), ("Password", text(&password))][..], &flags[..]].concat())?;
            print_object(output, &answer["LoginProfile"]);
        }
        LoginProfileCommand::Get { user } => print_object(output, &ram("GetLoginProfile", &[("UserName", text(&user))])?["LoginProfile"]),
        LoginProfileCommand::Update { user, password, password_reset_required, mfa_bind_required } => {
            let mut pairs = vec![("UserName", text(&user))];
            let secret = if password { Some(read_secret(&format!("New console password for {user}: "))?) } else { None };
            if let Some(secret) = &secret {
                pairs.push(("Password", text(secret)));
            }
            pairs.extend(password_reset_required.map(|flag| ("PasswordResetRequired", Value::Bool(flag))));
            pairs.extend(mfa_bind_required.map(|flag| ("MFABindRequired", Value::Bool(flag))));
            print_object(output, &ram("UpdateLoginProfile", &pairs)?["LoginProfile"]);
        }
        LoginProfileCommand::Delete { user } => {
            ram("DeleteLoginProfile", &[("UserName", text(&user))])?;
            println!("deleted the login profile of {user}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn mfa(connection: &Connection, command: MfaCommand, output: Output) -> anyhow::Result<ExitCode> {
    let ram = |action: &str, pairs: &[(&str, Value)]| connection.call_service(Service::Ram, action, params(pairs.iter().map(|(name, value)| (*name, Some(value.clone())))));
    match command {
        MfaCommand::Create { name, user } => {
            let created = ram("CreateVirtualMFADevice", &[("VirtualMFADeviceName", text(&name))])?;
            let device = &created["VirtualMFADevice"];
            let serial = device["SerialNumber"].as_str().context("the answer has no SerialNumber")?;
            let seed = device["Base32StringSeed"].as_str().context("the answer has no Base32StringSeed")?;
            let account = serial.strip_prefix("acs:ram::").and_then(|rest| rest.split(':').next()).unwrap_or_default();
            eprintln!("Seed of {serial} (shown once; add it to the authenticator app):");
            println!("{seed}");
            println!("{}", oos_iam::console::totp::otpauth_uri("OpenOOS", &format!("{user}@{account}"), seed));
            let first = read_secret("First code of the authenticator: ")?;
            let second = read_secret("The next code (after it changes): ")?;
            let bind = [("SerialNumber", text(serial)), ("UserName", text(&user)), ("AuthenticationCode1", text(&first)), ("AuthenticationCode2", text(&second))];
            ram("BindMFADevice", &bind)?;
            eprintln!("bound {serial} to {user}");
        }
        MfaCommand::Get { user } => print_object(output, &ram("GetUserMFAInfo", &[("UserName", text(&user))])?["MFADevice"]),
        MfaCommand::List => print_list(output, &items(&ram("ListVirtualMFADevices", &[])?, &["VirtualMFADevices", "VirtualMFADevice"]), MFA_COLUMNS),
        MfaCommand::Unbind { user } => {
            let answer = ram("UnbindMFADevice", &[("UserName", text(&user))])?;
            println!("unbound {} from {user}", answer["MFADevice"]["SerialNumber"].as_str().unwrap_or_default());
        }
        MfaCommand::Delete { serial_number } => {
            ram("DeleteVirtualMFADevice", &[("SerialNumber", text(&serial_number))])?;
            println!("deleted {serial_number}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// ChangePassword as the caller: the current password, then the new one twice.
pub fn change_password(connection: &Connection) -> anyhow::Result<ExitCode> {
    let old = read_secret("Current console password: ")?;
    let new = read_secret("New console password: ")?;
    if *read_secret("New console password again: ")? != *new {
        bail!("the two new passwords differ");
    }
    let pairs = [("OldPassword", Some(text(&old))), ("NewPassword", Some(text(&new)))];
    connection.call_service(Service::Ram, "ChangePassword", params(pairs))?;
    eprintln!("changed your console password");
    Ok(ExitCode::SUCCESS)
}

/// One line of stdin; on a terminal, asked for with `prompt` and without echo.
fn read_secret(prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    let terminal = std::io::stdin().is_terminal();
    if terminal {
        eprint!("{prompt}");
        std::io::stderr().flush()?;
        set_echo(false);
    }
    let mut line = Zeroizing::new(String::new());
    let read = std::io::stdin().lock().read_line(&mut line);
    if terminal {
        set_echo(true);
        eprintln!();
    }
    if read? == 0 {
        bail!("nothing on stdin: pipe the value in, or run in a terminal to be asked for it");
    }
    let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    Ok(trimmed)
}

/// Turns the terminal's echo off or on (`stty`).
fn set_echo(on: bool) {
    let _ = Command::new("stty").arg(if on { "echo" } else { "-echo" }).stdin(Stdio::inherit()).status();
}
