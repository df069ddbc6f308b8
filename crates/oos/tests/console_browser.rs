//! The web console in a real browser: Debian's Chromium driven headless by Playwright
//! (`playwright-core`, pinned, installed with npm under the target directory by
//! `oos_testkit::browser`). Each test starts `oos server --sandbox`, makes its RAM users (login
//! profiles, an MFA device) with signed calls, and runs one script of `tests/console/` with `node`;
//! the script fails the test by exiting non-zero. `CONSOLE_SCREENSHOTS=<dir>` saves a PNG of each
//! page the scripts visit.
//!
//! Without `/usr/bin/chromium` the tests say so loudly and pass, except under `CI`, where they fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use oos_testkit::browser::{CHROMIUM, playwright};
use oos_testkit::{OosProcess, repo_root};
use serde_json::Value;

const INSTANCE: &str = "i-console-lab";
const PASSWORD: &str = "Console-Passw0rd!";

const FLEET: &str = "
regions: [cn-hangzhou]
instances:
  - ids: [i-console-lab]
    name: lab
    region: cn-hangzhou
";

const SLOW_LOOP: &str = r#"{"FormatVersion": "OOS-2019-06-01", "Description": "Thirty pauses, three at a time.",
 "Tasks": [{"Name": "Pause", "Action": "ACS::Sleep", "Properties": {"Duration": "PT1S"},
   "Loop": {"Items": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30], "Concurrency": 3}}]}"#;

/// A sandbox server and the root's signed calls to it.
struct Lab {
    server: OosProcess,
    root: (String, String),
    data: tempfile::TempDir,
}

impl Lab {
    fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let fleet = data.path().join("fleet.yaml");
        std::fs::write(&fleet, FLEET).unwrap();
        let data_dir = data.path().join("data");
        let args = ["server", "--listen", "127.0.0.1:0", "--data-dir", data_dir.to_str().unwrap(), "--sandbox", "--fleet", fleet.to_str().unwrap(), "--transition-delay", "0"];
        let server = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &args).expect("oos server starts");
        let credentials: Value = serde_json::from_str(&std::fs::read_to_string(data_dir.join("root-credentials.json")).unwrap()).unwrap();
        let root = (credentials["AccessKeyId"].as_str().unwrap().to_owned(), credentials["AccessKeySecret"].as_str().unwrap().to_owned());
        Self { server, root, data }
    }

    fn url(&self) -> String {
        format!("http://{}", self.server.endpoint())
    }

    /// A signed call of `service` (OOS, RAM) as the root; its JSON answer.
    fn call(&self, service: &str, action: &str, parameters: &[(&str, &str)]) -> Value {
        let parameters: Vec<String> = parameters.iter().map(|(key, value)| format!("{key}={value}")).collect();
        let output = Command::new(env!("CARGO_BIN_EXE_oos"))
            .args(["api", service, action, "--endpoint", &self.url(), "--region", "cn-hangzhou"])
            .args(&parameters)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", &self.root.0)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &self.root.1)
            .env("HOME", self.data.path())
            .output()
            .expect("oos api runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{service} {action} failed: {}{stdout}\n--- server ---\n{}", String::from_utf8_lossy(&output.stderr), self.server.output());
        serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{action} printed no JSON ({error}): {stdout}"))
    }

    /// A RAM user with a console password and a policy of `actions`; its sign-in name.
    fn user(&self, name: &str, actions: &str) -> String {
        self.call("RAM", "CreateUser", &[("UserName", name)]);
        let document = format!(r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": {actions}, "Resource": "*"}}]}}"#);
        self.call("RAM", "CreatePolicy", &[("PolicyName", &format!("{name}-console")), ("PolicyDocument", &document)]);
        self.call("RAM", "AttachPolicyToUser", &[("PolicyType", "Custom"), ("PolicyName", &format!("{name}-console")), ("UserName", name)]);
        self.call("RAM", "CreateLoginProfile", &[("UserName", name), ("Password", PASSWORD)]);
        name.to_owned()
    }

    /// Binds a new virtual MFA device to `user`; its Base32 seed.
    fn bind_mfa(&self, user: &str, playwright: &Path) -> String {
        let device = self.call("RAM", "CreateVirtualMFADevice", &[("VirtualMFADeviceName", user)]);
        let serial = device.pointer("/VirtualMFADevice/SerialNumber").and_then(Value::as_str).expect("a SerialNumber").to_owned();
        let seed = device.pointer("/VirtualMFADevice/Base32StringSeed").and_then(Value::as_str).expect("a Base32StringSeed").to_owned();
        let codes = Command::new("node").arg(script("totp.mjs")).arg(&seed).env("PLAYWRIGHT_DIR", playwright).output().expect("node runs");
        let codes = String::from_utf8_lossy(&codes.stdout);
        let codes: Vec<&str> = codes.lines().collect();
        self.call("RAM", "BindMFADevice", &[("SerialNumber", &serial), ("UserName", user), ("AuthenticationCode1", codes[0]), ("AuthenticationCode2", codes[1])]);
        seed
    }

    fn template(&self, name: &str, content: &str) {
        self.call("OOS", "CreateTemplate", &[("TemplateName", name), ("Content", content)]);
    }

    /// Runs `tests/console/<spec>` against this server; fails with its output, else returns it.
    fn run(&self, playwright: &Path, spec: &str, env: &[(&str, &str)]) -> String {
        let output = Command::new("node")
            .arg(script(spec))
            .env("PLAYWRIGHT_DIR", playwright)
            .env("CONSOLE_SERVER", self.url())
            .env("CHROMIUM", CHROMIUM)
            .envs(env.iter().copied())
            .output()
            .expect("node runs");
        let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        eprintln!("{printed}");
        assert!(output.status.success(), "{spec} failed:\n{printed}\n--- server ---\n{}", self.server.output());
        printed
    }
}

