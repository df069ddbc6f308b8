//! The connection of every client command (`oos template|execution|iam …` against a server): endpoint and
//! AccessKey from flags, environment or a profile file, signed calls through oos-cloud's client, and the
//! table/json output every client command prints with.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use comfy_table::Table;
use oos_cloud::{CloudClient, CloudConfig, Credentials, simple_call};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where the server is and who calls it; flattened into every client command (`Debug` hides the secret).
#[derive(Clone, Default, clap::Args)]
pub struct ClientArgs {
    /// URL of the OOS server, e.g. http://127.0.0.1:8080 [env: OOS_ENDPOINT]
    #[arg(long, global = true)]
    pub endpoint: Option<String>,
    /// AccessKeyId to sign with [env: OOS_ACCESS_KEY_ID]
    #[arg(long, global = true)]
    pub access_key_id: Option<String>,
    /// AccessKeySecret to sign with [env: OOS_ACCESS_KEY_SECRET]
    #[arg(long, global = true)]
    pub access_key_secret: Option<String>,
    /// A PEM file of certificates to trust for an https endpoint besides the system's (the server's
    /// self-signed tls-cert.pem) [env: OOS_CA_CERT]
    #[arg(long, global = true)]
    pub ca_cert: Option<String>,
    /// Profile of the config file (~/.oos/config.json or $OOS_CONFIG) [env: OOS_PROFILE] [default: the file's current profile]
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Output format: table or json.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Table, global = true)]
    pub output: Output,
}

/// How client commands print answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Columns for lists, Field/Value rows for one object.
    #[default]
    #[value(alias = "text")]
    Table,
    /// The API's JSON, pretty-printed.
    Json,
}

/// One named connection of the profile file (`Debug` hides the secret).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Profile {
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub access_key_secret: Option<String>,
    /// A PEM file of certificates to trust besides the system's.
    pub ca_cert: Option<String>,
}

/// `~/.oos/config.json`: profiles by name and the one used by default.
#[derive(Clone, Default, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ProfileFile {
    pub current: Option<String>,
    pub profiles: std::collections::BTreeMap<String, Profile>,
}

/// `<redacted>` for a present secret.
fn redacted(secret: &Option<String>) -> Option<&'static str> {
    secret.as_ref().map(|_| "<redacted>")
}

impl std::fmt::Debug for ClientArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientArgs")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &redacted(&self.access_key_secret))
            .field("ca_cert", &self.ca_cert)
            .field("profile", &self.profile)
            .field("output", &self.output)
            .finish()
    }
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &redacted(&self.access_key_secret))
            .field("ca_cert", &self.ca_cert)
            .finish()
    }
}

/// The profile used when neither `--profile`, `OOS_PROFILE` nor the file names one.
pub const DEFAULT_PROFILE: &str = "default";

impl ProfileFile {
    /// `$OOS_CONFIG`, else `$HOME/.oos/config.json`.
    pub fn path() -> anyhow::Result<PathBuf> {
        if let Some(path) = env("OOS_CONFIG") {
            return Ok(PathBuf::from(path));
        }
        let home = env("HOME").context("InvalidConfiguration.Home: HOME is not set; set OOS_CONFIG to the profile file")?;
        Ok(Path::new(&home).join(".oos").join("config.json"))
    }

