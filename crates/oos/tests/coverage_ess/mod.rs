//! The ESS public templates of the sandbox coverage run (`PublicTemplates/YAML/ACS-ESS-*`): the
//! fleet they need beside the ECS one (scaling groups, one with a scale-out and one with a
//! scale-in whose lifecycle actions are pending), the values ESS gives a lifecycle template when a
//! hook notifies it, the values a user would give, and their own section of the report.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::coverage_report::causes_table;
use crate::{REGION, Row};

/// The template name prefix of this part.
pub const PREFIX: &str = "ACS-ESS-";

/// What the ESS templates need beside the ECS fleet (merged into it by [`fleet`]): `asg-ess-web`
/// with two instances in service (the rolling updates, health checks and scaling configurations),
/// `asg-ess-launch`, whose scale-out of two instances waits at a `SCALE_OUT` hook, and
/// `asg-ess-remove`, whose scale-in of an instance with an EIP waits at a `SCALE_IN` hook; two
/// EIPs that are free.
const FLEET_ADDITIONS: &str = "
instances:
  - ids: [i-ess-web-1, i-ess-web-2]
    name: 'ess-web-{index}'
    region: cn-hangzhou
    security_group: sg-cov
    tags: {env: cov-ess}
  - ids: [i-ess-new-1, i-ess-new-2]
    name: 'ess-new-{index}'
    region: cn-hangzhou
    security_group: sg-cov
    tags: {env: cov-ess}
  - ids: [i-ess-leaving]
    name: ess-leaving
    region: cn-hangzhou
    security_group: sg-cov
    tags: {env: cov-ess}
eips:
  - {id: eip-ess-free-1, ip: 47.99.2.1}
  - {id: eip-ess-free-2, ip: 47.99.2.2}
  - {id: eip-ess-leaving, ip: 47.99.2.3, instance: i-ess-leaving}
scaling_groups:
  - id: asg-ess-web
    name: ess-web
    max_size: 4
    instances: [i-ess-web-1, i-ess-web-2]
    configuration: {id: asc-ess-web, image_id: m-cov-1, security_group: sg-cov}
  - id: asg-ess-launch
    name: ess-launch
    max_size: 4
    instances: [i-ess-new-1, i-ess-new-2]
    configuration: {id: asc-ess-launch, security_group: sg-cov}
    lifecycle_hooks:
      - id: ash-ess-launch
        name: launch
        transition: SCALE_OUT
        heartbeat_timeout: 21600
        pending: {token: 5a1c7e3f-0b2d-4c6e-8f9a-1b3d5f7a9c0e, activity: asa-ess-launch, instances: [i-ess-new-1, i-ess-new-2]}
  - id: asg-ess-remove
    name: ess-remove
    max_size: 4
    instances: [i-ess-leaving]
    configuration: {id: asc-ess-remove, security_group: sg-cov}
    lifecycle_hooks:
      - id: ash-ess-remove
        name: remove
        transition: SCALE_IN
        heartbeat_timeout: 21600
        pending: {token: 9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b, activity: asa-ess-remove, instances: [i-ess-leaving]}
";

/// The lifecycle templates a `SCALE_IN` hook runs (they undo what a scale-out set up); the others
/// get the scale-out's notification.
const ON_SCALE_IN: [&str; 3] = [
    "ACS-ESS-LifeCycleBulkyDeleteClusterNodes",
    "ACS-ESS-LifeCycleDetachNetworkInterfaceAndDeleteEip",
    "ACS-ESS-LifeCycleReleaseEipAddressFromInstance",
];