fn script(name: &str) -> PathBuf {
    repo_root().join("crates/oos/tests/console").join(name)
}

/// Everything allowed: an administrator of the console.
const ADMIN: &str = r#""*""#;

#[test]
fn sign_in_asks_for_the_mfa_code_after_the_password() {
    let Some(playwright) = playwright() else { return };
    let lab = Lab::start();
    let user = lab.user("alice", ADMIN);
    let seed = lab.bind_mfa(&user, &playwright);
    lab.run(&playwright, "signin.mjs", &[("MFA_USER", &user), ("MFA_PASSWORD", PASSWORD), ("MFA_SEED", &seed)]);
}

#[test]
fn the_editor_marks_every_validation_error_at_its_line_and_versions_diff() {
    let Some(playwright) = playwright() else { return };
    let lab = Lab::start();
    let user = lab.user("author", ADMIN);
    lab.run(&playwright, "templates.mjs", &[("AUTHOR_USER", &user), ("AUTHOR_PASSWORD", PASSWORD)]);
}

#[test]
fn the_lab_template_starts_from_its_form_and_turns_green_live() {
    let Some(playwright) = playwright() else { return };
    let lab = Lab::start();
    let user = lab.user("author", ADMIN);
    lab.template("lab", &std::fs::read_to_string(repo_root().join("examples/lab-stop-start.json")).unwrap());
    lab.run(&playwright, "lab.mjs", &[("AUTHOR_USER", &user), ("AUTHOR_PASSWORD", PASSWORD), ("LAB_INSTANCE", INSTANCE)]);
}

#[test]
fn a_running_loop_is_counted_filtered_and_cancelled() {
    let Some(playwright) = playwright() else { return };
    let lab = Lab::start();
    let user = lab.user("author", ADMIN);
    lab.template("slow-loop", SLOW_LOOP);
    lab.run(&playwright, "loop.mjs", &[("AUTHOR_USER", &user), ("AUTHOR_PASSWORD", PASSWORD)]);
}

/// Three short pauses, for stepping through in Debug mode.
const THREE_STEPS: &str = r#"{"FormatVersion": "OOS-2019-06-01", "Description": "Three steps.",
 "Tasks": [{"Name": "First", "Action": "ACS::Sleep", "Properties": {"Duration": "PT1S"}},
  {"Name": "Second", "Action": "ACS::Sleep", "Properties": {"Duration": "PT1S"}},
  {"Name": "Third", "Action": "ACS::Sleep", "Properties": {"Duration": "PT1S"}}]}"#;

/// A task that always fails (the fleet has no such instance), then one that succeeds.
const STOP_A_GHOST: &str = r#"{"FormatVersion": "OOS-2019-06-01", "Description": "Stop an instance that is not there.",
 "Tasks": [{"Name": "StopGhost", "Action": "ACS::ExecuteAPI",
   "Properties": {"Service": "ECS", "API": "StopInstance", "Parameters": {"RegionId": "cn-hangzhou", "InstanceId": "i-console-ghost"}}},
  {"Name": "After", "Action": "ACS::Sleep", "Properties": {"Duration": "PT1S"}}]}"#;

