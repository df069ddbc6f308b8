//! Property: for any generated request, the resource that was authorized is the resource the handler
//! acted on. Mallory may act on her own resources only (`mallory*`); the requests name hers, the
//! victim's, or near-misses of them (case, spaces, slashes, control characters), once or repeated in
//! the query, the form body or both, signed with either scheme. Whatever the answer, the victim's
//! resources are exactly as before and no answer carries the victim's data. Property cases: 48 by
//! default, more with `PROPTEST_CASES`.

mod api_client;

use std::net::SocketAddr;

use oos_acs::Credentials;
use oos_testkit::wire::{Call, OOS, RAM, exchange, nonce, now};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

const VICTIM_TEMPLATE: &str = "victim-runbook";
const VICTIM_PARAMETER: &str = "victim/db-host";
const VICTIM_SECRET: &str = "victim/db-password";
const MARKERS: [&str; 3] = ["VICTIM-TEMPLATE-MARKER", "victim-host-8841", "victim-secret-5517"];

/// Actions mallory may call (on her own resources) and the parameter naming the resource.
const ACTIONS: &[(&str, &str, &str, &[(&str, &str)])] = &[
    (OOS, "GetTemplate", "TemplateName", &[]),
    (OOS, "UpdateTemplate", "TemplateName", &[("Content", r#"{"FormatVersion":"OOS-2019-06-01","Description":"pwned","Tasks":[{"Name":"a","Action":"ACS::Sleep","Properties":{"Duration":"PT0S"}}]}"#)]),
    (OOS, "DeleteTemplate", "TemplateName", &[]),
    (OOS, "UpdateTemplateAttributes", "TemplateName", &[("Description", "pwned")]),
    (OOS, "ListTemplateVersions", "TemplateName", &[]),
    (OOS, "GetParameter", "Name", &[]),
    (OOS, "UpdateParameter", "Name", &[("Value", "pwned")]),
    (OOS, "DeleteParameter", "Name", &[]),
    (OOS, "GetSecretParameter", "Name", &[("WithDecryption", "true")]),
    (OOS, "UpdateSecretParameter", "Name", &[("Value", "pwned")]),
    (OOS, "DeleteSecretParameter", "Name", &[]),
    (RAM, "CreateAccessKey", "UserName", &[]),
    (RAM, "ListAccessKeys", "UserName", &[]),
    (RAM, "AttachPolicyToUser", "UserName", &[("PolicyType", "System"), ("PolicyName", "AdministratorAccess")]),
    (RAM, "DeleteUser", "UserName", &[]),
];

/// The victim's and mallory's resource of the kind an action's parameter names.
fn names(action: &str, parameter: &str) -> (&'static str, &'static str) {
    match (parameter, action.contains("Secret")) {
        ("TemplateName", _) => (VICTIM_TEMPLATE, "mallory-runbook"),
        ("Name", false) => (VICTIM_PARAMETER, "mallory/db-host"),
        ("Name", true) => (VICTIM_SECRET, "mallory/db-password"),
        _ => ("victim", "mallory"),
    }
}

/// Spellings of a name: itself, and near-misses of it.
fn spelling(name: &str, variant: u8) -> String {
    match variant % 8 {
        0 => name.to_owned(),
        1 => format!(" {name}"),
        2 => format!("{name} "),
        3 => name.to_uppercase(),
        4 => format!("/{name}"),
        5 => format!("{name}/"),
        6 => format!("{name}\t"),
        _ => format!("{name}*"),
    }
}

#[derive(Debug, Clone)]
struct Case {
    action: usize,
    /// Each copy of the resource parameter: (victim's?, spelling, in the form body?).
    copies: Vec<(bool, u8, bool)>,
    v1: bool,
}

fn cases() -> impl Strategy<Value = Case> {
    // Half the spellings are exact, so that many requests name a resource as it is.
    let spelling = prop_oneof![Just(0u8), any::<u8>()];
    (0..ACTIONS.len(), prop::collection::vec((any::<bool>(), spelling, any::<bool>()), 1..4), any::<bool>()).prop_map(|(action, copies, v1)| Case { action, copies, v1 })
}

/// What root sees of the victim's resources.
async fn victim_state(addr: SocketAddr, root: &Credentials) -> Value {
    let get = |version: &'static str, action: &'static str, params: Vec<(String, String)>| async move {
        let call = Call { credentials: root, version, action, query: params, form: Vec::new(), date: now(), nonce: nonce() };
        let (status, mut body) = call.send(addr).await;
        if let Some(object) = body.as_object_mut() {
            object.remove("RequestId");
        }
        json!({"status": status, "body": body})
    };
    let p = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
    json!([
        get(OOS, "GetTemplate", p(&[("TemplateName", VICTIM_TEMPLATE)])).await,
        get(OOS, "GetParameter", p(&[("Name", VICTIM_PARAMETER)])).await,
        get(OOS, "GetSecretParameter", p(&[("Name", VICTIM_SECRET), ("WithDecryption", "true")])).await,
        get(RAM, "ListAccessKeys", p(&[("UserName", "victim")])).await["body"]["AccessKeys"]["AccessKey"].as_array().map_or(0, Vec::len),
        get(RAM, "ListPoliciesForUser", p(&[("UserName", "victim")])).await,
        get(RAM, "GetUser", p(&[("UserName", "victim")])).await,
    ])
}

#[test]
fn the_resource_authorized_is_the_resource_acted_on() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (server, root_client, _dir, root) = rt.block_on(async {
        let (server, root_client, dir) = api_client::start().await;
        let root = api_client::root_credentials(dir.path());
        (server, root_client, dir, root)
    });
    let addr = server.addr();
    let mallory = rt.block_on(async {
        let url = format!("http://{addr}");
        let mallory = api_client::user_credentials(&root_client, &url, "mallory").await;
        api_client::user_credentials(&root_client, &url, "victim").await;
        // Her own keys, not her own policies: a user who may attach policies to herself may make herself an administrator.
        let own = json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "oos:*", "Resource": ["acs:oos:*:*:template/mallory-*", "acs:oos:*:*:parameter/mallory/*", "acs:oos:*:*:secretparameter/mallory/*"]},
            {"Effect": "Allow", "Action": ["ram:CreateAccessKey", "ram:ListAccessKeys", "ram:GetUser"], "Resource": "acs:ram::*:user/mallory"}
        ]});
        api_client::ram(&root_client, "CreatePolicy", &[("PolicyName", "own"), ("PolicyDocument", &own.to_string())]).await;
        api_client::ram(&root_client, "AttachPolicyToUser", &[("PolicyType", "Custom"), ("PolicyName", "own"), ("UserName", "mallory")]).await;
        for (name, description) in [(VICTIM_TEMPLATE, MARKERS[0]), ("mallory-runbook", "mine")] {
            let content = json!({"FormatVersion": "OOS-2019-06-01", "Description": description, "Tasks": [{"Name": "a", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}]}).to_string();
            api_client::call(&root_client, OOS, "CreateTemplate", &[("TemplateName", name), ("Content", &content)]).await.unwrap();
        }
        for (name, value) in [(VICTIM_PARAMETER, MARKERS[1]), ("mallory/db-host", "mine")] {
            api_client::call(&root_client, OOS, "CreateParameter", &[("Name", name), ("Type", "String"), ("Value", value)]).await.unwrap();
        }
        for (name, value) in [(VICTIM_SECRET, MARKERS[2]), ("mallory/db-password", "mine")] {
            api_client::call(&root_client, OOS, "CreateSecretParameter", &[("Name", name), ("Value", value)]).await.unwrap();
        }
        mallory
    });
    let before = rt.block_on(victim_state(addr, &root));
    // Mallory can act on her own resources: the property below is not vacuous.
    let own = rt.block_on(Call::new(&mallory, OOS, "GetTemplate", &[("TemplateName", "mallory-runbook")]).send(addr));
    assert_eq!(own.0, 200, "{}", own.1);
    let runs = std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(48);
    let mut runner = TestRunner::new(Config { cases: runs, failure_persistence: None, ..Config::default() });
    let outcome = runner.run(&cases(), |case| {
        let (version, action, parameter, extra) = ACTIONS[case.action];
        let (victim, own) = names(action, parameter);
        let mut call = Call::new(&mallory, version, action, extra);
        for (of_victim, variant, in_form) in &case.copies {
            let pair = (parameter.to_owned(), spelling(if *of_victim { victim } else { own }, *variant));
            if *in_form { call.form.push(pair) } else { call.query.push(pair) }
        }
        let bytes = if case.v1 { call.v1(addr) } else { call.acs3(addr) };
        let (status, body) = rt.block_on(exchange(addr, &bytes));
        let text = body.to_string();
        prop_assert!(status < 500, "{action}: server error {status} {text}");
        for marker in MARKERS {
            prop_assert!(!text.contains(marker), "{action} {:?}: the answer carries the victim's data: {text}", case.copies);
        }
        let after = rt.block_on(victim_state(addr, &root));
        prop_assert_eq!(&after, &before, "{} {:?} changed the victim's resources (answer {} {})", action, case.copies, status, text);
        Ok(())
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
    server.stop();
}
