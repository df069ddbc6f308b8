//! The CLI as a client of `oos server`: `oos login` with the root credentials file, then users, AccessKeys,
//! policies, templates and executions through the API; a user's refusal is the server's Forbidden.RAM; and
//! `oos execution list` still reads the local data directory when no server is configured; a user changes its own
//! console password with `oos iam change-password`.

mod cli_support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cli_support::oos;
use oos_testkit::{OosProcess, repo_root};
use serde_json::Value;

/// Runs a command that must succeed and parses its `--output json` answer.
fn json(home: &Path, args: &[&str]) -> Value {
    let output = oos(home, &[args, &["--output", "json"]].concat());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "oos {args:?} failed: {}{stdout}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("oos {args:?} printed no JSON ({error}): {stdout}"))
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}"))
}

fn example(name: &str) -> String {
    repo_root().join("examples").join(name).display().to_string()
}

#[test]
fn login_then_users_keys_policies_templates_and_executions_through_the_api() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let data: PathBuf = home.join("data");
    let data_arg = data.to_str().unwrap();
    let fleet = example("sandbox-fleet.yaml");
    let server = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &["server", "--listen", "127.0.0.1:0", "--data-dir", data_arg, "--sandbox", "--fleet", &fleet])
        .expect("oos server starts");
    let endpoint = format!("http://{}", server.endpoint());
    let credentials = data.join("root-credentials.json");

    let login = oos(home, &["login", "--endpoint", &endpoint, "--credentials-file", credentials.to_str().unwrap()]);
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let mode = std::fs::metadata(home.join("config.json")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the profile file holds a secret");

    let user = json(home, &["iam", "user", "create", "operator", "--display-name", "Operator"]);
    assert_eq!((text(&user["UserName"]), text(&user["DisplayName"])), ("operator", "Operator"));
    let key = json(home, &["iam", "accesskey", "create", "--user", "operator"]);
    let (id, secret) = (text(&key["AccessKeyId"]).to_owned(), text(&key["AccessKeySecret"]).to_owned());
    let listed = json(home, &["iam", "accesskey", "list", "--user", "operator"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert!(listed[0].get("AccessKeySecret").is_none(), "secrets are shown once: {listed}");

    let template = json(home, &["template", "create", "lab", "--file", &example("lab-stop-start.json")]);
    assert_eq!((text(&template["TemplateName"]), text(&template["TemplateVersion"])), ("lab", "v1"));
    assert_eq!(json(home, &["template", "list"]).as_array().map(Vec::len), Some(1));
    let validated = json(home, &["template", "validate-remote", &example("lab-stop-start.json")]);
    assert!(validated["Tasks"].as_array().is_some_and(|tasks| tasks.iter().any(|t| t["Name"] == "DescribeBefore")), "{validated}");

    let as_operator = ["--access-key-id", id.as_str(), "--access-key-secret", secret.as_str()];
    let start = |home: &Path| oos(home, &[&["execution", "start", "lab", "-p", "RegionId=cn-hangzhou", "-p", "InstanceId=i-quickstart-web1"][..], &as_operator, &["-o", "json"]].concat());
    let refused = start(home);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("Forbidden.RAM"), "{refused:?}");

    let policy = home.join("operator.json");
    std::fs::write(&policy, r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oos:StartExecution", "oos:List*", "ecs:Describe*"], "Resource": "*"}]}"#).unwrap();
    let created = json(home, &["iam", "policy", "create", "operator-run", "--document", policy.to_str().unwrap()]);
    assert_eq!(text(&created["PolicyType"]), "Custom");
    assert!(oos(home, &["iam", "policy", "attach", "operator-run", "--user", "operator"]).status.success());
    let attached = json(home, &["iam", "user", "policies", "operator"]);
    assert_eq!(text(&attached[0]["PolicyName"]), "operator-run", "{attached}");

    let started = start(home);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    let execution: Value = serde_json::from_slice(&started.stdout).unwrap();
    let execution_id = text(&execution["ExecutionId"]).to_owned();
    let status = (0..600)
        .map(|_| {
            let listed = json(home, &["execution", "list"]);
            let status = listed.as_array().and_then(|all| all.iter().find(|e| e["ExecutionId"] == execution_id.as_str())).map(|e| text(&e["Status"]).to_owned());
            std::thread::sleep(std::time::Duration::from_millis(50));
            status.unwrap_or_default()
        })
        .find(|status| !matches!(status.as_str(), "Queued" | "Running" | ""))
        .unwrap_or_default();
    // The execution has no RamRole: its cloud calls are checked against the starter's policies.
    assert_eq!(status, "Success", "{}\n{}", serde_json::to_string(&json(home, &["execution", "tasks", &execution_id])).unwrap(), server.output());
    let tasks = json(home, &["execution", "tasks", &execution_id]);
    assert!(tasks.as_array().is_some_and(|tasks| tasks.iter().any(|t| t["TaskName"] == "DescribeBefore" && t["Status"] == "Success")), "{tasks}");
    server.stop().unwrap();

    // Without a server configured, `oos execution` reads the data directory, as after `oos run`.
    std::fs::remove_file(home.join("config.json")).unwrap();
    let local = json(home, &["execution", "list", "--data-dir", data_arg]);
    assert!(local.as_array().is_some_and(|all| all.iter().any(|e| e["ExecutionId"] == execution_id.as_str())), "{local}");
}

#[test]
fn the_cli_reaches_a_tls_server_once_told_to_trust_its_certificate() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let data = home.join("data");
    let server = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &["server", "--listen", "127.0.0.1:0", "--data-dir", data.to_str().unwrap(), "--tls-self-signed"])
        .expect("oos server starts");
    let endpoint = format!("https://{}", server.endpoint());
    let credentials = data.join("root-credentials.json");
    let certificate = data.join("tls-cert.pem");
    assert!(server.output().contains(certificate.to_str().unwrap()), "the start names the certificate: {}", server.output());

    // Not trusted: the client refuses the server's certificate, and says so.
    let refused = oos(home, &["login", "--endpoint", &endpoint, "--credentials-file", credentials.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && stderr.contains("NetworkError.Tls") && stderr.contains("invalid peer certificate"), "{stderr}");

    // Trusted (kept in the profile by `oos login --ca-cert`): the calls go through.
    let login = oos(home, &["login", "--endpoint", &endpoint, "--credentials-file", credentials.to_str().unwrap(), "--ca-cert", certificate.to_str().unwrap()]);
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let template = json(home, &["template", "create", "lab", "--file", &example("lab-stop-start.json")]);
    assert_eq!(text(&template["TemplateName"]), "lab");
    assert_eq!(json(home, &["template", "list"]).as_array().map(Vec::len), Some(1));
    server.stop().expect("the server stops");
}

/// Runs `oos` with `input` on stdin (a pipe: passwords are read one a line, never echoed or asked for).
fn oos_with_stdin(home: &Path, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_oos"))
        .args(args)
        .env("HOME", home)
        .env("OOS_CONFIG", home.join("config.json"))
        .env_remove("OOS_ENDPOINT")
        .env_remove("OOS_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("oos runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_user_changes_its_own_console_password_with_its_access_key() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let data = home.join("data");
    let server = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &["server", "--listen", "127.0.0.1:0", "--data-dir", data.to_str().unwrap()]).expect("oos server starts");
    let endpoint = format!("http://{}", server.endpoint());
    let login = oos(home, &["login", "--endpoint", &endpoint, "--credentials-file", data.join("root-credentials.json").to_str().unwrap()]);
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    json(home, &["iam", "user", "create", "dana"]);
    let created = oos_with_stdin(home, &["iam", "login-profile", "create", "dana", "--password-reset-required"], "First-Passw0rd!\n");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let key = json(home, &["iam", "accesskey", "create", "--user", "dana"]);
    let as_dana = ["--access-key-id", text(&key["AccessKeyId"]), "--access-key-secret", text(&key["AccessKeySecret"])];
    let policy = home.join("dana.json");
    std::fs::write(&policy, r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:ChangePassword", "Resource": "*"}]}"#).unwrap();
    json(home, &["iam", "policy", "create", "dana-password", "--document", policy.to_str().unwrap()]);
    assert!(oos(home, &["iam", "policy", "attach", "dana-password", "--user", "dana"]).status.success());

    let change = |input: &str| oos_with_stdin(home, &[&["iam", "change-password"][..], &as_dana].concat(), input);
    let wrong = change("Not-The-Passw0rd\nSecond-Passw0rd!\nSecond-Passw0rd!\n");
    assert!(!wrong.status.success() && String::from_utf8_lossy(&wrong.stderr).contains("ChangePassword.InvalidOldPassword"), "{wrong:?}");
    let differ = change("First-Passw0rd!\nSecond-Passw0rd!\nThird-Passw0rd!\n");
    assert!(!differ.status.success() && String::from_utf8_lossy(&differ.stderr).contains("differ"), "{differ:?}");
    let changed = change("First-Passw0rd!\nSecond-Passw0rd!\nSecond-Passw0rd!\n");
    assert!(changed.status.success(), "{}", String::from_utf8_lossy(&changed.stderr));
    assert_eq!(json(home, &["iam", "login-profile", "get", "dana"])["PasswordResetRequired"], false);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sign_in = |password: &str| {
        let body = serde_json::json!({"UserName": "dana", "Password": password}).to_string();
        let sent = reqwest::Client::new().post(format!("{endpoint}/console/api/session")).header("content-type", "application/json").body(body).send();
        runtime.block_on(sent).unwrap().status().as_u16()
    };
    assert_eq!((sign_in("First-Passw0rd!"), sign_in("Second-Passw0rd!")), (401, 200));
    server.stop().unwrap();
}
