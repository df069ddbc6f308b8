//! Billing: charge type changes set `ExpiredTime`, renewal extends it, auto-renew attributes
//! read back, prices are plausible; subscription-only actions refuse pay-as-you-go instances.

mod support;

use std::time::Duration;

use oos_emulator::{Emulator, FleetSeed};
use support::{ManualClock, ecs};

fn fleet() -> (Emulator, ManualClock) {
    let clock = ManualClock::new();
    let seed = "instances:\n  - ids: [i-a, i-b, i-sub]\n    status: [Running, Stopped, Running]\n    charge_type: [PostPaid, PostPaid, PrePaid]\n    auto_renew: true\n";
    let emulator = clock
        .install(
            Emulator::builder()
                .transition_delay(Duration::ZERO)
                .seed(FleetSeed::from_yaml(seed).unwrap()),
        )
        .build()
        .unwrap();
    (emulator, clock)
}

fn expired(emulator: &Emulator, id: &str) -> String {
    let body = ecs(
        emulator,
        "DescribeInstances",
        &[("InstanceIds", &format!("[\"{id}\"]"))],
    )
    .unwrap();
    body["Instances"]["Instance"][0]["ExpiredTime"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn charge_type_changes_set_and_clear_the_expiry() {
    let (emulator, _) = fleet();
    assert_eq!(expired(&emulator, "i-a"), "2099-12-31T15:59Z");
    let changed = ecs(
        &emulator,
        "ModifyInstanceChargeType",
        &[
            ("InstanceIds", r#"["i-a","i-b"]"#),
            ("InstanceChargeType", "PrePaid"),
            ("Period", "3"),
            ("PeriodUnit", "Month"),
        ],
    )
    .unwrap();
    assert!(changed["OrderId"].as_str().unwrap().len() > 10);
    let fees = changed["FeeOfInstances"]["FeeOfInstance"]
        .as_array()
        .unwrap();
    assert_eq!(fees.len(), 2);
    assert!(
        fees[0]["Fee"].as_str().unwrap().parse::<f64>().unwrap() > 0.0,
        "a string in the SDK model"
    );
    assert_eq!(
        expired(&emulator, "i-a"),
        "2026-04-01T00:00Z",
        "three months from 2026-01-01"
    );
    assert_eq!(
        emulator.instance("i-b").unwrap().instance_charge_type,
        "PrePaid"
    );
    let again = ecs(
        &emulator,
        "ModifyInstanceChargeType",
        &[("InstanceIds", r#"["i-a"]"#)],
    )
    .unwrap_err();
    assert_eq!(
        (again.code.as_ref(), again.status),
        ("ChargeTypeViolation", 403)
    );
    ecs(
        &emulator,
        "ModifyInstanceChargeType",
        &[
            ("InstanceIds", r#"["i-a"]"#),
            ("InstanceChargeType", "PostPaid"),
        ],
    )
    .unwrap();
    assert_eq!(expired(&emulator, "i-a"), "2099-12-31T15:59Z");
    let period = ecs(
        &emulator,
        "ModifyInstanceChargeType",
        &[("InstanceIds", r#"["i-a"]"#), ("Period", "10")],
    )
    .unwrap_err();
    assert_eq!(period.code, "InvalidParameter.Period");
    let missing = ecs(
        &emulator,
        "ModifyInstanceChargeType",
        &[("InstanceIds", r#"["i-gone"]"#)],
    )
    .unwrap_err();
    assert_eq!(missing.code, "InvalidInstanceId.NotFound");
}

#[test]
fn renewal_extends_subscriptions_only() {
    let (emulator, clock) = fleet();
    assert_eq!(
        expired(&emulator, "i-sub"),
        "2026-02-01T00:00Z",
        "seeded as a one-month subscription"
    );
    let renewed = ecs(
        &emulator,
        "RenewInstance",
        &[
            ("InstanceId", "i-sub"),
            ("Period", "1"),
            ("PeriodUnit", "Month"),
        ],
    )
    .unwrap();
    assert!(renewed["OrderId"].is_string());
    assert_eq!(expired(&emulator, "i-sub"), "2026-03-01T00:00Z");
    clock.advance(Duration::from_secs(90 * 86_400));
    ecs(
        &emulator,
        "RenewInstance",
        &[
            ("InstanceId", "i-sub"),
            ("Period", "1"),
            ("PeriodUnit", "Week"),
        ],
    )
    .unwrap();
    assert_eq!(
        expired(&emulator, "i-sub"),
        "2026-04-08T00:00Z",
        "an expired subscription renews from now"
    );
    let postpaid = ecs(
        &emulator,
        "RenewInstance",
        &[("InstanceId", "i-a"), ("Period", "1")],
    )
    .unwrap_err();
    assert_eq!(postpaid.code, "ChargeTypeViolation");
    assert_eq!(
        ecs(&emulator, "RenewInstance", &[("InstanceId", "i-sub")])
            .unwrap_err()
            .code,
        "MissingParameter.Period"
    );
}

#[test]
fn auto_renew_attributes_read_back() {
    let (emulator, _) = fleet();
    let seeded = ecs(
        &emulator,
        "DescribeInstanceAutoRenewAttribute",
        &[("InstanceId", "i-sub")],
    )
    .unwrap();
    let item = &seeded["InstanceRenewAttributes"]["InstanceRenewAttribute"][0];
    assert_eq!(
        (
            item["AutoRenewEnabled"].as_bool(),
            item["Duration"].as_i64()
        ),
        (Some(true), Some(1))
    );
    ecs(
        &emulator,
        "ModifyInstanceAutoRenewAttribute",
        &[
            ("InstanceId", "i-sub"),
            ("AutoRenew", "true"),
            ("Duration", "6"),
            ("PeriodUnit", "Month"),
        ],
    )
    .unwrap();
    let changed = ecs(
        &emulator,
        "DescribeInstanceAutoRenewAttribute",
        &[("InstanceId", "i-sub")],
    )
    .unwrap();
    let item = &changed["InstanceRenewAttributes"]["InstanceRenewAttribute"][0];
    assert_eq!(
        (item["Duration"].as_i64(), item["RenewalStatus"].as_str()),
        (Some(6), Some("AutoRenewal"))
    );
    ecs(
        &emulator,
        "ModifyInstanceAutoRenewAttribute",
        &[("InstanceId", "i-sub"), ("RenewalStatus", "NotRenewal")],
    )
    .unwrap();
    let off = ecs(
        &emulator,
        "DescribeInstanceAutoRenewAttribute",
        &[("RenewalStatus", "NotRenewal")],
    )
    .unwrap();
    assert_eq!(off["TotalCount"], 1);
    assert_eq!(
        off["InstanceRenewAttributes"]["InstanceRenewAttribute"][0]["AutoRenewEnabled"],
        false
    );
    let postpaid = ecs(
        &emulator,
        "ModifyInstanceAutoRenewAttribute",
        &[("InstanceId", "i-a"), ("AutoRenew", "true")],
    )
    .unwrap_err();
    assert_eq!(postpaid.code, "ChargeTypeViolation");
    let duration = ecs(
        &emulator,
        "ModifyInstanceAutoRenewAttribute",
        &[
            ("InstanceId", "i-sub"),
            ("AutoRenew", "true"),
            ("Duration", "5"),
        ],
    )
    .unwrap_err();
    assert_eq!(duration.code, "InvalidParameter.Duration");
    let all = ecs(&emulator, "DescribeInstanceAutoRenewAttribute", &[]).unwrap();
    assert_eq!(
        all["TotalCount"], 1,
        "only subscription instances are listed"
    );
}

#[test]
fn prices_grow_with_size_and_period() {
    let (emulator, _) = fleet();
    let price = |params: &[(&str, &str)]| {
        ecs(&emulator, "DescribePrice", params).unwrap()["PriceInfo"]["Price"]["TradePrice"]
            .as_f64()
            .unwrap()
    };
    let small = price(&[("InstanceType", "ecs.g7.large")]);
    let large = price(&[("InstanceType", "ecs.g7.2xlarge")]);
    let month = price(&[
        ("InstanceType", "ecs.g7.large"),
        ("PriceUnit", "Month"),
        ("Period", "1"),
    ]);
    assert!(
        small > 0.0 && large > small && month > small * 100.0,
        "{small} {large} {month}"
    );
    let details = ecs(
        &emulator,
        "DescribePrice",
        &[("InstanceType", "ecs.g7.large"), ("DataDisk.1.Size", "100")],
    )
    .unwrap();
    assert_eq!(
        details["PriceInfo"]["Price"]["DetailInfos"]["DetailInfo"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        ecs(
            &emulator,
            "DescribePrice",
            &[("InstanceType", "ecs.z9.huge")]
        )
        .unwrap_err()
        .code,
        "InvalidInstanceType.ValueNotSupported"
    );
    let renewal = ecs(
        &emulator,
        "DescribeRenewalPrice",
        &[
            ("ResourceId", "i-sub"),
            ("Period", "1"),
            ("PriceUnit", "Month"),
        ],
    )
    .unwrap();
    assert!(
        renewal["PriceInfo"]["Price"]["TradePrice"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert_eq!(
        ecs(&emulator, "DescribeRenewalPrice", &[("ResourceId", "i-a")])
            .unwrap_err()
            .code,
        "ChargeTypeViolation"
    );
    let estimate = ecs(
        &emulator,
        "DescribeSavingsPlanEstimation",
        &[
            ("ResourceId", "i-a"),
            ("Period", "1"),
            ("PeriodUnit", "Year"),
        ],
    )
    .unwrap();
    assert_eq!(
        (
            estimate["Period"].as_i64(),
            estimate["InstanceTypeFamily"].as_str()
        ),
        (Some(1), Some("ecs.g7"))
    );
    assert!(
        estimate["CommittedAmount"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            > 0.0
    );
}
