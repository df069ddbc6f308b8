//! Console sign-in and session-authenticated requests over real HTTP: passwords set through RAM's
//! CreateLoginProfile, the cookie's flags (Secure over TLS), CSRF, MFA and `acs:MFAPresent`,
//! lock-out and its end (virtual time), idle and absolute session ends, sign-out, revocation (also by
//! a password change: the user's other sessions, an administrator's: all), the
//! session's StartExecution audited as its user, `/stream` on the cookie, and abuse: oversized
//! bodies, a flood of sign-ins from one address, the unknown-user path, no password or seed in the
//! store in plain text.

mod api_client;

use std::sync::Arc;
use std::time::{Duration, Instant};

use api_client::{Backend, Bed, call, client, events, oos, ram, start_on, start_served};
use oos_clock::{Clock, VirtualClock};
use oos_cloud::{CloudClient, Credentials};
use oos_iam::console::totp;
use oos_runtime::RuntimeConfig;
use oos_server::OOS_VERSION;
use oos_server::console::{COOKIE, CSRF_HEADER, SESSION_PATH};
use serde_json::{Value, json};

const PASSWORD: &str = "Corr3ct-Horse-42";
const NEW_PASSWORD: &str = "N3w-Battery-Staple";
const RAM: &str = "2015-05-01";
const SLEEP: &str = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"pause","Action":"ACS::Sleep","Properties":{"Duration":"PT0S"}}]}"#;

/// A browser's view of the server: JSON in, cookies by hand.
struct Browser {
    http: reqwest::Client,
    base: String,
}

/// One answer: status, JSON body, the `Set-Cookie` header.
struct Answer {
    status: u16,
    body: Value,
    set_cookie: Option<String>,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or("")
    }

    /// The session token the answer's cookie sets.
    fn token(&self) -> String {
        let cookie = self.set_cookie.as_deref().expect("a Set-Cookie header");
        cookie.strip_prefix(&format!("{COOKIE}=")).and_then(|rest| rest.split(';').next()).unwrap().to_owned()
    }
}

/// A signed-in session: its cookie token and CSRF token.
struct Session {
    token: String,
    csrf: String,
}

impl Browser {
    fn new(base: String) -> Self {
        Self { http: reqwest::Client::new(), base }
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let set_cookie = response.headers().get("set-cookie").map(|value| value.to_str().unwrap().to_owned());
        let body = response.json().await.unwrap_or(Value::Null);
        Answer { status, body, set_cookie }
    }

    async fn sign_in(&self, user: &str, password: &str, code: Option<&str>) -> Answer {
        let mut body = json!({"UserName": user, "Password": password});
        if let Some(code) = code {
            body["MFACode"] = Value::from(code);
        }
        Self::answer(self.http.post(format!("{}{SESSION_PATH}", self.base)).json(&body).send().await.unwrap()).await
    }

    async fn session_of(&self, user: &str, password: &str, code: Option<&str>) -> Session {
        let answer = self.sign_in(user, password, code).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        Session { token: answer.token(), csrf: answer.body["CsrfToken"].as_str().unwrap().to_owned() }
    }

    async fn current(&self, token: &str) -> Answer {
        Self::answer(self.http.get(format!("{}{SESSION_PATH}", self.base)).header("cookie", format!("{COOKIE}={token}")).send().await.unwrap()).await
    }

    async fn sign_out(&self, session: &Session) -> Answer {
        let request = self.http.delete(format!("{}{SESSION_PATH}", self.base)).header("cookie", format!("{COOKIE}={}", session.token)).header(CSRF_HEADER, &session.csrf);
        Self::answer(request.send().await.unwrap()).await
    }

    /// An unsigned OOS request with the session cookie and `csrf` (if any) as the header.
    async fn rpc(&self, token: &str, csrf: Option<&str>, action: &str, params: &[(&str, &str)]) -> Answer {
        self.rpc_of(OOS_VERSION, token, csrf, action, params).await
    }

    /// ListExecutions in `session`.
    async fn list_executions(&self, session: &Session) -> Answer {
        self.rpc(&session.token, Some(&session.csrf), "ListExecutions", &[]).await
    }

    /// RAM ChangePassword in `session`.
    async fn change_password(&self, session: &Session, old: &str, new: &str) -> Answer {
        self.rpc_of(RAM, &session.token, Some(&session.csrf), "ChangePassword", &[("OldPassword", old), ("NewPassword", new)]).await
    }

