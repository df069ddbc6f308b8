//! Inventory as state templates, through the server with scripted agents over real WebSockets: the
//! corpus's `ACS-ECS-InventoryDataCollection` state template is created (and refused by
//! StartExecution), a state configuration applies it to the managed instances its Targets select —
//! their agents are asked to collect the enabled types, once, and an instance outside the targets is
//! not — and ListInventoryEntries answers what the agents sent, to those RAM allows by the
//! instance's tags. Both store backends.

mod api_client;
mod scripted_agent;

use std::sync::Arc;
use std::time::Duration;

use api_client::{Backend, call, client, ecs, oos, ram, start_on, start_timed, user};
use oos_agent_proto::{AgentMessage, ServerMessage};
use oos_clock::{Clock, VirtualClock};
use oos_cloud::{CloudClient, Credentials};
use oos_runtime::RuntimeConfig;
use oos_server::OOS_VERSION;
use scripted_agent::{Socket, connect, connected, next, register, send};
use serde_json::{Map, Value, json};

const TEMPLATE: &str = "collect-inventory";

fn corpus_template() -> String {
    let path = oos_testkit::shared_dir().join("corpus/oos-templates/aliyun__oos-templates/PublicTemplates/YAML/ACS-ECS-InventoryDataCollection.yml");
    std::fs::read_to_string(path).expect("the corpus's inventory template")
}

fn policy() -> String {
    json!({"policy": {
        "ACS:Application": {"Collection": "Enabled"},
        "ACS:InstanceInformation": {"Collection": "Enabled"},
        "ACS:File": {"Collection": "Disabled", "Filters": "[{\"Path\": \"/etc\"}]"},
    }})
    .to_string()
}

fn packages(host: &str) -> Value {
    json!([{"Name": "nginx", "Version": "1.24.0"}, {"Name": "openssl", "Version": "3.0.11"}, {"Name": format!("{host}-tools"), "Version": "2"}])
}

/// Answers the hub's next message, which must ask for exactly the policy's enabled types.
async fn collect(agent: &mut Socket, host: &str) {
    let ServerMessage::Collect { types } = next(agent).await else { panic!("{host}: expected a Collect") };
    assert_eq!(types, ["ACS:Application", "ACS:InstanceInformation"], "{host}");
    let mut data = Map::new();
    data.insert("ACS:Application".into(), packages(host));
    data.insert("ACS:InstanceInformation".into(), json!([{"hostname": host, "os_type": "Linux"}]));
    send(agent, &AgentMessage::Inventory { data }).await;
}

