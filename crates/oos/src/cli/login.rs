//! `oos configure` and `oos login`: write a profile of the client's config file (mode 0600) so that client
//! commands find their server and AccessKey without flags.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::{Map, Value};

use super::client::{ClientArgs, Connection, Profile, ProfileFile};

/// `oos configure`: store the endpoint and key given by flags or environment in a profile (complete, not checked against the server).
#[derive(Debug, clap::Args)]
pub struct ConfigureArgs {
    #[command(flatten)]
    client: ClientArgs,
}

/// `oos login`: check a credentials file (e.g. the server's root-credentials.json) against the server and store it.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// A JSON file with AccessKeyId and AccessKeySecret (what `oos server` writes on first start).
    #[arg(long)]
    credentials_file: Option<PathBuf>,
    #[command(flatten)]
    client: ClientArgs,
}

pub fn configure(args: ConfigureArgs) -> anyhow::Result<ExitCode> {
    let (path, file, name) = open_profile(&args.client)?;
    let profile = args.client.overlay(file.profiles.get(&name).cloned().unwrap_or_default());
    Connection::open(&profile)?;
    store(&path, file, &name, profile)
}

pub fn login(args: LoginArgs) -> anyhow::Result<ExitCode> {
    let (path, file, name) = open_profile(&args.client)?;
    let mut profile = args.client.overlay(file.profiles.get(&name).cloned().unwrap_or_default());
    if let Some(file) = &args.credentials_file {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let document: Value = serde_json::from_str(&text).with_context(|| format!("InvalidCredentials.File: {} is not JSON", file.display()))?;
        let field = |name: &str| {
            document.get(name).and_then(Value::as_str).map(str::to_owned).with_context(|| format!("InvalidCredentials.File: {} has no {name}", file.display()))
        };
        profile.access_key_id = Some(field("AccessKeyId")?);
        profile.access_key_secret = Some(field("AccessKeySecret")?);
    }
    let connection = Connection::open(&profile)?;
    connection.call("ListTemplates", Map::from_iter([("MaxResults".to_owned(), Value::from(1))])).context("checking the key against the server")?;
    store(&path, file, &name, profile)
}

/// The profile file, its content and the name of the profile to write.
fn open_profile(client: &ClientArgs) -> anyhow::Result<(PathBuf, ProfileFile, String)> {
    let path = ProfileFile::path()?;
    let file = ProfileFile::load(&path)?;
    let name = file.profile_name(client.profile.as_deref());
    Ok((path, file, name))
}

/// Saves `profile` under the chosen name and makes it the current one.
fn store(path: &std::path::Path, mut file: ProfileFile, name: &str, profile: Profile) -> anyhow::Result<ExitCode> {
    let endpoint = profile.endpoint.clone().unwrap_or_default();
    let key = profile.access_key_id.clone().unwrap_or_default();
    file.profiles.insert(name.to_owned(), profile);
    file.current = Some(name.to_owned());
    file.save(path)?;
    println!("profile `{name}` ({endpoint}, AccessKeyId {key}) saved in {}", path.display());
    Ok(ExitCode::SUCCESS)
}
