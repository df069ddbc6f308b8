//! The authorization matrix through the signed API: for every action the server serves (OOS and RAM), a
//! non-root user whose key was created through the RAM API is allowed by a policy naming the action,
//! refused by default without a policy, refused by an explicit Deny beside `Allow *`, and refused when
//! the allowing statement's condition (`acs:SourceIp`) does not hold — each refusal `Forbidden.RAM`, HTTP 403.
//! The exception: a user's own `ram:ChangePassword` needs no Allow, so only the explicit Deny refuses it.

mod api_client;

use oos_actions::CloudError;
use oos_iam::oos_actions::OOS_ACTIONS;
use oos_server::OOS_VERSION;
use oos_server::actions::{SERVED_ACTIONS, served_actions};
use serde_json::{Value, json};
use api_client::{Backend, call, ram, start, start_on, user};

fn document(effect: &str, action: &str, condition: Option<Value>) -> String {
    let mut statement = json!({"Effect": effect, "Action": action, "Resource": "*"});
    if let Some(condition) = condition {
        statement["Condition"] = condition;
    }
    json!({"Version": "1", "Statement": [statement]}).to_string()
}

/// What a user may do without an Allow (refused only by an explicit Deny).
const ALLOWED_WITHOUT_POLICY: &[&str] = &["ram:ChangePassword"];

fn forbidden(outcome: &Result<Value, CloudError>) -> bool {
    matches!(outcome, Err(error) if error.code == "Forbidden.RAM" && error.http_status == Some(403))
}

