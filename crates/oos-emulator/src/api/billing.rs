//! Billing of instances: ModifyInstanceChargeType (sets `ExpiredTime`), RenewInstance,
//! Modify/DescribeInstanceAutoRenewAttribute, and plausible prices: DescribePrice,
//! DescribeRenewalPrice, DescribeSavingsPlanEstimation, DescribeSpotPriceHistory.

use jiff::{Span, Timestamp, tz::TimeZone};
use oos_acs::{AcsError, RpcRequest};
use rand::Rng;
use serde_json::{Value, json};

use super::instances::instance;
use super::params::{Ctx, PageLimits, check_dry_run, list_body, paginate, required_instance_ids};
use crate::ecs_model::{AutoRenew, NEVER_EXPIRES};
use crate::errors::{CHARGE_TYPE_VIOLATION, require_status};
use crate::model::{Instance, instance_status as status};
use crate::provision::type_shape;
use crate::state::{Cloud, ecs_time};

/// Subscription.
pub const PREPAID: &str = "PrePaid";
/// Pay-as-you-go.
pub const POSTPAID: &str = "PostPaid";
const CURRENCY: &str = "CNY";
/// Hours in a billing month.
const HOURS_PER_MONTH: f64 = 730.0;
/// Subscriptions cost this share of the pay-as-you-go price.
const SUBSCRIPTION_SHARE: f64 = 0.7;

/// A new order id (digits, like Alibaba's).
pub fn order_id() -> String {
    let mut rng = rand::rng();
    format!("2{:014}", rng.random_range(0..100_000_000_000_000u64))
}

/// `ChargeTypeViolation` unless `instance` is billed `charge_type`.
pub fn require_charge_type(
    instance: &Instance,
    charge_type: &str,
    operation: &str,
) -> Result<(), AcsError> {
    if instance.instance_charge_type == charge_type {
        return Ok(());
    }
    Err(AcsError::new(
        CHARGE_TYPE_VIOLATION,
        format!(
            "The operation {operation} is not permitted due to charge type of the instance {} ({}).",
            instance.instance_id, instance.instance_charge_type
        ),
    ))
}