    /// [`Browser::rpc`] of API `version`.
    async fn rpc_of(&self, version: &str, token: &str, csrf: Option<&str>, action: &str, params: &[(&str, &str)]) -> Answer {
        let mut form = vec![("Action", action), ("Version", version)];
        form.extend_from_slice(params);
        let mut request = self.http.post(format!("{}/", self.base)).header("cookie", format!("theme=dark; {COOKIE}={token}")).form(&form);
        if let Some(csrf) = csrf {
            request = request.header(CSRF_HEADER, csrf);
        }
        Self::answer(request.send().await.unwrap()).await
    }
}

/// A policy allowing `actions` on everything, under `condition` if given.
fn policy(actions: &[&str], condition: Option<Value>) -> String {
    let mut statement = json!({"Effect": "Allow", "Action": actions, "Resource": "*"});
    if let Some(condition) = condition {
        statement["Condition"] = condition;
    }
    json!({"Version": "1", "Statement": [statement]}).to_string()
}

/// A RAM user with a console password and, when given, a policy of its own.
async fn operator(root: &CloudClient, name: &str, policy_document: Option<&str>) {
    ram(root, "CreateUser", &[("UserName", name)]).await;
    let profile = ram(root, "CreateLoginProfile", &[("UserName", name), ("Password", PASSWORD)]).await;
    assert_eq!(profile["LoginProfile"]["UserName"], name, "{profile}");
    assert_eq!(profile["LoginProfile"]["MFABindRequired"], false);
    if let Some(document) = policy_document {
        let policy_name = format!("{name}-policy");
        ram(root, "CreatePolicy", &[("PolicyName", &policy_name), ("PolicyDocument", document)]).await;
        ram(root, "AttachPolicyToUser", &[("UserName", name), ("PolicyName", &policy_name), ("PolicyType", "Custom")]).await;
    }
}