/// Past authentication and authorization to a served action: answered, or refused for what the request
/// itself holds (missing or unknown parameters, entities).
fn authorized(outcome: &Result<Value, CloudError>) -> bool {
    let refused_before_the_action = ["InvalidAccessKeyId", "Signature", "InvalidAction"];
    match outcome {
        Ok(_) => true,
        Err(error) => error.http_status != Some(403) && !refused_before_the_action.iter().any(|code| error.code.starts_with(code)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_served_action_is_allowed_denied_by_default_denied_explicitly_and_denied_by_condition_on_sqlite() {
    every_served_action_is_allowed_denied_by_default_denied_explicitly_and_denied_by_condition(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_served_action_is_allowed_denied_by_default_denied_explicitly_and_denied_by_condition_on_postgres() {
    every_served_action_is_allowed_denied_by_default_denied_explicitly_and_denied_by_condition(Backend::Postgres).await;
}

async fn every_served_action_is_allowed_denied_by_default_denied_explicitly_and_denied_by_condition(backend: Backend) {
    let (server, root, _dir) = start_on(backend).await;
    let url = format!("http://{}", server.addr());
    let allowed = user(&root, &url, "allowed").await;
    let nobody = user(&root, &url, "nobody").await;
    let denied = user(&root, &url, "denied").await;
    let conditioned = user(&root, &url, "conditioned").await;
    ram(&root, "CreatePolicy", &[("PolicyName", "allow-all"), ("PolicyDocument", &document("Allow", "*", None))]).await;
    ram(&root, "AttachPolicyToUser", &[("UserName", "denied"), ("PolicyName", "allow-all"), ("PolicyType", "Custom")]).await;
    let elsewhere = json!({"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}});

    let actions = served_actions();
    assert!(actions.len() >= SERVED_ACTIONS.len() + 30, "RAM actions are served too: {actions:?}");
    let mut failures = Vec::new();
    for (version, action) in &actions {
        let prefix = if *version == OOS_VERSION { "oos" } else { "ram" };
        let qualified = format!("{prefix}:{action}");
        let grants = [
            ("allowed", format!("allow-{action}"), document("Allow", &qualified, None)),
            ("denied", format!("deny-{action}"), document("Deny", &qualified, None)),
            ("conditioned", format!("cond-{action}"), document("Allow", &qualified, Some(elsewhere.clone()))),
        ];
        for (user, policy, text) in &grants {
            ram(&root, "CreatePolicy", &[("PolicyName", policy), ("PolicyDocument", text)]).await;
            ram(&root, "AttachPolicyToUser", &[("UserName", user), ("PolicyName", policy), ("PolicyType", "Custom")]).await;
        }
        let needs_allow = !ALLOWED_WITHOUT_POLICY.contains(&qualified.as_str());
        let outcomes = [
            ("allowed", call(&allowed, version, action, &[]).await, false),
            ("denied by default", call(&nobody, version, action, &[]).await, needs_allow),
            ("denied explicitly", call(&denied, version, action, &[]).await, true),
            ("denied by condition", call(&conditioned, version, action, &[]).await, needs_allow),
        ];
        for (case, outcome, refused) in &outcomes {
            let right = if *refused { forbidden(outcome) } else { authorized(outcome) };
            if !right {
                failures.push(format!("{qualified} {case}: {outcome:?}"));
            }
        }
        for (user, policy, _) in &grants {
            ram(&root, "DetachPolicyFromUser", &[("UserName", user), ("PolicyName", policy), ("PolicyType", "Custom")]).await;
            ram(&root, "DeletePolicy", &[("PolicyName", policy)]).await;
        }
    }
    assert!(failures.is_empty(), "{} of {} cases wrong:\n{}", failures.len(), actions.len() * 4, failures.join("\n"));
    server.stop();
}

/// `SERVED_ACTIONS` is what the server answers: every OOS action the IAM mapping knows is either listed
/// (and served) or unknown to the server, so a newly served action cannot miss its matrix row; every
/// RAM action of the table is answered.
#[tokio::test]
async fn served_actions_are_exactly_the_actions_the_server_answers() {
    let (server, root, _dir) = start().await;
    for (action, _) in OOS_ACTIONS {
        let outcome = call(&root, OOS_VERSION, action, &[]).await;
        let unknown = matches!(&outcome, Err(error) if error.code == "InvalidAction.NotFound");
        assert_eq!(!unknown, SERVED_ACTIONS.contains(action), "{action}: listed in SERVED_ACTIONS? answer {outcome:?}");
    }
    for (action, _) in oos_iam::ram_actions::RAM_ACTIONS {
        let outcome = call(&root, "2015-05-01", action, &[]).await;
        assert!(!matches!(&outcome, Err(error) if error.code == "InvalidAction.NotFound"), "RAM {action} is not served: {outcome:?}");
    }
    let outcome = call(&root, "2015-05-01", "SetSecurityPreference", &[]).await;
    assert!(matches!(&outcome, Err(error) if error.code == "InvalidAction.NotFound"), "{outcome:?}");
    server.stop();
}

/// The matrix rows for the ways around authorization that issue 10 closed: a repeated parameter is
/// refused for every served action, before authentication; an inline template needs every template;
/// a parameter reference needs the parameter; and `oos:ResourceTag/<key>` conditions see the tags of
/// the resource named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_for_repeated_parameters_inline_templates_parameter_references_and_resource_tags() {
    use oos_testkit::wire::{Call, OOS};
    let (server, root, dir) = start().await;
    let addr = server.addr();
    let url = format!("http://{addr}");
    let root_key = api_client::root_credentials(dir.path());
    let mut failures = Vec::new();
    for (version, action) in served_actions() {
        let call = Call::new(&root_key, version, action, &[("Repeated", "1"), ("Repeated", "2")]);
        let (status, body) = call.send(addr).await;
        if (status, body["Code"].as_str().unwrap_or_default()) != (400, "RepeatedParameter") {
            failures.push(format!("{action} with a repeated parameter: {status} {body}"));
        }
    }

    let sleep = json!({"FormatVersion": "OOS-2019-06-01", "Tasks": [{"Name": "a", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}]}).to_string();
    call(&root, OOS, "CreateTemplate", &[("TemplateName", "named"), ("Content", &sleep), ("Tags", r#"{"env":"dev"}"#)]).await.unwrap();
    call(&root, OOS, "CreateTemplate", &[("TemplateName", "prod-one"), ("Content", &sleep), ("Tags", r#"{"env":"prod"}"#)]).await.unwrap();
    call(&root, OOS, "CreateParameter", &[("Name", "readable"), ("Type", "String"), ("Value", "r")]).await.unwrap();
    call(&root, OOS, "CreateParameter", &[("Name", "hidden"), ("Type", "String"), ("Value", "h"), ("Tags", r#"{"env":"prod"}"#)]).await.unwrap();
    let policy = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["oos:StartExecution", "oos:GenerateExecutionPolicy", "oos:GetTemplateParameterConstraints", "oos:ListExecutionRiskyTasks"], "Resource": "acs:oos:*:*:template/named"},
        {"Effect": "Allow", "Action": ["oos:GetTemplate", "oos:UpdateTemplateAttributes", "oos:GetParameter"], "Resource": "*", "Condition": {"StringEquals": {"oos:ResourceTag/env": "dev"}}},
        {"Effect": "Allow", "Action": "oos:GetParameter", "Resource": "acs:oos:*:*:parameter/readable"}
    ]});
    ram(&root, "CreatePolicy", &[("PolicyName", "rows"), ("PolicyDocument", &policy.to_string())]).await;
    let user_key = api_client::user_credentials(&root, &url, "rows").await;
    ram(&root, "AttachPolicyToUser", &[("UserName", "rows"), ("PolicyName", "rows"), ("PolicyType", "Custom")]).await;
    let referencing = |reference: &str| json!({"FormatVersion": "OOS-2019-06-01", "Tasks": [{"Name": "a", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}], "Outputs": {"v": {"Type": "String", "Value": format!("{{{{ {reference} }}}}")}}}).to_string();
    let rows: Vec<(&str, Vec<(&str, String)>, bool)> = vec![
        ("StartExecution", vec![("TemplateName", "named".into())], true),
        ("StartExecution", vec![("TemplateName", "named".into()), ("TemplateContent", sleep.clone())], false),
        ("StartExecution", vec![("TemplateName", "named".into()), ("TemplateURL", "http://198.51.100.7/t.json".into())], false),
        ("GenerateExecutionPolicy", vec![("TemplateName", "named".into()), ("TemplateContent", sleep.clone())], false),
        ("GetTemplateParameterConstraints", vec![("TemplateName", "named".into()), ("TemplateContent", sleep.clone())], false),
        ("ListExecutionRiskyTasks", vec![("TemplateName", "named".into())], true),
        ("ListExecutionRiskyTasks", vec![("TemplateName", "prod-one".into())], false),
        ("GetTemplate", vec![("TemplateName", "named".into())], true),
        ("GetTemplate", vec![("TemplateName", "prod-one".into())], false),
        ("UpdateTemplateAttributes", vec![("TemplateName", "prod-one".into()), ("Description", "x".into())], false),
        ("GetParameter", vec![("Name", "readable".into())], true),
        ("GetParameter", vec![("Name", "hidden".into())], false),
    ];
    for (action, params, allowed) in &rows {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(key, value)| (*key, value.as_str())).collect();
        let (status, body) = Call::new(&user_key, OOS, action, &pairs).send(addr).await;
        if (status != 403) != *allowed {
            failures.push(format!("{action} {:?}: expected {}, got {status} {body}", params.iter().map(|(k, _)| k).collect::<Vec<_>>(), if *allowed { "allowed" } else { "403" }));
        }
    }
    // Parameter references: this user may start `named` only, so give it a role-free inline-capable key.
    let starter = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "oos:StartExecution", "Resource": "*"},
        {"Effect": "Allow", "Action": "oos:GetParameter", "Resource": "acs:oos:*:*:parameter/readable"}
    ]});
    ram(&root, "CreatePolicy", &[("PolicyName", "starter"), ("PolicyDocument", &starter.to_string())]).await;
    let starter_key = api_client::user_credentials(&root, &url, "starter").await;
    ram(&root, "AttachPolicyToUser", &[("UserName", "starter"), ("PolicyName", "starter"), ("PolicyType", "Custom")]).await;
    for (reference, allowed) in [("oos:readable", true), ("oos:hidden", false), ("oos:missing", false), ("oos-secret:anything", false)] {
        let (status, body) = Call::new(&starter_key, OOS, "StartExecution", &[("TemplateContent", &referencing(reference))]).send(addr).await;
        if (status == 200) != allowed || (!allowed && body["Code"] != "Forbidden.RAM") {
            failures.push(format!("a reference to {reference}: {status} {body}"));
        }
    }
    assert!(failures.is_empty(), "{} rows wrong:\n{}", failures.len(), failures.join("\n"));
    server.stop();
}