/// Pay-as-you-go price of an instance type per hour (CNY).
pub fn hourly_price(instance_type: &str) -> f64 {
    let (cpu, memory_mib) = type_shape(instance_type);
    round(0.12 * cpu as f64 + 0.03 * memory_mib as f64 / 1024.0)
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A `Period` in `unit` (Month, Week or Year), checked against what Alibaba sells.
fn period(request: &RpcRequest, unit_name: &str) -> Result<(i64, String), AcsError> {
    let unit = request.get(unit_name).unwrap_or("Month").to_string();
    let length = request.int("Period")?.unwrap_or(1);
    let allowed: &[i64] = match unit.as_str() {
        "Month" => &[1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60],
        "Week" => &[1, 2, 3, 4],
        "Year" => &[1, 2, 3, 4, 5],
        other => {
            return Err(AcsError::invalid_parameter(
                unit_name,
                format!("{other:?} is not Month, Week or Year"),
            ));
        }
    };
    if !allowed.contains(&length) {
        return Err(AcsError::invalid_parameter(
            "Period",
            format!("{length} is not a valid {unit} period"),
        ));
    }
    Ok((length, unit))
}

fn months(length: i64, unit: &str) -> f64 {
    match unit {
        "Week" => length as f64 * 7.0 / 30.0,
        "Year" => length as f64 * 12.0,
        _ => length as f64,
    }
}

/// `from` plus `length` `unit`s (Month, Week or Year), in ECS time format.
pub fn expiry_after(from: Timestamp, length: i64, unit: &str) -> String {
    let span = match unit {
        "Week" => Span::new().weeks(length),
        "Year" => Span::new().years(length),
        _ => Span::new().months(length),
    };
    let until = from
        .to_zoned(TimeZone::UTC)
        .checked_add(span)
        .map_or(from, |zoned| zoned.timestamp());
    ecs_time(until)
}

fn parse_ecs_time(text: &str) -> Option<Timestamp> {
    text.strip_suffix('Z')
        .and_then(|minutes| format!("{minutes}:00Z").parse().ok())
}

fn subscription_fee(instance_type: &str, length: i64, unit: &str) -> f64 {
    round(hourly_price(instance_type) * HOURS_PER_MONTH * SUBSCRIPTION_SHARE * months(length, unit))
}

/// ModifyInstanceChargeType: `InstanceIds` (JSON list, at most 20) to `InstanceChargeType`
/// PrePaid (default; `Period`, `PeriodUnit` Month|Week; sets `ExpiredTime`) or PostPaid.
pub fn modify_instance_charge_type(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let ids = required_instance_ids(request, 20)?;
    let target = request.get("InstanceChargeType").unwrap_or(PREPAID);
    if ![PREPAID, POSTPAID].contains(&target) {
        return Err(AcsError::invalid_parameter(
            "InstanceChargeType",
            format!("{target:?} is not PrePaid or PostPaid"),
        ));
    }
    let (length, unit) = period(request, "PeriodUnit")?;
    for id in &ids {
        let current = instance(cloud, id)?;
        require_status(
            current,
            &[status::RUNNING, status::STOPPED],
            "ModifyInstanceChargeType",
        )?;
        if current.instance_charge_type == target {
            return Err(AcsError::new(
                CHARGE_TYPE_VIOLATION,
                format!("The instance {id} is already {target}."),
            ));
        }
    }
    check_dry_run(request)?;
    let mut fees = Vec::new();
    for id in &ids {
        let instance = cloud.instances.get_mut(id).expect("checked above");
        instance.instance_charge_type = target.to_string();
        if target == PREPAID {
            instance.settings.expired_time = expiry_after(ctx.now, length, &unit);
            fees.push(json!({"InstanceId": id, "Fee": format!("{:.2}", subscription_fee(&instance.instance_type, length, &unit)), "Currency": CURRENCY}));
        } else {
            instance.settings.expired_time = NEVER_EXPIRES.into();
            instance.settings.auto_renew = AutoRenew::default();
            fees.push(json!({"InstanceId": id, "Fee": "0.00", "Currency": CURRENCY}));
        }
    }
    Ok(json!({"OrderId": order_id(), "FeeOfInstances": {"FeeOfInstance": fees}}))
}

/// RenewInstance: subscription only; extends `ExpiredTime` by `Period` `PeriodUnit`s (from
/// now when already expired).
pub fn renew_instance(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("InstanceId")?.to_string();
    request.require("Period")?;
    let current = instance(cloud, &id)?;
    require_charge_type(current, PREPAID, "RenewInstance")?;
    let (length, unit) = period(request, "PeriodUnit")?;
    let from = parse_ecs_time(&current.settings.expired_time)
        .filter(|expiry| *expiry > ctx.now)
        .unwrap_or(ctx.now);
    let instance = cloud.instances.get_mut(&id).expect("checked above");
    instance.settings.expired_time = expiry_after(from, length, &unit);
    Ok(json!({"OrderId": order_id()}))
}

/// ModifyInstanceAutoRenewAttribute: subscription instances (`InstanceId`, comma-separated);
/// `RenewalStatus` AutoRenewal|Normal|NotRenewal, or `AutoRenew` true|false; `Duration` and
/// `PeriodUnit` of each renewal.
pub fn modify_instance_auto_renew_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let ids: Vec<String> = request
        .require("InstanceId")?
        .split(',')
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .collect();
    let renewal_status = match (request.get("RenewalStatus"), request.bool("AutoRenew")?) {
        (Some(given), _) => {
            if !["AutoRenewal", "Normal", "NotRenewal"].contains(&given) {
                return Err(AcsError::invalid_parameter(
                    "RenewalStatus",
                    format!("{given:?} is not AutoRenewal, Normal or NotRenewal"),
                ));
            }
            given.to_string()
        }
        (None, Some(true)) => "AutoRenewal".into(),
        (None, _) => "Normal".into(),
    };
    let unit = request.get("PeriodUnit").unwrap_or("Month").to_string();
    let allowed: &[i64] = match unit.as_str() {
        "Month" => &[1, 2, 3, 6, 12, 24, 36, 48, 60],
        "Week" => &[1, 2, 3],
        "Year" => &[1, 2, 3, 4, 5],
        other => {
            return Err(AcsError::invalid_parameter(
                "PeriodUnit",
                format!("{other:?} is not Month, Week or Year"),
            ));
        }
    };
    let duration = request.int("Duration")?;
    if let Some(duration) = duration.filter(|duration| !allowed.contains(duration)) {
        return Err(AcsError::invalid_parameter(
            "Duration",
            format!("{duration} is not a valid {unit} renewal"),
        ));
    }
    for id in &ids {
        require_charge_type(
            instance(cloud, id)?,
            PREPAID,
            "ModifyInstanceAutoRenewAttribute",
        )?;
    }
    let enabled = renewal_status == "AutoRenewal";
    for id in &ids {
        let renew = &mut cloud
            .instances
            .get_mut(id)
            .expect("checked above")
            .settings
            .auto_renew;
        renew.enabled = enabled;
        renew.renewal_status = renewal_status.clone();
        renew.period_unit = unit.clone();
        renew.duration = if enabled {
            duration.unwrap_or(renew.duration.max(1))
        } else {
            0
        };
    }
    Ok(json!({}))
}

