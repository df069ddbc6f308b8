//! SLB vServer groups, listeners and backend health, called in-process: the seeded default
//! listener, group CRUD with its error codes, weights for a drain, health following instances.

mod support;

use std::time::Duration;

use oos_emulator::{ECS_VERSION, SLB_VERSION};
use serde_json::Value;
use support::{call, seeded_with_clock};

const SEED: &str = "
instances:
  - ids: [i-web-1, i-web-2, i-web-3]
load_balancers:
  - name: web
    id: lb-web
    backends: 2
    vserver_groups:
      - {id: rsp-app, name: app, backends: 2, port: 8080}
    listeners:
      - {port: 80}
      - {port: 8080, protocol: http, vserver_group: app}
  - name: bare
    id: lb-bare
";

fn slb(emulator: &oos_emulator::Emulator, action: &str, params: &[(&str, &str)]) -> Value {
    call(emulator, SLB_VERSION, action, params)
        .unwrap_or_else(|error| panic!("{action}: {error:?}"))
}

fn error_code(emulator: &oos_emulator::Emulator, action: &str, params: &[(&str, &str)]) -> String {
    call(emulator, SLB_VERSION, action, params)
        .expect_err(action)
        .code
        .to_string()
}

fn servers(body: &Value) -> Vec<(String, i64, i64)> {
    body["BackendServers"]["BackendServer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["ServerId"].as_str().unwrap().to_string(),
                item["Port"].as_i64().unwrap_or(0),
                item["Weight"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn listeners_appear_in_the_balancer_attribute() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let web = slb(
        &emulator,
        "DescribeLoadBalancerAttribute",
        &[("LoadBalancerId", "lb-web")],
    );
    assert_eq!(
        web["ListenerPorts"]["ListenerPort"],
        serde_json::json!([80, 8080])
    );
    let protocols = &web["ListenerPortsAndProtocol"]["ListenerPortAndProtocol"];
    assert_eq!(protocols[1]["ListenerProtocol"], "http");
    assert_eq!(
        web["ListenerPortsAndProtocal"]["ListenerPortAndProtocal"][0]["ListenerProtocal"],
        "tcp"
    );
    assert!(
        web["BackendServers"]["BackendServer"][0]["ServerIp"]
            .as_str()
            .unwrap()
            .starts_with("172.16.")
    );
    let bare = slb(
        &emulator,
        "DescribeLoadBalancerAttribute",
        &[("LoadBalancerId", "lb-bare")],
    );
    assert_eq!(
        bare["ListenerPorts"]["ListenerPort"],
        serde_json::json!([80]),
        "a seeded balancer has a TCP 80 listener by default"
    );
    let groups = slb(
        &emulator,
        "DescribeVServerGroups",
        &[("LoadBalancerId", "lb-web"), ("IncludeListener", "true")],
    );
    let group = &groups["VServerGroups"]["VServerGroup"][0];
    assert_eq!(group["VServerGroupId"], "rsp-app");
    assert_eq!(group["ServerCount"], 2);
    assert_eq!(
        group["AssociatedObjects"]["Listeners"]["Listener"][0]["Port"],
        8080
    );
}

#[test]
fn a_vserver_group_is_created_changed_and_deleted() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let created = slb(
        &emulator,
        "CreateVServerGroup",
        &[
            ("LoadBalancerId", "lb-web"),
            ("VServerGroupName", "api"),
            (
                "BackendServers",
                r#"[{"ServerId":"i-web-1","Port":"9000","Weight":"50"}]"#,
            ),
        ],
    );
    let id = created["VServerGroupId"].as_str().unwrap().to_string();
    assert!(id.starts_with("rsp-"));
    assert_eq!(servers(&created), [("i-web-1".to_string(), 9000, 50)]);
    let added = slb(
        &emulator,
        "AddVServerGroupBackendServers",
        &[
            ("VServerGroupId", &id),
            ("BackendServers", r#"[{"ServerId":"i-web-3","Port":9000}]"#),
        ],
    );
    assert_eq!(servers(&added).len(), 2);
    let set = slb(
        &emulator,
        "SetVServerGroupAttribute",
        &[
            ("VServerGroupId", &id),
            ("VServerGroupName", "api-v2"),
            (
                "BackendServers",
                r#"[{"ServerId":"i-web-3","Port":"9000","Weight":"0","Type":"ecs"}]"#,
            ),
        ],
    );
    assert_eq!(set["VServerGroupName"], "api-v2");
    assert!(servers(&set).contains(&("i-web-3".to_string(), 9000, 0)));
    let modified = slb(
        &emulator,
        "ModifyVServerGroupBackendServers",
        &[
            ("VServerGroupId", &id),
            (
                "OldBackendServers",
                r#"[{"ServerId":"i-web-1","Port":9000}]"#,
            ),
            (
                "NewBackendServers",
                r#"[{"ServerId":"i-web-2","Port":9001,"Weight":10}]"#,
            ),
        ],
    );
    assert!(servers(&modified).contains(&("i-web-2".to_string(), 9001, 10)));
    let attribute = slb(
        &emulator,
        "DescribeVServerGroupAttribute",
        &[("VServerGroupId", &id)],
    );
    assert_eq!(attribute["LoadBalancerId"], "lb-web");
    assert_eq!(servers(&attribute).len(), 2);
    assert!(attribute["BackendServers"]["BackendServer"][0]["ServerIp"].is_string());
    let removed = slb(
        &emulator,
        "RemoveVServerGroupBackendServers",
        &[
            ("VServerGroupId", &id),
            ("BackendServers", r#"[{"ServerId":"i-web-3","Port":9000}]"#),
        ],
    );
    assert_eq!(servers(&removed), [("i-web-2".to_string(), 9001, 10)]);
    slb(&emulator, "DeleteVServerGroup", &[("VServerGroupId", &id)]);
    assert_eq!(
        error_code(
            &emulator,
            "DescribeVServerGroupAttribute",
            &[("VServerGroupId", &id)]
        ),
        "InvalidParameter"
    );
}

#[test]
fn vserver_group_errors_carry_alibaba_codes() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    assert_eq!(
        error_code(
            &emulator,
            "DeleteVServerGroup",
            &[("VServerGroupId", "rsp-app")]
        ),
        "RspoolVipExist"
    );
    assert_eq!(
        error_code(
            &emulator,
            "SetVServerGroupAttribute",
            &[
                ("VServerGroupId", "rsp-app"),
                (
                    "BackendServers",
                    r#"[{"ServerId":"i-web-3","Port":8080,"Weight":0}]"#
                )
            ]
        ),
        "BackendServer.NotExist"
    );
    assert_eq!(
        error_code(
            &emulator,
            "AddVServerGroupBackendServers",
            &[
                ("VServerGroupId", "rsp-app"),
                ("BackendServers", r#"[{"ServerId":"i-gone","Port":80}]"#)
            ]
        ),
        "InvalidInstanceId.NotFound"
    );
    assert_eq!(
        error_code(
            &emulator,
            "AddVServerGroupBackendServers",
            &[
                ("VServerGroupId", "rsp-app"),
                ("BackendServers", r#"[{"ServerId":"i-web-3"}]"#)
            ]
        ),
        "InvalidParameter.BackendServers"
    );
    assert_eq!(
        error_code(
            &emulator,
            "AddVServerGroupBackendServers",
            &[
                ("VServerGroupId", "rsp-app"),
                (
                    "BackendServers",
                    r#"[{"ServerId":"i-web-3","Port":80,"Weight":101}]"#
                )
            ]
        ),
        "InvalidParameter.BackendServers"
    );
    assert_eq!(
        error_code(
            &emulator,
            "CreateVServerGroup",
            &[("LoadBalancerId", "lb-none")]
        ),
        "InvalidLoadBalancerId.NotFound"
    );
}

#[test]
fn listeners_are_created_stopped_and_started() {
    let (emulator, _) = seeded_with_clock(SEED, Duration::ZERO);
    let port = [("LoadBalancerId", "lb-bare"), ("ListenerPort", "443")];
    slb(
        &emulator,
        "CreateLoadBalancerTCPListener",
        &[
            port[0],
            port[1],
            ("BackendServerPort", "8443"),
            ("Bandwidth", "-1"),
        ],
    );
    let listener = slb(&emulator, "DescribeLoadBalancerTCPListenerAttribute", &port);
    assert_eq!(
        (
            listener["Status"].as_str(),
            listener["BackendServerPort"].as_i64()
        ),
        (Some("stopped"), Some(8443))
    );
    slb(&emulator, "StartLoadBalancerListener", &port);
    assert_eq!(
        slb(&emulator, "DescribeLoadBalancerTCPListenerAttribute", &port)["Status"],
        "running"
    );
    assert_eq!(
        error_code(
            &emulator,
            "CreateLoadBalancerHTTPListener",
            &[port[0], port[1], ("BackendServerPort", "80")]
        ),
        "ListenerAlreadyExists"
    );
    assert_eq!(
        error_code(
            &emulator,
            "CreateLoadBalancerTCPListener",
            &[port[0], ("ListenerPort", "444")]
        ),
        "MissingParameter.BackendServerPort"
    );
    slb(&emulator, "DeleteLoadBalancerListener", &port);
    assert_eq!(
        error_code(&emulator, "DescribeLoadBalancerTCPListenerAttribute", &port),
        "InvalidParameter"
    );
}

#[test]
fn health_follows_the_instances_and_a_drain_keeps_it() {
    let (emulator, clock) = seeded_with_clock(SEED, Duration::from_secs(1));
    let health = |port: &str| -> Vec<(String, String)> {
        slb(
            &emulator,
            "DescribeHealthStatus",
            &[("LoadBalancerId", "lb-web"), ("ListenerPort", port)],
        )["BackendServers"]["BackendServer"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["ServerId"].as_str().unwrap().to_string(),
                    row["ServerHealthStatus"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        health("80"),
        [
            ("i-web-1".into(), "normal".into()),
            ("i-web-2".into(), "normal".into())
        ]
    );
    // Drain i-web-1 (weight 0), stop it: abnormal; start it: normal again; weight back.
    slb(
        &emulator,
        "SetBackendServers",
        &[
            ("LoadBalancerId", "lb-web"),
            ("BackendServers", r#"[{"ServerId":"i-web-1","Weight":"0"}]"#),
        ],
    );
    call(
        &emulator,
        ECS_VERSION,
        "StopInstance",
        &[("InstanceId", "i-web-1")],
    )
    .unwrap();
    clock.advance(Duration::from_secs(5));
    assert_eq!(health("80")[0], ("i-web-1".into(), "abnormal".into()));
    assert_eq!(
        health("8080")[0],
        ("i-web-1".into(), "abnormal".into()),
        "the vServer group's backend is the same instance"
    );
    call(
        &emulator,
        ECS_VERSION,
        "StartInstance",
        &[("InstanceId", "i-web-1")],
    )
    .unwrap();
    assert_eq!(health("80")[0].1, "abnormal", "still Starting");
    clock.advance(Duration::from_secs(5));
    assert_eq!(health("80")[0].1, "normal");
    let weights = slb(
        &emulator,
        "SetBackendServers",
        &[
            ("LoadBalancerId", "lb-web"),
            (
                "BackendServers",
                r#"[{"ServerId":"i-web-1","Weight":"100"}]"#,
            ),
        ],
    );
    assert_eq!(
        weights["BackendServers"]["BackendServer"][0]["Weight"],
        "100"
    );
    let rows = slb(
        &emulator,
        "DescribeHealthStatus",
        &[("LoadBalancerId", "lb-web")],
    );
    let first = &rows["BackendServers"]["BackendServer"][0];
    assert_eq!(
        (
            first["ListenerPort"].as_i64(),
            first["Port"].as_i64(),
            first["Protocol"].as_str()
        ),
        (Some(80), Some(80), Some("tcp"))
    );
}
