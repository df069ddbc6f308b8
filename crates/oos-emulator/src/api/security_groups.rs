//! Security group actions: create/delete/describe groups, authorize and revoke rules in both
//! directions (flat parameters or `Permissions.N.*`), describe a group's rules.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{
    Ctx, PageLimits, check_dry_run, id_list, list_body, matches_tags, paginate, tag_list, tags_json,
};
use crate::errors::{DEPENDENCY_VIOLATION, INVALID_SECURITY_GROUP_ID_NOT_FOUND, not_found};
use crate::model::{SecurityGroup, SecurityGroupRule};
use crate::provision::vpc_of;
use crate::state::{Cloud, new_id, utc_time};

fn group<'a>(cloud: &'a Cloud, id: &str) -> Result<&'a SecurityGroup, AcsError> {
    cloud
        .security_groups
        .get(id)
        .ok_or_else(|| not_found(INVALID_SECURITY_GROUP_ID_NOT_FOUND, "SecurityGroupId", id))
}

/// CreateSecurityGroup.
pub fn create_security_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    check_dry_run(request)?;
    let id = new_id("sg");
    let text = |name: &str| request.get(name).unwrap_or_default().to_string();
    cloud.security_groups.insert(
        id.clone(),
        SecurityGroup {
            security_group_id: id.clone(),
            security_group_name: text("SecurityGroupName"),
            description: text("Description"),
            vpc_id: request
                .get("VpcId")
                .map_or_else(|| vpc_of(&region), str::to_string),
            region_id: region,
            creation_time: utc_time(ctx.now),
            resource_group_id: text("ResourceGroupId"),
            rules: Vec::new(),
            tags: tag_list(request)?.into_iter().collect(),
        },
    );
    Ok(json!({"SecurityGroupId": id}))
}

/// DeleteSecurityGroup: refused while instances use it.
pub fn delete_security_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("SecurityGroupId")?.to_string();
    group(cloud, &id)?;
    if cloud
        .instances
        .values()
        .any(|instance| instance.security_group_ids.contains(&id))
    {
        return Err(AcsError::new(
            DEPENDENCY_VIOLATION,
            format!("The security group {id} is still used by instances."),
        ));
    }
    cloud.security_groups.shift_remove(&id);
    Ok(json!({}))
}

/// DescribeSecurityGroups.
pub fn describe_security_groups(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = id_list(request, "SecurityGroupIds", "SecurityGroupId")?;
    let tags = tag_list(request)?;
    let selected: Vec<Value> = cloud
        .security_groups
        .values()
        .filter(|group| group.region_id == region)
        .filter(|group| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&group.security_group_id))
        })
        .filter(|group| request.get("VpcId").is_none_or(|vpc| vpc == group.vpc_id))
        .filter(|group| {
            request
                .get("SecurityGroupName")
                .is_none_or(|name| name == group.security_group_name)
        })
        .filter(|group| matches_tags(&group.tags, &tags))
        .map(|group| {
            let members = cloud
                .instances
                .values()
                .filter(|instance| {
                    instance
                        .security_group_ids
                        .contains(&group.security_group_id)
                })
                .count();
            json!({
                "SecurityGroupId": group.security_group_id,
                "SecurityGroupName": group.security_group_name,
                "Description": group.description,
                "VpcId": group.vpc_id,
                "SecurityGroupType": "normal",
                "CreationTime": group.creation_time,
                "ResourceGroupId": group.resource_group_id,
                "EcsCount": members,
                "AvailableInstanceAmount": 2000 - members as i64,
                "ServiceManaged": false,
                "ServiceID": 0,
                "RuleCount": group.rules.len(),
                "GroupToGroupRuleCount": group.rules.iter().filter(|rule| !rule.source_group_id.is_empty() || !rule.dest_group_id.is_empty()).count(),
                "Tags": tags_json(&group.tags),
            })
        })
        .collect();
    let (page, mut paging) = paginate(
        request,
        selected,
        PageLimits {
            default_size: 10,
            max_size: 50,
            token_paging: true,
        },
    )?;
    paging.insert("RegionId".into(), json!(region));
    Ok(list_body("SecurityGroups", "SecurityGroup", page, paging))
}

