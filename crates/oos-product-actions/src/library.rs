//! The embedded templates as an `oos_template::TemplateLibrary` (used by validation to check the
//! properties a product-action task passes), alone or after another library ([`AfterLibrary`]),
//! in the order `oos run` finds them.

use std::collections::HashMap;
use std::sync::Arc;

use oos_template::{Template, TemplateLibrary};

use crate::builtin_templates;

/// The embedded product actions, parsed once when built. Templates that fail to parse are left
/// out (the crate's tests guarantee there are none).
#[derive(Debug)]
pub struct ProductActions {
    templates: HashMap<String, Arc<Template>>,
}

impl ProductActions {
    /// Parses every embedded template.
    pub fn new() -> Self {
        let templates = builtin_templates()
            .iter()
            .filter_map(|builtin| {
                let template = oos_template::parse(builtin.content).ok()?;
                Some((builtin.name.to_ascii_lowercase(), Arc::new(template)))
            })
            .collect();
        Self { templates }
    }

    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }
}

impl Default for ProductActions {
    fn default() -> Self {
        Self::new()
    }
}

impl TemplateLibrary for ProductActions {
    fn find(&self, name: &str) -> Option<Arc<Template>> {
        self.templates.get(&name.trim().to_ascii_lowercase()).cloned()
    }
}

/// `first` (e.g. the `--library` directories), then the embedded product actions: the order in
/// which the runtime's [`crate::WithBuiltins`] finds templates, so that validation accepts exactly
/// what a run finds.
pub struct AfterLibrary<L> {
    first: L,
    builtins: ProductActions,
}

impl<L: TemplateLibrary> AfterLibrary<L> {
    pub fn new(first: L) -> Self {
        Self { first, builtins: ProductActions::new() }
    }
}

impl<L: TemplateLibrary> TemplateLibrary for AfterLibrary<L> {
    fn find(&self, name: &str) -> Option<Arc<Template>> {
        self.first.find(name).or_else(|| self.builtins.find(name))
    }
}
