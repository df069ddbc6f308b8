//! The embedded templates as an `oos_template::TemplateLibrary` (used by validation to check the
//! properties a product-action task passes).

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