fn rule_json(rule: &SecurityGroupRule) -> Value {
    json!({
        "SecurityGroupRuleId": rule.rule_id,
        "Direction": rule.direction,
        "IpProtocol": rule.ip_protocol,
        "PortRange": rule.port_range,
        "SourceCidrIp": rule.source_cidr_ip,
        "DestCidrIp": rule.dest_cidr_ip,
        "SourceGroupId": rule.source_group_id,
        "DestGroupId": rule.dest_group_id,
        "Policy": rule.policy,
        "Priority": rule.priority,
        "NicType": rule.nic_type,
        "Description": rule.description,
        "CreateTime": rule.create_time,
        "Ipv6SourceCidrIp": "",
        "Ipv6DestCidrIp": "",
        "SourcePortRange": "",
        "SourceGroupName": "",
        "DestGroupName": "",
        "SourceGroupOwnerAccount": "",
        "DestGroupOwnerAccount": "",
        "SourcePrefixListId": "",
        "DestPrefixListId": "",
        "PortRangeListId": "",
        "SourcePrefixListName": "",
        "DestPrefixListName": "",
        "PortRangeListName": "",
    })
}

/// DescribeSecurityGroupAttribute: the group's rules, filtered by `Direction`.
pub fn describe_security_group_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let found = group(cloud, request.require("SecurityGroupId")?)?;
    let direction = request.get("Direction").unwrap_or("all");
    let rules: Vec<Value> = found
        .rules
        .iter()
        .filter(|rule| direction == "all" || rule.direction == direction)
        .map(rule_json)
        .collect();
    Ok(json!({
        "SecurityGroupId": found.security_group_id,
        "SecurityGroupName": found.security_group_name,
        "Description": found.description,
        "VpcId": found.vpc_id,
        "RegionId": region,
        "InnerAccessPolicy": "Accept",
        "NextToken": "",
        "Permissions": {"Permission": rules},
        "SnapshotPolicyIds": {"SnapshotPolicyId": []},
    }))
}

/// The rules a request describes: flat parameters, or each `Permissions.N` record.
fn requested_rules(
    request: &RpcRequest,
    direction: &str,
    now: &str,
) -> Result<Vec<SecurityGroupRule>, AcsError> {
    let flat: Vec<(String, String)> = request
        .params()
        .iter()
        .filter(|(key, _)| !key.contains('.'))
        .cloned()
        .collect();
    let records = request.repeated_records("Permissions");
    let sources = if records.is_empty() {
        vec![flat]
    } else {
        records
    };
    sources
        .iter()
        .map(|record| rule_from(record, direction, now))
        .collect()
}

