//! SSH key pairs: CreateKeyPair (a real Ed25519 key; the private half is answered once and
//! never kept), ImportKeyPair (OpenSSH public keys), DescribeKeyPairs, Attach/DetachKeyPair
//! (Linux instances), DeleteKeyPairs (not while bound).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use oos_acs::{AcsError, RpcRequest};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::{Value, json};

use super::params::{
    Ctx, PageLimits, id_list, list_body, matches_tags, paginate, required_instance_ids, tag_list,
    tags_json,
};
use crate::ecs_model::KeyPair;
use crate::errors::{
    DEPENDENCY_VIOLATION, INVALID_KEY_PAIR_NAME_NOT_FOUND, INVALID_PUBLIC_KEY_BODY_MALFORMED,
    KEY_PAIR_ALREADY_EXIST, not_found,
};
use crate::model::instance_status as status;
use crate::state::{Cloud, new_id, utc_time};

/// Longest public key accepted by ImportKeyPair.
const MAX_PUBLIC_KEY: usize = 16 * 1024;
/// Instances one Attach/DetachKeyPair call may name.
const MAX_INSTANCES: usize = 50;
const KEY_TYPES: [&str; 5] = [
    "ssh-rsa",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
];

fn key(region: &str, name: &str) -> String {
    format!("{region}/{name}")
}

fn check_name(name: &str) -> Result<(), AcsError> {
    let starts_well = name.chars().next().is_some_and(char::is_alphabetic);
    let allowed = name
        .chars()
        .all(|c| c.is_alphanumeric() || "._:-".contains(c));
    if (2..=128).contains(&name.chars().count())
        && starts_well
        && allowed
        && !name.starts_with("http")
    {
        Ok(())
    } else {
        Err(AcsError::invalid_parameter(
            "KeyPairName",
            "2 to 128 characters, starting with a letter: letters, digits, '.', '_', ':', '-'",
        ))
    }
}

fn lookup<'a>(cloud: &'a Cloud, region: &str, name: &str) -> Result<&'a KeyPair, AcsError> {
    cloud
        .key_pairs
        .get(&key(region, name))
        .ok_or_else(|| not_found(INVALID_KEY_PAIR_NAME_NOT_FOUND, "KeyPairName", name))
}

fn ssh_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn finger_print(blob: &[u8]) -> String {
    Md5::digest(blob)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `(algorithm, blob)` of an OpenSSH public key line (`type base64 [comment]`), checked.
fn parse_public_key(body: &str) -> Result<(String, Vec<u8>), AcsError> {
    let malformed = |why: &str| {
        AcsError::new(
            INVALID_PUBLIC_KEY_BODY_MALFORMED,
            format!("The specified PublicKeyBody is malformed: {why}."),
        )
    };
    if body.len() > MAX_PUBLIC_KEY {
        return Err(malformed("too long"));
    }
    let mut parts = body.split_whitespace();
    let (Some(algorithm), Some(encoded)) = (parts.next(), parts.next()) else {
        return Err(malformed("expected \"<type> <base64> [comment]\""));
    };
    if !KEY_TYPES.contains(&algorithm) {
        return Err(malformed("unknown key type"));
    }
    let blob = STANDARD
        .decode(encoded)
        .map_err(|_| malformed("not base64"))?;
    let named = blob
        .get(..4)
        .map(|length| u32::from_be_bytes(length.try_into().expect("four bytes")) as usize)
        .and_then(|length| blob.get(4..4 + length));
    if named != Some(algorithm.as_bytes()) {
        return Err(malformed("the key data does not match its type"));
    }
    Ok((algorithm.to_string(), blob))
}

fn store(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
    public_key: String,
    blob: &[u8],
) -> Result<KeyPair, AcsError> {
    let region = ctx.region(cloud, request)?;
    let name = request.require("KeyPairName")?.to_string();
    check_name(&name)?;
    if cloud.key_pairs.contains_key(&key(&region, &name)) {
        return Err(AcsError::new(
            KEY_PAIR_ALREADY_EXIST,
            format!("The key pair {name} already exists."),
        ));
    }
    let pair = KeyPair {
        key_pair_id: new_id("kp"),
        region_id: region.clone(),
        public_key,
        finger_print: finger_print(blob),
        creation_time: utc_time(ctx.now),
        resource_group_id: request
            .get("ResourceGroupId")
            .unwrap_or_default()
            .to_string(),
        tags: tag_list(request)?.into_iter().collect(),
        key_pair_name: name.clone(),
    };
    cloud.key_pairs.insert(key(&region, &name), pair.clone());
    Ok(pair)
}

fn pem(label: &str, der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// CreateKeyPair: a new Ed25519 pair; `PrivateKeyBody` (PKCS#8 PEM) is only in this answer.
pub fn create_key_pair(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let internal = || AcsError::new(oos_acs::ErrorCode::INTERNAL_ERROR, "key generation failed");
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| internal())?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| internal())?;
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ssh-ed25519");
    ssh_string(&mut blob, pair.public_key().as_ref());
    let public_key = format!("ssh-ed25519 {}", STANDARD.encode(&blob));
    let stored = store(cloud, request, ctx, public_key, &blob)?;
    Ok(json!({
        "KeyPairName": stored.key_pair_name,
        "KeyPairId": stored.key_pair_id,
        "KeyPairFingerPrint": stored.finger_print,
        "PrivateKeyBody": pem("PRIVATE KEY", pkcs8.as_ref()),
    }))
}

