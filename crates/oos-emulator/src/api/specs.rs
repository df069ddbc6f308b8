//! Changing an instance's specification: ModifyInstanceSpec (pay-as-you-go; the type only
//! when Stopped), ModifyPrepayInstanceSpec (subscription), ModifyInstanceNetworkSpec
//! (bandwidth, network charge type, public IP).

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::billing::{POSTPAID, PREPAID, order_id, require_charge_type};
use super::instance_types::require_sold;
use super::instances::instance;
use super::params::{Ctx, check_dry_run};
use crate::errors::require_status;
use crate::model::instance_status as status;
use crate::provision::type_shape;
use crate::state::Cloud;

const BANDWIDTH_OUT: std::ops::RangeInclusive<i64> = 0..=100;
const BANDWIDTH_IN: std::ops::RangeInclusive<i64> = 1..=200;

fn bandwidth(
    request: &RpcRequest,
    name: &str,
    range: &std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, AcsError> {
    match request.int(name)? {
        Some(value) if !range.contains(&value) => Err(AcsError::invalid_parameter(
            name,
            format!(
                "must be between {} and {} Mbit/s",
                range.start(),
                range.end()
            ),
        )),
        other => Ok(other),
    }
}

fn set_type(cloud: &mut Cloud, id: &str, instance_type: &str) {
    let (cpu, memory) = type_shape(instance_type);
    let instance = cloud.instances.get_mut(id).expect("checked by the caller");
    instance.instance_type = instance_type.to_string();
    instance.cpu = cpu;
    instance.memory = memory;
}

/// Gives instance `id` a public IP when it has bandwidth and none yet.
fn ensure_public_ip(cloud: &mut Cloud, id: &str) {
    let taken = cloud
        .instances
        .values()
        .filter(|other| !other.public_ips.is_empty())
        .count();
    let instance = cloud.instances.get_mut(id).expect("checked by the caller");
    if instance.public_ips.is_empty() && instance.eip_allocation_id.is_none() {
        instance
            .public_ips
            .push(format!("47.96.{}.{}", (taken / 250) % 256, taken % 250 + 1));
    }
}

/// ModifyInstanceSpec: pay-as-you-go only (`ChargeTypeViolation`); a new `InstanceType` needs
/// the instance Stopped; `InternetMaxBandwidthOut/In` may change while Running.
pub fn modify_instance_spec(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("InstanceId")?.to_string();
    let current = instance(cloud, &id)?;
    require_charge_type(current, POSTPAID, "ModifyInstanceSpec")?;
    let new_type = request.get("InstanceType");
    let out = bandwidth(request, "InternetMaxBandwidthOut", &BANDWIDTH_OUT)?;
    let inbound = bandwidth(request, "InternetMaxBandwidthIn", &BANDWIDTH_IN)?;
    if new_type.is_none() && out.is_none() && inbound.is_none() {
        return Err(AcsError::missing_parameter("InstanceType"));
    }
    if let Some(new_type) = new_type {
        require_sold(new_type)?;
        require_status(current, &[status::STOPPED], "ModifyInstanceSpec")?;
    } else {
        require_status(
            current,
            &[status::RUNNING, status::STOPPED],
            "ModifyInstanceSpec",
        )?;
    }
    check_dry_run(request)?;
    if let Some(new_type) = new_type {
        set_type(cloud, &id, new_type);
    }
    apply_bandwidth(cloud, &id, out, inbound);
    Ok(json!({}))
}

fn apply_bandwidth(cloud: &mut Cloud, id: &str, out: Option<i64>, inbound: Option<i64>) {
    let instance = cloud.instances.get_mut(id).expect("checked by the caller");
    if let Some(out) = out {
        instance.internet_max_bandwidth_out = out;
    }
    if let Some(inbound) = inbound {
        instance.settings.internet_max_bandwidth_in = inbound;
    }
}

/// ModifyPrepayInstanceSpec: subscription only; Running or Stopped; `OperatorType` upgrade
/// needs a type at least as large, downgrade one at most as large. Answers an `OrderId`.
pub fn modify_prepay_instance_spec(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("InstanceId")?.to_string();
    let new_type = request.require("InstanceType")?.to_string();
    let current = instance(cloud, &id)?;
    require_charge_type(current, PREPAID, "ModifyPrepayInstanceSpec")?;
    require_status(
        current,
        &[status::RUNNING, status::STOPPED],
        "ModifyPrepayInstanceSpec",
    )?;
    require_sold(&new_type)?;
    let (cpu, memory) = type_shape(&current.instance_type);
    let (new_cpu, new_memory) = type_shape(&new_type);
    let operator = request.get("OperatorType").unwrap_or("upgrade");
    let fits = match operator {
        "upgrade" => new_cpu >= cpu && new_memory >= memory,
        "downgrade" => new_cpu <= cpu && new_memory <= memory,
        other => {
            return Err(AcsError::invalid_parameter(
                "OperatorType",
                format!("{other:?} is not upgrade or downgrade"),
            ));
        }
    };
    if !fits {
        return Err(AcsError::invalid_parameter(
            "InstanceType",
            format!(
                "{new_type} is not an {operator} of {}",
                current.instance_type
            ),
        ));
    }
    set_type(cloud, &id, &new_type);
    Ok(json!({"OrderId": order_id()}))
}

/// ModifyInstanceNetworkSpec: `InternetMaxBandwidthOut` 0–100, `InternetMaxBandwidthIn`,
/// `NetworkChargeType` PayByTraffic|PayByBandwidth, `AllocatePublicIp`; Running or Stopped.
pub fn modify_instance_network_spec(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("InstanceId")?.to_string();
    let current = instance(cloud, &id)?;
    require_status(
        current,
        &[status::RUNNING, status::STOPPED],
        "ModifyInstanceNetworkSpec",
    )?;
    let out = bandwidth(request, "InternetMaxBandwidthOut", &BANDWIDTH_OUT)?;
    let inbound = bandwidth(request, "InternetMaxBandwidthIn", &BANDWIDTH_IN)?;
    let charge = request.get("NetworkChargeType");
    if let Some(charge) =
        charge.filter(|charge| !["PayByTraffic", "PayByBandwidth"].contains(charge))
    {
        return Err(AcsError::invalid_parameter(
            "NetworkChargeType",
            format!("{charge:?} is not PayByTraffic or PayByBandwidth"),
        ));
    }
    let allocate = request.bool("AllocatePublicIp")?.unwrap_or(false);
    let prepaid = current.instance_charge_type == PREPAID;
    apply_bandwidth(cloud, &id, out, inbound);
    let instance = cloud.instances.get_mut(&id).expect("checked above");
    if let Some(charge) = charge {
        instance.internet_charge_type = charge.to_string();
    }
    if allocate && instance.internet_max_bandwidth_out > 0 {
        ensure_public_ip(cloud, &id);
    }
    Ok(json!({"OrderId": if prepaid { order_id() } else { String::new() }}))
}
