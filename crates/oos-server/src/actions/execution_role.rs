//! StartExecution's role check: the role the execution will act as — resolved by the runtime's
//! [`oos_runtime::Starter::prepare`] from the template's `RamRole` and the request's parameters,
//! exactly as it will run — must be passable by the caller (`ram:PassRole`) and trust
//! `oos.aliyuncs.com` (`Iam::require_pass_role`); checked before anything is written.

use oos_acs::AcsError;
use oos_iam::evaluate::{Context, keys};

use crate::api::Api;
use crate::auth::Caller;
use crate::error;

/// Refuses the start unless `caller` may pass `role` to OOS (`Forbidden.RAM`,
/// `EntityNotExist.Role`, `InvalidRamRole.NotTrusted`).
pub async fn authorize(api: &Api, caller: &Caller, role: &str) -> Result<(), AcsError> {
    let context = Context::new().with(keys::CURRENT_TIME, api.clock.timestamp().to_string());
    api.iam.require_pass_role(&caller.principal, role, context).await.map(drop).map_err(error::iam)
}
