//! Maintenance attributes, metadata options, full status and diagnostic reports.

mod support;

use std::time::Duration;

use oos_emulator::{Emulator, FleetSeed};
use support::{ManualClock, ecs};

fn fleet() -> (Emulator, ManualClock) {
    let clock = ManualClock::new();
    let seed = "instances:\n  - ids: [i-up, i-down]\n    status: [Running, Stopped]\n";
    let emulator = clock
        .install(
            Emulator::builder()
                .transition_delay(Duration::from_secs(2))
                .seed(FleetSeed::from_yaml(seed).unwrap()),
        )
        .build()
        .unwrap();
    (emulator, clock)
}

#[test]
fn maintenance_attributes_read_back() {
    let (emulator, _) = fleet();
    let before = ecs(
        &emulator,
        "DescribeInstanceMaintenanceAttributes",
        &[("InstanceId.1", "i-up")],
    )
    .unwrap();
    let item = &before["MaintenanceAttributes"]["MaintenanceAttribute"][0];
    assert_eq!(item["ActionOnMaintenance"]["Value"], "AutoRecover");
    assert_eq!(item["NotifyOnMaintenance"], false);
    ecs(
        &emulator,
        "ModifyInstanceMaintenanceAttributes",
        &[
            ("InstanceId.1", "i-up"),
            ("InstanceId.2", "i-down"),
            ("ActionOnMaintenance", "AutoRedeploy"),
            ("NotifyOnMaintenance", "true"),
            ("MaintenanceWindow.1.StartTime", "02:00:00Z"),
            ("MaintenanceWindow.1.EndTime", "03:00:00Z"),
        ],
    )
    .unwrap();
    let after = ecs(&emulator, "DescribeInstanceMaintenanceAttributes", &[]).unwrap();
    assert_eq!(after["TotalCount"], 2);
    let item = &after["MaintenanceAttributes"]["MaintenanceAttribute"][1];
    assert_eq!(
        (
            item["ActionOnMaintenance"]["Value"].as_str(),
            item["NotifyOnMaintenance"].as_bool()
        ),
        (Some("AutoRedeploy"), Some(true))
    );
    assert_eq!(
        item["MaintenanceWindows"]["MaintenanceWindow"][0]["StartTime"],
        "02:00:00Z"
    );
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("InstanceId.1", "i-up"), ("ActionOnMaintenance", "Reboot")],
            "InvalidParameter.ActionOnMaintenance",
        ),
        (
            &[
                ("InstanceId.1", "i-up"),
                ("MaintenanceWindow.1.StartTime", "25:00:00Z"),
                ("MaintenanceWindow.1.EndTime", "03:00:00Z"),
            ],
            "InvalidParameter.MaintenanceWindow",
        ),
        (&[("InstanceId.1", "i-gone")], "InvalidInstanceId.NotFound"),
    ];
    for (params, code) in cases {
        assert_eq!(
            ecs(&emulator, "ModifyInstanceMaintenanceAttributes", params)
                .unwrap_err()
                .code,
            code,
            "{params:?}"
        );
    }
}

