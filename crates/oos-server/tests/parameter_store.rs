//! The parameter store, tags and the batch/attribute template actions through the signed API: answers
//! field by field, error codes, paging, and `{{ oos:Name }}` in executions (a snapshot at start).

#[allow(dead_code, reason = "shared with the other API tests, which use the rest")]
mod api_client;

use std::time::Duration;

use api_client::{call, start};
use oos_cloud::CloudClient;
use oos_server::OOS_VERSION;
use serde_json::{Value, json};

async fn ok(client: &CloudClient, action: &str, params: &[(&str, &str)]) -> Value {
    call(client, OOS_VERSION, action, params).await.unwrap_or_else(|error| panic!("{action} {params:?}: {error:?}"))
}

/// The code and HTTP status of a refused call.
async fn refused(client: &CloudClient, action: &str, params: &[(&str, &str)]) -> (String, u16) {
    match call(client, OOS_VERSION, action, params).await {
        Ok(answer) => panic!("{action} {params:?} must fail, answered {answer}"),
        Err(error) => (error.code, error.http_status.unwrap_or_default()),
    }
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|p| p["Name"].as_str().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_are_created_versioned_listed_and_deleted() {
    let (server, root, _dir) = start().await;
    let created = ok(
        &root,
        "CreateParameter",
        &[("Name", "/app/db/host"), ("Type", "String"), ("Value", "db-1"), ("Description", "primary"), ("Tags", r#"{"env":"prod"}"#), ("Constraints", r#"{"AllowedPattern":"db-[0-9]+","MaxLength":8}"#)],
    )
    .await;
    let parameter = &created["Parameter"];
    assert_eq!((parameter["Name"].as_str(), parameter["ParameterVersion"].as_i64(), parameter["Type"].as_str()), (Some("/app/db/host"), Some(1), Some("String")), "{created}");
    assert!(parameter["Id"].as_str().unwrap().starts_with("p-") && parameter["Constraints"].is_string() && parameter["Tags"] == json!({"env": "prod"}), "{created}");
    assert!(parameter.get("Value").is_none(), "CreateParameter answers without the value: {created}");

    // Refusals: taken name, bad names, values outside the constraints, bad Type/Constraints.
    let create = |name: &'static str, value: &'static str| [("Name", name), ("Type", "String"), ("Value", value)];
    assert_eq!(refused(&root, "CreateParameter", &create("/app/db/host", "db-2")).await, ("EntityAlreadyExists.Parameter".into(), 409));
    for bad in ["ALIYUN-x", "oos/thing", "a//b", "a/", "has space", "ünï"] {
        assert_eq!(refused(&root, "CreateParameter", &create(bad, "v")).await, ("InvalidParameter.Name".into(), 400), "{bad}");
    }
    assert_eq!(refused(&root, "CreateParameter", &[("Name", "x"), ("Type", "Secret"), ("Value", "v")]).await.0, "InvalidParameter.Type");
    assert_eq!(refused(&root, "CreateParameter", &[("Name", "x"), ("Type", "String"), ("Value", "v"), ("Constraints", r#"{"Pattern":"x"}"#)]).await.0, "InvalidParameter.Constraints");
    assert_eq!(refused(&root, "CreateParameter", &[("Name", "x"), ("Type", "String"), ("Value", "v"), ("Constraints", r#"{"AllowedPattern":"("}"#)]).await.0, "InvalidParameter.Constraints");
    assert_eq!(refused(&root, "CreateParameter", &[("Name", "x"), ("Type", "String")]).await.0, "MissingParameter.Value");
    let list_constraints = r#"{"AllowedValues":["a","b","c"]}"#;
    let bad_item = [("Name", "letters"), ("Type", "StringList"), ("Value", "a,z"), ("Constraints", list_constraints)];
    assert_eq!(refused(&root, "CreateParameter", &bad_item).await, ("InvalidParameter.Value".into(), 400));
    ok(&root, "CreateParameter", &[("Name", "letters"), ("Type", "StringList"), ("Value", "a,b"), ("Constraints", list_constraints)]).await;
    let long = "x".repeat(4097);
    assert_eq!(refused(&root, "CreateParameter", &[("Name", "long"), ("Type", "String"), ("Value", &long)]).await.0, "InvalidParameter.Value");

    // Versions: UpdateParameter adds one (checked against the constraints); old ones stay readable.
    assert_eq!(refused(&root, "UpdateParameter", &[("Name", "/app/db/host"), ("Value", "cache-1")]).await.0, "InvalidParameter.Value");
    let updated = ok(&root, "UpdateParameter", &[("Name", "/app/db/host"), ("Value", "db-2"), ("Tags", r#"{"env":"staging"}"#)]).await;
    assert_eq!(updated["Parameter"]["ParameterVersion"], 2, "{updated}");
    assert_eq!(updated["Parameter"]["Tags"], json!(r#"{"env":"staging"}"#), "UpdateParameter's Tags is a string: {updated}");
    assert_eq!(updated["Parameter"]["Description"], "primary", "{updated}");
    assert_eq!(refused(&root, "UpdateParameter", &[("Name", "nope"), ("Value", "v")]).await, ("EntityNotExists.Parameter".into(), 404));
    let latest = ok(&root, "GetParameter", &[("Name", "/app/db/host")]).await;
    assert_eq!((latest["Parameter"]["Value"].as_str(), latest["Parameter"]["ParameterVersion"].as_i64()), (Some("db-2"), Some(2)), "{latest}");
    let first = ok(&root, "GetParameter", &[("Name", "/app/db/host"), ("ParameterVersion", "1")]).await;
    assert_eq!(first["Parameter"]["Value"], "db-1", "{first}");
    assert_eq!(refused(&root, "GetParameter", &[("Name", "/app/db/host"), ("ParameterVersion", "9")]).await, ("EntityNotExists.ParameterVersion".into(), 404));
    assert_eq!(refused(&root, "GetParameter", &[("Name", "nope")]).await, ("EntityNotExists.Parameter".into(), 404));
    let versions = ok(&root, "ListParameterVersions", &[("Name", "/app/db/host"), ("MaxResults", "1")]).await;
    assert_eq!((versions["TotalCount"].as_i64(), versions["Type"].as_str(), versions["Name"].as_str()), (Some(2), Some("String"), Some("/app/db/host")), "{versions}");
    assert_eq!(versions["ParameterVersions"], json!([{"ParameterVersion": 2, "UpdatedBy": versions["ParameterVersions"][0]["UpdatedBy"], "UpdatedDate": versions["ParameterVersions"][0]["UpdatedDate"], "Value": "db-2"}]));
    let token = versions["NextToken"].as_str().expect("a second page").to_string();
    let rest = ok(&root, "ListParameterVersions", &[("Name", "/app/db/host"), ("MaxResults", "1"), ("NextToken", &token)]).await;
    assert_eq!((rest["ParameterVersions"][0]["Value"].as_str(), rest.get("NextToken")), (Some("db-1"), None), "{rest}");

    // A tree: GetParametersByPath (direct children or recursive, paged), GetParameters.
    for name in ["/app/db/port", "/app/web/url", "/app/name", "top"] {
        ok(&root, "CreateParameter", &[("Name", name), ("Type", "String"), ("Value", "v")]).await;
    }
    let direct = ok(&root, "GetParametersByPath", &[("Path", "/app")]).await;
    assert_eq!(names(&direct["Parameters"]), ["/app/name"], "{direct}");
    let deep = ok(&root, "GetParametersByPath", &[("Path", "/app/"), ("Recursive", "true"), ("MaxResults", "3")]).await;
    assert_eq!((names(&deep["Parameters"]), deep["TotalCount"].as_i64()), (vec!["/app/db/host", "/app/db/port", "/app/name"], Some(4)), "{deep}");
    assert_eq!(deep["Parameters"][0]["Value"], "db-2");
    let token = deep["NextToken"].as_str().unwrap().to_string();
    let deep_rest = ok(&root, "GetParametersByPath", &[("Path", "/app/"), ("Recursive", "true"), ("MaxResults", "3"), ("NextToken", &token)]).await;
    assert_eq!(names(&deep_rest["Parameters"]), ["/app/web/url"], "{deep_rest}");
    let many = ok(&root, "GetParameters", &[("Names", r#"["top","missing","/app/name"]"#)]).await;
    assert_eq!((names(&many["Parameters"]), &many["InvalidParameters"]), (vec!["top", "/app/name"], &json!(["missing"])), "{many}");
    assert_eq!(refused(&root, "GetParameters", &[("Names", "not json")]).await.0, "InvalidParameter.Names");

    // ListParameters: filters, sort, paging, ParameterVersion as a string.
    let by_name = ok(&root, "ListParameters", &[("SortField", "Name"), ("SortOrder", "Ascending"), ("MaxResults", "2")]).await;
    assert_eq!((names(&by_name["Parameters"]), by_name["TotalCount"].as_i64()), (vec!["/app/db/host", "/app/db/port"], Some(6)), "{by_name}");
    assert_eq!(by_name["Parameters"][0]["ParameterVersion"], "2", "{by_name}");
    let token = by_name["NextToken"].as_str().unwrap().to_string();
    let page2 = ok(&root, "ListParameters", &[("SortField", "Name"), ("SortOrder", "Ascending"), ("MaxResults", "2"), ("NextToken", &token)]).await;
    assert_eq!(names(&page2["Parameters"]), ["/app/name", "/app/web/url"], "{page2}");
    let tagged = ok(&root, "ListParameters", &[("Tags", r#"{"env":"staging"}"#)]).await;
    assert_eq!(names(&tagged["Parameters"]), ["/app/db/host"], "{tagged}");
    let lists = ok(&root, "ListParameters", &[("Type", "StringList")]).await;
    assert_eq!(names(&lists["Parameters"]), ["letters"], "{lists}");
    let contains = ok(&root, "ListParameters", &[("Name", "db"), ("SortField", "Name"), ("SortOrder", "Ascending")]).await;
    assert_eq!(names(&contains["Parameters"]), ["/app/db/host", "/app/db/port"], "{contains}");
    let under = ok(&root, "ListParameters", &[("Path", "/app/db")]).await;
    assert_eq!(under["TotalCount"], 2, "{under}");
    assert_eq!(refused(&root, "ListParameters", &[("SortField", "Value")]).await.0, "InvalidParameter.SortField");

    ok(&root, "DeleteParameter", &[("Name", "top")]).await;
    assert_eq!(refused(&root, "DeleteParameter", &[("Name", "top")]).await, ("EntityNotExists.Parameter".into(), 404));
    assert_eq!(refused(&root, "GetParameter", &[("Name", "top")]).await.0, "EntityNotExists.Parameter");
    server.stop();
}

const USES_PARAMETER: &str = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"pause","Action":"ACS::Sleep","Properties":{"Duration":"PT0S"}}],
"Outputs":{"host":{"Type":"String","Value":"{{ oos:/app/host }}"}}}"#;

async fn finished_outputs(root: &CloudClient, id: &str) -> Value {
    for _ in 0..400 {
        let listed = ok(root, "ListExecutions", &[("ExecutionId", id)]).await;
        if listed["Executions"][0]["Status"] == "Success" {
            return serde_json::from_str(listed["Executions"][0]["Outputs"].as_str().unwrap()).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("execution {id} did not succeed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_see_the_parameter_value_of_their_start() {
    let (server, root, _dir) = start().await;
    let (code, status) = refused(&root, "StartExecution", &[("TemplateContent", USES_PARAMETER)]).await;
    assert_eq!((code.as_str(), status), ("EntityNotExists.Parameter", 400));
    ok(&root, "CreateParameter", &[("Name", "/app/host"), ("Type", "String"), ("Value", "first")]).await;
    let started = ok(&root, "StartExecution", &[("TemplateContent", USES_PARAMETER)]).await;
    let id = started["Execution"]["ExecutionId"].as_str().unwrap().to_string();
    ok(&root, "UpdateParameter", &[("Name", "/app/host"), ("Value", "second")]).await;
    assert_eq!(finished_outputs(&root, &id).await["host"], "first");
    let again = ok(&root, "StartExecution", &[("TemplateContent", USES_PARAMETER)]).await;
    assert_eq!(finished_outputs(&root, again["Execution"]["ExecutionId"].as_str().unwrap()).await["host"], "second");
    server.stop();
}

const TEMPLATE: &str = r#"{"FormatVersion":"OOS-2019-06-01","Parameters":{"size":{"Type":"String","AllowedValues":["small","large"]},
"instance":{"Type":"String","AssociationProperty":"ALIYUN::ECS::Instance::InstanceId"},"count":{"Type":"Number","Default":1}},
"Tasks":[{"Name":"pause","Action":"ACS::Sleep","Properties":{"Duration":"PT0S"}}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_on_templates_executions_and_parameters() {
    let (server, root, _dir) = start().await;
    for name in ["alpha", "beta"] {
        ok(&root, "CreateTemplate", &[("TemplateName", name), ("Content", TEMPLATE)]).await;
    }
    ok(&root, "CreateParameter", &[("Name", "p1"), ("Type", "String"), ("Value", "v"), ("Tags", r#"{"team":"ops"}"#)]).await;
    let execution = ok(&root, "StartExecution", &[("TemplateName", "alpha"), ("Parameters", r#"{"size":"small","instance":"i-1"}"#)]).await;
    let execution_id = execution["Execution"]["ExecutionId"].as_str().unwrap().to_string();

    ok(&root, "TagResources", &[("ResourceType", "template"), ("ResourceIds", r#"["alpha","beta"]"#), ("Tags", r#"{"env":"prod","team":"sre"}"#)]).await;
    ok(&root, "TagResources", &[("ResourceType", "template"), ("ResourceIds", r#"["beta"]"#), ("Tags", r#"{"env":"dev"}"#)]).await;
    ok(&root, "TagResources", &[("ResourceType", "execution"), ("ResourceIds", &format!(r#"["{execution_id}"]"#)), ("Tags", r#"{"run":"nightly"}"#)]).await;
    let (code, status) = refused(&root, "TagResources", &[("ResourceType", "template"), ("ResourceIds", r#"["alpha","ghost"]"#), ("Tags", r#"{"x":"y"}"#)]).await;
    assert_eq!((code.as_str(), status), ("EntityNotExists.Template", 404));
    assert_eq!(refused(&root, "TagResources", &[("ResourceType", "bucket"), ("ResourceIds", r#"["a"]"#), ("Tags", r#"{"x":"y"}"#)]).await.0, "InvalidParameter.ResourceType");
    assert_eq!(refused(&root, "TagResources", &[("ResourceType", "template"), ("ResourceIds", r#"["alpha"]"#)]).await.0, "MissingParameter.Tags");

    let listed = ok(&root, "ListTagResources", &[("ResourceType", "template")]).await;
    let rows: Vec<(&str, &str, &str)> = listed["TagResources"]["TagResource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["ResourceId"].as_str().unwrap(), row["TagKey"].as_str().unwrap(), row["TagValue"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [("alpha", "env", "prod"), ("alpha", "team", "sre"), ("beta", "env", "dev"), ("beta", "team", "sre")], "{listed}");
    assert_eq!(listed["TagResources"]["TagResource"][0]["ResourceType"], "template");
    let filtered = ok(&root, "ListTagResources", &[("ResourceType", "template"), ("Tags", r#"{"env":"dev"}"#)]).await;
    assert_eq!(filtered["TagResources"]["TagResource"].as_array().unwrap().len(), 2, "beta's two tags: {filtered}");
    let of_execution = ok(&root, "ListTagResources", &[("ResourceType", "execution"), ("ResourceIds", &format!(r#"["{execution_id}"]"#))]).await;
    assert_eq!(of_execution["TagResources"]["TagResource"][0]["TagValue"], "nightly", "{of_execution}");
    let executions = ok(&root, "ListExecutions", &[("Tags", r#"{"run":"nightly"}"#)]).await;
    assert_eq!(executions["Executions"][0]["ExecutionId"].as_str(), Some(execution_id.as_str()), "tags written by TagResources filter ListExecutions: {executions}");
    let templates = ok(&root, "ListTemplates", &[("Tags", r#"{"env":"prod"}"#)]).await;
    assert_eq!(templates["Templates"].as_array().unwrap().len(), 1, "{templates}");

    let keys = ok(&root, "ListTagKeys", &[("ResourceType", "template"), ("MaxResults", "1")]).await;
    assert_eq!(keys["Keys"], json!(["env"]), "{keys}");
    let token = keys["NextToken"].as_str().unwrap().to_string();
    let more_keys = ok(&root, "ListTagKeys", &[("ResourceType", "template"), ("MaxResults", "1"), ("NextToken", &token)]).await;
    assert_eq!((&more_keys["Keys"], more_keys.get("NextToken")), (&json!(["team"]), None), "{more_keys}");
    let values = ok(&root, "ListTagValues", &[("ResourceType", "template"), ("Key", "env")]).await;
    assert_eq!(values["Values"], json!(["dev", "prod"]), "{values}");
    assert_eq!(ok(&root, "ListTagKeys", &[("ResourceType", "parameter")]).await["Keys"], json!(["team"]));
    assert_eq!(refused(&root, "ListTagValues", &[("ResourceType", "template")]).await.0, "MissingParameter.Key");

    ok(&root, "UntagResources", &[("ResourceType", "template"), ("ResourceIds", r#"["alpha"]"#), ("TagKeys", r#"["env"]"#)]).await;
    ok(&root, "UntagResources", &[("ResourceType", "template"), ("ResourceIds", r#"["beta"]"#), ("All", "true")]).await;
    let left = ok(&root, "ListTagResources", &[("ResourceType", "template")]).await;
    assert_eq!(left["TagResources"]["TagResource"], json!([{"ResourceId": "alpha", "ResourceType": "template", "TagKey": "team", "TagValue": "sre"}]), "{left}");
    assert_eq!(refused(&root, "UntagResources", &[("ResourceType", "template"), ("ResourceIds", r#"["alpha"]"#)]).await.0, "MissingParameter.TagKeys");
    ok(&root, "UntagResources", &[("ResourceType", "parameter"), ("ResourceIds", r#"["p1"]"#), ("TagKeys", r#"["team"]"#)]).await;
    assert_eq!(ok(&root, "GetParameter", &[("Name", "p1")]).await["Parameter"]["Tags"], json!({}));
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_deleted_in_batches_marked_favourite_and_their_constraints_listed() {
    let (server, root, _dir) = start().await;
    for name in ["one", "two", "three"] {
        ok(&root, "CreateTemplate", &[("TemplateName", name), ("Content", TEMPLATE)]).await;
    }
    let constraints = ok(&root, "GetTemplateParameterConstraints", &[("TemplateName", "one")]).await;
    let expected = json!({
        "size": {"Type": "String", "AllowedValues": ["small", "large"]},
        "instance": {"Type": "String", "AllowedValues": [], "AssociationProperty": "ALIYUN::ECS::Instance::InstanceId"},
        "count": {"Type": "Number", "AllowedValues": []},
    });
    assert_eq!(constraints["ParameterConstraints"], expected, "{constraints}");
    let inline = ok(&root, "GetTemplateParameterConstraints", &[("TemplateContent", TEMPLATE), ("Parameters", "{}")]).await;
    assert_eq!(inline["ParameterConstraints"], expected);
    assert_eq!(refused(&root, "GetTemplateParameterConstraints", &[("TemplateName", "nope")]).await.0, "EntityNotExists.Template");

    ok(&root, "UpdateTemplateAttributes", &[("TemplateName", "two"), ("IsFavorite", "true")]).await;
    let favourites = ok(&root, "ListTemplates", &[("IsFavorite", "true")]).await;
    assert_eq!(favourites["Templates"].as_array().unwrap().iter().map(|t| t["TemplateName"].as_str().unwrap()).collect::<Vec<_>>(), ["two"], "{favourites}");
    assert_eq!(ok(&root, "GetTemplate", &[("TemplateName", "two")]).await["Template"]["IsFavorite"], true);
    assert_eq!(refused(&root, "UpdateTemplateAttributes", &[("TemplateName", "nope"), ("IsFavorite", "true")]).await, ("EntityNotExists.Template".into(), 404));
    assert_eq!(refused(&root, "UpdateTemplateAttributes", &[("TemplateName", "two"), ("SharePermissionAction", "Share"), ("AccountIds", r#"["1"]"#)]).await.0, "InvalidParameter.SharePermissionAction");

    let (code, status) = refused(&root, "DeleteTemplates", &[("TemplateNames", r#"["one","ghost"]"#)]).await;
    assert_eq!((code.as_str(), status), ("EntityNotExists.Template", 404));
    assert_eq!(ok(&root, "ListTemplates", &[]).await["Templates"].as_array().unwrap().len(), 3, "a refused batch deletes nothing");
    ok(&root, "DeleteTemplates", &[("TemplateNames", r#"["one","two"]"#)]).await;
    let left = ok(&root, "ListTemplates", &[]).await;
    assert_eq!(left["Templates"].as_array().unwrap().iter().map(|t| t["TemplateName"].as_str().unwrap()).collect::<Vec<_>>(), ["three"], "{left}");
    assert_eq!(refused(&root, "DeleteTemplates", &[("TemplateNames", "[]")]).await.0, "InvalidParameter.TemplateNames");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_parameters_are_sealed_at_rest_and_decrypted_only_when_asked() {
    let (server, root, dir) = start().await;
    let secret = "pa55-Word-Kept-Secret";
    let created = ok(&root, "CreateSecretParameter", &[("Name", "db/password"), ("Value", secret), ("Constraints", r#"{"MinLength":8}"#), ("Tags", r#"{"team":"db"}"#)]).await;
    assert_eq!((created["Parameter"]["Type"].as_str(), created["Parameter"]["ParameterVersion"].as_i64()), (Some("Secret"), Some(1)), "{created}");
    assert!(created["Parameter"]["KeyId"].is_string() && created["Parameter"].get("Value").is_none(), "{created}");
    let short = call(&root, OOS_VERSION, "CreateSecretParameter", &[("Name", "short"), ("Value", "tiny-pw"), ("Constraints", r#"{"MinLength":8}"#)]).await.unwrap_err();
    assert_eq!(short.code, "InvalidParameter.Value");
    assert!(!short.message.contains("tiny-pw"), "a refused secret value is not echoed: {}", short.message);
    assert_eq!(refused(&root, "CreateSecretParameter", &[("Name", "db/password"), ("Value", "another-one")]).await, ("EntityAlreadyExists.SecretParameter".into(), 409));
    assert_eq!(refused(&root, "CreateSecretParameter", &[("Name", "x"), ("Type", "String"), ("Value", "another-one")]).await.0, "InvalidParameter.Type");

    let sealed = ok(&root, "GetSecretParameter", &[("Name", "db/password")]).await;
    let sealed_value = sealed["Parameter"]["Value"].as_str().unwrap();
    assert!(!sealed_value.is_empty() && !sealed_value.contains(secret), "without WithDecryption the value stays sealed: {sealed}");
    let opened = ok(&root, "GetSecretParameter", &[("Name", "db/password"), ("WithDecryption", "true")]).await;
    assert_eq!(opened["Parameter"]["Value"], secret);
    // Separate namespaces: a secret parameter is not a common one.
    assert_eq!(refused(&root, "GetParameter", &[("Name", "db/password")]).await.0, "EntityNotExists.Parameter");
    assert_eq!(refused(&root, "GetSecretParameter", &[("Name", "nope")]).await, ("EntityNotExists.SecretParameter".into(), 404));

    ok(&root, "UpdateSecretParameter", &[("Name", "db/password"), ("Value", "second-Secret-9")]).await;
    let versions = ok(&root, "ListSecretParameterVersions", &[("Name", "db/password"), ("WithDecryption", "true")]).await;
    let values: Vec<&str> = versions["ParameterVersions"].as_array().unwrap().iter().map(|v| v["Value"].as_str().unwrap()).collect();
    assert_eq!(values, ["second-Secret-9", secret], "{versions}");
    let first = ok(&root, "GetSecretParameter", &[("Name", "db/password"), ("ParameterVersion", "1"), ("WithDecryption", "true")]).await;
    assert_eq!(first["Parameter"]["Value"], secret);
    let many = ok(&root, "GetSecretParameters", &[("Names", r#"["db/password","ghost"]"#), ("WithDecryption", "true")]).await;
    assert_eq!((&many["Parameters"][0]["Value"], &many["InvalidParameters"]), (&json!("second-Secret-9"), &json!(["ghost"])), "{many}");
    let by_path = ok(&root, "GetSecretParametersByPath", &[("Path", "db"), ("WithDecryption", "true")]).await;
    assert_eq!((names(&by_path["Parameters"]), &by_path["Parameters"][0]["Value"]), (vec!["db/password"], &json!("second-Secret-9")), "{by_path}");
    let listed = ok(&root, "ListSecretParameters", &[]).await;
    assert_eq!((names(&listed["Parameters"]), &listed["Parameters"][0]["ParameterVersion"]), (vec!["db/password"], &json!("2")), "{listed}");
    assert!(listed["Parameters"][0].get("Value").is_none(), "{listed}");
    assert!(ok(&root, "ListParameters", &[]).await["Parameters"].as_array().unwrap().is_empty());
    ok(&root, "TagResources", &[("ResourceType", "secretparameter"), ("ResourceIds", r#"["db/password"]"#), ("Tags", r#"{"rotate":"monthly"}"#)]).await;
    assert_eq!(ok(&root, "ListTagKeys", &[("ResourceType", "secretparameter")]).await["Keys"], json!(["rotate", "team"]));

    // No clear copy anywhere in the data directory (database, WAL, audit trail).
    server.stop();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        for clear in [secret, "second-Secret-9"] {
            assert!(!bytes.windows(clear.len()).any(|window| window == clear.as_bytes()), "{clear} in {}", path.display());
        }
    }
}