/// The `(TaskName, Status)` of every top-level run of execution `id`, oldest first, as the API lists them.
fn task_statuses(lab: &Lab, id: &str) -> Vec<(String, String)> {
    let listed = lab.call("OOS", "ListTaskExecutions", &[("ExecutionId", id), ("SortOrder", "Ascending")]);
    let runs = listed["TaskExecutions"].as_array().expect("TaskExecutions");
    runs.iter().map(|run| (run["TaskName"].as_str().unwrap().to_owned(), run["Status"].as_str().unwrap().to_owned())).collect()
}

#[test]
fn debug_and_failure_pause_are_stepped_from_the_execution_view() {
    let Some(playwright) = playwright() else { return };
    let lab = Lab::start();
    let user = lab.user("author", ADMIN);
    lab.template("three-steps", THREE_STEPS);
    lab.template("stop-a-ghost", STOP_A_GHOST);
    let printed = lab.run(&playwright, "modes.mjs", &[("AUTHOR_USER", &user), ("AUTHOR_PASSWORD", PASSWORD)]);
    let execution = |mode: &str| {
        let prefix = format!("EXECUTION {mode} ");
        printed.lines().find_map(|line| line.strip_prefix(&prefix)).unwrap_or_else(|| panic!("modes.mjs names its {mode} execution:\n{printed}")).to_owned()
    };
    let named = |runs: &[(&str, &str)]| runs.iter().map(|(task, status)| (task.to_string(), status.to_string())).collect::<Vec<_>>();

    let debug = execution("Debug");
    let finished = lab.wait_for(&debug, "Success");
    assert_eq!(finished["Mode"], "Debug");
    assert_eq!(task_statuses(&lab, &debug), named(&[("First", "Success"), ("Second", "Skipped"), ("Third", "Success")]));

    let paused = execution("FailurePause");
    let finished = lab.wait_for(&paused, "Success");
    assert_eq!(finished["Mode"], "FailurePause");
    assert_eq!(task_statuses(&lab, &paused), named(&[("StopGhost", "Failed"), ("StopGhost", "Failed"), ("After", "Success")]));
}

#[test]
fn an_operator_without_start_execution_sees_the_ram_reason() {
    let Some(playwright) = playwright() else { return };
    let lab = Lab::start();
    let user = lab.user("operator", r#"["oos:List*", "oos:Get*", "oos:ValidateTemplateContent"]"#);
    lab.template("lab", &std::fs::read_to_string(repo_root().join("examples/lab-stop-start.json")).unwrap());
    lab.run(&playwright, "refused.mjs", &[("OPERATOR_USER", &user), ("OPERATOR_PASSWORD", PASSWORD), ("LAB_INSTANCE", INSTANCE)]);
}

/// Two instance parameters the start form offers the cloud's instances for.
const PICKER: &str = r#"{"FormatVersion": "OOS-2019-06-01", "Description": "Pick instances.",
 "Parameters": {"InstanceId": {"Type": "String", "AssociationProperty": "ALIYUN::ECS::Instance::InstanceId"},
   "Targets": {"Type": "Json", "AssociationProperty": "Targets"}},
 "Tasks": [{"Name": "Rest", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}]}"#;