/// ImportKeyPair: an OpenSSH public key (`PublicKeyBody`).
pub fn import_key_pair(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let body = request.require("PublicKeyBody")?;
    let (algorithm, blob) = parse_public_key(body)?;
    let public_key = format!("{algorithm} {}", STANDARD.encode(&blob));
    let stored = store(cloud, request, ctx, public_key, &blob)?;
    Ok(json!({"KeyPairName": stored.key_pair_name, "KeyPairFingerPrint": stored.finger_print}))
}

/// DescribeKeyPairs: the region's pairs (`KeyPairName`, `*` a wildcard; `KeyPairFingerPrint`;
/// `ResourceGroupId`; `Tag.N`); `PublicKey` only with `IncludePublicKey=true`. Paged up to 50.
pub fn describe_key_pairs(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let tags = tag_list(request)?;
    let include_key = request.bool("IncludePublicKey")?.unwrap_or(false);
    let name_matches = |name: &str| match request.get("KeyPairName") {
        None => true,
        Some(pattern) if pattern.contains('*') => {
            let parts: Vec<&str> = pattern.split('*').collect();
            name.starts_with(parts[0])
                && name.ends_with(parts[parts.len() - 1])
                && parts.iter().all(|part| name.contains(part))
        }
        Some(exact) => exact == name,
    };
    let selected: Vec<Value> = cloud
        .key_pairs
        .values()
        .filter(|pair| pair.region_id == region && name_matches(&pair.key_pair_name))
        .filter(|pair| {
            request
                .get("KeyPairFingerPrint")
                .is_none_or(|print| print == pair.finger_print)
        })
        .filter(|pair| {
            request
                .get("ResourceGroupId")
                .is_none_or(|group| group == pair.resource_group_id)
        })
        .filter(|pair| matches_tags(&pair.tags, &tags))
        .map(|pair| {
            let mut item = json!({
                "KeyPairName": pair.key_pair_name,
                "KeyPairFingerPrint": pair.finger_print,
                "CreationTime": pair.creation_time,
                "ResourceGroupId": pair.resource_group_id,
                "Tags": tags_json(&pair.tags),
            });
            if include_key {
                item["PublicKey"] = json!(pair.public_key);
            }
            item
        })
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_50)?;
    Ok(list_body("KeyPairs", "KeyPair", page, paging))
}

/// What binding or unbinding does to one instance: `Ok` or the failed item's `(Code, Message)`.
type Bind = fn(&mut crate::model::Instance, &str) -> Result<(), (String, String)>;