/// DescribeInstanceAutoRenewAttribute: the region's subscription instances (`InstanceId`
/// comma-separated, `RenewalStatus` filter), paged up to 100.
pub fn describe_instance_auto_renew_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = super::params::comma_ids(request, "InstanceId");
    let selected: Vec<Value> = cloud
        .instances
        .values()
        .filter(|instance| instance.region_id == region && instance.instance_charge_type == PREPAID)
        .filter(|instance| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&instance.instance_id.as_str()))
        })
        .filter(|instance| {
            request
                .get("RenewalStatus")
                .is_none_or(|wanted| wanted == instance.settings.auto_renew.renewal_status)
        })
        .map(|instance| {
            let renew = &instance.settings.auto_renew;
            json!({
                "InstanceId": instance.instance_id,
                "AutoRenewEnabled": renew.enabled,
                "Duration": renew.duration,
                "PeriodUnit": renew.period_unit,
                "RenewalStatus": renew.renewal_status,
                "EnableExpectedRenewDay": false,
            })
        })
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_100)?;
    Ok(list_body(
        "InstanceRenewAttributes",
        "InstanceRenewAttribute",
        page,
        paging,
    ))
}

fn price_json(details: Vec<(&str, f64)>) -> Value {
    let total = round(details.iter().map(|(_, price)| price).sum());
    let detail_infos: Vec<Value> = details
        .iter()
        .map(|(resource, price)| {
            json!({"Resource": resource, "OriginalPrice": price, "DiscountPrice": 0.0, "TradePrice": price,
                   "SubRules": {"Rule": []}})
        })
        .collect();
    json!({"PriceInfo": {
        "Price": {"Currency": CURRENCY, "OriginalPrice": total, "DiscountPrice": 0.0, "TradePrice": total,
                  "DetailInfos": {"DetailInfo": detail_infos}},
        "Rules": {"Rule": []},
        "RelatedPrice": {"MarketplaceImagePrice": {"Currency": CURRENCY, "OriginalPrice": 0.0, "DiscountPrice": 0.0, "TradePrice": 0.0}},
    }})
}

