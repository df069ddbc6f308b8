//! The EIP actions under the ECS API (2014-05-26): the VPC implementation (`vpc.rs`) on the same
//! addresses, answered with only the fields of the ECS models.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Map, Value};

use super::params::Ctx;
use super::vpc;
use crate::state::Cloud;

/// The fields of an `EipAddresses.EipAddress[]` item in the ECS model.
const ECS_EIP_FIELDS: [&str; 13] = [
    "AllocationId",
    "AllocationTime",
    "Bandwidth",
    "ChargeType",
    "EipBandwidth",
    "ExpiredTime",
    "InstanceId",
    "InstanceType",
    "InternetChargeType",
    "IpAddress",
    "OperationLocks",
    "RegionId",
    "Status",
];

/// `value` with only the keys `keep`.
fn only(value: Value, keep: &[&str]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(key, _)| keep.contains(&key.as_str()))
                .collect::<Map<String, Value>>(),
        ),
        other => other,
    }
}

/// AllocateEipAddress (ECS): `AllocationId` and `EipAddress`.
pub fn allocate_eip_address(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    vpc::allocate_eip_address(cloud, request, ctx)
        .map(|body| only(body, &["AllocationId", "EipAddress"]))
}

/// DescribeEipAddresses (ECS): the VPC answer with the ECS item fields.
pub fn describe_eip_addresses(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let mut body = vpc::describe_eip_addresses(cloud, request, ctx)?;
    if let Some(items) = body["EipAddresses"]["EipAddress"].as_array_mut() {
        for item in items.iter_mut() {
            *item = only(item.take(), &ECS_EIP_FIELDS);
        }
    }
    Ok(body)
}