#[test]
fn the_start_forms_instance_pickers_offer_the_sandboxs_ecs_instances() {
    let Some(playwright) = playwright() else { return };
    let lab = Lab::start();
    let user = lab.user("picker", r#"["oos:*", "ecs:DescribeInstances", "ecs:DescribeManagedInstances"]"#);
    lab.template("picker", PICKER);
    lab.run(&playwright, "picker.mjs", &[("PICKER_USER", &user), ("PICKER_PASSWORD", PASSWORD), ("LAB_INSTANCE", INSTANCE)]);
}

#[test]
fn a_user_told_to_reset_changes_the_password_before_anything_else() {
    let Some(playwright) = playwright() else { return };
    let lab = Lab::start();
    let user = lab.user("newcomer", r#"["oos:List*", "oos:Get*", "ram:ChangePassword", "ram:GetUserMFAInfo", "ram:ListVirtualMFADevices"]"#);
    lab.call("RAM", "UpdateLoginProfile", &[("UserName", &user), ("PasswordResetRequired", "true")]);
    lab.run(&playwright, "password.mjs", &[("RESET_USER", &user), ("RESET_PASSWORD", PASSWORD), ("NEW_PASSWORD", "Fresh-Passw0rd-7")]);
}

/// A 2-of-3 ACS::Approve whose webhook carries the message the approvals inbox shows.
const TWO_OF_THREE: &str = r#"{"FormatVersion": "OOS-2019-06-01", "Description": "Two of three approve a reboot.",
 "Tasks": [{"Name": "ApproveReboot", "Action": "ACS::Approve", "Properties": {"NotifyType": "WebHook",
   "WebHook": {"URI": "https://oapi.dingtalk.com/robot/send?access_token=console", "Headers": {"Content-Type": "application/json"},
     "Content": {"msgtype": "text", "text": {"content": "Reboot the lab fleet tonight?"}}},
   "Approvers": ["approver1", "approver2", "approver3"], "MinRequiredApprovals": 2}},
  {"Name": "Rest", "Action": "ACS::Sleep", "Properties": {"Duration": "PT1S"}}]}"#;

/// A schedule: a run every hour.
const HOURLY: &str = r#"{"FormatVersion": "OOS-2019-06-01", "Description": "Every hour.",
 "Tasks": [{"Name": "Every", "Action": "ACS::TimerTrigger", "Properties": {"Type": "rate", "Expression": "1 hours"}},
  {"Name": "Rest", "Action": "ACS::Sleep", "Properties": {"Duration": "PT1S"}}]}"#;

/// What an approver may do: see waiting executions and their tasks, and decide.
const APPROVER: &str = r#"["oos:ListExecutions", "oos:ListTaskExecutions", "oos:NotifyExecution"]"#;