/// DescribePrice: `ResourceType` instance (default; `InstanceType` required), `PriceUnit`
/// Hour (default; pay-as-you-go) or Month|Week|Year with `Period`; system and data disks by
/// size; `Amount` instances.
pub fn describe_price(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    ctx.region(cloud, request)?;
    let resource_type = request.get("ResourceType").unwrap_or("instance");
    if resource_type != "instance" {
        return Err(AcsError::invalid_parameter(
            "ResourceType",
            "only instance is priced by the emulator",
        ));
    }
    let instance_type = request.require("InstanceType")?;
    super::instance_types::require_sold(instance_type)?;
    let amount = request.int("Amount")?.unwrap_or(1).max(1) as f64;
    let unit = request.get("PriceUnit").unwrap_or("Hour");
    let factor = if unit == "Hour" {
        1.0
    } else {
        let (length, unit) = period(request, "PriceUnit")?;
        HOURS_PER_MONTH * SUBSCRIPTION_SHARE * months(length, &unit)
    };
    let disk_per_gib_hour = 1.0 / HOURS_PER_MONTH;
    let system_size = request.int("SystemDisk.Size")?.unwrap_or(40) as f64;
    let data_size: f64 = request
        .repeated_records("DataDisk")
        .iter()
        .filter_map(|record| {
            record
                .iter()
                .find(|(field, _)| field == "Size")
                .and_then(|(_, size)| size.parse::<f64>().ok())
        })
        .sum();
    let mut details = vec![
        (
            "instanceType",
            round(hourly_price(instance_type) * factor * amount),
        ),
        (
            "systemDisk",
            round(system_size * disk_per_gib_hour * factor * amount),
        ),
    ];
    if data_size > 0.0 {
        details.push((
            "dataDisk",
            round(data_size * disk_per_gib_hour * factor * amount),
        ));
    }
    let bandwidth = request.int("InternetMaxBandwidthOut")?.unwrap_or(0) as f64;
    if bandwidth > 0.0 {
        details.push(("bandwidth", round(bandwidth * 0.063 * factor * amount)));
    }
    let mut body = price_json(details);
    body["PriceInfo"]["Price"]["ReservedInstanceHourPrice"] = json!(0.0);
    Ok(body)
}

/// DescribeRenewalPrice: a subscription instance (`ResourceId`) for `Period` `PriceUnit`s.
pub fn describe_renewal_price(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let current = instance(cloud, request.require("ResourceId")?)?;
    require_charge_type(current, PREPAID, "DescribeRenewalPrice")?;
    let (length, unit) = period(request, "PriceUnit")?;
    Ok(price_json(vec![(
        "instanceType",
        subscription_fee(&current.instance_type, length, &unit),
    )]))
}

/// DescribeSavingsPlanEstimation: the hourly commitment that would cover instance `ResourceId`.
pub fn describe_savings_plan_estimation(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("ResourceId")?;
    let current = instance(cloud, id)?;
    let period = request.get("Period").unwrap_or("1");
    let period: i64 = period
        .parse()
        .map_err(|error| AcsError::invalid_parameter("Period", error))?;
    let family = current
        .instance_type
        .rsplit_once('.')
        .map_or("", |(family, _)| family);
    Ok(json!({
        "ResourceId": id,
        "PlanType": request.get("PlanType").unwrap_or("ecs"),
        "OfferingType": request.get("OfferingType").unwrap_or("All"),
        "Period": period,
        "PeriodUnit": request.get("PeriodUnit").unwrap_or("Year"),
        "InstanceTypeFamily": family,
        "InstanceTypeFamilyGroup": family,
        "Currency": CURRENCY,
        "CommittedAmount": format!("{:.2}", round(hourly_price(&current.instance_type) * 0.6)),
    }))
}

/// DescribeSpotPriceHistory: the spot price of `InstanceType` in `ZoneId` (default: the
/// region's first zone) at each of the last three hours, a fifth of the pay-as-you-go price.
pub fn describe_spot_price_history(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let instance_type = request.require("InstanceType")?;
    super::instance_types::require_sold(instance_type)?;
    let network = request.require("NetworkType")?;
    if !["vpc", "classic"].contains(&network) {
        return Err(AcsError::invalid_parameter("NetworkType", "must be vpc or classic"));
    }
    let zones = &cloud.region(&region).expect("served").zones;
    let zone = match request.get("ZoneId") {
        Some(zone) if zones.iter().any(|known| known == zone) => zone.to_string(),
        Some(zone) => return Err(AcsError::invalid_parameter("ZoneId", format!("{zone} is not a zone of {region}"))),
        None => zones.first().cloned().unwrap_or_default(),
    };
    let origin = hourly_price(instance_type);
    let prices: Vec<Value> = (0..3)
        .rev()
        .map(|hours_ago| {
            let at = ctx.now - Span::new().hours(hours_ago);
            json!({"InstanceType": instance_type, "ZoneId": zone, "NetworkType": network, "IoOptimized": "optimized",
                   "OriginPrice": origin, "SpotPrice": round(origin * 0.2), "Timestamp": crate::state::utc_time(at)})
        })
        .collect();
    Ok(json!({"Currency": CURRENCY, "NextOffset": 0, "SpotPrices": {"SpotPriceType": prices}}))
}
