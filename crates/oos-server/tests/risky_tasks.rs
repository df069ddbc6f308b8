//! ListExecutionRiskyTasks through the signed API: the high-risk ExecuteAPI calls of a stored template
//! and of the children it runs (by path, grouped by Service and API), not a `Risk: Normal` Delete*
//! call nor our `ACS::ECS::DeleteInstance` product action (which says `Risk: Normal`), a cycle walked
//! once, children below the nesting limit left out, a corpus template, and an unknown template (404).

mod api_client;

use api_client::{call, oos, start};
use oos_cloud::CloudClient;
use oos_server::OOS_VERSION;
use serde_json::{Value, json};

const PARENT: &str = r"
FormatVersion: OOS-2019-06-01
Parameters:
  api: {Type: String, Default: DescribeInstances}
Tasks:
- Name: stopFirst
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: StopInstance, Risk: High, Parameters: {InstanceId: i-1}}
- Name: describe
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: DescribeInstances, Parameters: {}}
- Name: deleteDisk
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: DeleteDisk, Parameters: {DiskId: d-1}}
- Name: deleteSnapshot
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: DeleteSnapshot, Risk: Normal, Parameters: {SnapshotId: s-1}}
- Name: chosen
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: '{{ api }}', Risk: High, Parameters: {}}
- Name: runChild
  Action: ACS::Template
  Properties: {TemplateName: child, Parameters: {}}
- Name: release
  Action: ACS::ECS::DeleteInstance
  Properties: {instanceId: i-1}
- Name: runChildAgain
  Action: ACS::Template
  Properties: {TemplateName: child, Parameters: {}}
";

/// Runs `parent` back (a cycle: not followed again).
const CHILD: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: stopInstance
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: StopInstance, Risk: High, Parameters: {InstanceId: i-2}}
- Name: deleteImage
  Action: ACS::ExecuteAPI
  Properties: {Service: ecs, API: DeleteImage, Parameters: {ImageId: m-1}}
- Name: runParent
  Action: ACS::Template
  Properties: {TemplateName: parent, Parameters: {}}
";

async fn risky_tasks(root: &CloudClient, name: &str) -> Value {
    oos(root, "ListExecutionRiskyTasks", &[("TemplateName", name)]).await["RiskyTasks"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn risky_calls_of_a_template_and_its_children() {
    let (server, root, _bed) = start().await;
    oos(&root, "CreateTemplate", &[("TemplateName", "child"), ("Content", CHILD)]).await;
    oos(&root, "CreateTemplate", &[("TemplateName", "parent"), ("Content", PARENT)]).await;
    let stop = json!({"Service": "ECS", "API": "StopInstance", "Task": ["stopFirst", "runChild/stopInstance", "runChildAgain/stopInstance"], "Template": ["parent", "child"]});
    let delete_image = json!({"Service": "ecs", "API": "DeleteImage", "Task": ["runChild/deleteImage", "runChildAgain/deleteImage"], "Template": ["child"]});
    assert_eq!(
        risky_tasks(&root, "parent").await,
        json!([
            stop,
            {"Service": "ECS", "API": "DeleteDisk", "Task": ["deleteDisk"], "Template": ["parent"]},
            {"Service": "ECS", "API": "{{ api }}", "Task": ["chosen"], "Template": ["parent"]},
            delete_image,
        ])
    );
    assert_eq!(
        risky_tasks(&root, "child").await,
        json!([
            {"Service": "ECS", "API": "StopInstance", "Task": ["stopInstance", "runParent/stopFirst"], "Template": ["child", "parent"]},
            {"Service": "ecs", "API": "DeleteImage", "Task": ["deleteImage"], "Template": ["child"]},
            {"Service": "ECS", "API": "DeleteDisk", "Task": ["runParent/deleteDisk"], "Template": ["parent"]},
            {"Service": "ECS", "API": "{{ api }}", "Task": ["runParent/chosen"], "Template": ["parent"]},
        ])
    );

    let missing = call(&root, OOS_VERSION, "ListExecutionRiskyTasks", &[("TemplateName", "nowhere")]).await.unwrap_err();
    assert_eq!((missing.code.as_str(), missing.http_status), ("EntityNotExists.Template", Some(404)), "{missing:?}");
    server.stop();
}

/// `level0` runs `level1` … runs `level6`, each with one `Risk: High` call: children are followed as
/// deep as the worker would start them (5 levels below the template), no deeper.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_are_followed_to_the_nesting_limit() {
    let (server, root, _bed) = start().await;
    for level in 0..=6 {
        let template = json!({"FormatVersion": "OOS-2019-06-01", "Tasks": [
            {"Name": "reboot", "Action": "ACS::ExecuteAPI", "Properties": {"Service": "ECS", "API": "RebootInstance", "Risk": "High", "Parameters": {}}},
            {"Name": format!("run{}", level + 1), "Action": "ACS::Template", "Properties": {"TemplateName": format!("level{}", level + 1)}}
        ]});
        oos(&root, "CreateTemplate", &[("TemplateName", &format!("level{level}")), ("Content", &template.to_string())]).await;
    }
    let answer = risky_tasks(&root, "level0").await;
    assert_eq!(answer[0]["Task"], json!(["reboot", "run1/reboot", "run1/run2/reboot", "run1/run2/run3/reboot", "run1/run2/run3/run4/reboot", "run1/run2/run3/run4/run5/reboot"]));
    assert_eq!(answer[0]["Template"], json!(["level0", "level1", "level2", "level3", "level4", "level5"]));
    server.stop();
}

/// A public template of the corpus: of its three VPC calls only the Delete* one (no `Risk`) is listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corpus_template() {
    let path = oos_testkit::shared_dir().join("corpus/oos-templates/aliyun__oos-templates/PublicTemplates/YAML/ACS-VPC-BulkyDeleteForwardEntry.yml");
    let content = std::fs::read_to_string(path).unwrap();
    let (server, root, _bed) = start().await;
    oos(&root, "CreateTemplate", &[("TemplateName", "BulkyDeleteForwardEntry"), ("Content", &content)]).await;
    assert_eq!(
        risky_tasks(&root, "BulkyDeleteForwardEntry").await,
        json!([{"Service": "VPC", "API": "DeleteForwardEntry", "Task": ["deleteForwardEntry"], "Template": ["BulkyDeleteForwardEntry"]}])
    );
    server.stop();
}
