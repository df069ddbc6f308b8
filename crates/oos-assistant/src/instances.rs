//! Managed instances and their activations: CreateActivation, DescribeActivations,
//! DeleteActivation, registration of an agent ([`register`]), DescribeManagedInstances,
//! DeregisterManagedInstance and DescribeCloudAssistantStatus.

use std::net::IpAddr;

use oos_acs::{AcsError, ErrorCode, RpcRequest};
use oos_agent_proto::{Registered, Registration};
use oos_store::{ActivationRow, ManagedInstanceQuery, ManagedInstanceRow, RegisterOutcome};
use serde_json::{Value, json};

use crate::params::{self, bounded, text};
use crate::{Assistant, Fields, ids, shapes, store_error};

pub(crate) const ACTIVATION_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidActivationId.NotFound", 404);
/// A registration with an unknown activation or a wrong code (not told apart).
pub const ACTIVATION_REFUSED: ErrorCode = ErrorCode::new("InvalidActivation.NotFound", 403);
pub const ACTIVATION_EXPIRED: ErrorCode = ErrorCode::new("InvalidActivation.Expired", 403);
pub const ACTIVATION_USED_UP: ErrorCode = ErrorCode::new("InvalidActivation.UsageExceeded", 403);
pub const ACTIVATION_SOURCE: ErrorCode = ErrorCode::new("InvalidActivation.SourceIp", 403);
pub(crate) const MANAGED_INSTANCE_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidInstanceId.NotFound", 404);

/// CreateActivation: an id and a code (shown once; only its hash is kept), a usage limit and a lifetime.
pub(crate) async fn create_activation(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let usage_limit = bounded(request, "InstanceCount", 10, 1, 1000)?;
    let hours = bounded(request, "TimeToLiveInHours", 4, 1, 24 * 365)?;
    let range = text(request, "IpAddressRange", 64)?;
    if !range.is_empty() && range.parse::<ipnet::IpNet>().is_err() && range.parse::<IpAddr>().is_err() {
        return Err(AcsError::invalid_parameter("IpAddressRange", format!("not an address or CIDR range: {range:?}")));
    }
    let code = ids::secret();
    let now = assistant.now_ms();
    let tags: serde_json::Map<String, Value> = request.tags("Tag").into_iter().map(|(key, value)| (key, Value::String(value))).collect();
    let row = ActivationRow {
        activation_id: ids::activation_id(),
        region_id: assistant.region_of(request),
        code_hash: ids::hash(&code),
        description: text(request, "Description", 100)?,
        instance_name: text(request, "InstanceName", 128)?,
        ip_address_range: range,
        usage_limit,
        usage_count: 0,
        deregistered_count: 0,
        created_ms: now,
        expires_ms: now + hours * 3_600_000,
        tags: Value::Object(tags).to_string(),
    };
    assistant.store().create_activation(&row).await.map_err(store_error)?;
    let mut fields = Fields::new();
    fields.insert("ActivationId".into(), Value::String(row.activation_id));
    fields.insert("ActivationCode".into(), Value::String(code));
    Ok(fields)
}

/// DescribeActivations.
pub(crate) async fn describe_activations(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let page = params::page(request)?;
    let ids: Vec<String> = request.get("ActivationId").map(|id| vec![id.to_string()]).unwrap_or_default();
    let mut found = assistant.store().activations(&ids).await.map_err(store_error)?;
    if let Some(name) = request.get("InstanceName") {
        found.retain(|row| row.instance_name == name);
    }
    let listed: Vec<Value> = page.of(&found).iter().map(shapes::activation).collect();
    let mut fields = Fields::new();
    fields.insert("ActivationList".into(), Value::Array(listed));
    Ok(page.answer(fields, found.len()))
}

/// DeleteActivation: no new registrations with it; registered instances stay.
pub(crate) async fn delete_activation(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let id = request.require("ActivationId")?;
    let found = assistant.store().activations(&[id.to_string()]).await.map_err(store_error)?;
    let Some(row) = found.into_iter().next() else {
        return Err(AcsError::new(ACTIVATION_NOT_FOUND, format!("The activation {id} does not exist.")));
    };
    assistant.store().delete_activation(id).await.map_err(store_error)?;
    let mut fields = Fields::new();
    fields.insert("Activation".into(), shapes::activation(&row));
    Ok(fields)
}

