//! The agent side: DescribeCloudAssistantStatus (every emulated instance has the agent; it
//! answers while the instance runs) and InstallCloudAssistant (nothing to install).

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::status::Phase;
use super::{PAGES, targeted_instances};
use crate::api::params::{Ctx, id_list, list_body, paginate};
use crate::model::{Instance, instance_status};
use crate::state::{Cloud, utc_time};

/// The agent version the emulated instances report.
const AGENT_VERSION: &str = "2.2.3.857";

/// DescribeCloudAssistantStatus: for `InstanceId.N` (default: the region's instances), filtered
/// by `OSType`.
pub fn describe_cloud_assistant_status(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let named = id_list(request, "InstanceIds", "InstanceId")?.is_some();
    let instances: Vec<&Instance> = if named {
        targeted_instances(cloud, request, &region)?
    } else {
        cloud
            .instances
            .values()
            .filter(|instance| instance.region_id == region)
            .collect()
    };
    let os_type = request.get("OSType").filter(|os| !os.is_empty());
    let now_ms = ctx.now.as_millisecond();
    let now = utc_time(ctx.now);
    let items: Vec<Value> = instances
        .into_iter()
        .filter(|instance| os_type.is_none_or(|os| os.eq_ignore_ascii_case(&instance.os_type)))
        .map(|instance| {
            let targets = cloud
                .assistant
                .invocations
                .values()
                .flat_map(|invocation| invocation.targets.iter().map(move |target| (invocation, target)))
                .filter(|(_, target)| target.instance_id == instance.instance_id && target.aborted.is_none());
            let (mut count, mut active, mut last) = (0, 0, None);
            for (invocation, target) in targets {
                count += 1;
                active += usize::from(!Phase::of(target, now_ms).is_over());
                last = Some(invocation.created_ms);
            }
            let running = instance.status == instance_status::RUNNING;
            json!({
                "ActiveTaskCount": active,
                "CloudAssistantStatus": running.to_string(),
                "CloudAssistantVersion": AGENT_VERSION,
                "InstanceId": instance.instance_id,
                "InvocationCount": count,
                "LastHeartbeatTime": if running { now.clone() } else { String::new() },
                "LastInvokedTime": last.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok()).map(utc_time).unwrap_or_default(),
                "OSType": if instance.os_type.eq_ignore_ascii_case("windows") { "Windows" } else { "Linux" },
                "SupportSessionManager": true,
            })
        })
        .collect();
    let (page, paging) = paginate(request, items, PAGES)?;
    Ok(list_body(
        "InstanceCloudAssistantStatusSet",
        "InstanceCloudAssistantStatus",
        page,
        paging,
    ))
}

/// InstallCloudAssistant: the instances must exist; the agent is already there.
pub fn install_cloud_assistant(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    targeted_instances(cloud, request, &region)?;
    Ok(json!({}))
}
