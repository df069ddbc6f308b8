//! State templates (`OOS-2019-06-01-State`): the corpus's inventory templates validate, are refused
//! where a template is executed, and their `ACS:Inventory` policy reads as the types to collect.

mod support;

use oos_template::state::{INVENTORY, inventory_policy, inventory_types};
use oos_template::{ValidateOptions, codes, parse, parse_state, validate};
use serde_json::json;

fn corpus_state_templates() -> Vec<String> {
    let dir = support::corpus_dir().join("aliyun__oos-templates/PublicTemplates");
    ["YAML/ACS-ECS-InventoryDataCollection.yml", "JSON/ACS-ECS-InventoryDataCollection.json"]
        .iter()
        .map(|file| std::fs::read_to_string(dir.join(file)).expect("the corpus's inventory template"))
        .collect()
}

#[test]
fn the_corpus_inventory_templates_validate_and_parse_as_state_templates() {
    for text in corpus_state_templates() {
        let validation = validate(&text, &ValidateOptions::default());
        assert!(!validation.has_errors(), "{:#?}", validation.diagnostics);
        let template = parse_state(&text).expect("a state template");
        assert!(template.is_state());
        assert_eq!(template.states.len(), 1);
        assert_eq!(template.states[0].resource_type, INVENTORY);
        assert_eq!(template.states[0].properties["Policy"], json!("{{ policy }}"));
        assert!(template.parameters.contains_key("policy"));
    }
}

#[test]
fn a_state_template_is_not_executed_and_an_automation_template_is_not_applied() {
    let state = &corpus_state_templates()[0];
    let error = parse(state).expect_err("a state template is not run");
    assert_eq!(error.code(), codes::STATE_TEMPLATE);
    assert_eq!((error.first.line, error.first.column), (Some(1), Some(1)), "{error}");
    let automation = "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: t, Action: ACS::Sleep, Properties: {Duration: PT1S}}\n";
    let error = parse_state(automation).expect_err("an automation template is not applied");
    assert_eq!(error.code(), codes::NOT_STATE_TEMPLATE);
}

#[test]
fn a_broken_state_template_fails_with_its_code_and_place() {
    let text = "FormatVersion: OOS-2019-06-01-State\nStates:\n  - ResourceType: 'ACS:Inventory'\n    Properties:\n      Policy: '{\"ACS:Application\": {\"Collection\": \"On\"}}'\n";
    let error = parse_state(text).expect_err("a bad Collection");
    assert_eq!(error.code(), codes::POLICY);
    assert_eq!((error.first.line, error.first.column), (Some(5), Some(7)), "{error}");
    let with_tasks = "FormatVersion: OOS-2019-06-01-State\nStates: []\nTasks: []\n";
    let error = parse_state(with_tasks).expect_err("tasks in a state template");
    assert_eq!(error.code(), codes::TASKS_IN_STATE);
    assert_eq!(error.first.line, Some(3));
}

#[test]
fn a_policy_lists_its_types_enabled_or_not() {
    let policy = json!({
        "ACS:Application": {"Collection": "Enabled"},
        "ACS:File": {"Collection": "Disabled", "Filters": "[{\"Path\": \"/etc\"}]"},
    });
    let entries = inventory_policy(&policy).expect("a valid policy");
    let enabled: Vec<&str> = entries.iter().filter(|entry| entry.enabled).map(|entry| entry.type_name.as_str()).collect();
    assert_eq!(enabled, ["ACS:Application"]);
    assert_eq!(entries[1].filters.as_deref(), Some("[{\"Path\": \"/etc\"}]"));
    assert_eq!(inventory_policy(&json!(policy.to_string())).expect("its text"), entries);
    for bad in [json!([]), json!("not json"), json!({"ACS:File": {"Collection": "Enabled", "Filters": "{"}}), json!({"ACS:File": {}})] {
        assert!(inventory_policy(&bad).is_err(), "{bad} is refused");
    }
}

#[test]
fn applying_resolves_the_enabled_types_from_the_parameters() {
    let template = parse_state(&corpus_state_templates()[0]).expect("a state template");
    let policy = json!({"ACS:Application": {"Collection": "Enabled"}, "ACS:File": {"Collection": "Disabled"}, "ACS:InstanceInformation": {"Collection": "Enabled"}});
    let given = json!({"policy": policy}).as_object().cloned().unwrap();
    assert_eq!(inventory_types(&template, &given).expect("valid parameters"), ["ACS:Application", "ACS:InstanceInformation"]);
    let as_text = json!({"policy": policy.to_string()}).as_object().cloned().unwrap();
    assert_eq!(inventory_types(&template, &as_text).expect("the policy as JSON text"), ["ACS:Application", "ACS:InstanceInformation"]);
    let missing = inventory_types(&template, &serde_json::Map::new()).expect_err("policy is required");
    assert_eq!(missing.code, codes::MISSING_PARAMETER);
    let bad = json!({"policy": {"ACS:Application": {"Collection": "Maybe"}}}).as_object().cloned().unwrap();
    let error = inventory_types(&template, &bad).expect_err("a bad policy");
    assert_eq!((error.code, error.parameter.as_str()), (codes::POLICY, "States[0].Properties.Policy"));
}
