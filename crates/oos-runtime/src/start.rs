//! Creating an execution where the request arrives (the API, a schedule, `oos run`): one parameter-
//! store snapshot, the execution built by the engine core, then — after the caller has checked the
//! role it will act as — one transaction with its rows, its API metadata (ClientToken unique) and
//! the request's audit record. The new execution is unleased: the store wakes the workers and one
//! of them claims it.

use std::sync::Arc;

use oos_clock::Clock;
use oos_engine::{BatchPause, EngineConfig, Execution, Mode, NewExecution, SafetyCheck, create, ids};
use oos_store::audit::NewAudit;
use oos_store::{ExecutionMeta, StepWrite, Store};
use oos_template::Template;
use serde_json::{Map, Value};

use crate::parameters::{self, ParameterSource, Reader};
use crate::quotas::{Quotas, Uncommitted};
use crate::{RuntimeError, Sealer, audit, persist};

/// A request to start a top-level execution.
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub template_name: String,
    pub template_version: Option<String>,
    /// The template, parsed once by whoever received the request.
    pub template: Arc<Template>,
    pub parameters: Map<String, Value>,
    pub mode: Mode,
    pub description: String,
    pub region_id: Option<String>,
    /// Who starts it (a server puts the caller's ARN; child executions inherit it); None: the configured user.
    pub executed_by: Option<String>,
    /// `LoopMode`: overrides the `BatchPauseOption` of the execution's batch loops (None: their own).
    pub loop_mode: Option<BatchPause>,
    /// `SafetyCheck`: whether high-risk calls wait for a decision (the default) or run straight through.
    pub safety_check: SafetyCheck,
    /// Audit records of the request that starts it (committed with the new execution).
    pub audit: Vec<NewAudit>,
    /// API metadata of the new execution (its id is filled in), committed with it.
    pub meta: Option<ExecutionMeta>,
}

/// Creates executions: what a worker, a server or a scheduler needs to start one.
#[derive(Clone)]
pub struct Starter {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) parameters: Option<Arc<dyn ParameterSource>>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) engine: EngineConfig,
    pub(crate) quotas: Quotas,
    pub(crate) sealer: Option<Arc<dyn Sealer>>,
}

impl std::fmt::Debug for Starter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Starter").field("quotas", &self.quotas).finish_non_exhaustive()
    }
}

/// An execution built and checked, not yet written.
#[derive(Debug)]
pub struct Prepared {
    execution: Execution,
    audit: Vec<NewAudit>,
    meta: Option<ExecutionMeta>,
}

impl Prepared {
    pub fn id(&self) -> &str {
        &self.execution.id
    }

    /// The RAM role the execution will act as (resolved from the template and the parameters
    /// exactly as it will run); None: its starter's own permissions.
    pub fn ram_role(&self) -> Option<&str> {
        self.execution.flow.ram_role.as_deref()
    }
}

/// What a start did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// A new execution with this id.
    New(String),
    /// The request's ClientToken belongs to this execution already; nothing was written.
    Existing(String),
}

impl Started {
    /// The id of the execution the start answers with.
    pub fn id(&self) -> &str {
        match self {
            Started::New(id) | Started::Existing(id) => id,
        }
    }
}

impl Starter {
    /// The quotas of its worker (the nesting limit of child executions included).
    pub fn quotas(&self) -> &Quotas {
        &self.quotas
    }

    /// Builds the execution: quotas, one snapshot of the parameter store as its starter, the engine's
    /// `create` (parameters validated, role resolved) and, when it acts as a role, the check that the
    /// role may read every parameter it uses.
    pub async fn prepare(&self, request: StartRequest) -> Result<Prepared, RuntimeError> {
        self.quotas.admit(self.store.as_ref(), &request.template_name, 0, &mut Uncommitted::default()).await?;
        let starter = Reader { executed_by: request.executed_by.clone(), ram_role: None };
        let values = parameters::snapshot(self.parameters.as_deref(), &request.template, &starter).await?;
        let id = ids::execution_id(rand::random());
        let mut execution = create(
            NewExecution {
                id: id.clone(),
                template: request.template.clone(),
                template_name: request.template_name,
                template_version: request.template_version,
                parameters: request.parameters,
                mode: request.mode,
                parent_execution_id: None,
                parent_task_execution_id: None,
                description: request.description,
                region_id: request.region_id,
                store_parameters: values.common,
                secret_parameters: values.secret,
                execute_user: request.executed_by,
                firing: None,
            },
            self.clock.now_ms(),
            &self.engine,
        )?;
        if let Some(role) = &execution.flow.ram_role {
            let acting = Reader { ram_role: Some(role.clone()), ..starter };
            parameters::authorize(self.parameters.as_deref(), &request.template, &acting).await?;
        }
        execution.flow.loop_mode = request.loop_mode;
        execution.flow.safety_check = request.safety_check;
        execution.flow.trace = crate::spans::created_here(&id);
        let ram_role = execution.flow.ram_role.clone().unwrap_or_default();
        let meta = request.meta.map(|meta| ExecutionMeta { execution_id: id.clone(), ram_role, ..meta });
        Ok(Prepared { audit: audit::started(request.audit, &id), execution, meta })
    }

    /// Writes a prepared execution in one transaction (rows, API metadata, audit records) and wakes
    /// the workers; a ClientToken in use already writes nothing.
    pub async fn commit(&self, mut prepared: Prepared) -> Result<Started, RuntimeError> {
        let mut write = StepWrite { audit: std::mem::take(&mut prepared.audit), ..StepWrite::default() };
        let changes = prepared.execution.take_changes();
        persist::add_changes(&mut write, &prepared.execution, changes, self.sealer.as_deref());
        Ok(match self.store.create(&write, prepared.meta.as_ref()).await? {
            Some(existing) => Started::Existing(existing),
            None => Started::New(prepared.execution.id),
        })
    }

    /// [`Starter::prepare`] then [`Starter::commit`], for starters with no role check of their own.
    pub async fn start(&self, request: StartRequest) -> Result<Started, RuntimeError> {
        let prepared = self.prepare(request).await?;
        self.commit(prepared).await
    }
}