/// A server on the virtual clock `clock` (started at the real time), its root client and a browser.
async fn start_virtual(backend: Backend) -> (oos_server::Server, CloudClient, Bed, Arc<VirtualClock>, Browser) {
    let clock = Arc::new(VirtualClock::new(jiff::Timestamp::now().as_millisecond()));
    let cloud = client("http://127.0.0.1:9", Credentials::new("unused", "unused"));
    let (server, root, bed) = start_served(backend, cloud, RuntimeConfig::default(), clock.clone(), None).await;
    let browser = Browser::new(format!("http://{}", server.addr()));
    (server, root, bed, clock, browser)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_starts_executions_as_its_user_under_csrf_on_sqlite() {
    a_session_starts_executions_as_its_user_under_csrf(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_starts_executions_as_its_user_under_csrf_on_postgres() {
    a_session_starts_executions_as_its_user_under_csrf(Backend::Postgres).await;
}

async fn a_session_starts_executions_as_its_user_under_csrf(backend: Backend) {
    let (server, root, bed) = start_on(backend).await;
    let browser = Browser::new(format!("http://{}", server.addr()));
    operator(&root, "alice", Some(&policy(&["oos:StartExecution", "oos:ListExecutions", "oos:GetExecutionTemplate"], None))).await;
    operator(&root, "viewer", Some(&policy(&["oos:ListExecutions"], None))).await;

    let signed_in = browser.sign_in("alice", PASSWORD, None).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    let cookie = signed_in.set_cookie.clone().unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.split("; ").any(|part| part == flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag: {cookie}");
    assert_eq!(signed_in.body["User"]["UserName"], "alice");
    assert_eq!(signed_in.body["MFAPresent"], false);
    assert!(signed_in.body["ExpiresAt"].as_str().is_some_and(|at| at.ends_with('Z')), "{}", signed_in.body);
    let session = Session { token: signed_in.token(), csrf: signed_in.body["CsrfToken"].as_str().unwrap().to_owned() };
    let current = browser.current(&session.token).await;
    assert_eq!((current.status, current.body["CsrfToken"].as_str()), (200, Some(session.csrf.as_str())), "a reloaded page gets its CSRF token back");

    let started = browser.rpc(&session.token, Some(&session.csrf), "StartExecution", &[("TemplateContent", SLEEP)]).await;
    assert_eq!(started.status, 200, "{}", started.body);
    let execution_id = started.body["Execution"]["ExecutionId"].as_str().unwrap().to_owned();
    let listed = oos(&root, "ListExecutions", &[("ExecutionId", &execution_id)]).await;
    assert!(listed["Executions"][0]["ExecutedBy"].as_str().unwrap().ends_with(":user/alice"), "{listed}");

    let no_csrf = browser.rpc(&session.token, None, "StartExecution", &[("TemplateContent", SLEEP)]).await;
    assert_eq!((no_csrf.status, no_csrf.code()), (403, "Console.CsrfTokenMissing"), "{}", no_csrf.body);
    let wrong_csrf = browser.rpc(&session.token, Some("not-the-token"), "StartExecution", &[("TemplateContent", SLEEP)]).await;
    assert_eq!((wrong_csrf.status, wrong_csrf.code()), (403, "Console.CsrfTokenInvalid"), "{}", wrong_csrf.body);
    let forged = browser.rpc("forged-token", Some(&session.csrf), "ListExecutions", &[]).await;
    assert_eq!((forged.status, forged.code()), (401, "Console.SessionExpired"), "{}", forged.body);

    let viewer = browser.session_of("viewer", PASSWORD, None).await;
    let refused = browser.rpc(&viewer.token, Some(&viewer.csrf), "StartExecution", &[("TemplateContent", SLEEP)]).await;
    assert_eq!((refused.status, refused.code()), (403, "Forbidden.RAM"), "{}", refused.body);
    let message = refused.body["Message"].as_str().unwrap();
    assert!(message.contains("user/viewer") && message.contains("oos:StartExecution") && message.contains("ImplicitDeny"), "the RAM reason: {message}");
    let executions = oos(&root, "ListExecutions", &[]).await;
    assert_eq!(executions["Executions"].as_array().unwrap().len(), 1, "nothing refused ran: {executions}");

    let trail = events(&root, &[]).await;
    let start = trail.iter().find(|e| e["Event"]["Action"] == "StartExecution" && e["Event"]["ResultCode"] == "Success").expect("the session's start is audited");
    assert_eq!(start["Event"]["User"], "alice", "{start}");
    assert!(start["Event"]["AccessKeyId"].as_str().unwrap().starts_with("via console session "), "{start}");
    let sign_ins: Vec<_> = trail.iter().filter(|e| e["Event"]["Action"] == "ConsoleSignIn").collect();
    assert_eq!(sign_ins.len(), 2, "{sign_ins:?}");

    let signed_out = browser.sign_out(&session).await;
    assert_eq!(signed_out.status, 200, "{}", signed_out.body);
    assert!(signed_out.set_cookie.unwrap().contains("Max-Age=0"));
    let after = browser.rpc(&session.token, Some(&session.csrf), "ListExecutions", &[]).await;
    assert_eq!((after.status, after.code()), (401, "Console.SessionExpired"), "{}", after.body);
    assert_eq!(browser.current(&session.token).await.status, 401);
    let trail = events(&root, &[]).await;
    assert!(trail.iter().any(|e| e["Event"]["Action"] == "ConsoleSignOut" && e["Event"]["User"] == "alice"), "sign-out audited");
    let text = bed.audit_text().await;
    assert!(!text.contains(PASSWORD) && !text.contains(&session.token) && !text.contains(&session.csrf), "no password or token in the audit trail");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_told_to_reset_must_change_the_password_first_and_wrong_old_passwords_count_toward_the_lock() {
    let (_server, root, bed, _clock, browser) = start_virtual(Backend::Sqlite).await;
    // No policy allows ram:ChangePassword: a user's own password change needs none.
    operator(&root, "dave", Some(&policy(&["oos:ListExecutions"], None))).await;
    ram(&root, "UpdateLoginProfile", &[("UserName", "dave"), ("PasswordResetRequired", "true")]).await;

    let signed_in = browser.sign_in("dave", PASSWORD, None).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert_eq!((signed_in.body["Challenge"].as_str(), signed_in.body["User"]["PasswordResetRequired"].as_bool()), (Some("Console.PasswordResetRequired"), Some(true)), "{}", signed_in.body);
    let session = Session { token: signed_in.token(), csrf: signed_in.body["CsrfToken"].as_str().unwrap().to_owned() };
    let blocked = browser.rpc(&session.token, Some(&session.csrf), "ListExecutions", &[]).await;
    assert_eq!((blocked.status, blocked.code()), (403, "Console.PasswordResetRequired"), "{}", blocked.body);
    let mfa = browser.rpc_of(RAM, &session.token, Some(&session.csrf), "GetUserMFAInfo", &[("UserName", "dave")]).await;
    assert_eq!(mfa.code(), "Console.PasswordResetRequired", "nothing but ChangePassword: {}", mfa.body);

    let wrong = browser.change_password(&session, "Wr0ng-Password!", NEW_PASSWORD).await;
    assert_eq!((wrong.status, wrong.code()), (403, "ChangePassword.InvalidOldPassword"), "{}", wrong.body);
    let weak = browser.change_password(&session, PASSWORD, "short").await;
    assert!(weak.code().starts_with("InvalidParameter.Password"), "the password policy applies: {}", weak.body);
    let same = browser.change_password(&session, PASSWORD, PASSWORD).await;
    assert_eq!(same.code(), "InvalidParameter.NewPassword", "{}", same.body);
    let changed = browser.change_password(&session, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let unblocked = browser.rpc(&session.token, Some(&session.csrf), "ListExecutions", &[]).await;
    assert_eq!(unblocked.status, 200, "the same session goes on: {}", unblocked.body);
    assert_eq!(ram(&root, "GetLoginProfile", &[("UserName", "dave")]).await["LoginProfile"]["PasswordResetRequired"], false);

    assert_eq!(browser.sign_in("dave", PASSWORD, None).await.code(), "SignIn.InvalidCredentials", "the old password is gone");
    let again = browser.sign_in("dave", NEW_PASSWORD, None).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.get("Challenge").is_none() && again.body["User"]["PasswordResetRequired"] == false, "{}", again.body);

    // Wrong old passwords count as failed sign-ins: the fifth locks the user, who then cannot change or sign in.
    let session = Session { token: again.token(), csrf: again.body["CsrfToken"].as_str().unwrap().to_owned() };
    for _ in 0..4 {
        assert_eq!(browser.change_password(&session, "Wr0ng-Password!", "An0ther-Pass-99").await.code(), "ChangePassword.InvalidOldPassword");
    }
    assert_eq!(browser.change_password(&session, "Wr0ng-Password!", "An0ther-Pass-99").await.code(), "Account.Locked");
    assert_eq!(browser.change_password(&session, NEW_PASSWORD, "An0ther-Pass-99").await.code(), "Account.Locked", "no password is checked while locked");
    assert_eq!(browser.sign_in("dave", NEW_PASSWORD, None).await.code(), "Account.Locked");

    let trail = events(&root, &[("EventAction", "ChangePassword")]).await;
    let codes: Vec<&str> = trail.iter().map(|event| event["Event"]["ResultCode"].as_str().unwrap()).collect();
    assert_eq!(codes.iter().filter(|code| **code == "Success").count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|code| **code == "ChangePassword.InvalidOldPassword").count(), 5, "{codes:?}");
    assert!(trail.iter().all(|event| event["Event"]["User"] == "dave"), "{trail:?}");
    let text = bed.audit_text().await;
    assert!(!text.contains(PASSWORD) && !text.contains(NEW_PASSWORD) && !text.contains("Wr0ng-Password!"), "no password in the audit trail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_changes_their_own_password_without_an_allow_unless_denied_and_only_users_have_one() {
    let (server, root, _bed, _clock, browser) = start_virtual(Backend::Sqlite).await;
    operator(&root, "erin", Some(&policy(&["oos:ListExecutions"], None))).await;
    let session = browser.session_of("erin", PASSWORD, None).await;
    let changed = browser.change_password(&session, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status, 200, "no Allow is needed: {}", changed.body);

    let deny = json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "ram:ChangePassword", "Resource": "*"}]}).to_string();
    ram(&root, "CreatePolicy", &[("PolicyName", "no-password-change"), ("PolicyDocument", &deny)]).await;
    ram(&root, "AttachPolicyToUser", &[("UserName", "erin"), ("PolicyName", "no-password-change"), ("PolicyType", "Custom")]).await;
    let refused = browser.change_password(&session, NEW_PASSWORD, PASSWORD).await;
    assert_eq!((refused.status, refused.code()), (403, "Forbidden.RAM"), "{}", refused.body);
    let message = refused.body["Message"].as_str().unwrap();
    assert!(message.contains("ram:ChangePassword") && message.contains("user/erin") && message.contains("ExplicitDeny"), "{}", refused.body);
    let by_root = call(&root, RAM, "ChangePassword", &[("OldPassword", PASSWORD), ("NewPassword", NEW_PASSWORD)]).await.unwrap_err();
    assert_eq!(by_root.code, "ChangePassword.NotAUser", "{by_root:?}");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_revokes_the_users_other_sessions_and_an_administrators_change_all_on_sqlite() {
    a_password_change_revokes_the_users_other_sessions_and_an_administrators_change_all(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_revokes_the_users_other_sessions_and_an_administrators_change_all_on_postgres() {
    a_password_change_revokes_the_users_other_sessions_and_an_administrators_change_all(Backend::Postgres).await;
}

async fn a_password_change_revokes_the_users_other_sessions_and_an_administrators_change_all(backend: Backend) {
    let (_server, root, _bed, clock, browser) = start_virtual(backend).await;
    operator(&root, "gina", Some(&policy(&["oos:ListExecutions"], None))).await;
    operator(&root, "hank", Some(&policy(&["oos:ListExecutions"], None))).await;
    let (first, second, hanks) = (browser.session_of("gina", PASSWORD, None).await, browser.session_of("gina", PASSWORD, None).await, browser.session_of("hank", PASSWORD, None).await);

    assert_eq!(browser.change_password(&first, PASSWORD, NEW_PASSWORD).await.status, 200);
    let refused = browser.list_executions(&second).await;
    assert_eq!((refused.status, refused.code()), (401, "Console.SessionRevoked"), "{}", refused.body);
    assert_eq!(browser.current(&second.token).await.code(), "Console.SessionExpired", "a revoked session is deleted");
    assert_eq!(browser.list_executions(&first).await.status, 200, "the session that changed the password goes on");
    assert_eq!(browser.list_executions(&hanks).await.status, 200, "another user's session is untouched");

    let third = browser.session_of("gina", NEW_PASSWORD, None).await;
    ram(&root, "UpdateLoginProfile", &[("UserName", "gina"), ("PasswordResetRequired", "false")]).await;
    assert_eq!(browser.list_executions(&third).await.status, 200, "an update without a password revokes nothing");
    ram(&root, "UpdateLoginProfile", &[("UserName", "gina"), ("Password", PASSWORD)]).await;
    for session in [&first, &third] {
        assert_eq!(browser.list_executions(session).await.code(), "Console.SessionRevoked", "an administrator's new password ends every session");
    }
    assert_eq!(browser.list_executions(&hanks).await.status, 200);

    let device = ram(&root, "CreateVirtualMFADevice", &[("VirtualMFADeviceName", "gina-phone")]).await;
    let (serial, seed) = (device["VirtualMFADevice"]["SerialNumber"].as_str().unwrap().to_owned(), device["VirtualMFADevice"]["Base32StringSeed"].as_str().unwrap().to_owned());
    let code_at = |offset: i64| totp::code(&seed, totp::step_at(clock.timestamp().as_second()) + offset).unwrap();
    ram(&root, "BindMFADevice", &[("SerialNumber", &serial), ("UserName", "gina"), ("AuthenticationCode1", &code_at(0)), ("AuthenticationCode2", &code_at(1))]).await;
    clock.advance(Duration::from_secs(60));
    let with_mfa = browser.session_of("gina", PASSWORD, Some(&code_at(0))).await;
    assert_eq!(browser.list_executions(&with_mfa).await.status, 200);
    ram(&root, "UnbindMFADevice", &[("UserName", "gina")]).await;
    assert_eq!(browser.list_executions(&with_mfa).await.code(), "Console.SessionRevoked", "unbinding the MFA device ends every session");
    assert_eq!(browser.list_executions(&hanks).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_lock_the_user_for_fifteen_minutes() {
    let (_server, root, _bed, clock, browser) = start_virtual(Backend::Sqlite).await;
    operator(&root, "carol", None).await;
    for attempt in 1..=4 {
        let wrong = browser.sign_in("carol", "Wr0ng-Password!", None).await;
        assert_eq!((wrong.status, wrong.code()), (401, "SignIn.InvalidCredentials"), "attempt {attempt}: {}", wrong.body);
        assert!(wrong.set_cookie.is_none());
    }
    let fifth = browser.sign_in("carol", "Wr0ng-Password!", None).await;
    assert_eq!((fifth.status, fifth.code()), (403, "Account.Locked"), "{}", fifth.body);
    let unlock = fifth.body["UnlockTime"].as_str().unwrap().to_owned();
    let right_while_locked = browser.sign_in("carol", PASSWORD, None).await;
    assert_eq!(right_while_locked.code(), "Account.Locked", "even the right password waits");
    assert_eq!(right_while_locked.body["UnlockTime"], unlock.as_str(), "a locked attempt does not extend the lock");
    clock.advance(Duration::from_secs(14 * 60));
    assert_eq!(browser.sign_in("carol", PASSWORD, None).await.code(), "Account.Locked");
    clock.advance(Duration::from_secs(61));
    let unlocked = browser.sign_in("carol", PASSWORD, None).await;
    assert_eq!(unlocked.status, 200, "unlocked after 15 minutes: {}", unlocked.body);

    let trail = events(&root, &[]).await;
    let reasons: Vec<&str> = trail.iter().filter(|e| e["Event"]["Action"] == "ConsoleSignIn").filter_map(|e| e["Event"]["Reason"].as_str()).collect();
    assert_eq!(reasons.iter().filter(|reason| **reason == "InvalidCredentials").count(), 5, "{reasons:?}");
    assert_eq!(reasons.iter().filter(|reason| **reason == "Locked").count(), 2, "{reasons:?}");

    // Unknown users answer and count the same: no way to tell names apart.
    for _ in 0..4 {
        assert_eq!(browser.sign_in("nobody", PASSWORD, None).await.code(), "SignIn.InvalidCredentials");
    }
    assert_eq!(browser.sign_in("nobody", PASSWORD, None).await.code(), "Account.Locked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mfa_users_need_a_current_code_and_policies_see_mfa_present() {
    let (_server, root, bed, clock, browser) = start_virtual(Backend::Sqlite).await;
    let mfa_only = policy(&["oos:StartExecution"], Some(json!({"Bool": {"acs:MFAPresent": "true"}})));
    operator(&root, "dave", Some(&mfa_only)).await;
    operator(&root, "erin", None).await;
    ram(&root, "AttachPolicyToUser", &[("UserName", "erin"), ("PolicyName", "dave-policy"), ("PolicyType", "Custom")]).await;

    let device = ram(&root, "CreateVirtualMFADevice", &[("VirtualMFADeviceName", "dave-phone")]).await;
    let serial = device["VirtualMFADevice"]["SerialNumber"].as_str().unwrap().to_owned();
    let seed = device["VirtualMFADevice"]["Base32StringSeed"].as_str().unwrap().to_owned();
    assert!(serial.starts_with("acs:ram::") && serial.ends_with(":mfa/dave-phone"), "{serial}");
    let code_at = |offset: i64| totp::code(&seed, totp::step_at(clock.timestamp().as_second()) + offset).unwrap();
    let bound = call(&root, "2015-05-01", "BindMFADevice", &[("SerialNumber", &serial), ("UserName", "dave"), ("AuthenticationCode1", &code_at(0)), ("AuthenticationCode2", &code_at(5))]).await;
    assert_eq!(bound.unwrap_err().code, "InvalidParameter.AuthenticationCode");
    ram(&root, "BindMFADevice", &[("SerialNumber", &serial), ("UserName", "dave"), ("AuthenticationCode1", &code_at(0)), ("AuthenticationCode2", &code_at(1))]).await;
    let info = ram(&root, "GetUserMFAInfo", &[("UserName", "dave")]).await;
    assert_eq!(info["MFADevice"]["SerialNumber"], serial.as_str());
    let listed = ram(&root, "ListVirtualMFADevices", &[]).await;
    assert_eq!(listed["VirtualMFADevices"]["VirtualMFADevice"][0]["User"]["UserName"], "dave", "{listed}");
    assert!(!listed.to_string().contains(&seed), "the seed is shown once only");
    clock.advance(Duration::from_secs(60));

    let asked = browser.sign_in("dave", PASSWORD, None).await;
    assert_eq!((asked.status, asked.code()), (401, "MFA.Required"), "{}", asked.body);
    let wrong = browser.sign_in("dave", PASSWORD, Some("000000")).await;
    assert_eq!((wrong.status, wrong.code()), (401, "MFA.InvalidCode"), "{}", wrong.body);
    let wrong_password = browser.sign_in("dave", "Wr0ng-Password!", Some(&code_at(0))).await;
    assert_eq!(wrong_password.code(), "SignIn.InvalidCredentials", "a code does not excuse a wrong password");
    let dave = browser.sign_in("dave", PASSWORD, Some(&code_at(0))).await;
    assert_eq!(dave.status, 200, "{}", dave.body);
    assert_eq!(dave.body["MFAPresent"], true);
    let replayed = browser.sign_in("dave", PASSWORD, Some(&code_at(0))).await;
    assert_eq!(replayed.code(), "MFA.InvalidCode", "a code is good once");
    let dave = Session { token: dave.token(), csrf: dave.body["CsrfToken"].as_str().unwrap().to_owned() };
    let started = browser.rpc(&dave.token, Some(&dave.csrf), "StartExecution", &[("TemplateContent", SLEEP)]).await;
    assert_eq!(started.status, 200, "an MFA session meets acs:MFAPresent: {}", started.body);

    let erin = browser.session_of("erin", PASSWORD, None).await;
    let refused = browser.rpc(&erin.token, Some(&erin.csrf), "StartExecution", &[("TemplateContent", SLEEP)]).await;
    assert_eq!((refused.status, refused.code()), (403, "Forbidden.RAM"), "a session without MFA does not: {}", refused.body);

    ram(&root, "UpdateLoginProfile", &[("UserName", "erin"), ("MFABindRequired", "true")]).await;
    let must_bind = browser.sign_in("erin", PASSWORD, None).await;
    assert_eq!((must_bind.status, must_bind.code()), (403, "MFA.BindRequired"), "{}", must_bind.body);

    let stored = stored_text(&bed).await;
    assert!(!stored.contains(&seed), "the seed is not in the store in plain text");
    assert!(!stored.contains(PASSWORD), "nor the password");
    assert!(stored.contains("$argon2id$"), "the password is there as its hash");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_when_idle_at_their_lifetime_or_when_their_user_goes() {
    let (_server, root, _bed, clock, browser) = start_virtual(Backend::Sqlite).await;
    operator(&root, "frank", Some(&policy(&["oos:ListExecutions"], None))).await;
    let idle = browser.session_of("frank", PASSWORD, None).await;
    clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(browser.rpc(&idle.token, Some(&idle.csrf), "ListExecutions", &[]).await.status, 200, "used within 30 minutes");
    clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(browser.rpc(&idle.token, Some(&idle.csrf), "ListExecutions", &[]).await.status, 200, "each use moves the idle end");
    clock.advance(Duration::from_secs(31 * 60));
    let expired = browser.rpc(&idle.token, Some(&idle.csrf), "ListExecutions", &[]).await;
    assert_eq!((expired.status, expired.code()), (401, "Console.SessionExpired"), "{}", expired.body);

    let busy = browser.session_of("frank", PASSWORD, None).await;
    for _ in 0..24 {
        clock.advance(Duration::from_secs(29 * 60));
        assert_eq!(browser.current(&busy.token).await.status, 200);
    }
    clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(browser.current(&busy.token).await.code(), "Console.SessionExpired", "12 hours is the end however used");

    let revoked = browser.session_of("frank", PASSWORD, None).await;
    ram(&root, "DeleteLoginProfile", &[("UserName", "frank")]).await;
    let gone = browser.rpc(&revoked.token, Some(&revoked.csrf), "ListExecutions", &[]).await;
    assert_eq!((gone.status, gone.code()), (401, "Console.SessionRevoked"), "{}", gone.body);
    assert_eq!(browser.current(&revoked.token).await.code(), "Console.SessionExpired", "a revoked session is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_cookie_is_secure() {
    let dir = tempfile::tempdir().unwrap();
    let tls = oos_server::transport::tls::TlsSource::SelfSigned { dir: dir.path().to_path_buf() };
    let clock: Arc<dyn Clock> = Arc::new(oos_clock::SystemClock);
    let cloud = client("http://127.0.0.1:9", Credentials::new("unused", "unused"));
    let (server, _, bed) = start_served(Backend::Sqlite, cloud, RuntimeConfig::default(), clock, Some(tls)).await;
    let (cert, _) = oos_server::transport::tls::self_signed_paths(dir.path());
    let base = format!("https://localhost:{}", server.addr().port());
    let root = api_client::root_credentials(bed.path());
    let config = oos_cloud::CloudConfig { ca_certificate: Some(cert.clone()), retry: oos_cloud::RetryPolicy { max_attempts: 1, ..Default::default() }, ..Default::default() }.with_sandbox(&base);
    let root = CloudClient::new(config, Credentials::new(root.access_key_id, root.access_key_secret)).unwrap();
    operator(&root, "grace", None).await;
    let certificate = reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap();
    let browser = Browser { http: reqwest::Client::builder().add_root_certificate(certificate).build().unwrap(), base };
    let signed_in = browser.sign_in("grace", PASSWORD, None).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    let cookie = signed_in.set_cookie.unwrap();
    assert!(cookie.split("; ").any(|part| part == "Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_opens_on_the_session_cookie_and_is_authorized_per_execution() {
    let (server, root, _bed) = start_on(Backend::Sqlite).await;
    let browser = Browser::new(format!("http://{}", server.addr()));
    operator(&root, "heidi", Some(&policy(&["oos:StartExecution", "oos:ListExecutionLogs"], None))).await;
    operator(&root, "ivan", None).await;
    let heidi = browser.session_of("heidi", PASSWORD, None).await;
    let started = browser.rpc(&heidi.token, Some(&heidi.csrf), "StartExecution", &[("TemplateContent", SLEEP)]).await;
    let id = started.body["Execution"]["ExecutionId"].as_str().unwrap().to_owned();
    let stream = |token: &str| {
        let url = format!("{}/stream?Action=ListExecutionLogs&Version={OOS_VERSION}&ExecutionId={id}", browser.base);
        browser.http.get(url).header("accept", "text/event-stream").header("cookie", format!("{COOKIE}={token}")).send()
    };
    let mut opened = stream(&heidi.token).await.unwrap();
    assert_eq!(opened.status(), 200);
    let first = tokio::time::timeout(Duration::from_secs(10), opened.chunk()).await.unwrap().unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: status"), "{first:?}");
    let ivan = browser.session_of("ivan", PASSWORD, None).await;
    let refused = stream(&ivan.token).await.unwrap();
    assert_eq!(refused.status(), 403, "another user's session is authorized on the execution too");
    let nobody = stream("forged").await.unwrap();
    assert_eq!(nobody.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_is_bounded_and_unknown_users_cost_a_password_check() {
    let (server, root, _bed) = start_on(Backend::Sqlite).await;
    let browser = Browser::new(format!("http://{}", server.addr()));
    operator(&root, "judy", None).await;

    let oversized = reqwest::Client::new().post(format!("{}{SESSION_PATH}", browser.base)).header("content-type", "application/json").body(vec![b' '; 64 * 1024]).send().await;
    assert!(oversized.is_err() || oversized.is_ok_and(|answer| answer.status() == 413), "refused before the body is read");
    let garbage = Browser::answer(browser.http.post(format!("{}{SESSION_PATH}", browser.base)).body("{not json").send().await.unwrap()).await;
    assert_eq!((garbage.status, garbage.code()), (400, "InvalidParameter.Body"), "{}", garbage.body);

    // Unknown users take the wrong password's path (an argon2 verification), not a shortcut.
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for n in 0..3 {
        let started = Instant::now();
        assert_eq!(browser.sign_in(&format!("ghost{n}"), PASSWORD, None).await.code(), "SignIn.InvalidCredentials");
        unknown.push(started.elapsed());
        let started = Instant::now();
        assert_eq!(browser.sign_in("judy", &format!("Wr0ng-Password{n}"), None).await.code(), "SignIn.InvalidCredentials");
        wrong.push(started.elapsed());
    }
    let (unknown, wrong) = (median(unknown), median(wrong));
    assert!(unknown * 2 >= wrong, "an unknown user ({unknown:?}) costs a wrong password's check ({wrong:?})");

    // A flood from one address: at most the per-source bound is checked, the rest are refused at once.
    let flood: Vec<_> = (0..40)
        .map(|n| {
            let (http, base) = (browser.http.clone(), browser.base.clone());
            tokio::spawn(async move {
                let body = json!({"UserName": format!("flood{n}"), "Password": "Wr0ng-Password!"});
                Browser::answer(http.post(format!("{base}{SESSION_PATH}")).json(&body).send().await.unwrap()).await
            })
        })
        .collect();
    let mut codes = Vec::new();
    for answer in flood {
        codes.push(answer.await.unwrap().code().to_owned());
    }
    let throttled = codes.iter().filter(|code| *code == "Throttling.SignIn").count();
    let checked = codes.iter().filter(|code| *code == "SignIn.InvalidCredentials").count();
    assert_eq!(checked + throttled, 40, "{codes:?}");
    assert!(checked <= oos_server::console::SIGN_INS_PER_SOURCE as usize - 6, "{checked} checked after 6 earlier sign-ins");
    assert!(throttled >= 40 - (oos_server::console::SIGN_INS_PER_SOURCE as usize - 6), "{codes:?}");
    let health = browser.http.get(format!("{}/healthz", browser.base)).send().await.unwrap();
    assert_eq!(health.status(), 200, "the server answers others meanwhile");
    // A signed caller is not throttled by the console's bound.
    oos(&root, "ListExecutions", &[]).await;
}

/// Every text stored: the embedded store's files, byte for byte (the WAL too).
async fn stored_text(bed: &Bed) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(bed.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(path).unwrap()));
        }
    }
    text
}