/// An agent registers: the activation must exist with this code, be unexpired, have uses left and
/// allow `peer`. Answers the instance id and the agent's credential (kept only as a hash).
pub async fn register(assistant: &Assistant, registration: &Registration, peer: IpAddr) -> Result<Registered, AcsError> {
    let found = assistant.store().activations(&[registration.activation_id.clone()]).await.map_err(store_error)?;
    let refused = || AcsError::new(ACTIVATION_REFUSED, "The activation does not exist or its code does not match.");
    let activation = found.into_iter().next().ok_or_else(refused)?;
    if !allows(&activation.ip_address_range, peer) {
        return Err(AcsError::new(ACTIVATION_SOURCE, format!("The activation does not allow registrations from {peer}.")));
    }
    if let Some(bound) = &registration.sandbox_instance {
        if !bound.starts_with("i-") {
            return Err(AcsError::invalid_parameter("sandbox_instance", "an emulated ECS instance id (i-…) is required"));
        }
    }
    let secret = ids::secret();
    let inventory = &registration.inventory;
    let now = assistant.now_ms();
    let instance = ManagedInstanceRow {
        instance_id: ids::managed_instance_id(),
        region_id: activation.region_id.clone(),
        activation_id: activation.activation_id.clone(),
        secret_hash: ids::hash(&secret),
        instance_name: if activation.instance_name.is_empty() { inventory.hostname.clone() } else { activation.instance_name.clone() },
        hostname: inventory.hostname.clone(),
        os_type: inventory.os_type.clone(),
        os_name: inventory.os_name.clone(),
        agent_version: inventory.agent_version.clone(),
        ip_address: inventory.ip_addresses.first().cloned().unwrap_or_default(),
        inventory: serde_json::to_string(inventory).unwrap_or_default(),
        collected: String::from("{}"),
        registered_ms: now,
        last_seen_ms: now,
        connected: false,
        sandbox_instance: registration.sandbox_instance.clone(),
        tags: String::from("{}"),
    };
    match assistant.store().register_instance(&ids::hash(&registration.activation_code), now, &instance).await.map_err(store_error)? {
        RegisterOutcome::Registered => {
            assistant
                .audit(json!({
                    "Principal": format!("activation/{}", activation.activation_id),
                    "Action": "RegisterManagedInstance",
                    "InstanceId": instance.instance_id,
                    "Hostname": instance.hostname,
                    "SourceIp": peer.to_string(),
                    "SandboxInstance": instance.sandbox_instance,
                    "ResultCode": "Success",
                }))
                .await;
            Ok(Registered { instance_id: instance.instance_id, secret })
        }
        RegisterOutcome::NotFound => Err(refused()),
        RegisterOutcome::Expired => Err(AcsError::new(ACTIVATION_EXPIRED, "The activation has expired; create another.")),
        RegisterOutcome::UsedUp => Err(AcsError::new(ACTIVATION_USED_UP, "The activation has registered as many instances as it allows.")),
    }
}

fn allows(range: &str, peer: IpAddr) -> bool {
    if range.is_empty() {
        return true;
    }
    match range.parse::<ipnet::IpNet>() {
        Ok(net) => net.contains(&peer),
        Err(_) => range.parse::<IpAddr>().is_ok_and(|address| address == peer),
    }
}

/// The managed instances a request filters for.
async fn matching(assistant: &Assistant, request: &RpcRequest) -> Result<Vec<ManagedInstanceRow>, AcsError> {
    let query = ManagedInstanceQuery {
        ids: params::instance_ids(request, false)?,
        activation_id: request.get("ActivationId").map(str::to_string),
        instance_name: request.get("InstanceName").map(str::to_string),
        sandbox_instance: None,
        tags: request.tags("Tag"),
    };
    let mut found = assistant.store().managed_instances(&query).await.map_err(store_error)?;
    if let Some(ip) = request.get("InstanceIp") {
        found.retain(|row| row.ip_address == ip);
    }
    if let Some(os) = request.get("OsType") {
        found.retain(|row| row.os_type.eq_ignore_ascii_case(os));
    }
    if let Some(connected) = request.bool("Connected")? {
        found.retain(|row| row.connected == connected);
    }
    Ok(found)
}

/// DescribeManagedInstances.
pub(crate) async fn describe_managed_instances(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let page = params::page(request)?;
    let found = matching(assistant, request).await?;
    let listed: Vec<Value> = page.of(&found).iter().map(shapes::managed_instance).collect();
    let mut fields = Fields::new();
    fields.insert("Instances".into(), Value::Array(listed));
    Ok(page.answer(fields, found.len()))
}

/// DeregisterManagedInstance: the agent's credential stops working and its pending work fails.
pub(crate) async fn deregister_managed_instance(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let id = request.require("InstanceId")?;
    let Some(row) = assistant.store().managed_instance(id).await.map_err(store_error)? else {
        return Err(AcsError::new(MANAGED_INSTANCE_NOT_FOUND, format!("The managed instance {id} does not exist.")));
    };
    assistant.store().deregister_instance(id, assistant.now_ms()).await.map_err(store_error)?;
    assistant.wake_hub();
    let mut fields = Fields::new();
    fields.insert("Instance".into(), shapes::managed_instance(&row));
    Ok(fields)
}

/// DescribeCloudAssistantStatus: whether each instance's agent is connected, and since when seen.
pub(crate) async fn describe_cloud_assistant_status(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let page = params::page(request)?;
    let found = matching(assistant, request).await?;
    let listed: Vec<Value> = page
        .of(&found)
        .iter()
        .map(|row| {
            json!({
                "InstanceId": row.instance_id,
                "CloudAssistantStatus": row.connected.to_string(),
                "CloudAssistantVersion": row.agent_version,
                "LastHeartbeatTime": shapes::time(Some(row.last_seen_ms)),
                "OSType": row.os_type,
                "ActiveTaskCount": 0,
                "InvocationCount": 0,
                "LastInvokedTime": "",
                "SupportSessionManager": false,
            })
        })
        .collect();
    let mut fields = Fields::new();
    fields.insert("InstanceCloudAssistantStatusSet".into(), json!({"InstanceCloudAssistantStatus": listed}));
    Ok(page.answer(fields, found.len()))
}

/// The managed instance an agent's credential (`<instance id>:<secret>`) belongs to.
pub async fn authenticate(assistant: &Assistant, credential: &str) -> Option<ManagedInstanceRow> {
    let (instance_id, secret) = credential.split_once(':')?;
    if !ids::is_managed_instance(instance_id) || instance_id.len() > 64 || secret.len() > 128 {
        return None;
    }
    let row = assistant.store().managed_instance(instance_id).await.ok().flatten()?;
    ids::same_hash(&row.secret_hash, &ids::hash(secret)).then_some(row)
}