fn bind_each(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
    bind: Bind,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let name = request.require("KeyPairName")?.to_string();
    let ids = required_instance_ids(request, MAX_INSTANCES)?;
    lookup(cloud, &region, &name)?;
    let results: Vec<Value> = ids
        .iter()
        .map(|id| {
            let outcome = match cloud.instances.get_mut(id).filter(|instance| instance.region_id == region) {
                None => Err(("InvalidInstanceId.NotFound".into(), format!("The specified InstanceId does not exist: {id}."))),
                Some(instance) if ![status::RUNNING, status::STOPPED].contains(&instance.status.as_str()) => Err((
                    "IncorrectInstanceStatus".into(),
                    format!("The instance {id} is {}.", instance.status),
                )),
                Some(instance) => bind(instance, &name),
            };
            let (code, message) = outcome.err().unwrap_or_else(|| ("200".into(), "successful".into()));
            json!({"InstanceId": id, "Success": (code == "200").to_string(), "Code": code, "Message": message})
        })
        .collect();
    let failed = results
        .iter()
        .filter(|result| result["Success"] == "false")
        .count();
    Ok(json!({
        "KeyPairName": name,
        "TotalCount": results.len().to_string(),
        "FailCount": failed.to_string(),
        "Results": {"Result": results},
    }))
}

/// AttachKeyPair: binds `KeyPairName` to Linux instances (`InstanceIds`, JSON list, at most 50),
/// replacing any pair they had; Windows instances are failed items.
pub fn attach_key_pair(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    bind_each(cloud, request, ctx, |instance, name| {
        if instance.os_type == "windows" {
            return Err((
                "DependencyViolation.WindowsInstance".into(),
                "A Windows instance cannot use an SSH key pair.".into(),
            ));
        }
        instance.key_pair_name = name.to_string();
        Ok(())
    })
}

/// DetachKeyPair: unbinds `KeyPairName` from instances bound to it.
pub fn detach_key_pair(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    bind_each(cloud, request, ctx, |instance, name| {
        if instance.key_pair_name != name {
            return Err((
                "InvalidKeyPairName.NotFound".into(),
                format!("The key pair {name} is not bound to the instance."),
            ));
        }
        instance.key_pair_name.clear();
        Ok(())
    })
}

/// DeleteKeyPairs: `KeyPairNames` (JSON list, at most 100); all must exist and be unbound.
pub fn delete_key_pairs(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let names = id_list(request, "KeyPairNames", "KeyPairName")?
        .filter(|names| !names.is_empty())
        .ok_or_else(|| AcsError::missing_parameter("KeyPairNames"))?;
    if names.len() > 100 {
        return Err(AcsError::invalid_parameter(
            "KeyPairNames",
            "at most 100 names",
        ));
    }
    for name in &names {
        lookup(cloud, &region, name)?;
        if let Some(user) = cloud
            .instances
            .values()
            .find(|instance| instance.region_id == region && &instance.key_pair_name == name)
        {
            return Err(AcsError::new(
                DEPENDENCY_VIOLATION,
                format!(
                    "The key pair {name} is bound to the instance {}.",
                    user.instance_id
                ),
            ));
        }
    }
    for name in &names {
        cloud.key_pairs.shift_remove(&key(&region, name));
    }
    Ok(json!({}))
}

/// Registers a seeded public key (no private half) in `region`.
pub fn seed_key_pair(
    cloud: &mut Cloud,
    region: &str,
    name: &str,
    public_key: &str,
    created: &str,
) -> Result<(), String> {
    check_name(name).map_err(|error| error.message)?;
    let (algorithm, blob) = parse_public_key(public_key).map_err(|error| error.message)?;
    cloud.key_pairs.insert(
        key(region, name),
        KeyPair {
            key_pair_name: name.to_string(),
            key_pair_id: new_id("kp"),
            region_id: region.to_string(),
            public_key: format!("{algorithm} {}", STANDARD.encode(&blob)),
            finger_print: finger_print(&blob),
            creation_time: created.to_string(),
            resource_group_id: String::new(),
            tags: Default::default(),
        },
    );
    Ok(())
}
