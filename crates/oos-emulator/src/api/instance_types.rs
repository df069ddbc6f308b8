//! The instance type catalog and the actions that read it: DescribeInstanceTypes,
//! DescribeInstanceTypeFamilies, DescribeAvailableResource, DescribeResourcesModification.
//! DescribeZones lists the same types.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::instances::instance;
use super::params::{Ctx, repeated_or_single};
use crate::provision::type_shape;
use crate::state::Cloud;

/// Families served: (family, generation).
const FAMILIES: [(&str, &str); 6] = [
    ("ecs.g7", "ecs-6"),
    ("ecs.c7", "ecs-6"),
    ("ecs.r7", "ecs-6"),
    ("ecs.g6", "ecs-5"),
    ("ecs.c6", "ecs-5"),
    ("ecs.r6", "ecs-5"),
];
const SIZES: [&str; 5] = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge"];
/// Disk categories every zone offers.
pub const DISK_CATEGORIES: [&str; 3] = ["cloud_essd", "cloud_efficiency", "cloud_ssd"];

/// Every instance type the emulated zones sell, smallest first within a family.
pub fn instance_types() -> Vec<String> {
    FAMILIES
        .iter()
        .flat_map(|(family, _)| SIZES.iter().map(move |size| format!("{family}.{size}")))
        .collect()
}

/// True when `instance_type` is sold.
pub fn is_sold(instance_type: &str) -> bool {
    instance_types().iter().any(|known| known == instance_type)
}

/// `InvalidInstanceType.ValueNotSupported` unless `instance_type` is sold.
pub fn require_sold(instance_type: &str) -> Result<(), AcsError> {
    if is_sold(instance_type) {
        return Ok(());
    }
    Err(AcsError::new(
        crate::errors::INVALID_INSTANCE_TYPE_VALUE_NOT_SUPPORTED,
        format!("The specified InstanceType is not supported: {instance_type}."),
    ))
}

fn family_of(instance_type: &str) -> &str {
    instance_type
        .rsplit_once('.')
        .map_or("", |(family, _)| family)
}

fn type_json(instance_type: &str) -> Value {
    let (cpu, memory_mib) = type_shape(instance_type);
    let family = family_of(instance_type);
    let category = match family.as_bytes().get(4) {
        Some(b'c') => "Compute-optimized",
        Some(b'r') => "Memory-optimized",
        _ => "General-purpose",
    };
    json!({
        "InstanceTypeId": instance_type,
        "InstanceTypeFamily": family,
        "InstanceCategory": category,
        "InstanceFamilyLevel": "EnterpriseLevel",
        "CpuCoreCount": cpu,
        "MemorySize": memory_mib as f64 / 1024.0,
        "CpuArchitecture": "X86",
        "PhysicalProcessorModel": "Intel Xeon(Ice Lake) Platinum 8369B",
        "CpuSpeedFrequency": 2.7,
        "CpuTurboFrequency": 3.5,
        "GPUAmount": 0,
        "GPUSpec": "",
        "GPUMemorySize": 0.0,
        "LocalStorageCategory": "",
        "LocalStorageAmount": 0,
        "LocalStorageCapacity": 0,
        "EniQuantity": (cpu / 2 + 1).min(8),
        "EniTotalQuantity": (cpu / 2 + 1).min(8),
        "EniPrivateIpAddressQuantity": (cpu * 3).min(20),
        "EniIpv6AddressQuantity": (cpu * 3).min(20),
        "EniTrunkSupported": true,
        "InstanceBandwidthRx": cpu * 1_000_000,
        "InstanceBandwidthTx": cpu * 1_000_000,
        "InstancePpsRx": cpu * 150_000,
        "InstancePpsTx": cpu * 150_000,
        "DiskQuantity": 17,
        "NvmeSupport": "unsupported",
        "BaselineCredit": 0,
        "InitialCredit": 0,
        "SupportedBootModes": {"SupportedBootMode": ["BIOS", "UEFI"]},
        "Attributes": {"Attribute": []},
        "Clock": {"PtpSupport": "unsupported"},
        "CpuOptions": {"Core": (cpu / 2).max(1), "CoreFactor": 2, "ThreadsPerCore": 2, "HyperThreadingAdjustable": true,
                       "NestedVirtualizationSupport": "unsupported", "SupportedTopologyTypes": {"SupportedTopologyType": []}},
        "EnhancedNetwork": {"ExpressSupport": false, "RssSupport": true, "SriovSupport": false, "VfQueueNumberPerEni": 0},
        "EriQuantity": 0,
        "JumboFrameSupport": false,
        "NetworkEncryptionSupport": false,
        "NetworkCardQuantity": 1,
        "NetworkCards": {"NetworkCardInfo": [{"NetworkCardIndex": 0}]},
        "NetworkInfo": {"BandwidthWeighting": {"WeightingInfos": {"WeightingInfo": []}}},
        "MaximumQueueNumberPerEni": cpu.min(16),
        "PrimaryEniQueueNumber": cpu.min(16),
        "SecondaryEniQueueNumber": cpu.min(16),
        "QueuePairNumber": cpu.min(16),
        "TotalEniQueueQuantity": cpu * 2,
        "SecurityOptions": {"SecureBootSupport": "supported"},
    })
}