#[test]
fn metadata_options_show_in_describe_instances() {
    let (emulator, _) = fleet();
    ecs(
        &emulator,
        "ModifyInstanceMetadataOptions",
        &[
            ("InstanceId", "i-up"),
            ("HttpTokens", "required"),
            ("HttpPutResponseHopLimit", "3"),
        ],
    )
    .unwrap();
    let body = ecs(
        &emulator,
        "DescribeInstances",
        &[("InstanceIds", r#"["i-up"]"#)],
    )
    .unwrap();
    let options = &body["Instances"]["Instance"][0]["MetadataOptions"];
    assert_eq!(
        (
            options["HttpTokens"].as_str(),
            options["HttpPutResponseHopLimit"].as_i64(),
            options["HttpEndpoint"].as_str()
        ),
        (Some("required"), Some(3), Some("enabled"))
    );
    let bad = ecs(
        &emulator,
        "ModifyInstanceMetadataOptions",
        &[("InstanceId", "i-up"), ("HttpTokens", "always")],
    )
    .unwrap_err();
    assert_eq!(bad.code, "InvalidParameter.HttpTokens");
    let hops = ecs(
        &emulator,
        "ModifyInstanceMetadataOptions",
        &[("InstanceId", "i-up"), ("HttpPutResponseHopLimit", "65")],
    )
    .unwrap_err();
    assert_eq!(hops.code, "InvalidParameter.HttpPutResponseHopLimit");
    let vnc = ecs(
        &emulator,
        "ModifyInstanceVncPasswd",
        &[("InstanceId", "i-up"), ("VncPassword", "short")],
    )
    .unwrap_err();
    assert_eq!(vnc.code, "InvalidVncPassword.Malformed");
    ecs(
        &emulator,
        "ModifyInstanceVncPasswd",
        &[("InstanceId", "i-up"), ("VncPassword", "Abc123")],
    )
    .unwrap();
    assert!(emulator.instance("i-up").unwrap().settings.vnc_password_set);
}

#[test]
fn full_status_follows_the_power_state() {
    let (emulator, clock) = fleet();
    let health = |id: &str| {
        let body = ecs(
            &emulator,
            "DescribeInstancesFullStatus",
            &[("InstanceId.1", id)],
        )
        .unwrap();
        let item = &body["InstanceFullStatusSet"]["InstanceFullStatusType"][0];
        (
            item["Status"]["Name"].as_str().unwrap().to_string(),
            item["HealthStatus"]["Name"].as_str().unwrap().to_string(),
            item["Status"]["Code"].as_i64().unwrap(),
        )
    };
    assert_eq!(health("i-up"), ("Running".to_string(), "Ok".to_string(), 1));
    assert_eq!(
        health("i-down"),
        ("Stopped".to_string(), "NotApplicable".to_string(), 80)
    );
    ecs(&emulator, "StartInstance", &[("InstanceId", "i-down")]).unwrap();
    assert_eq!(health("i-down").1, "Initializing");
    clock.advance(Duration::from_secs(3));
    assert_eq!(health("i-down").1, "Ok");
    let ok = ecs(
        &emulator,
        "DescribeInstancesFullStatus",
        &[("HealthStatus", "Ok")],
    )
    .unwrap();
    assert_eq!(ok["TotalCount"], 2);
}

#[test]
fn diagnostic_reports_finish_after_a_step() {
    let (emulator, clock) = fleet();
    let created = ecs(
        &emulator,
        "CreateDiagnosticReport",
        &[
            ("ResourceId", "i-down"),
            ("MetricSetId", "dms-instancedefault"),
        ],
    )
    .unwrap();
    let id = created["ReportId"].as_str().unwrap().to_string();
    let attributes = |emulator: &Emulator| {
        ecs(
            emulator,
            "DescribeDiagnosticReportAttributes",
            &[("ReportId", &id)],
        )
        .unwrap()
    };
    let pending = attributes(&emulator);
    assert_eq!(pending["Status"], "InProgress");
    assert_eq!(
        pending["MetricResults"]["MetricResult"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    clock.advance(Duration::from_secs(2));
    let done = attributes(&emulator);
    assert_eq!(
        (
            done["Status"].as_str(),
            done["Severity"].as_str(),
            done["ResourceType"].as_str()
        ),
        (Some("Finished"), Some("Critical"), Some("instance"))
    );
    let results = done["MetricResults"]["MetricResult"].as_array().unwrap();
    let status = results
        .iter()
        .find(|result| result["MetricId"] == "ECS.InstanceStatus")
        .unwrap();
    assert_eq!(status["Issues"]["Issue"][0]["Repairable"], false);
    let listed = ecs(
        &emulator,
        "DescribeDiagnosticReports",
        &[("ResourceIds.1", "i-down")],
    )
    .unwrap();
    assert_eq!(
        listed["Reports"]["Report"][0]["Issues"]["Issue"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(listed["NextToken"], "");
    let healthy = ecs(
        &emulator,
        "CreateDiagnosticReport",
        &[("ResourceId", "i-up")],
    )
    .unwrap();
    assert_ne!(healthy["ReportId"], id.as_str());
    assert_eq!(
        ecs(
            &emulator,
            "DescribeDiagnosticReportAttributes",
            &[("ReportId", "dr-none")]
        )
        .unwrap_err()
        .code,
        "InvalidReportId.NotFound"
    );
    assert_eq!(
        ecs(
            &emulator,
            "CreateDiagnosticReport",
            &[("ResourceId", "i-gone")]
        )
        .unwrap_err()
        .code,
        "InvalidInstanceId.NotFound"
    );
}