    /// The file's content; empty when it does not exist.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).with_context(|| format!("InvalidConfiguration.ProfileFile: {} is not a profile file", path.display())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes the file readable by its owner only (mode 0600, directory 0700).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty() && !dir.exists()) {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let temporary = path.with_extension("json.tmp");
        let _ = std::fs::remove_file(&temporary);
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary).with_context(|| format!("writing {}", temporary.display()))?;
        file.write_all(&serde_json::to_vec_pretty(self)?)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
    }

    /// The profile `name` (None: `OOS_PROFILE`, the file's current one, then `default`).
    pub fn profile(&self, name: Option<&str>) -> Option<&Profile> {
        self.profiles.get(&self.profile_name(name))
    }

    pub fn profile_name(&self, name: Option<&str>) -> String {
        name.map(str::to_owned).or_else(|| env("OOS_PROFILE")).or_else(|| self.current.clone()).unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

impl ClientArgs {
    /// Endpoint and key, each from the flag, else the environment, else the profile file.
    pub fn resolve(&self) -> anyhow::Result<Profile> {
        let file = ProfileFile::load(&ProfileFile::path()?)?;
        if let Some(name) = &self.profile
            && file.profile(Some(name)).is_none()
        {
            bail!("InvalidConfiguration.ProfileNotFound: profile `{name}` is not in {}", ProfileFile::path()?.display());
        }
        Ok(self.overlay(file.profile(self.profile.as_deref()).cloned().unwrap_or_default()))
    }

    /// `stored` with each field the flags or environment give replaced.
    pub fn overlay(&self, stored: Profile) -> Profile {
        let pick = |flag: &Option<String>, variable: &str, stored: Option<String>| flag.clone().or_else(|| env(variable)).or(stored);
        Profile {
            endpoint: pick(&self.endpoint, "OOS_ENDPOINT", stored.endpoint),
            access_key_id: pick(&self.access_key_id, "OOS_ACCESS_KEY_ID", stored.access_key_id),
            access_key_secret: pick(&self.access_key_secret, "OOS_ACCESS_KEY_SECRET", stored.access_key_secret),
            ca_cert: pick(&self.ca_cert, "OOS_CA_CERT", stored.ca_cert),
        }
    }

    /// The endpoint when one is configured (flag, environment or profile): client commands that also
    /// work offline (`oos execution`) use it to choose.
    pub fn configured_endpoint(&self) -> anyhow::Result<Option<String>> {
        Ok(self.resolve()?.endpoint)
    }

    /// A connection to the configured server; an error names what is missing.
    pub fn connect(&self) -> anyhow::Result<Connection> {
        Connection::open(&self.resolve()?)
    }
}

/// An API error answered by the server (or the transport), with its stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub http_status: Option<u16>,
    pub request_id: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status}")?;
            if let Some(id) = &self.request_id {
                write!(f, ", RequestId {id}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// The product an API action belongs to (it selects the API version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// OOS 2019-06-01.
    Oos,
    /// RAM 2015-05-01 (users, groups, roles, policies, AccessKeys).
    Ram,
    /// ECS 2014-05-26: the Cloud Assistant of managed instances.
    Ecs,
}

impl Service {
    fn code(self) -> &'static str {
        match self {
            Service::Oos => "OOS",
            Service::Ram => "RAM",
            Service::Ecs => "ECS",
        }
    }
}

/// A signed connection to one server.
#[derive(Debug)]
pub struct Connection {
    client: CloudClient,
    runtime: tokio::runtime::Runtime,
}

impl Connection {
    /// Builds the client; every product's calls go to `profile.endpoint`.
    pub fn open(profile: &Profile) -> anyhow::Result<Self> {
        let endpoint = profile.endpoint.clone().context(
            "InvalidConfiguration.Endpoint: no server configured; pass --endpoint, set OOS_ENDPOINT, or run `oos login --endpoint URL --credentials-file FILE`",
        )?;
        let (Some(id), Some(secret)) = (&profile.access_key_id, &profile.access_key_secret) else {
            bail!(
                "InvalidCredentials.NotFound: no AccessKey for {endpoint}; pass --access-key-id/--access-key-secret, set OOS_ACCESS_KEY_ID/OOS_ACCESS_KEY_SECRET, or run `oos login`"
            );
        };
        let config = CloudConfig { ca_certificate: profile.ca_cert.as_ref().map(PathBuf::from), ..CloudConfig::default() }.with_sandbox(endpoint);
        let client = CloudClient::new(config, Credentials::new(id.clone(), secret.clone())).map_err(|error| anyhow::anyhow!("{}: {}", error.code, error.message))?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
        Ok(Self { client, runtime })
    }

    /// One OOS API action (every page of a list action); an [`ApiError`] when the server refuses.
    pub fn call(&self, action: &str, params: Map<String, Value>) -> anyhow::Result<Value> {
        self.call_service(Service::Oos, action, params)
    }

    /// One action of `service`, every page.
    pub fn call_service(&self, service: Service, action: &str, params: Map<String, Value>) -> anyhow::Result<Value> {
        self.send(service, action, params, true)
    }

    /// The first page of an OOS list action only (the caller sets `MaxResults`).
    pub fn first_page(&self, action: &str, params: Map<String, Value>) -> anyhow::Result<Value> {
        self.send(Service::Oos, action, params, false)
    }

    fn send(&self, service: Service, action: &str, params: Map<String, Value>, auto_paging: bool) -> anyhow::Result<Value> {
        let mut call = simple_call(service.code(), action, params);
        call.auto_paging = auto_paging;
        self.runtime.block_on(self.client.execute(&call)).map_err(|error| {
            anyhow::Error::new(ApiError { code: error.code, message: error.message, http_status: error.http_status, request_id: error.request_id })
        })
    }
}