/// DescribeInstanceTypes: filters `InstanceTypes.N`, `InstanceTypeFamily`,
/// `InstanceTypeFamilies.N`, `Minimum/MaximumCpuCoreCount`, `Minimum/MaximumMemorySize`;
/// `NextToken`/`MaxResults` paging.
pub fn describe_instance_types(
    _cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let wanted = repeated_or_single(request, "InstanceTypes")?;
    let mut families = repeated_or_single(request, "InstanceTypeFamilies")?.unwrap_or_default();
    families.extend(request.get("InstanceTypeFamily").map(str::to_string));
    let number = |name: &str| -> Result<Option<f64>, AcsError> {
        request
            .get(name)
            .map(|text| {
                text.parse::<f64>()
                    .map_err(|error| AcsError::invalid_parameter(name, error))
            })
            .transpose()
    };
    let (min_cpu, max_cpu) = (
        number("MinimumCpuCoreCount")?,
        number("MaximumCpuCoreCount")?,
    );
    let (min_mem, max_mem) = (number("MinimumMemorySize")?, number("MaximumMemorySize")?);
    let within = |value: f64, low: Option<f64>, high: Option<f64>| {
        low.is_none_or(|low| value >= low) && high.is_none_or(|high| value <= high)
    };
    let selected: Vec<Value> = instance_types()
        .into_iter()
        .filter(|kind| wanted.as_ref().is_none_or(|wanted| wanted.contains(kind)))
        .filter(|kind| {
            families.is_empty() || families.iter().any(|family| family == family_of(kind))
        })
        .filter(|kind| {
            let (cpu, memory) = type_shape(kind);
            within(cpu as f64, min_cpu, max_cpu) && within(memory as f64 / 1024.0, min_mem, max_mem)
        })
        .map(|kind| type_json(&kind))
        .collect();
    let start = match request.get("NextToken").filter(|token| !token.is_empty()) {
        Some(token) => token.parse::<usize>().map_err(|_| {
            AcsError::invalid_parameter("NextToken", "not a token from a previous page")
        })?,
        None => 0,
    };
    let size = match request.int("MaxResults")? {
        Some(size) if !(1..=1600).contains(&size) => {
            return Err(AcsError::invalid_parameter(
                "MaxResults",
                "must be between 1 and 1600",
            ));
        }
        Some(size) => size as usize,
        None => 1600,
    };
    let total = selected.len();
    let page: Vec<Value> = selected.into_iter().skip(start).take(size).collect();
    let next = if start + page.len() < total {
        (start + page.len()).to_string()
    } else {
        String::new()
    };
    Ok(json!({"InstanceTypes": {"InstanceType": page}, "NextToken": next}))
}

/// DescribeInstanceTypeFamilies: `Generation` filter.
pub fn describe_instance_type_families(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    ctx.region(cloud, request)?;
    let generation = request.get("Generation");
    let families: Vec<Value> = FAMILIES
        .iter()
        .filter(|(_, family_generation)| generation.is_none_or(|wanted| wanted == *family_generation))
        .map(|(family, family_generation)| json!({"InstanceTypeFamilyId": family, "Generation": family_generation}))
        .collect();
    Ok(json!({"InstanceTypeFamilies": {"InstanceTypeFamily": families}}))
}

fn supported(values: &[String]) -> Value {
    let items: Vec<Value> = values
        .iter()
        .map(|value| {
            json!({"Value": value, "Status": "Available", "StatusCategory": "WithStock", "Min": 0, "Max": 0, "Unit": ""})
        })
        .collect();
    json!({"SupportedResource": items})
}