/// ListInventoryEntries once the instance's `type_name` has been recorded.
async fn entries(root: &CloudClient, instance: &str, type_name: &str, filters: &[(&str, &str)]) -> Value {
    let mut params = vec![("InstanceId", instance), ("TypeName", type_name)];
    params.extend_from_slice(filters);
    for _ in 0..400 {
        let answer = oos(root, "ListInventoryEntries", &params).await;
        if !answer["CaptureTime"].as_str().unwrap_or_default().is_empty() {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {type_name} of {instance} was recorded");
}

async fn refused(root: &CloudClient, action: &str, params: &[(&str, &str)]) -> String {
    call(root, OOS_VERSION, action, params).await.expect_err(action).code
}

async fn state_configuration_collects_from_its_targets(backend: Backend) {
    let (server, root, _bed) = start_on(backend).await;
    let addr = server.addr();
    let content = corpus_template();
    let validated = oos(&root, "ValidateTemplateContent", &[("Content", &content)]).await;
    let parameters: Value = serde_json::from_str(validated["Parameters"].as_str().unwrap()).unwrap();
    assert_eq!(parameters["policy"]["Type"], "Json");
    oos(&root, "CreateTemplate", &[("TemplateName", TEMPLATE), ("Content", &content)]).await;
    assert_eq!(refused(&root, "StartExecution", &[("TemplateName", TEMPLATE), ("Parameters", &policy())]).await, "InvalidTemplate.StateTemplate");

    let activation = ecs(&root, "CreateActivation", &[("InstanceCount", "3")]).await;
    let web_1_identity = register(addr, &activation, "web-1").await.unwrap();
    let web_1 = web_1_identity.instance_id.clone();
    let web_1_credential = format!("{web_1}:{}", web_1_identity.secret);
    let mut agent_1 = connect(addr, &web_1_credential).await.unwrap();
    let (web_2, mut agent_2) = connected(addr, &activation, "web-2").await;
    let (dev, mut agent_dev) = connected(addr, &activation, "dev").await;
    for (instance, env) in [(&web_1, "prod"), (&web_2, "prod"), (&dev, "dev")] {
        ecs(&root, "TagResources", &[("ResourceType", "managedinstance"), ("ResourceId.1", instance), ("Tag.1.Key", "env"), ("Tag.1.Value", env)]).await;
    }

    let targets = json!({"ResourceType": "ALIYUN::ECS::ManagedInstance", "Type": "Tags", "Tags": [{"Key": "env", "Value": "prod"}]}).to_string();
    let created = oos(&root, "CreateStateConfiguration", &[("TemplateName", TEMPLATE), ("Parameters", &policy()), ("Targets", &targets), ("ConfigureMode", "ApplyOnce"), ("ClientToken", "apply-1")]).await;
    let configuration = created["StateConfiguration"].clone();
    let id = configuration["StateConfigurationId"].as_str().unwrap().to_string();
    assert_eq!((configuration["TemplateVersion"].as_str(), configuration["Targets"].as_str()), (Some("v1"), Some(targets.as_str())), "{configuration}");
    assert_eq!(configuration["Parameters"]["policy"]["ACS:Application"]["Collection"], "Enabled");
    let again = oos(&root, "CreateStateConfiguration", &[("TemplateName", TEMPLATE), ("Parameters", &policy()), ("Targets", &targets), ("ClientToken", "apply-1")]).await;
    assert_eq!(again["StateConfiguration"]["StateConfigurationId"].as_str(), Some(id.as_str()), "a repeated ClientToken answers the first");

    collect(&mut agent_1, "web-1").await;
    collect(&mut agent_2, "web-2").await;
    for (instance, host) in [(&web_1, "web-1"), (&web_2, "web-2")] {
        let listed = entries(&root, instance, "ACS:Application", &[]).await;
        assert_eq!(listed["Entries"], packages(host), "{listed}");
        assert_eq!((listed["InstanceId"].as_str(), listed["SchemaVersion"].as_str()), (Some(instance.as_str()), Some("1.0")));
        let information = entries(&root, instance, "ACS:InstanceInformation", &[]).await;
        assert_eq!(information["Entries"][0]["hostname"], host);
    }
    let filtered = entries(&root, &web_1, "ACS:Application", &[("Filter.1.Name", "Name"), ("Filter.1.Operator", "BeginWith"), ("Filter.1.Value.1", "open"), ("Filter.1.Value.2", "web")]).await;
    assert_eq!(filtered["Entries"], json!([{"Name": "openssl", "Version": "3.0.11"}, {"Name": "web-1-tools", "Version": "2"}]));
    let paged = entries(&root, &web_1, "ACS:Application", &[("MaxResults", "2")]).await;
    assert_eq!((paged["Entries"].as_array().unwrap().len(), paged["NextToken"].as_str()), (2, Some("2")));

    // The instance outside the targets was not asked: the first thing its agent is sent is a later command.
    let started = ecs(&root, "RunCommand", &[("Type", "RunShellScript"), ("CommandContent", "true"), ("InstanceId.1", &dev)]).await;
    let ServerMessage::Run(job) = next(&mut agent_dev).await else { panic!("dev was asked to collect") };
    assert_eq!(job.invoke_id, started["InvokeId"].as_str().unwrap());
    let nothing = oos(&root, "ListInventoryEntries", &[("InstanceId", &dev), ("TypeName", "ACS:Application")]).await;
    assert_eq!((nothing["Entries"].clone(), nothing["CaptureTime"].as_str()), (json!([]), Some("")));

    // The answered collection is finished: an agent connecting again is not asked again.
    drop(agent_1);
    let mut agent_1 = connect(addr, &web_1_credential).await.unwrap();
    let started = ecs(&root, "RunCommand", &[("Type", "RunShellScript"), ("CommandContent", "true"), ("InstanceId.1", &web_1)]).await;
    let ServerMessage::Run(job) = next(&mut agent_1).await else { panic!("web-1 was asked to collect again") };
    assert_eq!(job.invoke_id, started["InvokeId"].as_str().unwrap());

    // RAM: reading an instance's inventory is decided on the instance's tags.
    let reader = user(&root, &format!("http://{addr}"), "reader").await;
    let condition = json!({"StringEquals": {"oos:ResourceTag/env": "prod"}});
    let policy = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oos:ListInventoryEntries"], "Resource": "*", "Condition": condition}]});
    ram(&root, "CreatePolicy", &[("PolicyName", "prod-inventory"), ("PolicyDocument", &policy.to_string())]).await;
    ram(&root, "AttachPolicyToUser", &[("PolicyType", "Custom"), ("PolicyName", "prod-inventory"), ("UserName", "reader")]).await;
    let prod = call(&reader, OOS_VERSION, "ListInventoryEntries", &[("InstanceId", &web_2), ("TypeName", "ACS:Application")]).await;
    assert_eq!(prod.expect("prod is readable")["Entries"], packages("web-2"));
    let denied = call(&reader, OOS_VERSION, "ListInventoryEntries", &[("InstanceId", &dev), ("TypeName", "ACS:Application")]).await;
    assert!(denied.expect_err("dev is not").code.starts_with("Forbidden"));

    // The configuration is listed, changed (applied again) and deleted.
    let listed = oos(&root, "ListStateConfigurations", &[("TemplateName", TEMPLATE)]).await;
    assert_eq!(listed["StateConfigurations"].as_array().unwrap().len(), 1, "{listed}");
    let only_dev = json!({"ResourceType": "ALIYUN::ECS::ManagedInstance", "Type": "ResourceIds", "ResourceIds": [dev]}).to_string();
    let updated = oos(&root, "UpdateStateConfiguration", &[("StateConfigurationId", &id), ("Targets", &only_dev), ("Description", "dev only")]).await;
    assert_eq!(updated["StateConfiguration"][0]["Description"], "dev only");
    collect(&mut agent_dev, "dev").await;
    assert_eq!(entries(&root, &dev, "ACS:Application", &[]).await["Entries"], packages("dev"));
    oos(&root, "DeleteStateConfigurations", &[("StateConfigurationIds", &json!([id]).to_string())]).await;
    assert!(oos(&root, "ListStateConfigurations", &[]).await["StateConfigurations"].as_array().unwrap().is_empty());
    drop((agent_1, agent_2, agent_dev));
    server.shutdown().await;
}

#[tokio::test]
async fn state_configuration_collects_from_its_targets_sqlite() {
    state_configuration_collects_from_its_targets(Backend::Sqlite).await;
}

#[tokio::test]
async fn state_configuration_collects_from_its_targets_postgres() {
    state_configuration_collects_from_its_targets(Backend::Postgres).await;
}

/// What is refused, with its code: a bad policy, an automation template, an unknown configure mode,
/// a schedule that does not fit the mode or is too frequent, an unknown configuration or inventory
/// type; and the schema of the types served.
#[tokio::test]
async fn state_configurations_refuse_what_they_cannot_apply() {
    let (server, root, _bed) = start_on(Backend::Sqlite).await;
    oos(&root, "CreateTemplate", &[("TemplateName", TEMPLATE), ("Content", &corpus_template())]).await;
    let automation = "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: t, Action: ACS::Sleep, Properties: {Duration: PT1S}}\n";
    oos(&root, "CreateTemplate", &[("TemplateName", "sleep"), ("Content", automation)]).await;
    let targets = json!({"Type": "ResourceIds", "ResourceIds": ["mi-none"]}).to_string();
    let bad_policy = json!({"policy": {"ACS:Application": {"Collection": "Sometimes"}}}).to_string();
    let create = |template: &'static str, parameters: String, extra: Vec<(&'static str, &'static str)>| {
        let root = &root;
        let targets = targets.clone();
        async move {
            let mut params = vec![("TemplateName", template), ("Parameters", parameters.as_str()), ("Targets", targets.as_str())];
            params.extend(extra);
            refused(root, "CreateStateConfiguration", &params).await
        }
    };
    assert_eq!(create(TEMPLATE, bad_policy, vec![]).await, "InvalidTemplate.Policy");
    assert_eq!(create("sleep", "{}".into(), vec![]).await, "InvalidTemplate.NotStateTemplate");
    assert_eq!(create(TEMPLATE, policy(), vec![("ConfigureMode", "Sometimes")]).await, "InvalidParameter.ConfigureMode");
    assert_eq!(create(TEMPLATE, policy(), vec![("ConfigureMode", "ApplyAndAutoCorrect")]).await, "InvalidParameter.ScheduleType");
    assert_eq!(create(TEMPLATE, policy(), vec![("ScheduleType", "rate"), ("ScheduleExpression", "1 hour")]).await, "InvalidParameter.ScheduleType");
    let too_often = vec![("ConfigureMode", "ApplyAndMonitor"), ("ScheduleType", "rate"), ("ScheduleExpression", "5 minutes")];
    assert_eq!(create(TEMPLATE, policy(), too_often).await, "InvalidParameter.ScheduleExpression");
    assert_eq!(create(TEMPLATE, "{}".into(), vec![]).await, "MissingParameter");
    let ecs_targets = json!({"ResourceType": "ACS::ECS::Instance", "Type": "ResourceIds", "ResourceIds": ["i-1"]}).to_string();
    let wrong_targets = refused(&root, "CreateStateConfiguration", &[("TemplateName", TEMPLATE), ("Parameters", &policy()), ("Targets", &ecs_targets)]).await;
    assert_eq!(wrong_targets, "InvalidParameter.Targets");
    assert_eq!(refused(&root, "UpdateStateConfiguration", &[("StateConfigurationId", "sc-none")]).await, "EntityNotExists.StateConfiguration");
    assert_eq!(refused(&root, "ListInventoryEntries", &[("InstanceId", "mi-none"), ("TypeName", "ACS:Kettle")]).await, "InvalidParameter.TypeName");
    assert_eq!(refused(&root, "ListInventoryEntries", &[("InstanceId", "mi-none"), ("TypeName", "ACS:Application")]).await, "InvalidInstance.NotFound");

    let schema = oos(&root, "GetInventorySchema", &[("TypeName", "ACS:Application")]).await;
    assert_eq!(schema["Schemas"], json!([{"TypeName": "ACS:Application", "Version": "1.0", "Attributes": [{"Name": "Name", "DataType": "string"}, {"Name": "Version", "DataType": "string"}]}]));
    let all = oos(&root, "GetInventorySchema", &[]).await;
    assert!(all["Schemas"].as_array().unwrap().len() >= 8, "{all}");
    server.shutdown().await;
}

/// A scheduled configuration (`ApplyAndMonitor`, rate `30 minutes`) collects again when its interval
/// has passed on the server's clock (virtual here: advanced by hand).
#[tokio::test]
async fn a_scheduled_configuration_collects_again_each_interval() {
    let clock = VirtualClock::new(1_800_000_000_000);
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let cloud = client("http://127.0.0.1:9", Credentials::new("unused", "unused"));
    let (server, root, _bed) = start_timed(Backend::Sqlite, cloud, RuntimeConfig::default(), shared).await;
    oos(&root, "CreateTemplate", &[("TemplateName", TEMPLATE), ("Content", &corpus_template())]).await;
    let activation = ecs(&root, "CreateActivation", &[]).await;
    let (web, mut agent) = connected(server.addr(), &activation, "web").await;
    let targets = json!({"ResourceType": "ALIYUN::ECS::ManagedInstance", "Type": "ResourceIds", "ResourceIds": [web]}).to_string();
    let schedule = [("ConfigureMode", "ApplyAndMonitor"), ("ScheduleType", "rate"), ("ScheduleExpression", "30 minutes")];
    let policy = policy();
    let mut params = vec![("TemplateName", TEMPLATE), ("Parameters", policy.as_str()), ("Targets", targets.as_str())];
    params.extend(schedule);
    let created = oos(&root, "CreateStateConfiguration", &params).await;
    assert_eq!((created["StateConfiguration"]["ScheduleType"].as_str(), created["StateConfiguration"]["ScheduleExpression"].as_str()), (Some("rate"), Some("30 minutes")));
    collect(&mut agent, "web").await;
    let first = entries(&root, &web, "ACS:Application", &[]).await["CaptureTime"].clone();

    clock.advance(Duration::from_secs(29 * 60));
    let started = ecs(&root, "RunCommand", &[("Type", "RunShellScript"), ("CommandContent", "true"), ("InstanceId.1", &web)]).await;
    let ServerMessage::Run(job) = next(&mut agent).await else { panic!("collected again before the interval") };
    assert_eq!(job.invoke_id, started["InvokeId"].as_str().unwrap());
    clock.advance(Duration::from_secs(2 * 60));
    collect(&mut agent, "web").await;
    for _ in 0..400 {
        if oos(&root, "ListInventoryEntries", &[("InstanceId", &web), ("TypeName", "ACS:Application")]).await["CaptureTime"] != first {
            server.shutdown().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the second collection was not recorded");
}
