//! The templates an execution of a template would run, as far as the worker's library resolves them
//! (the store's templates, then `oos-product-actions`): the template itself and the children its
//! tasks start — `ACS::Template` with a literal `TemplateContent` or `TemplateName` (and
//! `TemplateVersion`), and product actions — each reached along its own chain of tasks, down to the
//! worker's nesting limit, never into a named template already on its chain (a cycle), and at most
//! [`MAX_REACHED`] templates in all. Shared by GenerateExecutionPolicy and ListExecutionRiskyTasks.

use std::collections::HashMap;
use std::sync::Arc;

use oos_acs::AcsError;
use oos_runtime::{Library, TemplateSource};
use oos_template::catalog::AtomicAction;
use oos_template::{ActionKind, Task, Template};
use serde_json::Value;

use crate::api::Api;
use crate::error;

/// The most templates one walk reaches (a wide tree of children is cut here rather than followed
/// along every one of its exponentially many chains).
const MAX_REACHED: usize = 1_000;

/// A template reached, and the chain of tasks that starts it.
pub(super) struct Reached {
    /// The name its execution carries: the library's name, an inline child's `TemplateName` or
    /// `inline` (as the worker names it); the root's as given.
    pub name: Option<String>,
    /// The names of the tasks that start it, from the root's down (empty for the root).
    pub path: Vec<String>,
    pub template: Arc<Template>,
}

/// Every template reached from `root` (named `name`), in depth-first order: each before its children,
/// children in task order. Templates the library does not have, or that do not parse, are not
/// reached (their execution would fail before any call); a failure to read the library is an error.
pub(super) async fn reach(api: &Api, root: Template, name: Option<&str>) -> Result<Vec<Reached>, AcsError> {
    let library = oos_product_actions::WithBuiltins::new(Library::new(Some(api.store.clone() as Arc<dyn oos_store::LibraryStore>)));
    let max_depth = usize::try_from(api.starter.quotas().max_depth).unwrap_or(usize::MAX);
    let mut found = HashMap::new();
    let mut reached = Vec::new();
    let root = Reached { name: name.map(str::to_string), path: Vec::new(), template: Arc::new(root) };
    let mut pending = vec![(root, name.map(str::to_string).into_iter().collect::<Vec<_>>())];
    while let Some((node, chain)) = pending.pop() {
        if reached.len() == MAX_REACHED {
            break;
        }
        let mut children = Vec::new();
        if node.path.len() < max_depth {
            for task in &node.template.tasks {
                let Some((child, named)) = child(task, &library, &mut found).await? else { continue };
                if named && child.name.as_ref().is_some_and(|name| chain.contains(name)) {
                    continue;
                }
                let mut chain = chain.clone();
                chain.extend(child.name.clone().filter(|_| named));
                let path = node.path.iter().cloned().chain([task.name.clone()]).collect();
                children.push((Reached { path, ..child }, chain));
            }
        }
        reached.push(node);
        pending.extend(children.into_iter().rev());
    }
    Ok(reached)
}

/// The template `task` starts (path not yet set), and whether it came from the library by name.
async fn child(task: &Task, library: &dyn TemplateSource, found: &mut Found) -> Result<Option<(Reached, bool)>, AcsError> {
    let (name, version) = match task.action.kind {
        ActionKind::Atomic(AtomicAction::Template) => {
            let name = literal(&task.properties, "TemplateName");
            if let Some(content) = literal(&task.properties, "TemplateContent") {
                let Ok(template) = oos_template::parse(content) else { return Ok(None) };
                let name = name.unwrap_or("inline").to_string();
                return Ok(Some((Reached { name: Some(name), path: Vec::new(), template: Arc::new(template) }, false)));
            }
            let Some(name) = name else { return Ok(None) };
            (name, literal(&task.properties, "TemplateVersion"))
        }
        ActionKind::Product => (task.action.canonical.as_str(), None),
        _ => return Ok(None),
    };
    let key = (name.to_string(), version.map(str::to_string));
    if !found.contains_key(&key) {
        let text = library.find(name, version).await.map_err(error::internal)?;
        let template = text.and_then(|text| oos_template::parse(&text.content).ok()).map(Arc::new);
        found.insert(key.clone(), template);
    }
    Ok(found[&key].clone().map(|template| (Reached { name: Some(name.to_string()), path: Vec::new(), template }, true)))
}

/// Templates read from the library, by name and version (`None`: not there, or not parseable).
type Found = HashMap<(String, Option<String>), Option<Arc<Template>>>;

/// A property's literal text (expressions are unknown until run time and are skipped).
pub(super) fn literal<'a>(properties: &'a Value, key: &str) -> Option<&'a str> {
    properties.get(key).and_then(Value::as_str).filter(|text| !text.contains("{{"))
}