fn rule_from(
    record: &[(String, String)],
    direction: &str,
    now: &str,
) -> Result<SecurityGroupRule, AcsError> {
    let get = |name: &str| {
        record
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let protocol = get("IpProtocol").to_ascii_lowercase();
    if !["tcp", "udp", "icmp", "icmpv6", "gre", "all"].contains(&protocol.as_str()) {
        return Err(if protocol.is_empty() {
            AcsError::missing_parameter("IpProtocol")
        } else {
            AcsError::invalid_parameter("IpProtocol", "must be tcp, udp, icmp, icmpv6, gre or all")
        });
    }
    let port_range = get("PortRange");
    let valid_ports = port_range.split_once('/').is_some_and(|(from, to)| {
        matches!((from.parse::<i32>(), to.parse::<i32>()), (Ok(from), Ok(to)) if (from == -1 && to == -1) || (1..=to).contains(&from) && to <= 65535)
    });
    if !valid_ports {
        return Err(AcsError::invalid_parameter(
            "PortRange",
            format!("{port_range:?} is not a range like 22/22 or -1/-1"),
        ));
    }
    let policy = match get("Policy").to_ascii_lowercase().as_str() {
        "" | "accept" => "Accept",
        "drop" => "Drop",
        _ => {
            return Err(AcsError::invalid_parameter(
                "Policy",
                "must be accept or drop",
            ));
        }
    };
    let priority = if get("Priority").is_empty() {
        "1".to_string()
    } else {
        get("Priority")
    };
    if !priority
        .parse::<i32>()
        .is_ok_and(|value| (1..=100).contains(&value))
    {
        return Err(AcsError::invalid_parameter(
            "Priority",
            "must be between 1 and 100",
        ));
    }
    let (peer_cidr, peer_group) = if direction == "ingress" {
        ("SourceCidrIp", "SourceGroupId")
    } else {
        ("DestCidrIp", "DestGroupId")
    };
    if get(peer_cidr).is_empty() && get(peer_group).is_empty() {
        return Err(AcsError::missing_parameter(peer_cidr));
    }
    Ok(SecurityGroupRule {
        rule_id: new_id("sgr"),
        direction: direction.into(),
        ip_protocol: protocol.to_ascii_uppercase(),
        port_range,
        source_cidr_ip: get("SourceCidrIp"),
        dest_cidr_ip: get("DestCidrIp"),
        source_group_id: get("SourceGroupId"),
        dest_group_id: get("DestGroupId"),
        policy: policy.into(),
        priority,
        nic_type: if get("NicType").is_empty() {
            "intranet".into()
        } else {
            get("NicType")
        },
        description: get("Description"),
        create_time: now.to_string(),
    })
}

/// Same rule, ignoring id, description and creation time.
fn same_rule(left: &SecurityGroupRule, right: &SecurityGroupRule) -> bool {
    let key = |rule: &SecurityGroupRule| {
        (
            rule.direction.clone(),
            rule.ip_protocol.to_ascii_lowercase(),
            rule.port_range.clone(),
            rule.source_cidr_ip.clone(),
            rule.dest_cidr_ip.clone(),
            rule.source_group_id.clone(),
            rule.dest_group_id.clone(),
            rule.policy.clone(),
        )
    };
    key(left) == key(right)
}

fn authorize(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
    direction: &str,
) -> Result<Value, AcsError> {
    let id = request.require("SecurityGroupId")?.to_string();
    group(cloud, &id)?;
    let rules = requested_rules(request, direction, &utc_time(ctx.now))?;
    check_dry_run(request)?;
    let existing = &mut cloud
        .security_groups
        .get_mut(&id)
        .expect("checked above")
        .rules;
    for rule in rules {
        if !existing.iter().any(|old| same_rule(old, &rule)) {
            existing.push(rule);
        }
    }
    Ok(json!({}))
}

fn revoke(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
    direction: &str,
) -> Result<Value, AcsError> {
    let id = request.require("SecurityGroupId")?.to_string();
    group(cloud, &id)?;
    let by_id = request.repeated("SecurityGroupRuleId");
    let rules = if by_id.is_empty() {
        requested_rules(request, direction, &utc_time(ctx.now))?
    } else {
        Vec::new()
    };
    check_dry_run(request)?;
    let existing = &mut cloud
        .security_groups
        .get_mut(&id)
        .expect("checked above")
        .rules;
    existing.retain(|old| {
        !by_id.contains(&old.rule_id) && !rules.iter().any(|rule| same_rule(old, rule))
    });
    Ok(json!({}))
}

pub fn authorize_security_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    authorize(cloud, request, ctx, "ingress")
}

pub fn authorize_security_group_egress(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    authorize(cloud, request, ctx, "egress")
}

pub fn revoke_security_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    revoke(cloud, request, ctx, "ingress")
}

pub fn revoke_security_group_egress(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    revoke(cloud, request, ctx, "egress")
}