fn disks_supported(system: bool) -> Value {
    let max = if system { 2048 } else { 32768 };
    let items: Vec<Value> = DISK_CATEGORIES
        .iter()
        .map(|category| {
            json!({"Value": category, "Status": "Available", "StatusCategory": "WithStock",
                   "Min": 20, "Max": max, "Unit": "GiB"})
        })
        .collect();
    json!({"SupportedResource": items})
}

fn zone_json(region_id: &str, zone: &str, resource_type: &str, resources: Value) -> Value {
    json!({
        "RegionId": region_id,
        "ZoneId": zone,
        "Status": "Available",
        "StatusCategory": "WithStock",
        "AvailableResources": {"AvailableResource": [{"Type": resource_type, "SupportedResources": resources}]},
    })
}

/// DescribeAvailableResource: `DestinationResource` Zone, IoOptimized, InstanceType,
/// SystemDisk, DataDisk or Network, per zone of the region (`ZoneId`, `InstanceType` filters).
pub fn describe_available_resource(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region_id = ctx.region(cloud, request)?;
    let destination = request.require("DestinationResource")?;
    const DESTINATIONS: [&str; 6] = [
        "Zone",
        "IoOptimized",
        "InstanceType",
        "SystemDisk",
        "DataDisk",
        "Network",
    ];
    if !DESTINATIONS.contains(&destination) {
        return Err(AcsError::invalid_parameter(
            "DestinationResource",
            format!("{destination:?} is not one of {}", DESTINATIONS.join(", ")),
        ));
    }
    let wanted_type = request.get("InstanceType");
    let types: Vec<String> = instance_types()
        .into_iter()
        .filter(|kind| wanted_type.is_none_or(|wanted| wanted == kind))
        .collect();
    let region = cloud.region(&region_id).expect("validated by Ctx::region");
    let zones: Vec<&String> = region
        .zones
        .iter()
        .filter(|zone| {
            request
                .get("ZoneId")
                .is_none_or(|wanted| wanted == zone.as_str())
        })
        .collect();
    if types.is_empty() {
        return Ok(json!({"AvailableZones": {"AvailableZone": []}}));
    }
    let resources = |zone: &str| match destination {
        "Zone" => supported(&[zone.to_string()]),
        "IoOptimized" => supported(&["optimized".to_string()]),
        "InstanceType" => supported(&types),
        "SystemDisk" => disks_supported(true),
        "DataDisk" => disks_supported(false),
        _ => supported(&["vpc".to_string()]),
    };
    let available: Vec<Value> = zones
        .iter()
        .map(|zone| zone_json(&region_id, zone, destination, resources(zone)))
        .collect();
    Ok(json!({"AvailableZones": {"AvailableZone": available}}))
}

/// DescribeResourcesModification: the instance types (or system disk categories) instance
/// `ResourceId` can change to in its zone; `OperationType` Upgrade keeps the larger types,
/// Downgrade the smaller ones.
pub fn describe_resources_modification(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region_id = ctx.region(cloud, request)?;
    let instance = instance(cloud, request.require("ResourceId")?)?;
    let destination = request.require("DestinationResource")?;
    let (cpu, memory) = type_shape(&instance.instance_type);
    let resources = match destination {
        "InstanceType" => {
            let operation = request.get("OperationType").unwrap_or("Upgrade");
            let types: Vec<String> = instance_types()
                .into_iter()
                .filter(|kind| *kind != instance.instance_type)
                .filter(|kind| {
                    let (other_cpu, other_memory) = type_shape(kind);
                    match operation {
                        "Downgrade" | "RenewDowngrade" => {
                            other_cpu <= cpu && other_memory <= memory
                        }
                        _ => other_cpu >= cpu && other_memory >= memory,
                    }
                })
                .collect();
            supported(&types)
        }
        "SystemDisk" => disks_supported(true),
        other => {
            return Err(AcsError::invalid_parameter(
                "DestinationResource",
                format!("{other:?} is not InstanceType or SystemDisk"),
            ));
        }
    };
    let mut zone = zone_json(&region_id, &instance.zone_id, destination, resources);
    zone["AvailableResources"]["AvailableResource"][0]["ConditionSupportedResources"] =
        json!({"ConditionSupportedResource": []});
    Ok(json!({"AvailableZones": {"AvailableZone": [zone]}}))
}
