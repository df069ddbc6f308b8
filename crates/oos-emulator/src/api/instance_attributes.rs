//! One instance's attributes: DescribeInstanceAttribute, ModifyInstanceMetadataOptions,
//! ModifyInstanceVncPasswd.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::instances::{instance, instance_json};
use super::params::Ctx;
use crate::state::Cloud;

/// Fields DescribeInstanceAttribute shares with DescribeInstances.
const SHARED_FIELDS: [&str; 28] = [
    "InstanceId",
    "InstanceName",
    "Description",
    "HostName",
    "RegionId",
    "ZoneId",
    "InstanceType",
    "Cpu",
    "Memory",
    "ImageId",
    "Status",
    "CreationTime",
    "ExpiredTime",
    "InstanceChargeType",
    "InternetChargeType",
    "InternetMaxBandwidthOut",
    "InternetMaxBandwidthIn",
    "InstanceNetworkType",
    "StoppedMode",
    "SerialNumber",
    "SecurityGroupIds",
    "VpcAttributes",
    "InnerIpAddress",
    "PublicIpAddress",
    "EipAddress",
    "OperationLocks",
    "CreditSpecification",
    "DedicatedHostAttribute",
];

/// DescribeInstanceAttribute: the instance's attributes (`IoOptimized` as a string here).
pub fn describe_instance_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let target = instance(cloud, request.require("InstanceId")?)?;
    let Value::Object(mut body) = instance_json(target, cloud) else {
        unreachable!("instance_json answers an object")
    };
    body.retain(|key, _| SHARED_FIELDS.contains(&key.as_str()));
    if let Some(Value::Object(eip)) = body.get_mut("EipAddress") {
        eip.remove("IsSupportUnassociate");
    }
    let mut body = Value::Object(body);
    body["IoOptimized"] = json!("optimized");
    body["ClusterId"] = json!("");
    body["VlanId"] = json!("");
    body["CreditSpecification"] = json!("");
    body["DedicatedHostAttribute"] = json!({"DedicatedHostId": "", "DedicatedHostName": ""});
    body["EnableJumboFrame"] = json!(false);
    body["EnableNetworkEncryption"] = json!(false);
    body["NetworkOptions"] = json!({"BandwidthWeighting": "", "EnableJumboFrame": false, "EnableNetworkEncryption": false});
    body["SecurityOptions"] = json!({"EnableSecureBoot": false});
    Ok(body)
}

fn one_of(request: &RpcRequest, name: &str, allowed: &[&str]) -> Result<Option<String>, AcsError> {
    match request.get(name) {
        Some(value) if !allowed.contains(&value) => Err(AcsError::invalid_parameter(
            name,
            format!("{value:?} is not one of {}", allowed.join(", ")),
        )),
        other => Ok(other.map(str::to_string)),
    }
}

/// ModifyInstanceMetadataOptions: `HttpEndpoint` enabled|disabled, `HttpTokens`
/// optional|required, `HttpPutResponseHopLimit` 1–64, `InstanceMetadataTags` enabled|disabled.
pub fn modify_instance_metadata_options(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("InstanceId")?.to_string();
    instance(cloud, &id)?;
    let endpoint = one_of(request, "HttpEndpoint", &["enabled", "disabled"])?;
    let tokens = one_of(request, "HttpTokens", &["optional", "required"])?;
    let tags = one_of(request, "InstanceMetadataTags", &["enabled", "disabled"])?;
    let hops = request.int("HttpPutResponseHopLimit")?;
    if let Some(hops) = hops.filter(|hops| !(1..=64).contains(hops)) {
        return Err(AcsError::invalid_parameter(
            "HttpPutResponseHopLimit",
            format!("{hops} is not between 1 and 64"),
        ));
    }
    let metadata = &mut cloud
        .instances
        .get_mut(&id)
        .expect("checked above")
        .settings
        .metadata;
    if let Some(endpoint) = endpoint {
        metadata.http_endpoint = endpoint;
    }
    if let Some(tokens) = tokens {
        metadata.http_tokens = tokens;
    }
    if let Some(tags) = tags {
        metadata.instance_metadata_tags = tags;
    }
    if let Some(hops) = hops {
        metadata.http_put_response_hop_limit = hops;
    }
    Ok(json!({}))
}

/// ModifyInstanceVncPasswd: six letters and digits; only the fact that one is set is kept.
pub fn modify_instance_vnc_passwd(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("InstanceId")?.to_string();
    let password = request.require("VncPassword")?;
    instance(cloud, &id)?;
    if password.len() != 6 || !password.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AcsError::new(
            crate::errors::INVALID_VNC_PASSWORD_MALFORMED,
            "The VNC password must be six letters or digits.",
        ));
    }
    cloud
        .instances
        .get_mut(&id)
        .expect("checked above")
        .settings
        .vnc_password_set = true;
    Ok(json!({}))
}
