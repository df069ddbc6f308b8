//! Child executions (`ACS::Template`, nested templates, a trigger's firings): created by the worker
//! that steps the parent, in the parent's turn commit, under the quotas and with a parameter
//! snapshot of their own. A firing's child commits with its firing row, unique per (trigger, key).

use std::sync::Arc;

use oos_engine::{ChildStart, Event, Execution, FireSource, Mode, NewExecution, create};
use oos_template::Template;
use oos_store::{FiringRecord, StepWrite};

use crate::parameters::{self, Reader};
use crate::quotas::Uncommitted;
use crate::{RuntimeError, Worker, audit, persist};

/// Codes of a child start that failed because something could not be read, not because of the child.
const UNAVAILABLE: [&str; 3] = [crate::quotas::READ_FAILED, "ParameterStore.ReadFailed", LIBRARY_READ_FAILED];
const LIBRARY_READ_FAILED: &str = "Library.ReadFailed";
/// The parameter public templates name their execution role by.
const ASSUME_ROLE: &str = "OOSAssumeRole";

/// The parameters a child starts with. Public templates hand their `OOSAssumeRole` on to every
/// child (ACS-ECS-CloneInstancesAcrossAZ to `ACS::ECS::CloneInstanceAcrossAZ`, which declares no
/// such parameter), and OOS accepts that: a child that does not declare it is started without it
/// and runs as its parent's role anyway. Any other undeclared parameter is still refused.
fn child_parameters(template: &Template, given: &serde_json::Map<String, serde_json::Value>) -> serde_json::Map<String, serde_json::Value> {
    let mut parameters = given.clone();
    if !template.parameters.contains_key(ASSUME_ROLE) {
        parameters.remove(ASSUME_ROLE);
    }
    parameters
}

impl Worker {
    /// Creates the requested child executions in this turn's commit (skipping ones that exist).
    pub(crate) async fn create_children(&mut self, now: i64, write: &mut StepWrite) -> Result<Vec<String>, RuntimeError> {
        let mut started = Vec::new();
        let mut uncommitted = Uncommitted::default();
        for (start, recovered) in std::mem::take(&mut self.children) {
            // An event's or alarm's key may come again (re-delivered, notified twice) after the
            // engine forgot it: its child exists then, and the firing is not run twice. A tick comes
            // once from committed state (a unique key guards it anyway), so it reads nothing here.
            let repeatable = start.firing.as_ref().is_some_and(|firing| firing.source != FireSource::Timer);
            if (recovered || repeatable) && self.store.execution(&start.child_execution_id).await?.is_some() {
                continue;
            }
            match self.child(&start, now, &mut uncommitted).await {
                Ok(mut child) => {
                    uncommitted.add(&child.template_name);
                    if let Some(firing) = &start.firing {
                        write.firings.push(FiringRecord {
                            execution_id: start.parent_execution_id.clone(),
                            fire_key: firing.key.clone(),
                            source: format!("{:?}", firing.source),
                            child_execution_id: child.id.clone(),
                            fired_ms: firing.fired_ms,
                        });
                        write.audit.push(audit::firing(&start, firing, now));
                    }
                    let changes = child.take_changes();
                    persist::add_changes(write, &child, changes, self.sealer.as_deref());
                    started.push(child.id.clone());
                    write.at_risk.extend(self.guard.to_mark([&child.id]));
                    self.live.insert(child.id.clone(), child);
                }
                // The store could not be read (a lost connection): the turn fails and is applied
                // again, rather than failing the parent's task (or losing a trigger's firing).
                Err((code, message)) if UNAVAILABLE.contains(&code.as_str()) => return Err(RuntimeError::Unavailable(format!("{code}: {message}"))),
                Err((code, message)) => self.queue.push_back((
                    start.parent_execution_id.clone(),
                    Event::ChildNotStarted { task_execution_id: start.parent_task_execution_id.clone(), code, message },
                    None,
                )),
            }
        }
        Ok(started)
    }

    async fn child(&self, start: &ChildStart, now: i64, uncommitted: &mut Uncommitted) -> Result<Execution, (String, String)> {
        let (name, version, template) = self.child_template(start).await?;
        self.config.quotas.admit(self.store.as_ref(), &name, start.depth, uncommitted).await.map_err(|e| (e.code.to_owned(), e.message))?;
        let reader = Reader { executed_by: Some(start.executed_by.clone()), ram_role: start.ram_role.clone() };
        let values = parameters::snapshot(self.parameters.as_deref(), &template, &reader).await.map_err(|e| (e.code.to_owned(), e.message))?;
        create(
            NewExecution {
                id: start.child_execution_id.clone(),
                template: template.clone(),
                template_name: name,
                template_version: version,
                parameters: child_parameters(&template, &start.parameters),
                mode: Mode::Automatic,
                parent_execution_id: Some(start.parent_execution_id.clone()),
                parent_task_execution_id: Some(start.parent_task_execution_id.clone()),
                description: String::new(),
                region_id: Some(start.region_id.clone()),
                store_parameters: values.common,
                secret_parameters: values.secret,
                execute_user: Some(start.executed_by.clone()),
                firing: start.firing.clone(),
            },
            now,
            &self.config.engine,
        )
        .map(|mut child| {
            child.flow.ram_role = start.ram_role.clone();
            child.flow.safety_check = start.safety_check;
            child.flow.in_loop = start.in_loop;
            child.flow.depth = start.depth;
            child.flow.inherited_secrets = start.secrets.clone();
            child.flow.trace = match &start.firing {
                Some(_) => crate::spans::firing(&start.parent_execution_id, &child.id),
                None => self.live.get(&start.parent_execution_id).and_then(|parent| parent.flow.trace.clone()),
            };
            child
        })
        .map_err(|e| (e.code.to_owned(), e.message))
    }

    /// The child's template: a firing runs its trigger execution's own (parsed once, held by this
    /// worker, which steps the parent in this very turn); others name one or carry its content.
    async fn child_template(&self, start: &ChildStart) -> Result<(String, Option<String>, Arc<Template>), (String, String)> {
        if start.firing.is_some() {
            let parent = self.live.get(&start.parent_execution_id).ok_or_else(|| ("Trigger.NotLoaded".to_owned(), "the trigger execution is not loaded".to_owned()))?;
            return Ok((parent.template_name.clone(), parent.template_version.clone(), parent.template.clone()));
        }
        let (name, version, content) = match (&start.template_content, &start.template_name) {
            (Some(content), name) => (name.clone().unwrap_or_else(|| "inline".into()), None, content.clone()),
            (None, Some(name)) => match self.library.find(name, start.template_version.as_deref()).await {
                Ok(Some(found)) => (name.clone(), found.version, found.content),
                Ok(None) => return Err(("EntityNotExists.Template".into(), format!("template {name} does not exist"))),
                Err(message) => return Err((LIBRARY_READ_FAILED.into(), message)),
            },
            (None, None) => return Err(("InvalidTemplate".into(), "no template given".into())),
        };
        let template = oos_template::parse(&content).map_err(|e| (e.code().to_owned(), format!("template {name}: {e}")))?;
        Ok((name, version, Arc::new(template)))
    }
}
