//! An instance's fixed public IP (ECS API): AllocatePublicIpAddress, ReleasePublicIpAddress,
//! and ConvertNatPublicIpToEip, which turns it into an EIP bound to the instance.

use oos_acs::{AcsError, RpcRequest};
use rand::Rng;
use serde_json::{Value, json};

use super::instances::require_instance;
use super::params::{Ctx, check_dry_run};
use crate::errors::incorrect_instance_status;
use crate::model::instance_status;
use crate::state::{Cloud, new_id, utc_time};

/// The instance must be Running or Stopped for its public IP to change.
fn settled_instance(cloud: &Cloud, id: &str, operation: &str) -> Result<(), AcsError> {
    require_instance(cloud, id)?;
    let instance = &cloud.instances[id];
    if ![instance_status::RUNNING, instance_status::STOPPED].contains(&instance.status.as_str()) {
        return Err(incorrect_instance_status(id, &instance.status, operation));
    }
    Ok(())
}

/// AllocatePublicIpAddress: a public IP (or the requested `IpAddress`) for an instance with
/// neither a public IP nor an EIP.
pub fn allocate_public_ip_address(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("InstanceId")?.to_string();
    settled_instance(cloud, &id, "AllocatePublicIpAddress")?;
    let instance = &cloud.instances[&id];
    if !instance.public_ips.is_empty() || instance.eip_allocation_id.is_some() {
        return Err(AcsError::with_code(
            "InvalidOperation.PublicIpExists",
            403,
            format!("The instance {id} already has a public IP address."),
        ));
    }
    let address = match request.get("IpAddress") {
        Some(text) => text
            .parse::<std::net::Ipv4Addr>()
            .map_err(|_| AcsError::invalid_parameter("IpAddress", "not an IPv4 address"))?
            .to_string(),
        None => {
            let mut rng = rand::rng();
            format!(
                "120.{}.{}.{}",
                rng.random_range(24..80),
                rng.random_range(0..255),
                rng.random_range(1..255)
            )
        }
    };
    cloud
        .instances
        .get_mut(&id)
        .expect("checked above")
        .public_ips = vec![address.clone()];
    Ok(json!({"IpAddress": address}))
}

/// ReleasePublicIpAddress: the instance holding `PublicIpAddress` (and `InstanceId`, when
/// given) loses it.
pub fn release_public_ip_address(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let address = request.require("PublicIpAddress")?.to_string();
    let holder = cloud
        .instances
        .values()
        .filter(|instance| {
            request
                .get("InstanceId")
                .is_none_or(|id| id == instance.instance_id)
        })
        .find(|instance| instance.public_ips.contains(&address))
        .map(|instance| instance.instance_id.clone())
        .ok_or_else(|| {
            AcsError::with_code(
                "InvalidPublicIpAddress.NotFound",
                404,
                format!("The specified PublicIpAddress does not exist: {address}."),
            )
        })?;
    settled_instance(cloud, &holder, "ReleasePublicIpAddress")?;
    check_dry_run(request)?;
    cloud
        .instances
        .get_mut(&holder)
        .expect("found above")
        .public_ips
        .retain(|ip| *ip != address);
    Ok(json!({"RemainTimes": "-1"}))
}

/// ConvertNatPublicIpToEip: the instance's public IP becomes an EIP (InUse, bound to it).
pub fn convert_nat_public_ip_to_eip(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = request.require("InstanceId")?.to_string();
    settled_instance(cloud, &id, "ConvertNatPublicIpToEip")?;
    let instance = &cloud.instances[&id];
    let Some(address) = instance.public_ips.first().cloned() else {
        return Err(AcsError::with_code(
            "InvalidInstance.NotHasPublicIp",
            403,
            format!("The instance {id} has no public IP address to convert."),
        ));
    };
    let bandwidth = instance.internet_max_bandwidth_out.max(1).to_string();
    let charge_type = instance.internet_charge_type.clone();
    let allocation = new_id("eip");
    let converted = super::vpc::new_eip(&allocation, &address, &region, &bandwidth, &charge_type, &utc_time(ctx.now));
    cloud.eips.insert(allocation.clone(), converted);
    super::vpc::bind(cloud, &allocation, &id, "EcsInstance");
    cloud.instances.get_mut(&id).expect("checked above").public_ips.clear();
    Ok(json!({}))
}