/// Parameter values a user would give these templates, which no name-based guess finds.
pub const GIVEN: [(&str, &str, &str); 5] = [
    // Its role parameter has no default; the sandbox runs as the caller.
    ("ACS-ESS-LifeCycleGetIpAddressAndModifyInstanceName", "OOSAssumeRole", r#""""#),
    // A free EIP for each new instance (each takes the first of the list that is still free).
    ("ACS-ESS-LifeCycleAttachEipToInstance", "EipIds", r#"["eip-ess-free-1", "eip-ess-free-2"]"#),
    // The script a rolling update runs (its default is empty, which RunCommand refuses).
    ("ACS-ESS-RollingUpdateByRunCommandInScalingGroup", "invokeScript", r#""echo updated""#),
    ("ACS-ESS-RollingUpdateByDownloadFileAndRunCommand", "invokeScript", r#""echo updated""#),
    // The image the system disks are replaced with (its default is empty).
    ("ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup", "imageId", r#""m-cov-1""#),
];

/// `base` (a fleet seed) with [`FLEET_ADDITIONS`]: each added list's items go first in the list
/// of the same top-level key.
pub fn fleet(base: &str) -> String {
    let mut fleet = base.to_owned();
    let mut sections: Vec<(&str, String)> = Vec::new();
    for line in FLEET_ADDITIONS.lines().filter(|line| !line.is_empty()) {
        match line.strip_suffix(':').filter(|_| !line.starts_with(' ')) {
            Some(key) => sections.push((key, String::new())),
            None => {
                let (_, items) = sections.last_mut().expect("a key comes first");
                items.push_str(line);
                items.push('\n');
            }
        }
    }
    for (key, items) in sections {
        let heading = format!("\n{key}:\n");
        let at = fleet.find(&heading).expect("the base fleet has the key") + heading.len();
        fleet.insert_str(at, &items);
    }
    fleet
}

/// Whether `default` is a value ESS fills in when a hook notifies the template (`${instanceIds}`).
pub fn notified(default: &Value) -> bool {
    let text = match default {
        Value::Array(items) if items.len() == 1 => &items[0],
        other => other,
    };
    text.as_str().is_some_and(|text| text.starts_with("${") && text.ends_with('}'))
}

/// The value of parameter `name` of ESS template `template`: what the hook's notification carries
/// (scale-out or scale-in), or a seeded ESS resource; `None` leaves it to the ECS guesses.
pub fn generated(template: &str, name: &str) -> Option<Value> {
    let scale_in = ON_SCALE_IN.contains(&template);
    let value = match name.to_ascii_lowercase().as_str() {
        "regionid" => json!(REGION),
        "instanceids" if scale_in => json!(["i-ess-leaving"]),
        "instanceids" => json!(["i-ess-new-1", "i-ess-new-2"]),
        "lifecyclehookid" if scale_in => json!("ash-ess-remove"),
        "lifecyclehookid" => json!("ash-ess-launch"),
        "lifecycleactiontoken" if scale_in => json!("9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"),
        "lifecycleactiontoken" => json!("5a1c7e3f-0b2d-4c6e-8f9a-1b3d5f7a9c0e"),
        "esstasktype" => json!("RemoveInstances"),
        "scalinggroupid" => json!("asg-ess-web"),
        "scalingconfigurationid" => json!("asc-ess-web"),
        "scalingconfigurationids" => json!(["asc-ess-web"]),
        "autosnapshotpolicyid" => json!("sp-cov"),
        _ => return None,
    };
    Some(value)
}

/// The report's section on the ESS templates: how many run, why the others do not, the values
/// given, and a row per template.
pub fn section(rows: &[Row]) -> String {
    let succeeded = rows.iter().filter(|row| row.success).count();
    let mut text = String::from("\n# ESS public templates\n\n");
    let _ = writeln!(
        text,
        "Every `PublicTemplates/YAML/ACS-ESS-*` template, run the same way with the same fleet and three scaling \
         groups more (`FLEET_ADDITIONS` in `coverage_ess`): `asg-ess-web` with two instances in service and its \
         configuration `asc-ess-web` (the rolling updates, health checks and configuration updates), `asg-ess-launch`, \
         whose scale-out of two instances waits at a `SCALE_OUT` lifecycle hook, and `asg-ess-remove`, whose scale-in \
         of an instance with an EIP waits at a `SCALE_IN` hook. A lifecycle template gets what ESS passes when the \
         hook notifies it (`${{regionId}}`, `${{instanceIds}}`, `${{lifecycleHookId}}`, `${{lifecycleActionToken}}`: \
         the pending scale-out's, or the scale-in's for {}), and completes that lifecycle action itself. These rows \
         are not counted in the ECS figure above.\n",
        ON_SCALE_IN.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
    );
    let _ = writeln!(
        text,
        "**ESS public templates: {succeeded} of {} ({} %) run to Success or wait at an approval that the sandbox \
         inbox shows.**\n",
        rows.len(),
        succeeded * 100 / rows.len().max(1)
    );
    causes_table(&mut text, rows);
    let _ = writeln!(text, "\n## ESS parameters a user would give\n\n| template | parameter | value |\n| --- | --- | --- |");
    for (template, parameter, value) in GIVEN {
        let _ = writeln!(text, "| {template} | `{parameter}` | `{value}` |");
    }
    let _ = writeln!(text, "\n## ESS per template\n\n| template | result | detail |\n| --- | --- | --- |");
    for row in rows {
        let _ = writeln!(text, "| {} | {} | {} |", row.template, row.category, row.detail);
    }
    text
}
