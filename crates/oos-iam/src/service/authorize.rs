//! Authorization entry points for the server and the engine: API requests, passing a role to an
//! execution, and an execution's outbound cloud calls.

use serde_json::{Map, Value};

use super::{Iam, OOS_SERVICE_PRINCIPAL};
use crate::arn::{self, ArnScope};
use crate::cloud_calls::cloud_call_authz;
use crate::error::IamError;
use crate::evaluate::{AuthzRequest, Context, Decision, DecisionReason, evaluate, keys};
use crate::identity::{IdentityStore, Principal, Role};
use crate::oos_actions::{RequestParams, oos_action_authz};
use crate::policy::{Policy, TrustPolicy, TrustedPrincipal};
use crate::ram_actions::is_own_password_change;

impl<S: IdentityStore> Iam<S> {
    /// Evaluates `request` for `principal` (root is always allowed, without policies; a user's own
    /// password change is allowed unless a statement denies it).
    pub async fn authorize(
        &self,
        principal: &Principal,
        request: &AuthzRequest,
    ) -> Result<Decision, IamError> {
        if *principal == Principal::Root {
            return Ok(Decision::account_root());
        }
        let policies = self.effective_policies(principal).await?;
        let borrowed: Vec<&Policy> = policies.iter().map(|p| p.as_ref()).collect();
        let decision = evaluate(&borrowed, request);
        if decision.reason == DecisionReason::ImplicitDeny && is_own_password_change(principal, request, &self.account) {
            return Ok(Decision { allowed: true, reason: DecisionReason::OwnPasswordChange, ..decision });
        }
        Ok(decision)
    }

    /// Like [`Iam::authorize`], but a denial is the `Forbidden.RAM` error naming principal, action and resource.
    pub async fn require(
        &self,
        principal: &Principal,
        request: &AuthzRequest,
    ) -> Result<Decision, IamError> {
        let decision = self.authorize(principal, request).await?;
        if decision.allowed {
            return Ok(decision);
        }
        Err(IamError::Forbidden {
            principal: principal.arn(&self.account),
            action: request.action.clone(),
            resource: decision.resource.clone().unwrap_or_default(),
            reason: decision.reason,
        })
    }

    /// Authorizes one OOS API request: `oos:<action>` on the resources its parameters name, with the
    /// connection's `context` extended by the request's own keys (`oos:TemplateName`, tags).
    pub async fn require_api_action(
        &self,
        principal: &Principal,
        action: &str,
        params: &dyn RequestParams,
        region: &str,
        context: Context,
    ) -> Result<Decision, IamError> {
        let authz = oos_action_authz(action, params, &ArnScope::new(region, self.account.clone()))?;
        let context = authz.extend_context(context);
        self.require(
            principal,
            &AuthzRequest {
                action: authz.action,
                resources: authz.resources,
                context,
            },
        )
        .await
    }

    /// Checks that `caller` may start an execution acting as role `role`: the caller needs `ram:PassRole`
    /// on `acs:ram::<account>:role/<role>` (with `acs:Service` = `oos.aliyuncs.com` in the context), and
    /// the role's trust policy must let OOS assume it.
    pub async fn require_pass_role(
        &self,
        caller: &Principal,
        role: &str,
        context: Context,
    ) -> Result<Role, IamError> {
        let record: Role = self.fetch(role).await?;
        let request = AuthzRequest {
            action: "ram:PassRole".to_string(),
            resources: vec![arn::ram(&self.account, "role", role)],
            context: context.with(keys::SERVICE, OOS_SERVICE_PRINCIPAL),
        };
        self.require(caller, &request).await?;
        let trust = TrustPolicy::parse(&record.trust_policy)?;
        if !trust.trusts(&TrustedPrincipal::Service(OOS_SERVICE_PRINCIPAL)) {
            return Err(IamError::RoleNotTrusted {
                role: role.to_string(),
                trusted: OOS_SERVICE_PRINCIPAL.to_string(),
            });
        }
        Ok(record)
    }

    /// Checks one outbound cloud call of an execution before it leaves: `<service>:<api>` on the resources
    /// named by `params`, for `acting_as` (the execution's role, or its starter when the role is empty).
    /// A denial is `Forbidden.RAM` naming action, resource and principal.
    pub async fn require_cloud_call(
        &self,
        acting_as: &Principal,
        service: &str,
        api: &str,
        params: &Map<String, Value>,
        region: &str,
        context: Context,
    ) -> Result<Decision, IamError> {
        let (action, resources) = cloud_call_authz(
            service,
            api,
            params,
            &ArnScope::new(region, self.account.clone()),
        );
        self.require(
            acting_as,
            &AuthzRequest {
                action,
                resources,
                context,
            },
        )
        .await
    }
}
