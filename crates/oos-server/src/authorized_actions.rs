//! `AuthorizedActions`: the server's decorator around the engine's executors. Every cloud call of an
//! execution (ExecuteAPI/WaitFor/CheckFor, and SelectTargets as `ecs:DescribeInstances`) is checked
//! against the RAM policies of the role it acts as — or of the user who started it when the role is
//! empty — before it leaves; a denied call fails its task with `Forbidden.RAM` and reaches no cloud.
//! Each resource is checked on its own; a managed instance with its tags (`acs:ResourceTag/<key>`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oos_actions::{ActionError, ActionRequest, Actions, CallKind, api_call};
use oos_clock::Clock;
use oos_iam::arn::ArnScope;
use oos_iam::cloud_calls::cloud_call_authz;
use oos_iam::evaluate::{AuthzRequest, Context, evaluate, keys};
use oos_iam::identity::Principal;
use oos_iam::policy::Policy;
use oos_iam::Iam;
use serde_json::Value;

use crate::identity::RecordIdentityStore;

/// How long a principal's policies are reused before they are read again: a policy edit or detach
/// reaches running executions within this time.
pub const POLICY_CACHE_TTL: Duration = Duration::from_secs(1);

/// What a SelectTargets call is authorized as: it lists the ECS instances its filters select.
pub const SELECT_TARGETS_API: (&str, &str) = ("ecs", "DescribeInstances");

type Policies = Arc<Vec<Arc<Policy>>>;

/// The executors of an execution, behind per-call RAM checks.
pub struct AuthorizedActions {
    inner: Arc<dyn Actions>,
    iam: Arc<Iam<RecordIdentityStore>>,
    /// The time policies are evaluated at (`acs:CurrentTime`).
    clock: Arc<dyn Clock>,
    cache: Mutex<HashMap<Principal, (Instant, Policies)>>,
    /// Where the tags of managed instances are read.
    tags: Option<Arc<dyn oos_store::ServerStore>>,
}

impl AuthorizedActions {
    pub fn new(inner: Arc<dyn Actions>, iam: Arc<Iam<RecordIdentityStore>>, clock: Arc<dyn Clock>) -> Self {
        Self { inner, iam, clock, cache: Mutex::default(), tags: None }
    }

    /// Checks calls on managed instances with their tags, read from `store`.
    pub fn with_resource_tags(mut self, store: Arc<dyn oos_store::ServerStore>) -> Self {
        self.tags = Some(store);
        self
    }

    /// Allows or refuses the cloud call of `request`.
    async fn check(&self, request: &ActionRequest) -> Result<(), ActionError> {
        let account = self.iam.account();
        let principal = match &request.ram_role {
            Some(role) => Principal::Role(role.clone()),
            None => Principal::from_arn(&request.executed_by, account).ok_or_else(|| {
                forbidden(format!("task {}: the execution has no RAM identity ({:?}) to make cloud calls as", request.task_name, request.executed_by))
            })?,
        };
        if principal == Principal::Root {
            return Ok(());
        }
        let call = api_call(request)?;
        let (service, api) = match request.kind {
            CallKind::SelectTargets => SELECT_TARGETS_API,
            _ => (call.service.as_str(), call.api.as_str()),
        };
        let (action, resources) = cloud_call_authz(service, api, &call.parameters, &ArnScope::new(&request.region_id, account));
        let who = match &principal {
            Principal::Role(name) => format!("role {name}"),
            Principal::User(name) => format!("user {name}"),
            Principal::Root => "root".to_string(),
        };
        let policies = self.policies(&principal).await.map_err(|error| forbidden(format!("task {}: {who}: {error}", request.task_name)))?;
        let context = Context::new().with(keys::CURRENT_TIME, self.clock.timestamp().to_string());
        let borrowed: Vec<&Policy> = policies.iter().map(Arc::as_ref).collect();
        for resource in resources {
            let tags = match &self.tags {
                Some(store) => crate::resource_tags::managed_instance_tags(store.as_ref(), &resource).await,
                None => Default::default(),
            };
            let question = AuthzRequest { action: action.clone(), resources: vec![resource], context: crate::resource_tags::with_tags(context.clone(), &tags) };
            if !evaluate(&borrowed, &question).allowed {
                return Err(forbidden(format!(
                    "task {}: {who} ({}) is not allowed to perform {} on {}",
                    request.task_name,
                    principal.arn(account),
                    question.action,
                    question.resources.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The policies of `principal`, read at most once per [`POLICY_CACHE_TTL`].
    async fn policies(&self, principal: &Principal) -> Result<Policies, oos_iam::IamError> {
        if let Some((read, policies)) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(principal)
            && read.elapsed() < POLICY_CACHE_TTL
        {
            return Ok(policies.clone());
        }
        let policies = Arc::new(self.iam.effective_policies(principal).await?);
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).insert(principal.clone(), (Instant::now(), policies.clone()));
        Ok(policies)
    }
}

fn forbidden(message: String) -> ActionError {
    ActionError::new("Forbidden.RAM", message)
}

#[async_trait::async_trait]
impl Actions for AuthorizedActions {
    async fn run(&self, request: &ActionRequest) -> Result<Value, ActionError> {
        if matches!(request.kind, CallKind::CloudApi | CallKind::SelectTargets) {
            self.check(request).await?;
        }
        self.inner.run(request).await
    }
}