/// An `oos agent` registered with the lab's server, stopped when dropped.
struct Agent(std::process::Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Lab {
    /// Starts template `name` as the root; the execution id once it waits (for a decision or a firing).
    fn start_waiting(&self, name: &str) -> String {
        let started = self.call("OOS", "StartExecution", &[("TemplateName", name)]);
        let id = started.pointer("/Execution/ExecutionId").and_then(Value::as_str).expect("an ExecutionId").to_owned();
        self.wait_for(&id, "Waiting");
        id
    }

    /// Waits (up to 30 s) for execution `id` to be `status`.
    fn wait_for(&self, id: &str, status: &str) -> Value {
        for _ in 0..150 {
            let listed = self.call("OOS", "ListExecutions", &[("ExecutionId", id)]);
            let execution = listed.pointer("/Executions/0").cloned().unwrap_or(Value::Null);
            if execution["Status"] == status {
                return execution;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("execution {id} never became {status}\n--- server ---\n{}", self.server.output());
    }

    /// A real `oos agent` on this host, registered through an activation; its managed instance id.
    fn agent(&self, state: &Path) -> (String, Agent) {
        let activation = self.call("ECS", "CreateActivation", &[("InstanceCount", "1")]);
        let field = |name: &str| activation[name].as_str().unwrap_or_else(|| panic!("CreateActivation answers {name}: {activation}")).to_owned();
        let agent = Agent(
            Command::new(env!("CARGO_BIN_EXE_oos"))
                .args(["agent", "--server", &self.url(), "--state-dir", state.to_str().unwrap()])
                .args(["--activation-id", &field("ActivationId"), "--activation-code", &field("ActivationCode")])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("oos agent starts"),
        );
        for _ in 0..150 {
            let listed = self.call("ECS", "DescribeManagedInstances", &[]);
            if let Some(id) = listed.pointer("/Instances/0").filter(|instance| instance["Connected"] == true).and_then(|instance| instance["InstanceId"].as_str()) {
                return (id.to_owned(), agent);
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("the agent never connected\n--- server ---\n{}", self.server.output());
    }
}

#[test]
fn a_two_of_three_approval_is_given_by_two_users_each_in_a_browser_of_their_own() {
    let Some(playwright) = playwright() else { return };
    let lab = Lab::start();
    for name in ["approver1", "approver2", "outsider"] {
        lab.user(name, APPROVER);
    }
    lab.template("reboot-approval", TWO_OF_THREE);
    let id = lab.start_waiting("reboot-approval");
    let env = [("APPROVAL_EXECUTION", id.as_str()), ("APPROVER_1", "approver1"), ("APPROVER_2", "approver2"), ("OUTSIDER", "outsider"), ("APPROVAL_PASSWORD", PASSWORD)];
    lab.run(&playwright, "approvals.mjs", &env);
    lab.wait_for(&id, "Success");
    let tasks = lab.call("OOS", "ListTaskExecutions", &[("ExecutionId", &id), ("TaskName", "ApproveReboot")]);
    let outputs: Value = serde_json::from_str(tasks.pointer("/TaskExecutions/0/Outputs").and_then(Value::as_str).unwrap()).unwrap();
    assert_eq!(outputs["ApprovedBy"], serde_json::json!(["approver1", "approver2"]), "the two approvals counted, the outsider's not");
}

#[test]
fn schedules_instances_parameters_iam_and_audit_pages_act_and_never_show_a_secret_twice() {
    let Some(playwright) = playwright() else { return };
    let lab = Lab::start();
    let admin = lab.user("admin", ADMIN);
    let viewer = lab.user("viewer", r#"["oos:ListExecutions"]"#);
    lab.template("hourly", HOURLY);
    let trigger = lab.start_waiting("hourly");
    let state = tempfile::tempdir().unwrap();
    let (instance, _agent) = lab.agent(state.path());
    let env = [("ADMIN_USER", admin.as_str()), ("ADMIN_PASSWORD", PASSWORD), ("VIEWER_USER", &viewer), ("TRIGGER_EXECUTION", &trigger), ("MANAGED_INSTANCE", &instance)];
    lab.run(&playwright, "pages.mjs", &env);
    let secrets = lab.call("OOS", "ListSecretParameters", &[]);
    assert_eq!(secrets.pointer("/Parameters/0/ParameterVersion").and_then(Value::as_str), Some("2"), "the secret was updated from the page: {secrets}");
}

#[test]
fn the_audit_page_shows_every_action_of_the_other_browser_tests() {
    let Some(playwright) = playwright() else { return };
    let lab = Lab::start();
    let author = lab.user("author", ADMIN);
    let operator = lab.user("operator", r#"["oos:List*", "oos:Get*", "oos:ValidateTemplateContent"]"#);
    for name in ["approver1", "approver2", "outsider"] {
        lab.user(name, APPROVER);
    }
    let auditor = lab.user("auditor", r#"["oos:ListAuditEvents", "oos:VerifyAuditTrail"]"#);
    let lab_template = std::fs::read_to_string(repo_root().join("examples/lab-stop-start.json")).unwrap();
    lab.template("lab", &lab_template);
    lab.template("slow-loop", SLOW_LOOP);
    lab.template("reboot-approval", TWO_OF_THREE);
    let authoring = [("AUTHOR_USER", author.as_str()), ("AUTHOR_PASSWORD", PASSWORD), ("LAB_INSTANCE", INSTANCE)];
    lab.run(&playwright, "templates.mjs", &authoring);
    lab.run(&playwright, "lab.mjs", &authoring);
    lab.run(&playwright, "loop.mjs", &authoring);
    lab.run(&playwright, "refused.mjs", &[("OPERATOR_USER", operator.as_str()), ("OPERATOR_PASSWORD", PASSWORD), ("LAB_INSTANCE", INSTANCE)]);
    let id = lab.start_waiting("reboot-approval");
    lab.run(&playwright, "approvals.mjs", &[("APPROVAL_EXECUTION", id.as_str()), ("APPROVER_1", "approver1"), ("APPROVER_2", "approver2"), ("OUTSIDER", "outsider"), ("APPROVAL_PASSWORD", PASSWORD)]);
    let expected = serde_json::json!([
        ["ConsoleSignIn", "author", "Success"],
        ["ConsoleSignIn", "operator", "Success"],
        ["ConsoleSignIn", "approver2", "Success"],
        ["CreateTemplate", "author", "Success"],
        ["UpdateTemplate", "author", "Success"],
        ["StartExecution", "author", "Success"],
        ["CancelExecution", "author", "Success"],
        ["StartExecution", "operator", "Forbidden"],
        ["NotifyExecution", "outsider", "Forbidden.NotApprover"],
        ["NotifyExecution", "approver1", "Success"],
        ["NotifyExecution", "approver2", "Success"],
    ]);
    lab.run(&playwright, "audit.mjs", &[("AUDITOR_USER", auditor.as_str()), ("AUDITOR_PASSWORD", PASSWORD), ("AUDIT_EXPECTED", &expected.to_string())]);
}