/// Request parameters from `(name, value)` pairs, skipping absent values.
pub fn params<'a>(pairs: impl IntoIterator<Item = (&'a str, Option<Value>)>) -> Map<String, Value> {
    pairs.into_iter().filter_map(|(name, value)| value.map(|value| (name.to_owned(), value))).collect()
}

/// Prints a list of objects: the chosen `columns` as a table, or the whole array as JSON.
pub fn print_list(output: Output, items: &[Value], columns: &[&str]) {
    match output {
        Output::Json => print_json(&Value::Array(items.to_vec())),
        Output::Table => {
            let rows = items.iter().map(|item| columns.iter().map(|column| cell(item.get(*column).unwrap_or(&Value::Null))).collect()).collect();
            print_table(columns, rows);
        }
    }
}

/// Prints one object: Field/Value rows, or the object as JSON.
pub fn print_object(output: Output, value: &Value) {
    match output {
        Output::Json => print_json(value),
        Output::Table => {
            let rows = value.as_object().into_iter().flatten().map(|(key, value)| vec![key.clone(), cell(value)]).collect();
            print_table(&["Field", "Value"], rows);
        }
    }
}

/// Prints a whole API answer, without its `RequestId`, as one object.
pub fn print_answer(output: Output, mut answer: Value) {
    if let Some(fields) = answer.as_object_mut() {
        fields.remove("RequestId");
    }
    print_object(output, &answer);
}

pub fn print_json(value: &Value) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// A table with `header` and `rows` (cells already text).
pub fn print_table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut table = Table::new();
    table.set_header(header.to_vec());
    for row in rows {
        table.add_row(row);
    }
    println!("{table}");
}

/// A JSON value as one table cell: strings bare, null empty, the rest as JSON.
pub fn cell(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The array at `path` of an answer (`["Users", "User"]`), empty when absent.
pub fn items(answer: &Value, path: &[&str]) -> Vec<Value> {
    path.iter().try_fold(answer, |value, key| value.get(*key)).and_then(Value::as_array).cloned().unwrap_or_default()
}

/// A file's text, the error naming the file.
pub fn read_text(file: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn profile(endpoint: &str, id: &str) -> Profile {
        Profile { endpoint: Some(endpoint.into()), access_key_id: Some(id.into()), access_key_secret: Some("secret".into()), ca_cert: None }
    }

    #[test]
    fn flags_win_over_the_stored_profile_field_by_field() {
        let flags = ClientArgs { endpoint: Some("http://flag:1".into()), ..ClientArgs::default() };
        let resolved = flags.overlay(profile("http://stored:2", "stored-id"));
        assert_eq!(resolved.endpoint.as_deref(), Some("http://flag:1"));
        assert_eq!(resolved.access_key_id.as_deref(), Some("stored-id"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let args = ClientArgs { access_key_secret: Some("s3cr3t-value".into()), ..ClientArgs::default() };
        let shown = format!("{args:?} {:?} {:?}", profile("http://x", "id"), ProfileFile { profiles: [("p".into(), profile("http://x", "id"))].into(), current: None });
        assert!(!shown.contains("s3cr3t-value") && !shown.contains("\"secret\"") && shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn the_profile_file_is_private_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("config.json");
        let mut file = ProfileFile { current: Some("ops".into()), ..ProfileFile::default() };
        file.profiles.insert("ops".into(), profile("http://127.0.0.1:8080", "LTAI-ops"));
        file.save(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        let read = ProfileFile::load(&path).unwrap();
        assert_eq!(read.profile(Some("ops")), file.profile(Some("ops")));
        assert!(read.profile(Some("missing")).is_none());
        assert_eq!(ProfileFile::load(&dir.path().join("absent.json")).unwrap().profiles.len(), 0);
    }

    #[test]
    fn a_connection_without_endpoint_or_key_names_what_is_missing() {
        let error = Connection::open(&Profile::default()).unwrap_err().to_string();
        assert!(error.starts_with("InvalidConfiguration.Endpoint"), "{error}");
        let error = Connection::open(&Profile { endpoint: Some("http://127.0.0.1:1".into()), ..Profile::default() }).unwrap_err().to_string();
        assert!(error.starts_with("InvalidCredentials.NotFound"), "{error}");
    }
}
