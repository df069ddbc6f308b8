//! The authorization mapping of every OOS API action, checked by hand-written expectations and against the
//! SDK-derived API reference in `../shared/docs/oos-openapi-reference.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use oos_iam::oos_actions::{EXTENSION_ACTIONS, OOS_ACTIONS, ResourceSource, oos_action_authz};
use oos_iam::{ArnScope, Context};

fn params() -> BTreeMap<String, String> {
    [
        ("TemplateName", "tpl"),
        ("TemplateNames", r#"["t1","t2"]"#),
        ("ExecutionId", "exec-1"),
        ("ExecutionIds", r#"["exec-1","exec-2"]"#),
        ("Name", "/prod/db"),
        ("Names", r#"["a","/b/c"]"#),
        ("Path", "/prod/"),
        ("ResourceType", "Template"),
        ("ResourceIds", r#"["t1","t2"]"#),
        ("ResourceId", "t9"),
        ("StateConfigurationId", "sc-1"),
        ("StateConfigurationIds", r#"["sc-1","sc-2"]"#),
        ("InstanceId", "mi-1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

const P: &str = "acs:oos:cn-hangzhou:123:";

#[test]
fn every_action_maps_to_its_resources() {
    let expected: &[(&str, &[&str])] = &[
        ("CreateTemplate", &["template/tpl"]),
        ("UpdateTemplate", &["template/tpl"]),
        ("GetTemplate", &["template/tpl"]),
        ("DeleteTemplate", &["template/tpl"]),
        ("DeleteTemplates", &["template/t1", "template/t2"]),
        ("ListTemplates", &["template/*"]),
        ("ListTemplateVersions", &["template/tpl"]),
        ("UpdateTemplateAttributes", &["template/tpl"]),
        ("GetTemplateParameterConstraints", &["template/tpl"]),
        ("ListExecutionRiskyTasks", &["template/tpl"]),
        ("GenerateExecutionPolicy", &["template/tpl"]),
        ("ValidateTemplateContent", &["*"]),
        ("ListActions", &["*"]),
        ("StartExecution", &["template/tpl"]),
        ("ListExecutions", &["execution/exec-1"]),
        ("GetExecutionTemplate", &["execution/exec-1"]),
        ("CancelExecution", &["execution/exec-1"]),
        ("NotifyExecution", &["execution/exec-1"]),
        ("UpdateExecution", &["execution/exec-1"]),
        ("TriggerExecution", &["execution/exec-1"]),
        ("PauseTrigger", &["execution/exec-1"]),
        ("ResumeTrigger", &["execution/exec-1"]),
        (
            "DeleteExecutions",
            &["execution/exec-1", "execution/exec-2"],
        ),
        ("ListTaskExecutions", &["execution/exec-1"]),
        ("ListExecutionLogs", &["execution/exec-1"]),
        ("ListResourceExecutionStatus", &["execution/exec-1"]),
        ("ListTaskExecutionInvocations", &["execution/*"]),
        ("StartDebugExecution", &["execution/*"]),
        ("CreateParameter", &["parameter/prod/db"]),
        ("GetParameter", &["parameter/prod/db"]),
        ("UpdateParameter", &["parameter/prod/db"]),
        ("DeleteParameter", &["parameter/prod/db"]),
        ("ListParameterVersions", &["parameter/prod/db"]),
        ("GetParameters", &["parameter/a", "parameter/b/c"]),
        ("GetParametersByPath", &["parameter/prod/*"]),
        ("ListParameters", &["parameter/*"]),
        ("CreateSecretParameter", &["secretparameter/prod/db"]),
        ("GetSecretParameter", &["secretparameter/prod/db"]),
        ("UpdateSecretParameter", &["secretparameter/prod/db"]),
        ("DeleteSecretParameter", &["secretparameter/prod/db"]),
        ("ListSecretParameterVersions", &["secretparameter/prod/db"]),
        (
            "GetSecretParameters",
            &["secretparameter/a", "secretparameter/b/c"],
        ),
        ("GetSecretParametersByPath", &["secretparameter/prod/*"]),
        ("ListSecretParameters", &["secretparameter/*"]),
        ("TagResources", &["template/t1", "template/t2"]),
        ("UntagResources", &["template/t1", "template/t2"]),
        ("ListTagResources", &["template/t1", "template/t2"]),
        ("ListTagKeys", &["*"]),
        ("ListTagValues", &["*"]),
        ("ChangeResourceGroup", &["template/t9"]),
        ("DescribeRegions", &["*"]),
        ("GetServiceSettings", &["*"]),
        ("SetServiceSettings", &["*"]),
        ("ListAuditEvents", &["audit/*"]),
        ("VerifyAuditTrail", &["audit/*"]),
        ("ListSandboxInbox", &["sandboxinbox/*"]),
        ("ClearSandboxInbox", &["sandboxinbox/*"]),
        ("CreateStateConfiguration", &["template/tpl"]),
        ("UpdateStateConfiguration", &["stateconfiguration/sc-1"]),
        ("ListStateConfigurations", &["stateconfiguration/sc-1", "stateconfiguration/sc-2"]),
        ("DeleteStateConfigurations", &["stateconfiguration/sc-1", "stateconfiguration/sc-2"]),
        ("ListInventoryEntries", &["instance/mi-1"]),
        ("GetInventorySchema", &["*"]),
    ];
    let scope = ArnScope::new("cn-hangzhou", "123");
    let covered: BTreeSet<&str> = expected.iter().map(|(a, _)| *a).collect();
    let table: BTreeSet<&str> = OOS_ACTIONS.iter().map(|(a, _)| *a).collect();
    assert_eq!(
        covered, table,
        "expectations and table must list the same actions"
    );
    for (action, resources) in expected {
        let authz = oos_action_authz(action, &params(), &scope).unwrap();
        assert_eq!(authz.action, format!("oos:{action}"));
        let want: Vec<String> = resources
            .iter()
            .map(|r| {
                if *r == "*" {
                    r.to_string()
                } else {
                    format!("{P}{r}")
                }
            })
            .collect();
        assert_eq!(authz.resources, want, "{action}");
    }
}

#[test]
fn absent_identifiers_mean_the_whole_collection() {
    let scope = ArnScope::new("cn-hangzhou", "123");
    let none = BTreeMap::new();
    for (action, source) in OOS_ACTIONS {
        let authz = oos_action_authz(action, &none, &scope).unwrap();
        let want = match source {
            ResourceSource::One(kind, _)
            | ResourceSource::Many(kind, _)
            | ResourceSource::Collection(kind)
            | ResourceSource::UnderPath(kind) => {
                format!("{P}{kind}/*")
            }
            ResourceSource::TemplateOrInline => format!("{P}template/*"),
            ResourceSource::TaggedResources | ResourceSource::TaggedResource => format!("{P}*/*"),
            ResourceSource::Global => "*".to_string(),
        };
        assert_eq!(authz.resources, vec![want], "{action}");
    }
    let empty_list: BTreeMap<String, String> =
        [("ExecutionIds".to_string(), "[]".to_string())].into();
    assert_eq!(
        oos_action_authz("DeleteExecutions", &empty_list, &scope)
            .unwrap()
            .resources,
        vec![format!("{P}execution/*")]
    );
}

#[test]
fn unknown_actions_are_refused() {
    let error = oos_action_authz(
        "StartExecutions",
        &BTreeMap::new(),
        &ArnScope::new("r", "a"),
    )
    .unwrap_err();
    assert_eq!(error.code(), "InvalidAction.NotFound");
    assert_eq!(error.http_status(), 404);
}

#[test]
fn request_parameters_become_condition_keys() {
    let params: BTreeMap<String, String> = [
        ("TemplateName", "restart-web"),
        ("TemplateVersion", "v3"),
        ("Tags", r#"{"team":"dev","env":"prod"}"#),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let authz = oos_action_authz("StartExecution", &params, &ArnScope::new("r", "a")).unwrap();
    let context = authz.extend_context(Context::new());
    assert_eq!(
        context.get("oos:TemplateName"),
        Some(&["restart-web".to_string()][..])
    );
    assert_eq!(
        context.get("oos:TemplateVersion"),
        Some(&["v3".to_string()][..])
    );
    let mut tag_keys = context.get("oos:TagKeys").unwrap().to_vec();
    tag_keys.sort();
    assert_eq!(tag_keys, ["env", "team"]);
    assert_eq!(
        context.get("oos:RequestTag/team"),
        Some(&["dev".to_string()][..])
    );
    let untag: BTreeMap<String, String> =
        [("TagKeys".to_string(), r#"["a","b"]"#.to_string())].into();
    let context = oos_action_authz("UntagResources", &untag, &ArnScope::new("r", "a"))
        .unwrap()
        .extend_context(Context::new());
    assert_eq!(
        context.get("oos:TagKeys"),
        Some(&["a".to_string(), "b".to_string()][..])
    );
}

#[test]
fn an_inline_template_is_authorized_on_every_template_and_has_no_name_condition() {
    let scope = ArnScope::new("cn-hangzhou", "123");
    for inline in ["TemplateContent", "TemplateURL"] {
        let params: BTreeMap<String, String> =
            [("TemplateName", "allowed-one"), (inline, "{}")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for action in ["StartExecution", "GenerateExecutionPolicy", "GetTemplateParameterConstraints"] {
            let authz = oos_action_authz(action, &params, &scope).unwrap();
            assert_eq!(authz.resources, vec![format!("{P}template/*")], "{action} {inline}");
            let context = authz.extend_context(Context::new());
            assert_eq!(context.get("oos:TemplateName"), None, "{action} {inline}");
        }
    }
    let named: BTreeMap<String, String> = [("TemplateName".to_string(), "allowed-one".to_string())].into();
    let authz = oos_action_authz("StartExecution", &named, &scope).unwrap();
    assert_eq!(authz.resources, vec![format!("{P}template/allowed-one")]);
}

/// Request parameter names per action, read from the shared API reference.
fn reference_actions() -> BTreeMap<String, BTreeSet<String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/docs/oos-openapi-reference.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut actions = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("## ") {
            current = Some(name.trim().to_string());
        } else if let (Some(action), Some(request)) = (&current, line.strip_prefix("request:")) {
            let params = request
                .split(", ")
                .filter_map(|p| p.trim().split(':').next())
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            actions.insert(action.clone(), params);
        }
    }
    actions
}

#[test]
fn table_agrees_with_the_api_reference() {
    let reference = reference_actions();
    assert!(
        reference.len() > 80,
        "reference parsed: {} actions",
        reference.len()
    );
    for (action, source) in OOS_ACTIONS.iter().filter(|(action, _)| !EXTENSION_ACTIONS.contains(action)) {
        let params = reference
            .get(*action)
            .unwrap_or_else(|| panic!("{action} is not an OOS 2019-06-01 action"));
        let needed: &[&str] = match source {
            ResourceSource::One(_, p) | ResourceSource::Many(_, p) => &[p],
            ResourceSource::TemplateOrInline => &["TemplateName", "TemplateContent"],
            ResourceSource::UnderPath(_) => &["Path"],
            ResourceSource::TaggedResources => &["ResourceType", "ResourceIds"],
            ResourceSource::TaggedResource => &["ResourceType", "ResourceId"],
            ResourceSource::Collection(_) | ResourceSource::Global => &[],
        };
        for param in needed {
            assert!(
                params.contains(*param),
                "{action} has no request parameter {param}: {params:?}"
            );
        }
    }
}
